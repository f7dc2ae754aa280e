// The arcade claw machine (SPEC 4.2) in MuJoCo: a gantry claw with two jaws
// picks one of three prizes out of a bin and drops it down a chute in the
// bin's corner. The scene, the claw's servos and the physics settings are in
// claw.xml (metres, kilograms, seconds; z up, the bin floor's top at z = 0).
// Control at 10 Hz: every Step writes the servo targets and runs 20 MuJoCo
// steps of 5 ms (mj_step). Prizes are held by the jaws' contact friction only.
//
// Options (EnvOptions):
//   obs          state                default policy input (the only key)
//   action_mode  absolute | delta     absolute: the target below; delta: target
//                                     += action, bounded per step to kMaxDelta
//                                     (m) on x, y, z and kMaxGripDelta on grip
//   max_steps    integer, default 200
// Action (absolute) = target [x, y, z, grip]: the grasp centre (midway between
// the jaw pads, at their mid-height) in metres, x, y in [-0.2, 0.2] and z in
// [0.02, 0.3] (claw.xml's ctrlrange), and grip in [0, 1] (0 open, 1 closed;
// in between the jaws are commanded part-way). Out-of-bound values are clipped.
// Observation `state` (13 values):
//   claw_x, claw_y, claw_z   grasp centre, m (x, y in [-0.25, 0.25], z in [0, 0.35])
//   opening                  gap between the jaw pads, m, in [0.004, 0.12]
//   <prize>_x, _y, _z        centre of each prize, m, in the order ball, cube,
//                            capsule (x, y in [-0.27, 0.27], z in [-0.31, 0.35])
// Reset: the claw rests above the chute at (0.1875, 0.1875, 0.25), open; the three
// prizes lie on the floor at positions and yaw angles drawn from the seed,
// centres in [-0.18, 0.18]^2, outside the corner in front of the chute's
// shield, and apart far enough for the open claw to reach any one of them
// without touching another (kMinSeparationX/Y); then 0.1 s of settling.
//
// Success: a prize passes through the chute (its centre over the opening and
// below kDeliveredZ). The episode ends at success or after max_steps.
// Reward, from the current state, by stage (the highest that holds):
//   0.2 over prize   the grasp centre within kOverRadius (horizontally) of a prize
//   0.4 grasped      a prize touched by both jaw pads
//   0.6 lifted       a grasped prize touching nothing else, raised >= kLiftedHeight
//   0.8 over chute   a prize's centre above the chute's opening (nothing rests
//                    there: it is held above it or falling through)
//   1.0 delivered    success
// Labels (see claw_env.cc for the rules): phases approach, descend, grasp,
// lift, carry, release, computed from the simulator state after each step and
// debounced (a new raw phase must hold kPhaseHoldSteps steps). Modes are the
// prizes: ball, cube, capsule. Mode() = the prize delivered, else the prize
// held last, else -1. StepMode() = the prize the claw holds, or touches, or
// hovers over (kOverRadius) now; it keeps its last value in between, so a claw
// that goes for one prize and then another switches mode.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "envs/env.h"
#include "envs/mujoco_handles.h"

namespace bcbench {

class ClawEnv : public Env {
 public:
  static constexpr int kNumPrizes = 3;
  static constexpr double kControlHz = 10.0;
  // Largest per-step change in delta mode: 5 cm per axis (0.5 m/s, faster
  // than the expert's 0.4 m/s), and a whole open-to-closed swing of the grip.
  static constexpr double kMaxDelta = 0.05;
  static constexpr double kMaxGripDelta = 1.0;
  // Claw rest pose at reset: above the chute, open. Binary fractions (3/16,
  // 1/4 m), so that sums of dyadic deltas reach dyadic targets exactly.
  static constexpr double kHomeX = 0.1875, kHomeY = 0.1875, kHomeZ = 0.25;
  // Prize placement: centres in [-kPlacementHalfWidth, +]^2 (the open claw then
  // stays inside the walls), not in the corner x >= kShieldCornerX and
  // y >= kShieldCornerY (the claw or the prize would touch the chute's shield),
  // and each pair apart by >= kMinSeparationX in x or kMinSeparationY in y. In
  // x: the open claw's half-width (0.068 m) plus the largest prize half-extent
  // (0.043 m) plus 2 cm, so the jaws come down clear of the neighbours. In y:
  // the two largest bounding radii (0.043 + 0.038 m) plus 9 mm, so prizes never
  // overlap (the claw's half-depth, 0.02 m, needs less).
  static constexpr double kPlacementHalfWidth = 0.18;
  static constexpr double kShieldCornerX = 0.044;
  static constexpr double kShieldCornerY = 0.076;
  static constexpr double kMinSeparationX = 0.13;
  static constexpr double kMinSeparationY = 0.09;
  // Label and reward thresholds (m).
  static constexpr double kOverRadius = 0.03;     // grasp centre to prize centre, horizontally
  static constexpr double kDescendBelow = 0.15;   // claw height under which hovering is descending
  static constexpr double kLiftedHeight = 0.01;   // above the prize's resting height
  static constexpr double kCarryHeight = 0.05;    // lifted this high, the prize is carried
  static constexpr double kDeliveredZ = -0.05;    // prize centre below the floor, in the chute
  static constexpr int kPhaseHoldSteps = 2;
  enum Phase { kApproach = 0, kDescend, kGrasp, kLift, kCarry, kRelease };

  explicit ClawEnv(const EnvOptions& options);

  std::string Name() const override { return "claw"; }
  EnvOptions Options() const override;
  std::vector<std::string> ObsKeys() const override { return {"state"}; }
  SpaceSpec ObsSpec(const std::string& key) const override;
  SpaceSpec ActionSpec() const override;
  SpaceSpec TargetSpec() const override;
  ActionMode GetActionMode() const override { return config_.action_mode; }

  void Reset(uint64_t seed) override;
  StepResult Step(const std::vector<double>& action) override;

  std::vector<double> Observation(const std::string& key) const override;
  std::vector<double> SimState() const override;
  void SetSimState(const std::vector<double>& state) override;

  double Reward() const override { return reward_; }
  bool Success() const override { return delivered_ >= 0; }
  int StepCount() const override { return step_count_; }
  int MaxSteps() const override { return config_.max_steps; }
  double ControlHz() const override { return kControlHz; }
  int Substeps() const override { return substeps_; }

  std::vector<std::string> PhaseNames() const override {
    return {"approach", "descend", "grasp", "lift", "carry", "release"};
  }
  int Phase() const override { return phase_; }
  std::vector<std::string> ModeNames() const override { return {"ball", "cube", "capsule"}; }
  int Mode() const override { return delivered_ >= 0 ? delivered_ : last_held_; }
  int StepMode() const override { return step_mode_; }

  std::vector<double> CommandedTarget() const override {
    return {target_[0], target_[1], target_[2], target_[3]};
  }
  // Grasp centre (m) and the jaws' closing as a fraction of their stroke, in
  // the target's units.
  // (x, y, z) of the target is the claw body's frame: the gantry's slide joints start at the world origin.
  std::optional<std::array<double, 3>> TargetWorldPoint(
      const std::vector<double>& target) const override;
  std::vector<double> EffectorPosition() const override;

  const mjModel* Model() const override { return model_.get(); }
  const mjData* Data() const override { return data_.get(); }

  // Claw specifics, for the expert and the tests (m, world frame).
  std::array<double, 3> ClawPosition() const;
  double JawOpening() const;  // gap between the pads
  std::array<double, 3> PrizePosition(int prize) const;
  double PrizeSpeed(int prize) const;  // of its centre, m/s
  double PrizeRestHeight(int prize) const { return rest_z_[prize]; }
  // From the contacts MuJoCo found in the last substep.
  bool PrizeHeld(int prize) const { return held_[prize]; }        // both pads touch it
  bool PrizeTouched(int prize) const { return touched_[prize]; }  // a pad touches it
  bool PrizeSupported(int prize) const { return supported_[prize]; }  // touches anything else
  // Centre and half-size of the chute's opening (claw.xml's site "chute").
  std::array<double, 2> ChuteCentre() const { return {chute_[0], chute_[1]}; }
  std::array<double, 2> ChuteHalfSize() const { return {chute_[2], chute_[3]}; }
  bool OverChute(const std::array<double, 3>& point) const;
  // The raw (undebounced) phase of the current state; the label debounces it.
  int RawPhase() const;
  // Places the prizes (centres x, y at rest on the floor, yaw in rad) and the
  // claw at home, settles for one control step and starts a fresh episode;
  // throws EnvError for a placement outside the placement area (see above) or
  // prizes whose bounding spheres overlap.
  void SetConfiguration(const std::array<std::array<double, 3>, kNumPrizes>& prizes_xy_yaw);
  // The reset draw for a seed: x, y, yaw per prize.
  static std::array<std::array<double, 3>, kNumPrizes> RandomPlacement(uint64_t seed);

 private:
  struct Config {
    ActionMode action_mode = ActionMode::kAbsolute;
    int max_steps = 200;
  };
  static Config ParseOptions(const EnvOptions& options);
  // Geom roles, for reading contacts.
  enum GeomRole : int8_t { kOther = 0, kPadLeft, kPadRight, kClawBody, kPrize };
  void ReadContacts();
  void UpdateLabels();
  double StageReward() const;
  void ApplyTarget();

  const Config config_;
  MjModelPtr model_;
  MjDataPtr data_;
  int substeps_ = 20;

  // Model indices.
  std::array<int, 5> actuator_{};   // claw_x, claw_y, claw_z, finger_left, finger_right
  std::array<int, 5> qpos_{};       // the same joints' qpos addresses
  std::array<int, kNumPrizes> prize_qpos_{};  // free joints: x y z qw qx qy qz
  std::array<int, kNumPrizes> prize_dof_{};
  std::array<int, kNumPrizes> prize_geom_{};
  std::vector<int8_t> geom_role_;
  std::vector<int8_t> geom_prize_;  // prize index of a prize geom, else -1
  double finger_stroke_ = 0.06;     // jaw ctrl at grip 1 (ctrlrange high)
  double pad_gap_open_ = 0.12;      // gap between the pads at q = 0
  double pad_gap_closed_ = 0.004;   // ... with both jaws at their closed limit
  std::array<double, 4> target_low_{}, target_high_{};  // x, y, z from ctrlrange; grip [0, 1]
  std::array<double, 4> chute_{};   // centre x, y and half-size x, y

  // Episode state.
  std::array<double, 4> target_{};  // commanded x, y, z, grip
  std::array<double, kNumPrizes> rest_z_{};
  int step_count_ = 0;
  int phase_ = kApproach;
  int candidate_phase_ = kApproach;  // raw phase waiting to be confirmed
  int candidate_steps_ = 0;          // consecutive steps it has held
  int last_held_ = -1;
  int step_mode_ = -1;
  int delivered_ = -1;
  double reward_ = 0.0;
  std::array<bool, kNumPrizes> held_{};
  std::array<bool, kNumPrizes> touched_{};
  std::array<bool, kNumPrizes> supported_{};
};

}  // namespace bcbench
