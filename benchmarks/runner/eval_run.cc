#include "benchmarks/runner/eval_run.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "envs/registry.h"
#include "policies/policy_registry.h"
#include "policies/torch_runtime.h"
#include "policies/training/checkpoint.h"

namespace bcbench {
namespace {

std::string CheckpointPath(const std::string& path) {
  if (std::filesystem::is_directory(path)) return path + "/" + kCheckpointFile;
  return path;
}

// Checkpoints written before the run config existed kept train_steps and
// valid_ratio in the policy's config.
nlohmann::json PolicyConfigOf(const nlohmann::json& header) {
  nlohmann::json config = header.at("config");
  for (const char* key : {"train_steps", "valid_ratio"}) config.erase(key);
  return config;
}

}  // namespace

EvalRunResult RunEvaluation(Policy& policy, const EvalRunSpec& spec) {
  const auto start = std::chrono::steady_clock::now();
  auto maker = [&]() { return MakeEnv(spec.env_name, spec.env_options); };
  const auto env = maker();
  RolloutOptions ro;
  ro.seeds = spec.seeds;
  ro.obs_key = spec.obs_key;
  ro.batched = spec.batched;
  ro.policy_seed = spec.policy_seed;
  ro.on_episode = spec.on_episode;
  const auto records = RunEpisodes(maker, policy, ro);
  EvalRunResult result;
  result.rows = MakeEpisodeRows(records, *env, policy.Name());
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

LoadedPolicy LoadPolicy(const std::string& checkpoint,
                        const std::vector<std::pair<std::string, std::string>>& sets,
                        const std::string& device, bool use_ema) {
  CheckDevice(device);  // before any loading: a CPU-only LibTorch cannot place tensors on cuda
  const std::string path = CheckpointPath(checkpoint);
  const nlohmann::json header = ReadCheckpointHeader(path);
  LoadedPolicy loaded;
  loaded.header = header;
  try {
    const PolicyEntry& entry = FindPolicy(header.at("policy").get<std::string>());
    for (const auto& [key, value] : sets) {
      if (std::find(entry.eval_keys.begin(), entry.eval_keys.end(), key) ==
          entry.eval_keys.end()) {
        std::string allowed;
        for (const auto& k : entry.eval_keys) allowed += (allowed.empty() ? "" : ", ") + k;
        throw std::invalid_argument(fmt::format(
            "--set {}: not a key {} can change at evaluation (the network was trained with "
            "it); these can: {}",
            key, entry.name, allowed));
      }
    }
    ConfigLayers layers;
    layers.json = PolicyConfigOf(header);
    layers.sets = sets;
    const nlohmann::json config = entry.resolve(layers);
    loaded.policy = entry.create(config, header.at("obs_dim").get<int>(),
                                 header.at("action_dim").get<int>(), torch::Device(device));
    loaded.policy->SetNormalizers(Normalizer::FromJson(header.at("normalizers").at("obs")),
                                  Normalizer::FromJson(header.at("normalizers").at("actions")));
    loaded.env_name = header.at("env").at("name").get<std::string>();
    loaded.env_options = header.at("env").at("options").get<EnvOptions>();
    loaded.obs_key = header.at("obs_key").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": checkpoint header is incomplete: " + e.what());
  }
  LoadCheckpoint(path, *loaded.policy, TrainingState{}, use_ema);
  loaded.policy->Network().eval();
  return loaded;
}

EnvOptions EvalEnvOptions(const LoadedPolicy& loaded,
                          const std::vector<std::pair<std::string, std::string>>& overrides) {
  EnvOptions options = loaded.env_options;
  for (const auto& [key, value] : overrides) options[key] = value;
  const auto trained = MakeEnv(loaded.env_name, loaded.env_options);
  const auto now = MakeEnv(loaded.env_name, options);  // validates keys and values
  if (now->GetActionMode() != trained->GetActionMode()) {
    throw std::invalid_argument(fmt::format(
        "--env-opt action_mode={}: the policy was trained with action_mode={}; evaluate it in "
        "that mode, or train one on demos recorded in the other",
        ToString(now->GetActionMode()), ToString(trained->GetActionMode())));
  }
  const auto obs = overrides.end() != std::find_if(overrides.begin(), overrides.end(),
                                                   [](const auto& kv) { return kv.first == "obs"; })
                       ? options.at("obs")
                       : loaded.obs_key;
  if (obs != loaded.obs_key) {
    throw std::invalid_argument(fmt::format(
        "--env-opt obs={}: the policy reads observation '{}' (from its checkpoint); drop the "
        "option or evaluate a policy trained on '{}'",
        obs, loaded.obs_key, obs));
  }
  const int obs_dim = loaded.header.at("obs_dim").get<int>();
  const int action_dim = loaded.header.at("action_dim").get<int>();
  if (now->ObsSpec(loaded.obs_key).dim() != obs_dim || now->ActionSpec().dim() != action_dim) {
    throw std::invalid_argument(
        "these env options change the observation or action dimensions the policy was trained "
        "on; drop them");
  }
  return options;
}

}  // namespace bcbench
