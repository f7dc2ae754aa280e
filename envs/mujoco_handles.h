// RAII ownership of MuJoCo's C objects.
#pragma once

#include <memory>
#include <string>

#include <mujoco/mujoco.h>

namespace bcbench {

struct MjModelDeleter {
  void operator()(mjModel* m) const { mj_deleteModel(m); }
};
struct MjDataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
using MjModelPtr = std::unique_ptr<mjModel, MjModelDeleter>;
using MjDataPtr = std::unique_ptr<mjData, MjDataDeleter>;

// Loads an MJCF file; throws EnvError with MuJoCo's parser message and the path.
MjModelPtr LoadModel(const std::string& path);
MjDataPtr MakeData(const mjModel* model);

}  // namespace bcbench
