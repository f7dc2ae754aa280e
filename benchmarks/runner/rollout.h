// Rolls a policy out in an environment with receding-horizon execution: the
// policy sees the last To observations and returns a chunk that starts at
// the current step; the runner executes Ta of its actions, then asks again.
// Latency (SPEC E8): while the policy computes, the world advances
// `latency` control steps, executing the previous chunk's next actions
// (holding where it has none: the commanded target in absolute mode, zero in
// delta mode); the new chunk then starts at its index `latency`, the step
// the world has reached.
//
// Every episode has its own policy slot and random stream (seeded from the
// policy seed and the episode seed), so its record is the same whether it
// ran alone, in a batch, or in another shard.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
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
  // Env::PartialScores, each one's maximum over the episode (reset included);
  // empty for envs without partial scores.
  std::vector<std::pair<std::string, double>> partial_scores;
  double wall_seconds = 0;
};

struct RolloutOptions {
  std::vector<uint64_t> seeds;  // one episode per seed
  std::string obs_key;   // empty: the env's default (first) key
  bool batched = true;   // all episodes stepped together, one policy call per decision
  uint64_t policy_seed = 0;  // with each episode's seed, seeds its stream
  // Called after every episode finishes (progress reporting).
  std::function<void(const EpisodeRecord&)> on_episode;
  // Called with the episode's env and seed after its reset and after each of
  // its control steps (renderers record the states). Batched episodes step
  // in parallel, so it may run on several threads at once.
  std::function<void(const Env&, uint64_t seed)> on_state;
  // > 0: an episode also ends after this many control steps (a shortened
  // look, e.g. `bcbench render --steps`); 0: only the env ends it.
  int max_steps = 0;
};

using EnvMaker = std::function<std::unique_ptr<Env>()>;

// Records come back in the order of options.seeds. Batched episodes step their envs in parallel over the LibTorch
// threads: an env must own all its mutable state (no shared globals).
// seeds first, first + 1, ..., first + count - 1.
std::vector<uint64_t> SeedRange(uint64_t first, int count);

std::vector<EpisodeRecord> RunEpisodes(const EnvMaker& make_env, Policy& policy,
                                       const RolloutOptions& options);

}  // namespace bcbench
