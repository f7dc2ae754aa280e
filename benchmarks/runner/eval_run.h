// One evaluation, owned here rather than by the CLI (`eval`, `quickstart`,
// periodic evaluation in training and the suite runner call it): builds the
// env with the run's options, rolls the policy out on the given seeds (one
// random stream per episode) and returns one row per episode. Also restores
// a policy from a checkpoint with the inference-time overrides its policy
// allows, and merges evaluation env options with what the checkpoint was
// trained on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchmarks/metrics/episode_rows.h"
#include "benchmarks/runner/rollout.h"
#include "envs/env.h"
#include "policies/trainable_policy.h"

namespace bcbench {

// Evaluation seeds start here; demos use seeds below it (held-out episodes).
inline constexpr uint64_t kHeldOutSeedBase = 100000;

struct EvalRunSpec {
  std::string env_name;
  EnvOptions env_options;
  std::string obs_key;  // empty: the env's default
  std::vector<uint64_t> seeds;
  bool batched = true;
  uint64_t policy_seed = 0;
  std::function<void(const EpisodeRecord&)> on_episode;
};

struct EvalRunResult {
  std::vector<EpisodeRow> rows;  // in the order of spec.seeds
  double wall_seconds = 0;
};

EvalRunResult RunEvaluation(Policy& policy, const EvalRunSpec& spec);

// A policy restored from a checkpoint, with the env it was trained for.
struct LoadedPolicy {
  std::unique_ptr<TrainablePolicy> policy;
  nlohmann::json header;
  std::string env_name;
  EnvOptions env_options;  // as trained
  std::string obs_key;
};
// Loads `checkpoint` (a run folder or checkpoint.pt). `sets` may only name
// the keys the policy allows at evaluation (PolicyEntry::eval_keys); others
// throw std::invalid_argument listing the allowed ones.
LoadedPolicy LoadPolicy(const std::string& checkpoint,
                        const std::vector<std::pair<std::string, std::string>>& sets,
                        const std::string& device, bool use_ema);

// The trained env options with `overrides` (e.g. start=probe). Options that
// would change what the policy sees or does (obs, action_mode, or anything
// that changes the observation or action dimensions) must equal the
// checkpoint's; otherwise std::invalid_argument says so.
EnvOptions EvalEnvOptions(const LoadedPolicy& loaded,
                          const std::vector<std::pair<std::string, std::string>>& overrides);

}  // namespace bcbench
