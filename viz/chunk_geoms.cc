#include "viz/chunk_geoms.h"

#include <array>

namespace bcbench {
namespace {

// One geom in the next free slot; false when the scene is full.
bool AddSphere(mjvScene* scene, const std::array<double, 3>& at, double radius,
               const float rgba[4]) {
  if (scene->ngeom >= scene->maxgeom) return false;
  const mjtNum size[3] = {radius, radius, radius};
  const mjtNum pos[3] = {at[0], at[1], at[2]};
  mjvGeom* g = scene->geoms + scene->ngeom;
  mjv_initGeom(g, mjGEOM_SPHERE, size, pos, nullptr, rgba);
  g->category = mjCAT_DECOR;
  ++scene->ngeom;
  return true;
}

bool AddSegment(mjvScene* scene, const std::array<double, 3>& a, const std::array<double, 3>& b,
                double width, const float rgba[4]) {
  if (scene->ngeom >= scene->maxgeom) return false;
  mjvGeom* g = scene->geoms + scene->ngeom;
  mjv_initGeom(g, mjGEOM_CAPSULE, nullptr, nullptr, nullptr, rgba);
  mjv_makeConnector(g, mjGEOM_CAPSULE, width, a[0], a[1], a[2], b[0], b[1], b[2]);
  g->category = mjCAT_DECOR;
  ++scene->ngeom;
  return true;
}

}  // namespace

int AddChunkGeoms(const ChunkDrawing& chunk, double scale, mjvScene* scene) {
  const int before = scene->ngeom;
  const double width = 0.004 * scale;
  // Other samples first, so the executed one is drawn over them.
  for (size_t k = chunk.samples.size(); k-- > 0;) {
    const auto& points = chunk.samples[k];
    for (size_t i = 0; i < points.size(); ++i) {
      const bool executed = k == 0 && static_cast<int>(i) >= chunk.executed_first &&
                            static_cast<int>(i) < chunk.executed_first + chunk.executed_count;
      const float* rgba =
          k != 0 ? kOtherSampleRgba : (executed ? kExecutedChunkRgba : kPlannedChunkRgba);
      const double w = k != 0 ? 0.6 * width : (executed ? 1.6 * width : width);
      if (i + 1 < points.size()) {
        // A segment takes the colour of the action it leads to.
        const bool next_executed = k == 0 && static_cast<int>(i + 1) >= chunk.executed_first &&
                                   static_cast<int>(i + 1) < chunk.executed_first +
                                                                 chunk.executed_count;
        const float* seg = k != 0 ? kOtherSampleRgba
                                  : (next_executed ? kExecutedChunkRgba : kPlannedChunkRgba);
        const double sw = k != 0 ? 0.6 * width : (next_executed ? 1.6 * width : width);
        if (!AddSegment(scene, points[i], points[i + 1], sw, seg)) return scene->ngeom - before;
      }
      if (!AddSphere(scene, points[i], 1.5 * w, rgba)) return scene->ngeom - before;
    }
  }
  return scene->ngeom - before;
}

}  // namespace bcbench
