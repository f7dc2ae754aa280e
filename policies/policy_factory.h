// Builds any trainable policy by name from its config (defaults, then a YAML
// file, then --set key=value overrides, or the config stored in a
// checkpoint). Baselines register here as they land.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "policies/trainable_policy.h"

namespace bcbench {

struct PolicyRequest {
  std::string name;                 // "diffusion", ...
  std::string preset;               // optional named starting point, e.g. "paper"; applied first
  std::string config_yaml_path;     // optional
  nlohmann::json config_json;       // optional, e.g. from a checkpoint; applied before `sets`
  std::vector<std::pair<std::string, std::string>> sets;  // --set key=value, applied last
  int obs_dim = 0;
  int action_dim = 0;
  std::string device = "cpu";
  std::optional<uint64_t> seed;     // --seed overrides the config's seed
};

std::vector<std::string> PolicyNames();
// Throws std::invalid_argument naming the unknown policy, key or bad value.
std::unique_ptr<TrainablePolicy> CreatePolicy(const PolicyRequest& request);
// The effective config as JSON without building the network (for resume checks).
nlohmann::json ResolvePolicyConfig(const PolicyRequest& request);
// Every config key of `name` with default and meaning (throws for unknown names).
std::string PolicyConfigHelp(const std::string& name);
// Parses "key=value" (throws std::invalid_argument naming the text).
std::pair<std::string, std::string> ParseSetting(const std::string& text);

}  // namespace bcbench
