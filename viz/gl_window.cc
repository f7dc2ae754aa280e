#include "viz/gl_window.h"

#include <cstdlib>

#include <GLFW/glfw3.h>

#include "viz/render_error.h"

namespace bcbench {
namespace {

// GLFW reports failures through a callback; the last message is kept for the
// exception (GLFW calls must stay on one thread, so a plain static suffices).
std::string& LastGlfwError() {
  static std::string message;
  return message;
}

void RecordGlfwError(int code, const char* description) {
  LastGlfwError() = std::string(description ? description : "unknown error") + " (GLFW error " +
                    std::to_string(code) + ")";
}

[[noreturn]] void Fail(const std::string& what, const GlWindowOptions& options) {
  std::string message = what;
  if (!LastGlfwError().empty()) message += ": " + LastGlfwError();
  if (!options.no_display_hint.empty()) message += ". " + options.no_display_hint;
  throw RenderError(message);
}

// GLFW, initialised by the first window and terminated at exit. Terminating
// with the last window would close the X connection, and an X server left
// without clients resets (Xvfb by default), refusing connections meanwhile:
// a second renderer in the same process could then find no display.
class GlfwLibrary {
 public:
  // Throws RenderError when no display can be opened; a later call retries.
  static void Require(const GlWindowOptions& options) { static GlfwLibrary library(options); }

 private:
  explicit GlfwLibrary(const GlWindowOptions& options) {
    // GLFW's X11 backend needs DISPLAY; say so before it does, in plain words.
    const char* display = std::getenv("DISPLAY");
    if (display == nullptr || *display == '\0') {
      Fail("no display: DISPLAY is not set, so no OpenGL context can be made", options);
    }
    if (glfwInit() != GLFW_TRUE) {
      Fail(std::string("cannot open the display '") + display + "'", options);
    }
  }
  ~GlfwLibrary() { glfwTerminate(); }
};

}  // namespace

GlWindow::GlWindow(const GlWindowOptions& options) {
  LastGlfwError().clear();
  glfwSetErrorCallback(RecordGlfwError);
  GlfwLibrary::Require(options);
  glfwDefaultWindowHints();
  glfwWindowHint(GLFW_VISIBLE, options.visible ? GLFW_TRUE : GLFW_FALSE);
  // MuJoCo 2.2.2 renders with the compatibility profile (fixed-function calls).
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_API);
  window_ = glfwCreateWindow(options.width, options.height, options.title.c_str(), nullptr,
                             nullptr);
  if (window_ == nullptr) Fail("cannot create an OpenGL window", options);
  MakeCurrent();
}

GlWindow::~GlWindow() { glfwDestroyWindow(window_); }

void GlWindow::MakeCurrent() const { glfwMakeContextCurrent(window_); }

}  // namespace bcbench
