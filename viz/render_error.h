// The error type of the rendering library: anything that stops a frame or a
// video from being made and that the user can fix (no display, a size the GL
// cannot hold, a missing ffmpeg, an unknown camera). The message names the
// problem and the fix; the CLI exits 2 with it.
#pragma once

#include <stdexcept>

namespace bcbench {

class RenderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace bcbench
