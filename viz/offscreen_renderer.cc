#include "viz/offscreen_renderer.h"

#include <algorithm>

#include <GLFW/glfw3.h>  // and through it GL/gl.h: the framebuffer limits
#include <fmt/format.h>

#include "viz/render_error.h"

namespace bcbench {
namespace {

const RenderOptions& Validated(const RenderOptions& options) {
  if (options.width < 1 || options.height < 1) {
    throw RenderError(fmt::format("image size {}x{} must be at least 1x1 pixels", options.width,
                                  options.height));
  }
  const int scales[] = {mjFONTSCALE_50,  mjFONTSCALE_100, mjFONTSCALE_150,
                        mjFONTSCALE_200, mjFONTSCALE_250, mjFONTSCALE_300};
  if (std::find(std::begin(scales), std::end(scales), options.font_scale) == std::end(scales)) {
    throw RenderError(fmt::format("font scale {} is not one of MuJoCo's 50, 100, ..., 300",
                                  options.font_scale));
  }
  return options;
}

GlWindowOptions HiddenWindow(const RenderOptions& options) {
  GlWindowOptions window;
  window.visible = false;
  window.title = "bcbench render";
  window.no_display_hint = options.no_display_hint;
  return window;
}

// A copy of `model` whose offscreen buffer holds the image, after checking
// that the GL of the current context can make a framebuffer that large (a
// larger one makes mjr_makeContext abort the process).
MjModelPtr SizedModel(const mjModel* model, const RenderOptions& options) {
  GLint max_renderbuffer = 0;
  GLint max_viewport[2] = {0, 0};
  glGetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &max_renderbuffer);
  glGetIntegerv(GL_MAX_VIEWPORT_DIMS, max_viewport);
  const int limit_w = std::min<int>(max_renderbuffer, max_viewport[0]);
  const int limit_h = std::min<int>(max_renderbuffer, max_viewport[1]);
  if (options.width > limit_w || options.height > limit_h) {
    throw RenderError(fmt::format("image size {}x{} exceeds this OpenGL's largest framebuffer "
                                  "{}x{}; choose a smaller --width/--height",
                                  options.width, options.height, limit_w, limit_h));
  }
  MjModelPtr sized(mj_copyModel(nullptr, model));
  if (!sized) throw RenderError("MuJoCo could not copy the model for rendering");
  sized->vis.global.offwidth = std::max(model->vis.global.offwidth, options.width);
  sized->vis.global.offheight = std::max(model->vis.global.offheight, options.height);
  return sized;
}

}  // namespace

OffscreenRenderer::OffscreenRenderer(const mjModel* model, const RenderOptions& options)
    : model_(model),
      options_(Validated(options)),
      window_(HiddenWindow(options)),
      sized_model_(SizedModel(model, options)),
      view_(model, options.camera),
      context_(sized_model_.get(), options.font_scale) {
  if (context_.get()->offFBO == 0) {
    throw RenderError("MuJoCo could not make its offscreen framebuffer (OpenGL lacks "
                      "ARB_framebuffer_object?)");
  }
  mjr_setBuffer(mjFB_OFFSCREEN, context_.get());
  if (context_.get()->currentBuffer != mjFB_OFFSCREEN) {
    throw RenderError("MuJoCo could not select its offscreen framebuffer");
  }
}

Image OffscreenRenderer::Render(const mjData* data, const OverlayText* overlay,
                               const ChunkDrawing* chunk) {
  window_.MakeCurrent();
  view_.Update(data, chunk);
  const mjrRect viewport = {0, 0, options_.width, options_.height};
  mjr_setBuffer(mjFB_OFFSCREEN, context_.get());
  mjr_render(viewport, view_.scene(), context_.get());
  if (overlay != nullptr) DrawOverlay(*overlay, viewport, context_.get());
  return ReadImage(viewport, context_.get());
}

}  // namespace bcbench
