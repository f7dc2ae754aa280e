#include "benchmarks/metrics/episode_metrics.h"

#include <algorithm>

#include "datasets/idle_steps.h"

namespace bcbench {

int CountModeSwitches(const std::vector<int>& step_modes) {
  int switches = 0;
  int decided = -1;
  for (const int mode : step_modes) {
    if (mode < 0) continue;
    if (decided >= 0 && mode != decided) ++switches;
    decided = mode;
  }
  return switches;
}

EpisodeMetrics ComputeEpisodeMetrics(const EpisodeRecord& record,
                                     const std::vector<double>& target_range,
                                     const std::vector<std::string>& phase_names) {
  EpisodeMetrics m;
  const size_t n = record.targets.size();
  if (n == 0) return m;
  const size_t dim = target_range.size();
  // The record holds the target and the effector at reset and after each
  // step. Targets are absolute in both action modes (a delta step's change is
  // the difference of consecutive targets), and the effector rows become the
  // step boundaries 0..n.
  IdleSequence idle;
  for (const auto& target : record.targets) idle.commanded.AppendRow(target);
  for (double v : record.initial_target) idle.initial_target.push_back(static_cast<float>(v));
  if (record.effector.size() == n && !record.initial_effector.empty()) {
    idle.effector.AppendRow(record.initial_effector);
    for (const auto& position : record.effector) idle.effector.AppendRow(position);
  }
  const IdleCount idle_count = CountIdleSteps(idle, target_range);
  m.idle_steps = static_cast<int>(idle_count.idle_steps);
  m.idle_counted_steps = static_cast<int>(idle_count.counted_steps);
  m.idle_fraction = idle_count.Fraction();
  m.longest_idle_streak = static_cast<int>(idle_count.longest_streak);
  m.stalled = !record.success && idle_count.final_streak >= static_cast<size_t>(kStallSteps);

  // Phase visits (run lengths of the per-step phase label).
  for (size_t t = 0; t < record.phases.size(); ++t) {
    const int p = record.phases[t];
    if (t == 0 || p != record.phases[t - 1]) {
      const std::string name = p >= 0 && static_cast<size_t>(p) < phase_names.size()
                                   ? phase_names[static_cast<size_t>(p)]
                                   : std::to_string(p);
      m.phase_sequence += (m.phase_sequence.empty() ? "" : ">") + name;
      m.phase_visits.push_back({name, 0});
    }
    ++m.phase_visits.back().steps;
  }
  m.stuck = !record.success && !m.phase_visits.empty() &&
            m.phase_visits.back().steps >= kStuckSteps;

  m.mode_switches = CountModeSwitches(record.modes);

  // Third differences of the target trajectory.
  double jerk = 0;
  size_t count = 0;
  for (size_t t = 3; t < n; ++t) {
    double sq = 0;
    for (size_t d = 0; d < dim; ++d) {
      const double j = record.targets[t][d] - 3 * record.targets[t - 1][d] +
                       3 * record.targets[t - 2][d] - record.targets[t - 3][d];
      sq += j * j;
    }
    jerk += sq;
    ++count;
  }
  m.mean_squared_jerk = count ? jerk / static_cast<double>(count) : 0.0;
  return m;
}

}  // namespace bcbench
