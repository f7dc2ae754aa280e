// Builds environments and their scripted experts by name. Adding an env means
// one folder under envs/ and one entry in registry.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"

namespace bcbench {

struct EnvEntry {
  std::string name;
  std::string description;
  std::function<std::unique_ptr<Env>(const EnvOptions&)> make_env;
  std::function<std::unique_ptr<Expert>(Env&, const ExpertOptions&)> make_expert;
};

const std::vector<EnvEntry>& EnvRegistry();
std::vector<std::string> EnvNames();
// Throws EnvError naming the unknown env and listing the valid ones.
const EnvEntry& FindEnv(const std::string& name);
std::unique_ptr<Env> MakeEnv(const std::string& name, const EnvOptions& options = {});
// `env` must have been built by MakeEnv with the same name and outlive the expert.
std::unique_ptr<Expert> MakeExpert(Env& env, const ExpertOptions& options = {});

// Absolute path of an asset shipped with the suite, e.g. "envs/pusht/pusht.xml".
// Looks under $BCBENCH_ASSET_DIR first, then the source tree the binary was
// built from; throws EnvError naming every place it looked.
std::string AssetPath(const std::string& relative);


}  // namespace bcbench
