// Scripted stacking demonstrator: draws a stacking order (the mode) from
// mode_weights at Reset (default uniform over the 6 orders), then picks the
// middle cube and puts it on the bottom one, picks the top cube and puts it on
// the middle one, and backs off with the jaws open.
//
// Each pick-and-place runs through stages, closed-loop on the simulator state
// every control step (targets follow where the cubes really are):
//   approach  rise to the travel height (pads 3 cm over every cube), then move
//             over the cube with the jaws open and turned to its yaw;
//   descend   lower the grasp point to the cube's centre;
//   close     close the jaws; wait until both pads touch it (3 steps at least);
//   lift      straight up to the carry height (the held cube's bottom 4.5 cm
//             over every other cube, above the env's place zone);
//   carry     move the held cube over the cube below it, turning it to that
//             cube's yaw (modulo 90 degrees);
//   lower     put it down until it stands on that cube;
//   open      open the jaws (3 steps at least);
//   retreat   straight up: to the travel height after the first cube, to 4.5 cm
//             over the tower after the second, where it then waits for the
//             env's success (1 s).
// Targets move at most 5 cm per step horizontally (0.5 m/s), 4 cm vertically
// (2 cm while lowering a cube onto another) and 0.25 rad in yaw, so that the
// plan also fits delta mode's bounds. A cube lost on the way (dropped, or not
// between the pads after closing) is approached again; a tower that falls
// apart while waiting is rebuilt from what still stands. In the env's labels
// an episode runs reach > grasp > lift > move > place > release per cube.
//
// Idle pauses and target noise: the shared IdleInjector (envs/idle_injection.h),
// keyed to the env's debounced phase label; noise (std in metres and radians)
// goes on x, y, z and yaw, never on the grip command. All draws come from a
// stream seeded by Reset.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "envs/env.h"
#include "envs/idle_injection.h"
#include "envs/stack/stack_env.h"

namespace bcbench {

class StackExpert : public Expert {
 public:
  // Throws EnvError for mode_weights that are not 6 finite values >= 0 with a
  // positive sum, or bad idle/noise options.
  StackExpert(StackEnv& env, const ExpertOptions& options);

  void Reset(uint64_t seed) override;
  std::vector<double> Act() override;

  // The order drawn at the last Reset (an index into StackEnv::Orders()).
  int ChosenMode() const { return mode_; }

  enum class Stage { kApproach, kDescend, kClose, kLift, kCarry, kLower, kOpen, kRetreat, kDone };
  Stage CurrentStage() const { return stage_; }

 private:
  using Target = std::array<double, 5>;  // x, y, z, yaw, grip
  Target Plan();
  void Enter(Stage stage);
  // The cube to pick and the one to put it on for the current task.
  int PickCube() const;
  int BaseCube() const;
  // Grasp-point height at which the pads' lower ends (or a held cube's bottom)
  // clear every cube but `ignore` by the travel clearance.
  double TravelHeight(int ignore, bool holding) const;
  // Moves the planned target towards `goal` within the per-step limits.
  Target Toward(const Target& goal, double max_z_step) const;

  const StackEnv& env_;
  ExpertOptions options_;
  std::mt19937_64 rng_;
  IdleInjector idle_;
  int mode_ = 0;
  int task_ = 0;  // 0: middle onto bottom, 1: top onto middle
  Stage stage_ = Stage::kApproach;
  int stage_steps_ = 0;   // control steps spent in the current stage
  int lost_steps_ = 0;    // consecutive steps the cube being carried was not held
  Target planned_{};      // the last planned (noise-free) target
};

}  // namespace bcbench
