#include "viz/camera.h"

#include <fmt/format.h>

#include "viz/render_error.h"

namespace bcbench {

mjvCamera ChooseCamera(const mjModel* model, const std::string& name) {
  mjvCamera camera;
  mjv_defaultCamera(&camera);
  const std::string wanted = name.empty() ? kTaskCameraName : name;
  if (wanted != kFreeCameraName) {
    const int id = mj_name2id(model, mjOBJ_CAMERA, wanted.c_str());
    if (id >= 0) {
      camera.type = mjCAMERA_FIXED;
      camera.fixedcamid = id;
      return camera;
    }
    if (!name.empty()) {
      std::string names;
      for (int i = 0; i < model->ncam; ++i) {
        const char* n = mj_id2name(model, mjOBJ_CAMERA, i);
        names += fmt::format("{}'{}'", names.empty() ? "" : ", ", n ? n : "");
      }
      throw RenderError(fmt::format("--camera {}: the model has no camera of that name (it has "
                                    "{}); name one of those, or `{}` for the free camera",
                                    name, names.empty() ? "none" : names, kFreeCameraName));
    }
  }
  mjv_defaultFreeCamera(model, &camera);
  return camera;
}

std::string DescribeCamera(const mjModel* model, const mjvCamera& camera) {
  if (camera.type == mjCAMERA_FIXED) {
    const char* n = mj_id2name(model, mjOBJ_CAMERA, camera.fixedcamid);
    return fmt::format("camera '{}'", n ? n : "");
  }
  return fmt::format("free camera (lookat {:.3g} {:.3g} {:.3g}, distance {:.3g} m)",
                     camera.lookat[0], camera.lookat[1], camera.lookat[2], camera.distance);
}

std::optional<ImagePoint> ProjectToImage(const mjvScene& scene, const mjtNum world[3], int width,
                                         int height) {
  const mjvGLCamera cam = mjv_averageCamera(&scene.camera[0], &scene.camera[1]);
  // Camera frame: forward and up as MuJoCo gives them, right = forward x up
  // (mjr_lookAt's convention).
  const double f[3] = {cam.forward[0], cam.forward[1], cam.forward[2]};
  const double u[3] = {cam.up[0], cam.up[1], cam.up[2]};
  const double r[3] = {f[1] * u[2] - f[2] * u[1], f[2] * u[0] - f[0] * u[2],
                       f[0] * u[1] - f[1] * u[0]};
  const double d[3] = {world[0] - cam.pos[0], world[1] - cam.pos[1], world[2] - cam.pos[2]};
  const double depth = d[0] * f[0] + d[1] * f[1] + d[2] * f[2];
  if (depth <= 0) return std::nullopt;
  const double right = d[0] * r[0] + d[1] * r[1] + d[2] * r[2];
  const double up = d[0] * u[0] + d[1] * u[1] + d[2] * u[2];
  // Onto the near plane, then to normalised device coordinates in [-1, 1].
  const double aspect = static_cast<double>(width) / height;
  const double half_height = 0.5 * (cam.frustum_top - cam.frustum_bottom);
  const double half_width = aspect * half_height;
  const double ndc_x = (right * cam.frustum_near / depth - cam.frustum_center) / half_width;
  const double ndc_y =
      (up * cam.frustum_near / depth - 0.5 * (cam.frustum_top + cam.frustum_bottom)) /
      half_height;
  return ImagePoint{0.5 * (ndc_x + 1.0) * width, 0.5 * (1.0 - ndc_y) * height};
}

}  // namespace bcbench
