// Rolls a policy out in an environment with receding-horizon execution: the
// policy sees the last To observations and returns Tp actions; the runner
// drops `latency` of them and executes the next Ta, starting at chunk index
// To - 1 (the action for the newest observation's step, which is where the
// sequence sampler puts it in training), then asks again.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"
#include "policies/policy.h"

namespace bcbench {

// Everything the metrics need about one evaluation episode.
struct EpisodeRecord {
  uint64_t seed = 0;
  bool success = false;
  double max_reward = 0;
  double final_reward = 0;
  int steps = 0;
  int mode = -1;
  int policy_calls = 0;
  std::vector<int> phases;                  // per step, after the step
  std::vector<int> modes;                   // per step, after the step: Env::StepMode
  std::vector<std::vector<double>> targets;  // commanded target per step, after the step
  std::vector<double> initial_target;        // commanded target at reset
  std::vector<std::vector<double>> effector;  // effector position per step, after the step
  std::vector<double> initial_effector;       // at reset
  double wall_seconds = 0;
};

struct RolloutOptions {
  int episodes = 50;
  uint64_t seed_base = 100000;
  std::string obs_key;   // empty: the env's default (first) key
  bool batched = true;   // all episodes stepped together, one policy call per decision
  uint64_t policy_seed = 0;
  // Called after every episode finishes (progress reporting).
  std::function<void(const EpisodeRecord&)> on_episode;
};

using EnvMaker = std::function<std::unique_ptr<Env>()>;

// Episodes use seeds seed_base, seed_base + 1, ...; records come back in seed
// order. Batched episodes step their envs in parallel over the LibTorch
// threads: an env must own all its mutable state (no shared globals).
std::vector<EpisodeRecord> RunEpisodes(const EnvMaker& make_env, Policy& policy,
                                       const RolloutOptions& options);

}  // namespace bcbench
