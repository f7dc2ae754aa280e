// Checks of what a rendered Push-T image shows, shared by the renderer's,
// the render command's and the viewer's tests: which of the model's
// materials a pixel shows, what lies around a projected world point, and
// the world points of the T and the agent from the env's own state.
#pragma once

#include <array>
#include <cmath>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include "envs/pusht/pusht_env.h"
#include "viz/camera.h"
#include "viz/image.h"

namespace bcbench {
namespace testing {

using Rgb = std::array<double, 3>;

// The colour of a model material, 0..255.
inline Rgb MaterialColour(const mjModel* m, const char* name) {
  const int id = mj_name2id(m, mjOBJ_MATERIAL, name);
  EXPECT_GE(id, 0) << name;
  return {255.0 * m->mat_rgba[4 * id], 255.0 * m->mat_rgba[4 * id + 1],
          255.0 * m->mat_rgba[4 * id + 2]};
}

inline double Distance(const uint8_t* p, const Rgb& c) {
  return std::sqrt((p[0] - c[0]) * (p[0] - c[0]) + (p[1] - c[1]) * (p[1] - c[1]) +
                   (p[2] - c[2]) * (p[2] - c[2]));
}

// Push-T's opaque materials: a rendered pixel is attributed to the nearest
// in colour (the MJCF's lighting draws a top face at its material's colour).
inline const char* const kMaterials[] = {"floor", "wall", "block", "agent"};

inline std::string NearestMaterial(const mjModel* m, const uint8_t* pixel) {
  std::string best;
  double best_distance = 1e9;
  for (const char* name : kMaterials) {
    const double d = Distance(pixel, MaterialColour(m, name));
    if (d < best_distance) best_distance = d, best = name;
  }
  return best;
}

// How many pixels within `radius` of `at` are nearest to `material`, of how many.
inline std::pair<int, int> MaterialAround(const mjModel* m, const Image& image, ImagePoint at,
                                   const char* material, int radius = 3) {
  int hits = 0, total = 0;
  for (int dy = -radius; dy <= radius; ++dy) {
    for (int dx = -radius; dx <= radius; ++dx) {
      const int x = static_cast<int>(std::floor(at.x)) + dx;
      const int y = static_cast<int>(std::floor(at.y)) + dy;
      if (x < 0 || y < 0 || x >= image.width || y >= image.height) continue;
      ++total;
      if (NearestMaterial(m, image.pixel(x, y)) == material) ++hits;
    }
  }
  return {hits, total};
}

// World points (metres) of Push-T's parts from the env's own state (px, rad;
// 1 px = 1 mm), not from mjData: the T's boxes have their top faces 50 mm
// above the plane, the bar's centre at (0, 15) px and the stem's at (0, 75)
// px in the block frame (pusht.xml); the agent's sphere is centred in the plane.
inline std::array<mjtNum, 3> OnTheT(const PushTEnv& env, double local_x, double local_y) {
  const pusht::Pose2 pose = env.BlockPose();
  const double c = std::cos(pose.angle), s = std::sin(pose.angle);
  return {(pose.x + c * local_x - s * local_y) / 1000.0,
          (pose.y + s * local_x + c * local_y) / 1000.0, 0.05};
}
inline std::array<mjtNum, 3> AgentCentre(const PushTEnv& env) {
  const pusht::Vec2 p = env.AgentPosition();
  return {p.x / 1000.0, p.y / 1000.0, 0.0};
}

inline int DifferingPixels(const Image& a, const Image& b) {
  int n = 0;
  for (size_t i = 0; i < a.rgb.size(); i += 3) {
    if (a.rgb[i] != b.rgb[i] || a.rgb[i + 1] != b.rgb[i + 1] || a.rgb[i + 2] != b.rgb[i + 2]) ++n;
  }
  return n;
}

}  // namespace testing
}  // namespace bcbench
