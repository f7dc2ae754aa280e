// Animated GIF through giflib (Debian package libgif-dev): each frame is
// reduced to its own 256-colour palette by giflib's median-cut quantizer
// (GifQuantizeBuffer), the animation loops forever, and the frame delay
// follows the frame rate (GIF counts it in 1/100 s). The file is encoded in
// memory and written whole at Finish (datasets/atomic_file.h), so no
// half-written GIF is ever left behind. A GIF plays in any browser and
// Markdown viewer, where an MP4 needs ffmpeg to make.
#pragma once

#include <memory>
#include <string>

#include "viz/image.h"

namespace bcbench {

class GifWriter {
 public:
  GifWriter(std::string path, int width, int height, double fps);
  ~GifWriter();
  GifWriter(const GifWriter&) = delete;
  GifWriter& operator=(const GifWriter&) = delete;

  // Throws RenderError for a frame of another size or a giflib failure.
  void Write(const Image& frame);
  // Writes the file; throws std::runtime_error naming the path on failure.
  void Finish();

  // The delay between frames, in 1/100 s (at least 2: browsers play a
  // smaller delay at 10).
  int delay_centiseconds() const { return delay_; }

 private:
  struct Encoder;
  std::string path_;
  int width_, height_, delay_;
  std::unique_ptr<Encoder> encoder_;
};

// The frames of a GIF file (each drawn over the last, as viewers show
// them), for tests and checks. Throws RenderError naming the path.
struct GifAnimation {
  int width = 0;
  int height = 0;
  std::vector<Image> frames;
  std::vector<int> delays;  // per frame, 1/100 s
  bool loops = false;       // NETSCAPE2.0 loop extension present
};
GifAnimation ReadGif(const std::string& path);

}  // namespace bcbench
