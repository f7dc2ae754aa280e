#include "benchmarks/metrics/episode_metrics.h"

#include <algorithm>

#include "datasets/demo_validation.h"

namespace bcbench {

EpisodeMetrics ComputeEpisodeMetrics(const EpisodeRecord& record,
                                     const std::vector<double>& target_range,
                                     const std::vector<std::string>& phase_names) {
  EpisodeMetrics m;
  const size_t n = record.targets.size();
  if (n == 0) return m;
  const size_t dim = target_range.size();
  std::vector<float> previous(record.initial_target.begin(), record.initial_target.end());
  std::vector<float> current(dim);
  const bool has_effector = record.effector.size() == n && !record.initial_effector.empty();
  const size_t edim = has_effector ? record.initial_effector.size() : 0;
  std::vector<float> eff_before(record.initial_effector.begin(), record.initial_effector.end());
  std::vector<float> eff_after(edim);
  int idle = 0, streak = 0;
  for (size_t t = 0; t < n; ++t) {
    for (size_t d = 0; d < dim; ++d) current[d] = static_cast<float>(record.targets[t][d]);
    for (size_t d = 0; d < edim; ++d) eff_after[d] = static_cast<float>(record.effector[t][d]);
    const bool is_idle =
        IsIdleStep(previous.data(), current.data(), target_range,
                   has_effector ? eff_before.data() : nullptr,
                   has_effector ? eff_after.data() : nullptr, edim);
    eff_before = eff_after;
    if (is_idle) {
      ++idle;
      m.longest_idle_streak = std::max(m.longest_idle_streak, ++streak);
    } else {
      streak = 0;
    }
    previous = current;
  }
  m.idle_fraction = static_cast<double>(idle) / static_cast<double>(n);
  m.stalled = !record.success && streak >= kStallSteps;

  // Phase sequence and the length of the final phase.
  int run = 0;
  for (size_t t = 0; t < record.phases.size(); ++t) {
    const int p = record.phases[t];
    if (t == 0 || p != record.phases[t - 1]) {
      const std::string name = p >= 0 && static_cast<size_t>(p) < phase_names.size()
                                   ? phase_names[static_cast<size_t>(p)]
                                   : std::to_string(p);
      m.phase_sequence += (m.phase_sequence.empty() ? "" : ">") + name;
      run = 0;
    }
    ++run;
  }
  m.stuck = !record.success && run >= kStuckSteps;

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
