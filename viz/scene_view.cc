#include "viz/scene_view.h"

#include <cstring>
#include <vector>

#include "viz/camera.h"
#include "viz/chunk_geoms.h"

namespace bcbench {
namespace {

// Room for every geom MuJoCo may add to a scene of the suite's envs
// (bodies' geoms plus decorations such as contact points when enabled) and
// the drawn chunks.
constexpr int kMaxSceneGeoms = 4000;

}  // namespace

SceneView::SceneView(const mjModel* model, const std::string& camera)
    : model_(model),
      scene_(model, kMaxSceneGeoms),
      camera_(ChooseCamera(model, camera)),
      scratch_(MakeData(model)) {
  mjv_defaultOption(&option_);
}

void SceneView::Update(const mjData* data, const ChunkDrawing* chunk, const mjvPerturb* perturb) {
  mj_copyData(scratch_.get(), model_, data);
  // Positions, cameras and lights follow from the state (qpos, mocap) by
  // mj_forward; an env that steps its own way need not have run it since its
  // last step (Push-T skips MuJoCo's solve in free substeps).
  mj_forward(model_, scratch_.get());
  mjv_updateScene(model_, scratch_.get(), &option_, perturb, &camera_, mjCAT_ALL, scene_.get());
  if (chunk != nullptr && !chunk->empty()) AddChunkGeoms(*chunk, model_->stat.extent, scene_.get());
}

Image ReadImage(const mjrRect& viewport, const mjrContext* context) {
  Image image;
  image.width = viewport.width;
  image.height = viewport.height;
  image.rgb.resize(static_cast<size_t>(image.width) * image.height * 3);
  std::vector<uint8_t> bottom_up(image.rgb.size());
  mjr_readPixels(bottom_up.data(), nullptr, viewport, context);
  // OpenGL's rows start at the bottom of the image; Image's at the top.
  const size_t row = static_cast<size_t>(image.width) * 3;
  for (int y = 0; y < image.height; ++y) {
    std::memcpy(image.rgb.data() + static_cast<size_t>(y) * row,
                bottom_up.data() + static_cast<size_t>(image.height - 1 - y) * row, row);
  }
  return image;
}

}  // namespace bcbench
