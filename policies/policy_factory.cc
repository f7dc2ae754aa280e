#include "policies/policy_factory.h"

#include <filesystem>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "policies/diffusion/diffusion_policy.h"
#include "policies/torch_runtime.h"

namespace bcbench {
namespace {

DiffusionConfig ResolveDiffusion(const PolicyRequest& r) {
  DiffusionConfig config = DiffusionConfig::Preset(r.preset.empty() ? "cpu" : r.preset);
  if (!r.config_json.is_null()) config = DiffusionConfig::FromJson(r.config_json, config);
  if (!r.config_yaml_path.empty()) {
    if (!std::filesystem::exists(r.config_yaml_path)) {
      throw std::invalid_argument("--config " + r.config_yaml_path + ": no such file");
    }
    YAML::Node node;
    try {
      node = YAML::LoadFile(r.config_yaml_path);
    } catch (const YAML::Exception& e) {
      throw std::invalid_argument("--config " + r.config_yaml_path + ": not valid YAML: " + e.what());
    }
    try {
      config = DiffusionConfig::FromYaml(node, config);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(r.config_yaml_path + ": " + e.what());
    }
  }
  for (const auto& [key, value] : r.sets) config.Set(key, value);
  if (r.seed) config.seed = *r.seed;
  config.Validate();
  return config;
}

}  // namespace

std::vector<std::string> PolicyNames() { return {"diffusion"}; }

static void CheckName(const std::string& name) {
  for (const auto& n : PolicyNames()) {
    if (n == name) return;
  }
  std::string valid;
  for (const auto& n : PolicyNames()) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown policy '" + name + "'; valid policies: " + valid +
                              " (the baselines arrive with their issue)");
}

nlohmann::json ResolvePolicyConfig(const PolicyRequest& request) {
  CheckName(request.name);
  return ResolveDiffusion(request).ToJson();
}

std::unique_ptr<TrainablePolicy> CreatePolicy(const PolicyRequest& request) {
  CheckName(request.name);
  const DiffusionConfig config = ResolveDiffusion(request);
  const torch::Device device(CheckDevice(request.device));
  return std::make_unique<DiffusionPolicy>(config, request.obs_dim, request.action_dim, device);
}

std::string PolicyConfigHelp(const std::string& name) {
  CheckName(name);
  return DiffusionConfig::Help() +
         "\npresets (train --preset NAME, applied before --config and --set):\n"
         "  cpu (the defaults above)\n"
         "  paper: down_dims 256,512,1024, step_embed_dim 256, sampler ddpm (Chi et al., ~66M "
         "parameters; for a GPU)\n";
}

std::pair<std::string, std::string> ParseSetting(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw std::invalid_argument("--set '" + text + "' must look like key=value");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace bcbench
