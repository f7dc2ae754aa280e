// Per-episode diagnostics computed from what the env labelled during a
// rollout (SPEC 7): idle actions, stalls, phase visits, commitment to a
// mode, smoothness.
#pragma once

#include <string>
#include <vector>

#include "benchmarks/runner/rollout.h"

namespace bcbench {

// One visit of a phase: consecutive steps whose phase label is `phase`.
struct PhaseVisit {
  std::string phase;
  int steps = 0;
  bool operator==(const PhaseVisit& o) const { return phase == o.phase && steps == o.steps; }
};

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
  // The same visits with their lengths in steps (dwell), in order; the last
  // one is cut short by the episode's end.
  std::vector<PhaseVisit> phase_visits;
  int mode_switches = 0;  // CountModeSwitches(record.modes)
  double mean_squared_jerk = 0;  // of the commanded target, env units / step^3
};

// Commitment: how often a per-step mode label (Env::StepMode) changes from
// one decided mode to a different one. Undecided steps (-1) are skipped,
// neither counting nor resetting: ball, -1, cube is one switch; ball, -1,
// ball none; -1, ball (the first decision) none. Note that a label's meaning
// is the env's: Push-T's step mode is the side of the T the agent is near,
// so its expert, which pushes from both sides, switches too.
int CountModeSwitches(const std::vector<int>& step_modes);

inline constexpr int kStallSteps = 20;
inline constexpr int kStuckSteps = 30;

// `target_range` is the workspace, WorkspaceRange(env); idle steps are counted
// by CountIdleSteps, as for the demos (target and, when recorded, effector).
EpisodeMetrics ComputeEpisodeMetrics(const EpisodeRecord& record,
                                     const std::vector<double>& target_range,
                                     const std::vector<std::string>& phase_names);

}  // namespace bcbench
