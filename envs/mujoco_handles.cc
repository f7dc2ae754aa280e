#include "envs/mujoco_handles.h"

#include <fstream>

#include "envs/env.h"

namespace bcbench {

MjModelPtr LoadModel(const std::string& path) {
  if (!std::ifstream(path).good()) {
    throw EnvError("MJCF file not found or unreadable: " + path +
                   " (set BCBENCH_ASSET_DIR to the suite's source tree)");
  }
  char error[1024] = {0};
  mjModel* raw = mj_loadXML(path.c_str(), nullptr, error, sizeof(error));
  if (raw == nullptr) {
    throw EnvError("cannot load MJCF " + path + ": " + error);
  }
  return MjModelPtr(raw);
}

MjDataPtr MakeData(const mjModel* model) {
  mjData* raw = mj_makeData(model);
  if (raw == nullptr) throw EnvError("MuJoCo could not allocate mjData");
  return MjDataPtr(raw);
}

}  // namespace bcbench
