#include "datasets/idle_steps.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace bcbench {

bool IsIdleStep(const float* previous_target, const float* target, const std::vector<double>& range,
                const float* effector_before, const float* effector_after, size_t effector_dim) {
  for (size_t d = 0; d < range.size(); ++d) {
    const double from = previous_target != nullptr ? previous_target[d] : 0.0;
    if (std::abs(static_cast<double>(target[d]) - from) >= kIdleTargetFraction * range[d]) {
      return false;
    }
  }
  if (effector_before == nullptr || effector_after == nullptr) return true;
  for (size_t d = 0; d < std::min(effector_dim, range.size()); ++d) {
    const double moved = std::abs(static_cast<double>(effector_after[d]) - effector_before[d]);
    if (moved >= kIdleEffectorFraction * range[d]) return false;
  }
  return true;
}

std::vector<double> WorkspaceRange(const Env& env) {
  const SpaceSpec target = env.TargetSpec();
  std::vector<double> range(target.low.size());
  for (size_t d = 0; d < range.size(); ++d) range[d] = target.high[d] - target.low[d];
  return range;
}

double IdleCount::Fraction() const { return IdleFraction(idle_steps, counted_steps); }

double IdleFraction(size_t idle_steps, size_t counted_steps) {
  return counted_steps == 0 ? 0.0
                            : static_cast<double>(idle_steps) / static_cast<double>(counted_steps);
}

IdleCount CountIdleSteps(const IdleSequence& s, const std::vector<double>& range) {
  const size_t n = s.commanded.rows();
  const auto mismatch = [](const std::string& what) {
    throw std::invalid_argument("CountIdleSteps: " + what);
  };
  if (n > 0 && s.commanded.row_size() != range.size()) {
    mismatch("commanded rows have " + std::to_string(s.commanded.row_size()) +
             " values but the workspace has " + std::to_string(range.size()) + " dimensions");
  }
  if (!s.initial_target.empty() && s.initial_target.size() != range.size()) {
    mismatch("the initial target has " + std::to_string(s.initial_target.size()) +
             " values, the workspace " + std::to_string(range.size()) + " dimensions");
  }
  if (s.effector.rows() != 0 && s.effector.rows() != n && s.effector.rows() != n + 1) {
    mismatch("effector has " + std::to_string(s.effector.rows()) + " rows for " +
             std::to_string(n) + " steps; expected N (before each step) or N + 1");
  }
  if (!s.done.empty() && s.done.size() != n) {
    mismatch("done has " + std::to_string(s.done.size()) + " flags for " + std::to_string(n) +
             " steps");
  }

  IdleCount count;
  size_t streak = 0;
  for (size_t t = 0; t < n; ++t) {
    if (t > 0 && !s.done.empty() && s.done[t - 1] != 0) break;  // the task is done
    const float* previous = nullptr;  // delta mode: the row is the change itself
    if (s.mode == ActionMode::kAbsolute) {
      if (t > 0) {
        previous = s.commanded.row(t - 1);
      } else if (!s.initial_target.empty()) {
        previous = s.initial_target.data();
      } else {
        continue;  // the target before step 0 is unknown
      }
    }
    const bool effector_known = s.effector.rows() > t + 1;
    const bool idle =
        IsIdleStep(previous, s.commanded.row(t), range,
                   effector_known ? s.effector.row(t) : nullptr,
                   effector_known ? s.effector.row(t + 1) : nullptr, s.effector.row_size());
    ++count.counted_steps;
    if (idle) {
      ++count.idle_steps;
      count.longest_streak = std::max(count.longest_streak, ++streak);
    } else {
      streak = 0;
    }
  }
  count.final_streak = streak;
  return count;
}

}  // namespace bcbench
