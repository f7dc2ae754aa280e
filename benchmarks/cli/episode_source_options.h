// The options that choose which episode `bcbench render` and `bcbench view`
// show, declared once: the scripted expert (--env, --seed), a trained policy
// (--checkpoint, --policy-seed, --device, --samples) or a recorded demo
// (--replay, --demo), with --env-opt and --probe for all. Their checks live
// here too, so both commands accept and refuse the same command lines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "viz/live_episode.h"

namespace bcbench {

struct EpisodeSourceArgs {
  std::string env;
  std::string checkpoint;
  std::string replay;
  int demo = 0;
  uint64_t seed = 0;
  bool probe = false;
  std::vector<std::string> env_opts;  // key=value
  std::string device = "cpu";
  uint64_t policy_seed = 0;
  int samples = 1;
  // Set by AddEpisodeSourceOptions: whether --demo and --seed were given.
  const CLI::Option* demo_option = nullptr;
  const CLI::Option* seed_option = nullptr;
};

// Adds the options to `cmd`, storing into `args` (which must outlive the
// parse). `what` completes the help of --checkpoint: "watch", "render".
void AddEpisodeSourceOptions(CLI::App& cmd, EpisodeSourceArgs& args, const std::string& what);

struct EpisodeSource {
  LiveEpisodeSpec spec;
  uint64_t index = 0;  // the expert's or policy's seed, or the demo number of a replay
};

// The parsed options as an episode to open. Throws UsageError for a
// combination that cannot mean anything (--seed with --replay, --demo
// without it, --samples without a checkpoint, --probe against --env-opt
// start=..., --device for the expert or a replay), naming the fix.
EpisodeSource ToEpisodeSource(const EpisodeSourceArgs& args);

}  // namespace bcbench
