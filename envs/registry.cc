#include "envs/registry.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "envs/claw/claw_env.h"
#include "envs/claw/claw_expert.h"
#include "envs/pusht/pusht_env.h"
#include "envs/pusht/pusht_expert.h"
#include "envs/stack/stack_env.h"
#include "envs/stack/stack_expert.h"

#ifndef BCBENCH_SOURCE_ASSET_DIR
#define BCBENCH_SOURCE_ASSET_DIR "."
#endif

namespace bcbench {

ActionMode ParseActionMode(const std::string& text) {
  if (text == "absolute") return ActionMode::kAbsolute;
  if (text == "delta") return ActionMode::kDelta;
  throw EnvError("unknown action mode '" + text + "': use absolute or delta");
}

std::string ToString(ActionMode mode) {
  return mode == ActionMode::kAbsolute ? "absolute" : "delta";
}

const std::vector<EnvEntry>& EnvRegistry() {
  static const std::vector<EnvEntry> registry = {
      {"pusht", "Push-T: push a T-shaped block onto its goal pose with a disc agent",
       [](const EnvOptions& options) -> std::unique_ptr<Env> {
         return std::make_unique<PushTEnv>(options);
       },
       [](Env& env, const ExpertOptions& options) -> std::unique_ptr<Expert> {
         return std::make_unique<PushTExpert>(dynamic_cast<PushTEnv&>(env), options);
       }},
      {"claw", "Claw: pick one of three prizes from a bin with a gantry claw and drop it down the chute",
       [](const EnvOptions& options) -> std::unique_ptr<Env> {
         return std::make_unique<ClawEnv>(options);
       },
       [](Env& env, const ExpertOptions& options) -> std::unique_ptr<Expert> {
         return std::make_unique<ClawExpert>(dynamic_cast<ClawEnv&>(env), options);
       }},
      {"stack",
       "Block stacking: build a tower of three cubes with a parallel-jaw gripper (x, y, z, yaw)",
       [](const EnvOptions& options) -> std::unique_ptr<Env> {
         return std::make_unique<StackEnv>(options);
       },
       [](Env& env, const ExpertOptions& options) -> std::unique_ptr<Expert> {
         return std::make_unique<StackExpert>(dynamic_cast<StackEnv&>(env), options);
       }},
  };
  return registry;
}

std::vector<std::string> EnvNames() {
  std::vector<std::string> names;
  for (const auto& entry : EnvRegistry()) names.push_back(entry.name);
  return names;
}

static std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

const EnvEntry& FindEnv(const std::string& name) {
  for (const auto& entry : EnvRegistry()) {
    if (entry.name == name) return entry;
  }
  throw EnvError("unknown env '" + name + "'; valid envs: " + JoinNames(EnvNames()));
}

std::unique_ptr<Env> MakeEnv(const std::string& name, const EnvOptions& options) {
  return FindEnv(name).make_env(options);
}

std::unique_ptr<Expert> MakeExpert(Env& env, const ExpertOptions& options) {
  return FindEnv(env.Name()).make_expert(env, options);
}

std::string AssetPath(const std::string& relative) {
  std::vector<std::string> roots;
  if (const char* dir = std::getenv("BCBENCH_ASSET_DIR")) roots.emplace_back(dir);
  roots.emplace_back(BCBENCH_SOURCE_ASSET_DIR);
  for (const auto& root : roots) {
    const std::string path = root + "/" + relative;
    if (std::ifstream(path).good()) return path;
  }
  throw EnvError("asset '" + relative + "' not found under: " + JoinNames(roots) +
                 " (set BCBENCH_ASSET_DIR to the bcbench source tree)");
}

}  // namespace bcbench
