// Which camera a frame is rendered from, and where a world point lands in the
// image. Every env names one fixed camera `task` in its MJCF that shows the
// whole task; models without one are framed by MuJoCo's free camera from the
// model's extent (mjModel stat.center / stat.extent).
#pragma once

#include <optional>
#include <string>

#include <mujoco/mujoco.h>

namespace bcbench {

// The camera every env's MJCF defines to show its task.
inline constexpr char kTaskCameraName[] = "task";
// --camera value for MuJoCo's free camera (looks at stat.center from 1.5 x
// stat.extent, at the model's visual azimuth and elevation).
inline constexpr char kFreeCameraName[] = "free";

// `name` empty: the `task` camera if the model has one, else the free camera.
// "free": the free camera. Otherwise the model camera of that name; throws
// RenderError listing the model's cameras when there is none.
mjvCamera ChooseCamera(const mjModel* model, const std::string& name);
// "camera 'task'" or "free camera (lookat ..., distance ...)", for logs.
std::string DescribeCamera(const mjModel* model, const mjvCamera& camera);

// A position in the image, in pixels: x to the right from the left edge, y
// down from the top edge (the pixel (i, j) spans [i, i+1) x [j, j+1)).
struct ImagePoint {
  double x = 0;
  double y = 0;
};

// Projects `world` (model frame, metres) through the camera mjr_render used
// for `scene` (the mean of its two eye cameras, as mjr_render draws a mono
// view) into a width x height image: the frustum is the scene camera's
// bottom/top at the near plane, widened to the image's aspect ratio about
// frustum_center, as mjr_render sets it. nullopt for points behind the
// camera. MuJoCo 2.2.2 has no projection function of its own.
std::optional<ImagePoint> ProjectToImage(const mjvScene& scene, const mjtNum world[3], int width,
                                         int height);

}  // namespace bcbench
