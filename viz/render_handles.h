// RAII ownership of MuJoCo's visualisation objects (envs/mujoco_handles.h
// holds the simulation ones). mjvScene and mjrContext are plain structs that
// MuJoCo allocates into; these wrappers pair each make with its free.
#pragma once

#include <mujoco/mujoco.h>

namespace bcbench {

// The abstract scene: geoms, lights and the two GL cameras MuJoCo fills in
// from a model and data (mjv_updateScene).
class MjvSceneHandle {
 public:
  MjvSceneHandle(const mjModel* model, int max_geoms) {
    mjv_defaultScene(&scene_);
    mjv_makeScene(model, &scene_, max_geoms);
  }
  ~MjvSceneHandle() { mjv_freeScene(&scene_); }
  MjvSceneHandle(const MjvSceneHandle&) = delete;
  MjvSceneHandle& operator=(const MjvSceneHandle&) = delete;

  mjvScene* get() { return &scene_; }
  const mjvScene* get() const { return &scene_; }

 private:
  mjvScene scene_;
};

// The GPU side (fonts, textures, meshes, the offscreen framebuffer). Needs
// the OpenGL context current on this thread for its whole life.
class MjrContextHandle {
 public:
  MjrContextHandle(const mjModel* model, int font_scale) {
    mjr_defaultContext(&context_);
    mjr_makeContext(model, &context_, font_scale);
  }
  ~MjrContextHandle() { mjr_freeContext(&context_); }
  MjrContextHandle(const MjrContextHandle&) = delete;
  MjrContextHandle& operator=(const MjrContextHandle&) = delete;

  mjrContext* get() { return &context_; }
  const mjrContext* get() const { return &context_; }

 private:
  mjrContext context_;
};

}  // namespace bcbench
