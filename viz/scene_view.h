// What both the headless renderer and the interactive viewer draw: MuJoCo's
// abstract scene of a state seen from a camera, plus the predicted action
// chunk. The state is drawn from a private copy completed by mj_forward, so
// an env's own data is never touched and need not be forward-computed.
#pragma once

#include <string>

#include <mujoco/mujoco.h>

#include "envs/mujoco_handles.h"
#include "viz/image.h"
#include "viz/live_episode.h"
#include "viz/render_handles.h"

namespace bcbench {

class SceneView {
 public:
  // `model` must outlive the view. `camera`: see ChooseCamera.
  SceneView(const mjModel* model, const std::string& camera);

  // Fills the scene from `data` (of the view's model) and the camera, then
  // adds `chunk` when given. `perturb`: the viewer's selection, or none.
  void Update(const mjData* data, const ChunkDrawing* chunk = nullptr,
              const mjvPerturb* perturb = nullptr);

  const mjModel* model() const { return model_; }
  mjvScene* scene() { return scene_.get(); }
  const mjvScene& scene() const { return *scene_.get(); }
  mjvCamera& camera() { return camera_; }
  const mjvCamera& camera() const { return camera_; }
  mjvOption& option() { return option_; }
  // The copy of the data the last Update drew (mjv_select reads it).
  const mjData* drawn() const { return scratch_.get(); }

 private:
  const mjModel* model_;
  MjvSceneHandle scene_;
  mjvOption option_;
  mjvCamera camera_;
  MjDataPtr scratch_;
};

// Reads `viewport` of the current buffer back as an image, top row first.
Image ReadImage(const mjrRect& viewport, const mjrContext* context);

}  // namespace bcbench
