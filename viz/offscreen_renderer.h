// Renders MuJoCo frames without showing a window: a hidden GLFW window only
// provides the OpenGL context, MuJoCo draws into its offscreen framebuffer
// (mjFB_OFFSCREEN) and the pixels are read back. Works on any X server,
// Xvfb included (`xvfb-run -a bcbench render ...`).
#pragma once

#include <string>

#include <mujoco/mujoco.h>

#include "envs/mujoco_handles.h"
#include "viz/camera.h"
#include "viz/gl_window.h"
#include "viz/image.h"
#include "viz/overlay.h"
#include "viz/render_handles.h"
#include "viz/scene_view.h"

namespace bcbench {

struct RenderOptions {
  int width = 512;   // image size, pixels
  int height = 512;
  std::string camera;  // see ChooseCamera: empty = the model's `task` camera, else free
  int font_scale = mjFONTSCALE_100;  // one of MuJoCo's mjtFontScale values
  // Appended to the error when there is no display (what the user should run).
  std::string no_display_hint =
      "Render headless under a virtual X server: `xvfb-run -a bcbench render ...` "
      "(Debian package xvfb)";
};

class OffscreenRenderer {
 public:
  // Makes the GL context and MuJoCo's GPU resources for `model`, which must
  // outlive the renderer. The offscreen framebuffer is sized for the image:
  // MuJoCo 2.2.2 sizes it from the model's <visual><global offwidth
  // offheight> (Push-T: 512 x 512), and a larger viewport would render only
  // its lower-left offwidth x offheight corner, so the context is made from a
  // copy of the model with both raised to the image size when needed. Throws
  // RenderError without a display, for a size the GL cannot hold, or for an
  // unknown camera.
  OffscreenRenderer(const mjModel* model, const RenderOptions& options);
  OffscreenRenderer(const OffscreenRenderer&) = delete;
  OffscreenRenderer& operator=(const OffscreenRenderer&) = delete;

  // Draws the state in `data` (of the renderer's model) from the chosen
  // camera, with `overlay` on top when given, and reads it back top-down.
  // Draws a copy of `data`, completed by mj_forward: the env's own data is
  // not touched and need not be forward-computed.
  // `chunk`: the predicted action chunk to draw into the scene, or none.
  Image Render(const mjData* data, const OverlayText* overlay = nullptr,
               const ChunkDrawing* chunk = nullptr);

  // The scene of the last frame (its cameras project points: ProjectToImage).
  const mjvScene& Scene() const { return view_.scene(); }
  const mjvCamera& Camera() const { return view_.camera(); }
  std::string CameraDescription() const { return DescribeCamera(model_, view_.camera()); }
  int width() const { return options_.width; }
  int height() const { return options_.height; }

 private:
  const mjModel* model_;
  RenderOptions options_;
  GlWindow window_;
  MjModelPtr sized_model_;  // the model with offwidth/offheight fitting the image
  SceneView view_;
  MjrContextHandle context_;
};

}  // namespace bcbench
