// Push-T (SPEC 4.1) in MuJoCo: a disc agent pushes a T-shaped block onto a goal
// pose. Compatible with the original pymunk task: 512 x 512 px workspace,
// kinematic agent driven by a PD law, 10 Hz control over 100 Hz physics (10
// substeps of 10 ms), reward from the exact goal coverage. Observations and
// actions are in px (the MJCF is in metres, 1 px = 1 mm), y up.
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
// Labels: phase "push" when the agent touched the block in any substep of the
// step, else "transit"; mode "left"/"right" per the rule in pusht_env.cc.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "envs/env.h"
#include "envs/mujoco_handles.h"
#include "envs/pusht/pusht_geometry.h"

namespace bcbench {

// Uniform double in [0, 1) from the top 53 bits of the generator: the same
// numbers on every platform, unlike std::uniform_real_distribution. Shared by
// the env's reset sampler and the expert.
namespace pusht {
double Uniform01(std::mt19937_64& rng);
}  // namespace pusht

// The agent's own state: MuJoCo treats a mocap body as kinematic, so the PD
// law's velocity lives here and the position in mjData::mocap_pos. Metres.
struct PushTAgentState {
  double velocity[2] = {0.0, 0.0};
};

// The physics of one control step, shared by the env and by the expert's
// look-ahead so that a prediction and its execution are the same computation.
class PushTPhysics {
 public:
  static constexpr double kKp = 100.0;  // 1/s^2, as the original
  static constexpr double kKv = 20.0;   // 1/s: critically damped with kKp

  // Looks up the agent, block and geom ids; throws EnvError if the MJCF lacks them.
  explicit PushTPhysics(const mjModel* model);

  // Runs `substeps` x (PD integration of the agent towards target_px, then
  // mj_step). Returns whether the agent touched the block in any substep.
  bool ControlStep(const mjModel* m, mjData* d, PushTAgentState* agent, const double target_px[2],
                   int substeps) const;

  // Block pose in px from qpos (valid right after mj_step, unlike xpos).
  pusht::Pose2 BlockPose(const mjData* d) const;
  void SetBlockPose(mjData* d, const pusht::Pose2& pose) const;
  pusht::Vec2 AgentPosition(const mjData* d) const;  // px
  void SetAgentPosition(mjData* d, pusht::Vec2 position_px) const;
  // The agent's mocap position in metres, as simulated.
  const double* AgentMocapPos(const mjData* d) const;
  double* AgentMocapPos(mjData* d) const;

 private:
  bool AgentTouchesBlock(const mjData* d) const;

  int agent_mocap_ = -1;
  int agent_geom_ = -1;
  int qpos_x_ = 0;                       // block slide x; y and hinge follow
  double hinge_anchor_[2] = {0.0, 0.0};  // hinge position in the block frame, m
};

class PushTEnv : public Env {
 public:
  static constexpr double kControlHz = 10.0;
  // Largest per-axis delta action in delta mode, px per control step (500 px/s):
  // a delta is a local correction, and the expert's targets never move faster.
  static constexpr double kMaxDelta = 50.0;
  // The agent edge must come this close (px) to the T's outline to decide the mode.
  static constexpr double kModeMargin = 20.0;
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

  std::vector<double> CommandedTarget() const override { return {target_[0], target_[1]}; }

  const mjModel* Model() const override { return model_.get(); }
  const mjData* Data() const override { return data_.get(); }

  // Push-T specifics, for the expert, tests and probes (px, rad).
  pusht::Pose2 BlockPose() const { return physics_.BlockPose(data_.get()); }
  pusht::Vec2 AgentPosition() const { return physics_.AgentPosition(data_.get()); }
  pusht::Vec2 AgentVelocity() const;  // px/s
  double Coverage() const { return coverage_; }
  const PushTPhysics& Physics() const { return physics_; }
  const PushTAgentState& AgentState() const { return agent_; }
  // Places the block and the agent (at rest, target on it) and starts a fresh
  // episode from there; used by the probe start and by tests.
  void SetConfiguration(const pusht::Pose2& block, pusht::Vec2 agent);
  // The mode rule (see pusht_env.cc) for one state: kLeft, kRight, or -1 while
  // undecided. Public so that the expert can predict the label of a plan.
  static int ModeFromState(const pusht::Pose2& block, pusht::Vec2 agent);
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
  };
  static Config ParseOptions(const EnvOptions& options);
  void UpdateLabelsAfterStep(bool touched);
  void UpdateMode();

  const Config config_;
  int substeps_ = 10;

  MjModelPtr model_;
  MjDataPtr data_;
  PushTPhysics physics_;
  PushTAgentState agent_;
  double target_[2] = {0.0, 0.0};  // commanded absolute target, px
  int step_count_ = 0;
  int phase_ = kTransit;
  int mode_ = -1;
  double coverage_ = 0.0;
};

}  // namespace bcbench
