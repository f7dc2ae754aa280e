// A GLFW window whose OpenGL context MuJoCo's renderer draws with. The
// headless renderer keeps it hidden (it only provides the context; frames go
// to MuJoCo's offscreen framebuffer), an interactive viewer shows it. GLFW
// is initialised by the first window and terminated at exit.
#pragma once

#include <string>

struct GLFWwindow;

namespace bcbench {

struct GlWindowOptions {
  int width = 64;  // window size in screen pixels; a hidden window needs none to speak of
  int height = 64;
  bool visible = false;
  std::string title = "bcbench";
  // Appended to the error when no display can be opened: what to run instead
  // (e.g. "run it under `xvfb-run -a bcbench render ...`").
  std::string no_display_hint;
};

// Owns the window and makes its context current on the constructing thread;
// MuJoCo's mjr_* calls must then run on that thread. Throws RenderError
// naming the cause (no DISPLAY, X server unreachable, no usable OpenGL) and
// `no_display_hint`.
class GlWindow {
 public:
  explicit GlWindow(const GlWindowOptions& options);
  ~GlWindow();
  GlWindow(const GlWindow&) = delete;
  GlWindow& operator=(const GlWindow&) = delete;

  GLFWwindow* get() const { return window_; }
  void MakeCurrent() const;

 private:
  GLFWwindow* window_ = nullptr;
};

}  // namespace bcbench
