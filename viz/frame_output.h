// Where rendered frames go, chosen by the path (`bcbench render --out`):
//   DIR/ (or an existing folder)  one PNG per frame, DIR/frame_00000.png, ...
//   F.png                         one still: the last frame
//   F.mp4                         an H.264 video through ffmpeg (video_writer.h)
//   F.gif                         an animated GIF through giflib (gif_writer.h)
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "viz/gif_writer.h"
#include "viz/image.h"
#include "viz/video_writer.h"

namespace bcbench {

enum class FrameOutputKind { kPngFrames, kPngStill, kMp4, kGif };

// Throws RenderError naming `option` and the accepted forms.
FrameOutputKind FrameOutputKindOf(const std::string& option, const std::string& path);
// "frame_00042.png": frame k of a PNG folder.
std::string FrameFileName(size_t index);

class FrameOutput {
 public:
  // Checks before any work that the output can be written (folder or file
  // writable, ffmpeg present and the size even for MP4) and starts the
  // video encoder; throws RenderError or std::invalid_argument naming
  // `option`. fps: frames per second of a video.
  FrameOutput(const std::string& option, std::string path, int width, int height, double fps);

  void Add(const Image& frame);
  // Writes the still or finishes the video. A PNG folder loses the
  // frame_NNNNN.png files of an earlier, longer render after the new last
  // frame, so that the folder holds exactly this episode.
  void Finish();

  FrameOutputKind kind() const { return kind_; }
  size_t frames() const { return frames_; }
  // What was written, for the log: "48 PNG frames in out/", ...
  std::string Description() const;

 private:
  std::string path_;
  FrameOutputKind kind_;
  size_t frames_ = 0;
  std::optional<Image> last_;         // the still
  std::unique_ptr<Mp4Writer> video_;  // MP4 only
  std::unique_ptr<GifWriter> gif_;    // GIF only
  size_t removed_stale_ = 0;
};

}  // namespace bcbench
