// Predicted action chunks drawn into a MuJoCo scene as poly-lines: every
// sample's path through the targets its actions command, the executed
// sample in orange with the Ta actions it executes thick and red, the other
// samples thin and translucent blue. Shared by `bcbench render` and
// `bcbench view`.
#pragma once

#include <mujoco/mujoco.h>

#include "viz/live_episode.h"

namespace bcbench {

// The colours, for tests that look for them in an image.
inline constexpr float kExecutedChunkRgba[4] = {0.95f, 0.15f, 0.1f, 1.0f};
inline constexpr float kPlannedChunkRgba[4] = {1.0f, 0.6f, 0.0f, 1.0f};
inline constexpr float kOtherSampleRgba[4] = {0.2f, 0.45f, 1.0f, 0.55f};

// Appends the chunk's geoms to `scene` after mjv_updateScene (as many as the
// scene's free geom slots allow) and returns how many it added. `scale` is
// the model's size (mjModel stat.extent); lines are drawn in proportion.
int AddChunkGeoms(const ChunkDrawing& chunk, double scale, mjvScene* scene);

}  // namespace bcbench
