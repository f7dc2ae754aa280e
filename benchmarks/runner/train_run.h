// One training run, owned here rather than by the CLI (`train`, `quickstart`
// and the suite runner all call it): checks the demo file against the env,
// resolves the policy's config and the run's settings, refuses to resume a
// run folder that holds a different run, splits and loads the demos, fits
// the policy on the training demos, and trains with checkpoints and resume.
// Bad input throws std::invalid_argument (or the data/env/checkpoint error
// types) with a message that names the thing and the fix.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "policies/policy_registry.h"
#include "policies/training/train_config.h"
#include "policies/training/trainer.h"

namespace bcbench {

struct TrainRunSpec {
  std::string env;      // must match the file's env_args when it has them
  std::string policy;   // a registered policy name
  std::string data;     // demo file
  std::string out;      // run folder
  std::string obs_key;  // empty: the demos' recorded default
  std::string device = "cpu";
  ConfigLayers config;  // the policy's config; its `sets` may also name run keys
  RunConfig run;        // defaults; run keys among config.sets override them
  int64_t stop_after = -1;
};

struct TrainRunResult {
  TrainResult train;
  nlohmann::json config;  // the policy's effective config
  RunConfig run;
  std::string checkpoint;
};

TrainRunResult RunTraining(const TrainRunSpec& spec);

// "" when RunTraining(spec) would resume the run whose checkpoint is
// `checkpoint`; otherwise what differs (policy, config, run settings, demo
// content, observation). Keys the policy takes only at evaluation
// (PolicyEntry::eval_keys) may differ: they do not change the training.
std::string ResumeMismatch(const TrainRunSpec& spec, const std::string& checkpoint);

// Splits `sets` into the policy's keys and the run's (RunConfig) keys;
// throws for a key that is in neither, listing both.
void SplitSets(const PolicyEntry& policy,
               const std::vector<std::pair<std::string, std::string>>& sets,
               std::vector<std::pair<std::string, std::string>>& policy_sets, RunConfig& run);

// The content identity of a demo file: its size and a 64-bit hash of its
// bytes (one sequential read). Resume compares it, not the path.
std::string DemoFileIdentity(const std::string& path);

}  // namespace bcbench
