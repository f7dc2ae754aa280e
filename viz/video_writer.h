// MP4 video through the `ffmpeg` program (Debian package ffmpeg): raw RGB
// frames are piped to `ffmpeg -f rawvideo -pix_fmt rgb24 ...`, which encodes
// H.264 (yuv420p, what every player reads). The file appears only when
// Finish() succeeds: ffmpeg writes a temporary name that is renamed into place.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "viz/image.h"

namespace bcbench {

// The full path of `program` found on PATH, if any.
std::optional<std::string> FindProgram(const std::string& program);

// Throws RenderError unless ffmpeg is on PATH (naming `apt-get install ffmpeg`
// and the PNG alternative) and width and height are even (yuv420p halves
// both for its colour planes).
void CheckMp4Possible(int width, int height);

class Mp4Writer {
 public:
  // Starts ffmpeg; throws RenderError (see CheckMp4Possible) when it cannot.
  Mp4Writer(std::string path, int width, int height, double fps);
  ~Mp4Writer();  // an unfinished writer stops ffmpeg and removes its file
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;

  // Throws RenderError if the frame has another size or ffmpeg stopped.
  void Write(const Image& frame);
  // Closes the pipe, waits for ffmpeg and moves the video into place; throws
  // RenderError with ffmpeg's exit status when encoding failed.
  void Finish();
  int frames() const { return frames_; }

 private:
  int WaitForFfmpeg();

  std::string path_;
  std::string temp_path_;
  int width_;
  int height_;
  pid_t pid_ = -1;
  int pipe_ = -1;  // ffmpeg's stdin
  int frames_ = 0;
};

}  // namespace bcbench
