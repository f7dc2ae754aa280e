// Scripted claw-machine demonstrator. At reset it picks a prize with odds
// mode_weights (default uniform over ball, cube, capsule), then runs stages:
//   approach  travel at kTravelZ until the claw hangs over the prize (open)
//   descend   lower the grasp centre to the prize's centre height (at least
//             just above the floor), following the prize if it moves
//   close     grip 1, and wait until both pads have held the prize for two
//             steps and the jaws have (nearly) stopped closing: the grip has settled
//   lift      raise it, gently for the first kGentleLiftHeight, to kTravelZ
//   carry     travel over the chute's centre
//   release   grip 0: the prize drops through the opening
// A prize that was missed or dropped sends it back to approach (the same
// prize; the jaws open on the way). Targets move at most kTravelSpeed
// horizontally and kVerticalSpeed vertically per control step, so every plan
// also fits delta mode's bound. The stages advance on the claw's measured
// position, not the commanded one, with a tolerance that widens with the noise.
//
// Idle pauses and target noise: the shared IdleInjector (envs/idle_injection.h),
// keyed to the env's debounced phase; noise goes on x, y, z only (the grip
// command stays 0 or 1). All draws come from a stream seeded by Reset.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "envs/claw/claw_env.h"
#include "envs/env.h"
#include "envs/idle_injection.h"

namespace bcbench {

class ClawExpert : public Expert {
 public:
  static constexpr double kTravelZ = 0.2;          // m: clear of prizes and the shield
  static constexpr double kTravelSpeed = 0.04;     // m per step, horizontally (0.4 m/s)
  static constexpr double kVerticalSpeed = 0.035;  // m per step
  static constexpr double kGentleLiftSpeed = 0.01;
  static constexpr double kGentleLiftHeight = 0.06;
  static constexpr double kLowestGrasp = 0.022;    // m: pads 2 mm above the floor
  static constexpr double kArrivalTolerance = 0.004;  // m, plus twice the noise
  static constexpr double kSettledClosing = 0.002;  // m per step: the grip has settled
  static constexpr int kMaxCloseSteps = 8;    // then the grasp has failed
  static constexpr int kMaxDescendSteps = 20; // then close wherever the claw is
  static constexpr int kMaxReleaseSteps = 10; // then the prize missed the chute
  enum Stage { kApproach = 0, kDescend, kClose, kLift, kCarry, kRelease };

  // Throws EnvError for mode_weights that are not one weight per prize.
  ClawExpert(ClawEnv& env, const ExpertOptions& options);

  void Reset(uint64_t seed) override;
  std::vector<double> Act() override;

  int Choice() const { return choice_; }  // the prize drawn at Reset
  Stage CurrentStage() const { return stage_; }

 private:
  void Advance();  // stage transitions from the env's state
  void Plan();     // moves plan_ one step towards the stage's goal
  void Enter(Stage stage);
  bool Arrived(const std::array<double, 3>& goal, bool with_z) const;

  const ClawEnv& env_;  // read only
  ExpertOptions options_;
  std::vector<double> probabilities_;
  std::mt19937_64 rng_;
  IdleInjector idle_;
  int choice_ = 0;
  Stage stage_ = kApproach;
  int stage_steps_ = 0;
  int held_steps_ = 0;  // consecutive steps the prize has been held while closing
  double grasp_z_ = kLowestGrasp;
  double lift_from_z_ = 0.0;
  double last_opening_ = 0.0;
  std::array<double, 4> plan_{};  // noise-free target x, y, z, grip
};

}  // namespace bcbench
