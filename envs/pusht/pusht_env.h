// Push-T (SPEC 4.1) in MuJoCo: a disc agent pushes a T-shaped block onto a goal
// pose. The original pymunk task's dynamics (held to a Chipmunk 7 replica of it
// in tests/envs/pusht_reference_test.cc): 512 x 512 px workspace with walls at
// 7 and 504, kinematic agent driven by a PD law, quasi-static frictionless T
// (mass 1, centre of gravity (0, 45), inertia 3000 px^2), 10 Hz control over
// 100 Hz physics (10 substeps of 10 ms), reward from the exact goal coverage.
// Observations and actions are in px (the MJCF is in metres, 1 px = 1 mm), y up.
//
// Options (EnvOptions):
//   obs          state | keypoints   default policy input (both keys always exist)
//   action_mode  absolute | delta    absolute: target in [0, 512]^2; delta: target
//                                    += action, each axis bounded to +-kMaxDelta
//   start        random | probe      probe: the fixed left/right-symmetric state
//   max_steps    integer, default 300
// Observations: state = [agent_x, agent_y, block_x, block_y, block_angle in
// [0, 2 pi)]; keypoints = the 8 outline vertices of the T (pusht::kOutline
// order), its centre of mass, then agent x, y: 20 values.
// Reset (start=random) as the original: integer agent position in [50,450)^2,
// integer block position in [100,400)^2, angle randn * 2 pi - pi, drawn in that
// order from numpy's legacy RandomState(seed) algorithm (envs/sampling.h); no
// rejection, so the agent may start inside the T and the T inside a wall. As
// with the original's legacy_test, the angle is applied after the position,
// so the block turns about its centre of gravity; then one substep with the
// agent at rest, as the original's _set_state runs.
// Labels (debounced; see pusht_env.cc): phase "transit"/"push"; mode
// "left"/"right" per episode (Mode) and per step (StepMode).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "envs/env.h"
#include "envs/mujoco_handles.h"
#include "envs/pusht/pusht_geometry.h"

namespace bcbench {

// The physics of one control step, shared by the env and by the expert's
// look-ahead so that a prediction and its execution are the same computation.
//
// A substep (0.01 s) runs in the order of Chipmunk's cpSpaceStep with the
// original's space.damping = 0:
//   1. the agent's velocity follows the PD law (v += (kp (target - p) - kv v) dt)
//      and both bodies' positions advance by their velocities (semi-implicit
//      Euler, as pymunk moves a kinematic body), the T by the velocity of the
//      previous substep's solve;
//   2. the T's velocity is zeroed (damping 0^dt = 0 before each solve);
//   3. mj_forward collides and solves the frictionless contacts, the agent's
//      velocity included; the T's new velocity (dt x qacc) is kept in qvel and
//      moves it in the next substep.
// So the T moves only by the impulses of the substep before and stops one
// substep after the last contact, exactly as in the original.
class PushTPhysics {
 public:
  static constexpr double kKp = 100.0;  // 1/s^2, as the original
  static constexpr double kKv = 20.0;   // 1/s: critically damped with kKp
  // Chipmunk's default collision slop, 0.1 px, in metres.
  static constexpr double kCollisionSlop = 1e-4;

  // The walls' inner faces (px): segments of radius 2 at 5 and 506.
  static constexpr double kWallLow = 7.0;
  static constexpr double kWallHigh = 504.0;

  // Looks up the agent and block joints and geoms; throws EnvError if the MJCF
  // lacks them. skip_free_substeps: a substep in which the T is at rest and
  // nothing is within reach of it (agent or wall) skips MuJoCo's collision and
  // solve, whose result is then known to be exactly zero (same state, bit for
  // bit; tests turn it off to check that).
  explicit PushTPhysics(const mjModel* model, bool skip_free_substeps = true);

  // One substep towards target_px (see above). Returns whether the agent
  // touches the block in it.
  bool Substep(const mjModel* m, mjData* d, const double target_px[2]) const;
  // `substeps` substeps; returns whether the agent touched the block in any.
  bool ControlStep(const mjModel* m, mjData* d, const double target_px[2], int substeps) const;

  // Block pose in px and rad from qpos.
  pusht::Pose2 BlockPose(const mjData* d) const;
  // Places the block at rest.
  void SetBlockPose(mjData* d, const pusht::Pose2& pose) const;
  pusht::Vec2 AgentPosition(const mjData* d) const;  // px
  pusht::Vec2 AgentVelocity(const mjData* d) const;  // px/s
  // Places the agent at rest.
  void SetAgentPosition(mjData* d, pusht::Vec2 position_px) const;
  // The T's velocity waiting for the next substep: CoG px/s and rad/s.
  pusht::Pose2 BlockVelocity(const mjData* d) const;
  void SetBlockVelocity(mjData* d, const pusht::Pose2& velocity) const;
  void SetAgentVelocity(mjData* d, pusht::Vec2 velocity_px) const;

 private:
  bool AgentTouchesBlock(const mjData* d) const;
  bool SplitContactReference(mjData* d, std::vector<double>* bias) const;
  bool NothingCanTouch(const mjData* d) const;
  void DeepenInsideContacts(const mjModel* m, mjData* d) const;

  bool skip_free_substeps_ = true;

  int agent_geom_ = -1;
  int agent_qpos_ = 0;  // agent slide x; y follows (the same index in qvel)
  int agent_dof_ = 0;
  int block_qpos_ = 0;  // block slide x; y and hinge follow
  int block_dof_ = 0;
  double hinge_anchor_[2] = {0.0, 0.0};  // hinge (= CoG) in the block frame, m
};

class PushTEnv : public Env {
 public:
  static constexpr double kControlHz = 10.0;
  // Largest per-axis delta action in delta mode, px per control step (500 px/s):
  // a delta is a local correction, and the expert's targets never move faster.
  static constexpr double kMaxDelta = 50.0;
  // The agent edge must come this close (px) to the T's outline to decide the mode,
  static constexpr double kModeMargin = 20.0;
  // and its centre be this far (px) from the T's axis of symmetry.
  static constexpr double kModeAxisMargin = 10.0;
  // Control steps the raw contact state must hold before the phase follows it.
  static constexpr int kPhaseHoldSteps = 2;
  enum Phase { kTransit = 0, kPush = 1 };
  enum Mode { kLeft = 0, kRight = 1 };

  explicit PushTEnv(const EnvOptions& options);

  std::string Name() const override { return "pusht"; }
  EnvOptions Options() const override;
  std::vector<std::string> ObsKeys() const override;
  SpaceSpec ObsSpec(const std::string& key) const override;
  SpaceSpec ActionSpec() const override;
  SpaceSpec TargetSpec() const override;  // the workspace, in both action modes
  std::vector<double> EffectorPosition() const override {
    const pusht::Vec2 p = AgentPosition();
    return {p.x, p.y};
  }
  // px to metres (1 px = 1 mm), in the plane, where the agent disc's centre moves.
  std::optional<std::array<double, 3>> TargetWorldPoint(
      const std::vector<double>& target) const override;
  ActionMode GetActionMode() const override { return config_.action_mode; }

  void Reset(uint64_t seed) override;
  StepResult Step(const std::vector<double>& action) override;

  std::vector<double> Observation(const std::string& key) const override;
  std::vector<double> SimState() const override;
  void SetSimState(const std::vector<double>& state) override;

  double Reward() const override { return pusht::RewardFromCoverage(coverage_); }
  bool Success() const override { return pusht::SuccessFromCoverage(coverage_); }
  int StepCount() const override { return step_count_; }
  int MaxSteps() const override { return config_.max_steps; }
  double ControlHz() const override { return kControlHz; }
  int Substeps() const override { return substeps_; }

  std::vector<std::string> PhaseNames() const override { return {"transit", "push"}; }
  int Phase() const override { return phase_; }
  std::vector<std::string> ModeNames() const override { return {"left", "right"}; }
  int Mode() const override { return mode_; }
  int StepMode() const override { return step_mode_; }

  std::vector<double> CommandedTarget() const override { return {target_[0], target_[1]}; }

  const mjModel* Model() const override { return model_.get(); }
  const mjData* Data() const override { return data_.get(); }

  // Push-T specifics, for the expert, tests and probes (px, rad).
  pusht::Pose2 BlockPose() const { return physics_.BlockPose(data_.get()); }
  pusht::Vec2 AgentPosition() const { return physics_.AgentPosition(data_.get()); }
  pusht::Vec2 AgentVelocity() const { return physics_.AgentVelocity(data_.get()); }  // px/s
  double Coverage() const { return coverage_; }
  const PushTPhysics& Physics() const { return physics_; }
  // Whether the agent touched the block in the last control step (the raw
  // contact state that the phase label debounces).
  bool TouchedLastStep() const { return touched_; }
  // Places the block and the agent (at rest, target on it), runs the
  // original's settling substep and starts a fresh episode from there; used by
  // reset, the probe start and tests.
  void SetConfiguration(const pusht::Pose2& block, pusht::Vec2 agent);
  // The mode rule (see pusht_env.cc) for one state: kLeft, kRight, or -1 while
  // undecided. Public so that the expert can predict the label of a plan.
  static int ModeFromState(const pusht::Pose2& block, pusht::Vec2 agent);
  // The original's reset draw for a seed: agent position and block pose.
  static void RandomStart(uint64_t seed, pusht::Vec2* agent, pusht::Pose2* block);
  // The fixed probe configuration (start=probe), see pusht_env.cc.
  static pusht::Pose2 ProbeBlockPose();
  static pusht::Vec2 ProbeAgentPosition();

 private:
  // The env's options, validated before anything is loaded.
  struct Config {
    std::string obs_key = "state";
    ActionMode action_mode = ActionMode::kAbsolute;
    std::string start = "random";
    int max_steps = 300;
    // Off: every substep runs MuJoCo's solve (bcbench perf's overhead
    // figure compares the env against a bare loop that does the same).
    bool skip_free_substeps = true;
  };
  static Config ParseOptions(const EnvOptions& options);
  void UpdateLabelsAfterStep(bool touched);

  const Config config_;
  int substeps_ = 10;

  MjModelPtr model_;
  MjDataPtr data_;
  PushTPhysics physics_;
  double target_[2] = {0.0, 0.0};  // commanded absolute target, px
  int step_count_ = 0;
  int phase_ = kTransit;
  int phase_streak_ = 0;  // consecutive steps whose raw contact state disagreed with phase_
  bool touched_ = false;
  int mode_ = -1;
  int step_mode_ = -1;
  double coverage_ = 0.0;
};

}  // namespace bcbench
