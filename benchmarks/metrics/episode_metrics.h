// Per-episode diagnostics computed from what the env labelled during a
// rollout (SPEC 7): idle actions, stalls, phase sequence, smoothness.
#pragma once

#include <string>
#include <vector>

#include "benchmarks/runner/rollout.h"

namespace bcbench {

struct EpisodeMetrics {
  // Idle steps (datasets/idle_steps.h): every step counts (a rollout knows the
  // target and effector before its first step and after its last).
  int idle_steps = 0;
  int idle_counted_steps = 0;
  double idle_fraction = 0;   // idle_steps / idle_counted_steps
  int longest_idle_streak = 0;
  bool stalled = false;       // ended in an idle streak >= kStallSteps without success
  bool stuck = false;         // ended in the same phase for >= kStuckSteps without success
  std::string phase_sequence; // run-length: "transit>push>transit>push"
  double mean_squared_jerk = 0;  // of the commanded target, env units / step^3
};

inline constexpr int kStallSteps = 20;
inline constexpr int kStuckSteps = 30;

// `target_range` is the workspace, WorkspaceRange(env); idle steps are counted
// by CountIdleSteps, as for the demos (target and, when recorded, effector).
EpisodeMetrics ComputeEpisodeMetrics(const EpisodeRecord& record,
                                     const std::vector<double>& target_range,
                                     const std::vector<std::string>& phase_names);

}  // namespace bcbench
