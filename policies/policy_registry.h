// Every trainable policy by name (SPEC 5). A policy registers itself from its
// own folder with a static PolicyRegistrar, so adding a method touches no
// file outside its folder; the CLI, the trainer, checkpoints and the runner
// build any of them through this registry. A policy's config is a struct
// with a ConfigSchema and a Validate(); presets are YAML files in the
// policy's folder (embedded into the binary at build time).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "policies/config/config_schema.h"
#include "policies/trainable_policy.h"

namespace bcbench {

// Where a config comes from, applied in this order over the defaults.
struct ConfigLayers {
  std::string preset;           // a preset's YAML; empty: the policy's default preset
  nlohmann::json json;          // e.g. the config stored in a checkpoint
  std::string yaml_path;        // --config FILE
  std::vector<std::pair<std::string, std::string>> sets;  // --set key=value
  std::optional<uint64_t> seed;  // --seed
};

struct PolicyPreset {
  std::string name;
  std::string yaml;  // keys over the defaults; its first comment line describes it
};

struct PolicyEntry {
  std::string name;
  std::string description;
  std::vector<PolicyPreset> presets;  // the first is the default
  // Presets that make a method of their own in comparisons (e.g. Diffusion
  // Policy's transformer denoiser): `bcbench perf` times them beside the
  // default.
  std::vector<std::string> variants;
  std::vector<std::string> keys;       // every config key
  std::vector<std::string> eval_keys;  // keys `eval --set` may change
  // The validated config as JSON (throws std::invalid_argument naming the
  // source and the field).
  std::function<nlohmann::json(const ConfigLayers&)> resolve;
  std::function<std::unique_ptr<TrainablePolicy>(const nlohmann::json& config, int obs_dim,
                                                 int action_dim, torch::Device device)>
      create;
  std::function<std::string()> help;  // every key with default, range and meaning
};

// Registers at static-initialisation time (link the policy's library whole).
struct PolicyRegistrar {
  explicit PolicyRegistrar(PolicyEntry entry);
};

std::vector<std::string> PolicyNames();
// Throws std::invalid_argument naming the unknown policy and the valid ones.
const PolicyEntry& FindPolicy(const std::string& name);
// "key=value" -> pair (throws std::invalid_argument naming the text).
std::pair<std::string, std::string> ParseSetting(const std::string& text);
// The text of `bcbench policies NAME`: description, keys, presets.
std::string PolicyHelp(const std::string& name);

namespace registry_detail {
YAML::Node LoadYamlFile(const std::string& path);
YAML::Node LoadYamlText(const std::string& what, const std::string& text);
std::string PresetNames(const std::vector<PolicyPreset>& presets);
}  // namespace registry_detail

// An entry for a config struct `Config` (with `uint64_t seed`, a schema and
// `void Validate() const`) and a factory `make(const Config&, obs_dim,
// action_dim, device)`.
template <typename Config, typename Make>
PolicyEntry MakePolicyEntry(std::string name, std::string description,
                            const ConfigSchema<Config>& schema, std::vector<PolicyPreset> presets,
                            std::vector<std::string> eval_keys, Make make) {
  PolicyEntry e;
  e.name = std::move(name);
  e.description = std::move(description);
  e.presets = std::move(presets);
  e.keys = schema.Keys();
  e.eval_keys = std::move(eval_keys);
  auto resolve = [&schema, presets = e.presets](const ConfigLayers& layers) {
    Config config;
    const std::string preset = layers.preset.empty() ? presets.front().name : layers.preset;
    const PolicyPreset* found = nullptr;
    for (const auto& p : presets) {
      if (p.name == preset) found = &p;
    }
    if (found == nullptr) {
      throw std::invalid_argument(schema.owner() + ": unknown preset '" + preset +
                                  "'; valid presets: " + registry_detail::PresetNames(presets));
    }
    try {
      schema.ApplyYaml(config, registry_detail::LoadYamlText("preset " + preset, found->yaml));
    } catch (const std::invalid_argument& err) {
      throw std::invalid_argument("preset " + preset + ": " + err.what());
    }
    if (!layers.json.is_null()) schema.ApplyJson(config, layers.json);
    if (!layers.yaml_path.empty()) {
      try {
        schema.ApplyYaml(config, registry_detail::LoadYamlFile(layers.yaml_path));
      } catch (const std::invalid_argument& err) {
        throw std::invalid_argument(layers.yaml_path + ": " + err.what());
      }
    }
    for (const auto& [key, value] : layers.sets) schema.Set(config, key, value);
    if (layers.seed) config.seed = *layers.seed;
    config.Validate();
    return schema.ToJson(config);
  };
  e.resolve = resolve;
  e.create = [&schema, make](const nlohmann::json& json, int obs_dim, int action_dim,
                             torch::Device device) -> std::unique_ptr<TrainablePolicy> {
    Config config;
    schema.ApplyJson(config, json);
    config.Validate();
    return make(config, obs_dim, action_dim, device);
  };
  e.help = [&schema] { return schema.Help(Config{}); };
  return e;
}

}  // namespace bcbench
