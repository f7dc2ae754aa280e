// Idle steps (SPEC 7): the one rule that decides them and the one way they
// are counted, for demo files (ValidateDemoFile, `bcbench inspect`) and for
// rollouts (ComputeEpisodeMetrics), so that a policy's idle fraction and its
// demos' compare directly.
//
// Which steps count. Step t of an N-step episode takes it from boundary t to
// boundary t + 1. It counts when
//  - the task was not done before it (no earlier step is flagged done; an
//    episode ends at done, so this leaves out only steps that a file recorded
//    past it, as robomimic demos may go on after success), and
//  - the target before it is known: always for target changes (delta mode);
//    for targets (absolute mode) at t >= 1, and at t = 0 only when the
//    initial target is given. Rollouts know it (EpisodeRecord), and the
//    demo-file pass recovers it from the demo's first simulator state when
//    the file's env is known, so both count every step of an episode.
// A counted step is idle by IsIdleStep; the effector's motion over the step
// joins the rule when its positions before and after the step are known.
// The workspace is the extent of the env's commanded target (WorkspaceRange).
// Fractions are step-weighted everywhere: idle steps / counted steps, summed
// over episodes before dividing, never a mean of per-episode fractions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "datasets/demo.h"
#include "envs/env.h"

namespace bcbench {

// The per-step rule. A step is idle when the commanded target moves by less
// than 1% of the workspace in every dimension (absolute actions: consecutive
// targets; delta actions: the delta against zero, pass previous = nullptr)
// and, when the effector's positions before and after the step are known,
// the effector moved less than 0.1% of the workspace: holding still, not
// pushing slowly. `range` is the workspace extent per dimension.
inline constexpr double kIdleTargetFraction = 0.01;
inline constexpr double kIdleEffectorFraction = 0.001;
bool IsIdleStep(const float* previous_target, const float* target, const std::vector<double>& range,
                const float* effector_before = nullptr, const float* effector_after = nullptr,
                size_t effector_dim = 0);

// The workspace extent the rule measures against: high - low of the env's
// commanded target (Env::TargetSpec), the same in both action modes.
std::vector<double> WorkspaceRange(const Env& env);

// One episode as the idle count sees it.
struct IdleSequence {
  // kAbsolute: row t is the target commanded by step t; kDelta: row t is the
  // change of the target in step t (a bcbench demo's action in delta mode).
  ActionMode mode = ActionMode::kAbsolute;
  FloatArray commanded;               // (N, D)
  std::vector<float> initial_target;  // absolute mode: the target before step 0; empty: unknown
  // The effector's position at step boundaries: row t before step t and, when
  // present, row N after the last step. Empty: unknown.
  FloatArray effector;                // (N or N + 1, k), or empty
  std::vector<uint8_t> done;          // per step: the task is done after it; empty: not before the end
};

struct IdleCount {
  size_t idle_steps = 0;
  size_t counted_steps = 0;
  size_t longest_streak = 0;  // consecutive idle counted steps
  size_t final_streak = 0;    // the idle streak that ends at the last counted step
  double Fraction() const;    // idle / counted; 0 when nothing counted
};

// Counts the idle steps of one episode (see the top of this file for which
// steps count). Throws std::invalid_argument when the arrays disagree in
// length or dimension.
IdleCount CountIdleSteps(const IdleSequence& sequence, const std::vector<double>& range);

// Step-weighted: idle / counted; 0 when nothing counted.
double IdleFraction(size_t idle_steps, size_t counted_steps);

}  // namespace bcbench
