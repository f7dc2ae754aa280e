#include "envs/pusht/pusht_env.h"

#include <algorithm>
#include <cmath>

#include "envs/env_options.h"
#include "envs/registry.h"
#include "envs/sampling.h"

namespace bcbench {

namespace {

constexpr double kPxPerMetre = 1000.0;  // 1 px of the original = 1 mm

// SimState layout: [time, qpos(nq), qvel(nv), qacc_warmstart(nv), commanded target
// (2, px), step count, mode, step mode, phase, phase streak, touched]. qvel holds the
// agent's velocity and the T's velocity waiting for the next substep; qacc_warmstart
// is there because MuJoCo's iterative solver starts from it and stops at a
// tolerance, so its result may depend on it in the last bits; with it restored, a
// continued episode is the same computation by construction.
constexpr int kSimStateExtras = 1 + 2 + 1 + 2 + 3;

}  // namespace

// ---------------------------------------------------------------------------
// PushTPhysics

PushTPhysics::PushTPhysics(const mjModel* model, bool skip_free_substeps)
    : skip_free_substeps_(skip_free_substeps) {
  agent_geom_ = mj_name2id(model, mjOBJ_GEOM, "agent");
  const int agent_x = mj_name2id(model, mjOBJ_JOINT, "agent_x");
  const int agent_y = mj_name2id(model, mjOBJ_JOINT, "agent_y");
  const int block_x = mj_name2id(model, mjOBJ_JOINT, "block_x");
  const int block_y = mj_name2id(model, mjOBJ_JOINT, "block_y");
  const int hinge = mj_name2id(model, mjOBJ_JOINT, "block_rot");
  if (agent_geom_ < 0 || agent_x < 0 || agent_y < 0 || block_x < 0 || block_y < 0 || hinge < 0 ||
      model->jnt_qposadr[agent_y] != model->jnt_qposadr[agent_x] + 1 ||
      model->jnt_qposadr[block_y] != model->jnt_qposadr[block_x] + 1 ||
      model->jnt_qposadr[hinge] != model->jnt_qposadr[block_x] + 2) {
    throw EnvError(
        "pusht MJCF must define a body 'agent' with geom 'agent' and consecutive slide joints "
        "agent_x, agent_y, and a body 'block' with consecutive joints block_x, block_y, "
        "block_rot");
  }
  agent_qpos_ = model->jnt_qposadr[agent_x];
  agent_dof_ = model->jnt_dofadr[agent_x];
  block_qpos_ = model->jnt_qposadr[block_x];
  block_dof_ = model->jnt_dofadr[block_x];
  hinge_anchor_[0] = model->jnt_pos[3 * hinge + 0];
  hinge_anchor_[1] = model->jnt_pos[3 * hinge + 1];
}

bool PushTPhysics::AgentTouchesBlock(const mjData* d) const {
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& c = d->contact[i];
    // Only the block can collide with the agent (see pusht.xml); with margin 0 a
    // contact exists only while the two overlap.
    if (c.geom1 == agent_geom_ || c.geom2 == agent_geom_) return true;
  }
  return false;
}

// Chipmunk solves contacts with split impulses: a velocity solve that stops
// the approach (relative normal velocity >= 0) and a separate bias solve, from
// rest, that pushes overlapping shapes apart at biasCoef (dist + slop) / dt
// beyond the collision slop; the T then moves by the sum. MuJoCo's reference
// acceleration -B vel - K imp pos mixes the two in one solve, which differs
// when the agent leaves a T it overlaps (the bias then still pushes in
// Chipmunk) and inside the slop. So each contact row's reference is split into
// its velocity part (kept here) and its position part on min(0, pos + slop)
// (returned in `bias`, per row); returns whether any bias is non-zero.
bool PushTPhysics::SplitContactReference(mjData* d, std::vector<double>* bias) const {
  bias->assign(static_cast<size_t>(d->nefc), 0.0);
  bool any = false;
  for (int i = 0; i < d->nefc; ++i) {
    if (d->efc_type[i] != mjCNSTR_CONTACT_FRICTIONLESS) continue;
    const double pos = d->efc_pos[i] - d->efc_margin[i];
    const double stiffness = d->efc_KBIP[4 * i + 0];
    const double impedance = d->efc_KBIP[4 * i + 2];
    d->efc_aref[i] += stiffness * impedance * pos;  // now -B vel only
    const double beyond_slop = std::min(0.0, pos + kCollisionSlop);
    (*bias)[static_cast<size_t>(i)] = -stiffness * impedance * beyond_slop;
    any = any || beyond_slop < 0.0;
  }
  return any;
}

// MuJoCo's sphere-box test reports a disc whose centre lies inside a box as
// penetrating by its radius only, however deep the centre is; Chipmunk (as
// geometry) has it penetrate by the radius plus the centre's distance to the
// face it leaves by, which MuJoCo's normal already points through. Such
// contacts (the original's resets may start the agent inside the T) get that
// depth before the reference accelerations are computed from it.
void PushTPhysics::DeepenInsideContacts(const mjModel* m, mjData* d) const {
  const double radius = m->geom_size[3 * agent_geom_];
  const double* centre = d->geom_xpos + 3 * agent_geom_;
  for (int i = 0; i < d->ncon; ++i) {
    mjContact& c = d->contact[i];
    if ((c.geom1 != agent_geom_ && c.geom2 != agent_geom_) || c.dist > -radius + 1e-12) continue;
    const int box = c.geom1 == agent_geom_ ? c.geom2 : c.geom1;
    const double* p = d->geom_xpos + 3 * box;
    const double* r = d->geom_xmat + 9 * box;  // columns: the box's axes
    const double* half = m->geom_size + 3 * box;
    const double dx = centre[0] - p[0], dy = centre[1] - p[1], dz = centre[2] - p[2];
    const double lx = r[0] * dx + r[3] * dy + r[6] * dz;
    const double ly = r[1] * dx + r[4] * dy + r[7] * dz;
    const double inside = std::min(half[0] - std::abs(lx), half[1] - std::abs(ly));
    if (inside <= 0.0) continue;
    c.dist = -radius - inside;
    if (c.efc_address >= 0) d->efc_pos[c.efc_address] = c.dist;
  }
}

bool PushTPhysics::NothingCanTouch(const mjData* d) const {
  // Margins of 0.01 px keep the test on the safe side of MuJoCo's own
  // (floating-point) collision tests; near-misses just run the solver.
  const pusht::Pose2 block = BlockPose(d);
  if (pusht::DistanceToT(block, AgentPosition(d)) <= pusht::kAgentRadius + 0.01) return false;
  for (const pusht::Vec2& vertex : pusht::kOutline) {
    const pusht::Vec2 w = pusht::ToWorld(block, vertex);
    if (std::min(w.x, w.y) <= kWallLow + 0.01 || std::max(w.x, w.y) >= kWallHigh - 0.01) {
      return false;
    }
  }
  return true;
}

bool PushTPhysics::Substep(const mjModel* m, mjData* d, const double target_px[2]) const {
  const double dt = m->opt.timestep;
  double* agent = d->qpos + agent_qpos_;
  double* agent_v = d->qvel + agent_dof_;
  for (int k = 0; k < 2; ++k) {
    const double acc = kKp * (target_px[k] / kPxPerMetre - agent[k]) - kKv * agent_v[k];
    agent_v[k] += acc * dt;
    agent[k] += agent_v[k] * dt;
  }
  double* block = d->qpos + block_qpos_;
  double* block_v = d->qvel + block_dof_;
  if (skip_free_substeps_ && block_v[0] == 0.0 && block_v[1] == 0.0 && block_v[2] == 0.0 &&
      NothingCanTouch(d)) {
    // The T is at rest and clear of the agent and the walls: no contact can
    // exist, so the solve would return zero force and zero acceleration
    // exactly. Skip it, leaving what it would have left.
    d->ncon = 0;
    d->nefc = 0;
    // A physics step all the same: a control callback sees every one.
    if (mjcb_control) mjcb_control(m, d);
    std::fill(d->qacc, d->qacc + m->nv, 0.0);
    std::fill(d->qacc_warmstart, d->qacc_warmstart + m->nv, 0.0);
    d->time += dt;
    return false;
  }
  for (int k = 0; k < 3; ++k) {
    block[k] += block_v[k] * dt;
    block_v[k] = 0.0;
  }
  // mj_forward's stages, with the contact solve split as Chipmunk's (see
  // SplitContactReference): the velocity solve, then the bias solve from rest.
  mj_fwdPosition(m, d);
  DeepenInsideContacts(m, d);
  mj_fwdVelocity(m, d);
  if (mjcb_control) mjcb_control(m, d);  // where mj_forward calls it
  mj_fwdActuation(m, d);
  mj_fwdAcceleration(m, d);
  thread_local std::vector<double> bias;
  const bool any_bias = SplitContactReference(d, &bias);
  mj_fwdConstraint(m, d);
  // mj_step would keep the solution as the next warm start; so do we.
  std::copy(d->qacc, d->qacc + m->nv, d->qacc_warmstart);
  const double* block_a = d->qacc + block_dof_;
  for (int k = 0; k < 3; ++k) block_v[k] = block_a[k] * dt;
  if (any_bias) {
    for (int i = 0; i < d->nefc; ++i) {
      if (d->efc_type[i] == mjCNSTR_CONTACT_FRICTIONLESS) d->efc_aref[i] = bias[static_cast<size_t>(i)];
    }
    thread_local std::vector<double> velocity_solve;
    velocity_solve.assign(d->qacc_warmstart, d->qacc_warmstart + m->nv);
    std::fill(d->qacc_warmstart, d->qacc_warmstart + m->nv, 0.0);
    mj_fwdConstraint(m, d);
    for (int k = 0; k < 3; ++k) block_v[k] += block_a[k] * dt;
    // qacc: the total, as the T's velocity says; the warm start: the velocity solve's.
    for (int k = 0; k < m->nv; ++k) d->qacc[k] += velocity_solve[static_cast<size_t>(k)];
    std::copy(velocity_solve.begin(), velocity_solve.end(), d->qacc_warmstart);
  }
  d->time += dt;
  return AgentTouchesBlock(d);
}

bool PushTPhysics::ControlStep(const mjModel* m, mjData* d, const double target_px[2],
                               int substeps) const {
  bool touched = false;
  for (int s = 0; s < substeps; ++s) touched = Substep(m, d, target_px) || touched;
  return touched;
}

// The hinge sits at anchor c (block frame) and the slides come before it, so
// the block origin is (qx, qy) + c - R(a) c: (qx, qy) moves the centre of gravity.
pusht::Pose2 PushTPhysics::BlockPose(const mjData* d) const {
  const double* q = d->qpos + block_qpos_;
  const double c = std::cos(q[2]);
  const double s = std::sin(q[2]);
  const double ox = q[0] + hinge_anchor_[0] - (c * hinge_anchor_[0] - s * hinge_anchor_[1]);
  const double oy = q[1] + hinge_anchor_[1] - (s * hinge_anchor_[0] + c * hinge_anchor_[1]);
  return {ox * kPxPerMetre, oy * kPxPerMetre, q[2]};
}

void PushTPhysics::SetBlockPose(mjData* d, const pusht::Pose2& pose) const {
  double* q = d->qpos + block_qpos_;
  const double c = std::cos(pose.angle);
  const double s = std::sin(pose.angle);
  q[0] = pose.x / kPxPerMetre - hinge_anchor_[0] + (c * hinge_anchor_[0] - s * hinge_anchor_[1]);
  q[1] = pose.y / kPxPerMetre - hinge_anchor_[1] + (s * hinge_anchor_[0] + c * hinge_anchor_[1]);
  q[2] = pose.angle;
  std::fill(d->qvel + block_dof_, d->qvel + block_dof_ + 3, 0.0);
}

pusht::Pose2 PushTPhysics::BlockVelocity(const mjData* d) const {
  const double* v = d->qvel + block_dof_;
  return {v[0] * kPxPerMetre, v[1] * kPxPerMetre, v[2]};
}

void PushTPhysics::SetBlockVelocity(mjData* d, const pusht::Pose2& velocity) const {
  double* v = d->qvel + block_dof_;
  v[0] = velocity.x / kPxPerMetre;
  v[1] = velocity.y / kPxPerMetre;
  v[2] = velocity.angle;
}

pusht::Vec2 PushTPhysics::AgentPosition(const mjData* d) const {
  const double* p = d->qpos + agent_qpos_;
  return {p[0] * kPxPerMetre, p[1] * kPxPerMetre};
}

pusht::Vec2 PushTPhysics::AgentVelocity(const mjData* d) const {
  const double* v = d->qvel + agent_dof_;
  return {v[0] * kPxPerMetre, v[1] * kPxPerMetre};
}

void PushTPhysics::SetAgentPosition(mjData* d, pusht::Vec2 position_px) const {
  double* p = d->qpos + agent_qpos_;
  p[0] = position_px.x / kPxPerMetre;
  p[1] = position_px.y / kPxPerMetre;
  SetAgentVelocity(d, {0.0, 0.0});
}

void PushTPhysics::SetAgentVelocity(mjData* d, pusht::Vec2 velocity_px) const {
  double* v = d->qvel + agent_dof_;
  v[0] = velocity_px.x / kPxPerMetre;
  v[1] = velocity_px.y / kPxPerMetre;
}

// ---------------------------------------------------------------------------
// PushTEnv

PushTEnv::Config PushTEnv::ParseOptions(const EnvOptions& options) {
  CheckOptionKeys("pusht", options,
                  {"obs", "action_mode", "start", "max_steps", "skip_free_substeps"});
  Config config;
  config.obs_key =
      CheckChoice("pusht", "obs", OptionOr(options, "obs", "state"), {"state", "keypoints"});
  config.action_mode = ParseActionModeOption("pusht", options);
  config.start =
      CheckChoice("pusht", "start", OptionOr(options, "start", "random"), {"random", "probe"});
  config.max_steps = ParseMaxStepsOption("pusht", options, 300);
  config.skip_free_substeps =
      CheckChoice("pusht", "skip_free_substeps", OptionOr(options, "skip_free_substeps", "on"),
                  {"on", "off"}) == "on";
  return config;
}

PushTEnv::PushTEnv(const EnvOptions& options)
    : config_(ParseOptions(options)),
      model_(LoadModel(AssetPath("envs/pusht/pusht.xml"))),
      data_(MakeData(model_.get())),
      physics_(model_.get(), config_.skip_free_substeps) {
  // 10 Hz control over the MJCF's timestep (0.01 s: 10 substeps).
  substeps_ = std::max(1, static_cast<int>(std::lround(1.0 / (kControlHz * model_->opt.timestep))));
  Reset(0);
}

EnvOptions PushTEnv::Options() const {
  return {{"obs", config_.obs_key},
          {"action_mode", ToString(config_.action_mode)},
          {"start", config_.start},
          {"max_steps", std::to_string(config_.max_steps)},
          {"skip_free_substeps", config_.skip_free_substeps ? "on" : "off"}};
}

std::vector<std::string> PushTEnv::ObsKeys() const {
  if (config_.obs_key == "keypoints") return {"keypoints", "state"};
  return {"state", "keypoints"};
}

SpaceSpec PushTEnv::ObsSpec(const std::string& key) const {
  SpaceSpec spec;
  if (key == "state") {
    spec.names = {"agent_x", "agent_y", "block_x", "block_y", "block_angle"};
    spec.low = {0, 0, 0, 0, 0};
    spec.high = {512, 512, 512, 512, 2.0 * pusht::kPi};
    return spec;
  }
  if (key == "keypoints") {
    for (int i = 0; i < 9; ++i) {
      spec.names.push_back("kp" + std::to_string(i) + "_x");
      spec.names.push_back("kp" + std::to_string(i) + "_y");
    }
    spec.names.push_back("agent_x");
    spec.names.push_back("agent_y");
    spec.low.assign(spec.names.size(), 0.0);
    spec.high.assign(spec.names.size(), pusht::kWorkspaceSize);
    return spec;
  }
  throw EnvError("pusht has no observation key '" + key + "'; valid keys: state, keypoints");
}

SpaceSpec PushTEnv::TargetSpec() const {
  SpaceSpec spec;
  spec.names = {"target_x", "target_y"};
  spec.low = {0.0, 0.0};
  spec.high = {pusht::kWorkspaceSize, pusht::kWorkspaceSize};
  return spec;
}

SpaceSpec PushTEnv::ActionSpec() const {
  SpaceSpec spec;
  if (config_.action_mode == ActionMode::kAbsolute) {
    spec = TargetSpec();
  } else {
    spec.names = {"delta_x", "delta_y"};
    spec.low = {-kMaxDelta, -kMaxDelta};
    spec.high = {kMaxDelta, kMaxDelta};
  }
  return spec;
}

pusht::Pose2 PushTEnv::ProbeBlockPose() {
  // The goal pose moved 80 px along the block's own +y axis (towards the stem
  // tip): the block has to be pushed straight back from the stem's tip. The
  // block axis then lies on the workspace diagonal x + y = 512, so the whole
  // scene, walls included, is mirror-symmetric about it.
  const pusht::Pose2 goal = pusht::kGoalPose;
  const pusht::Vec2 origin = pusht::ToWorld(goal, {0.0, 80.0});
  return {origin.x, origin.y, goal.angle};
}

pusht::Vec2 PushTEnv::ProbeAgentPosition() {
  // On the symmetry axis, 70 px below the bar's outer edge (the side away from
  // the stem): going around the left or the right of the T is equally long.
  return pusht::ToWorld(ProbeBlockPose(), {0.0, -70.0});
}

void PushTEnv::SetConfiguration(const pusht::Pose2& block, pusht::Vec2 agent) {
  mjData* d = data_.get();
  mj_resetData(model_.get(), d);
  physics_.SetBlockPose(d, block);
  physics_.SetAgentPosition(d, agent);
  // The target starts on the agent as observed (px from the simulated metres).
  const pusht::Vec2 observed = AgentPosition();
  target_[0] = observed.x;
  target_[1] = observed.y;
  // The original's _set_state ends with one space.step: the agent at rest does
  // not move, but the solve resolves any overlap (agent in the T, T in a wall)
  // into a velocity that moves the T in the first substep of the episode.
  physics_.Substep(model_.get(), d, target_);
  // Body poses for viewers even when that substep had nothing to solve (a
  // skipped substep leaves derived quantities as they were).
  mj_kinematics(model_.get(), d);
  step_count_ = 0;
  phase_ = kTransit;
  phase_streak_ = 0;
  touched_ = false;
  mode_ = -1;
  step_mode_ = -1;
  coverage_ = pusht::Coverage(BlockPose());
}

void PushTEnv::RandomStart(uint64_t seed, pusht::Vec2* agent, pusht::Pose2* block) {
  // The original's draw order: agent x, y, block x, y, angle.
  LegacyNumpyRandom rng(seed);
  agent->x = static_cast<double>(rng.RandInt(50, 450));
  agent->y = static_cast<double>(rng.RandInt(50, 450));
  const double x = static_cast<double>(rng.RandInt(100, 400));
  const double y = static_cast<double>(rng.RandInt(100, 400));
  const double angle = rng.Randn() * 2.0 * pusht::kPi - pusht::kPi;
  // legacy_test: position first (the block frame's origin at (x, y), angle 0),
  // then the angle, which Chipmunk applies about the centre of gravity g. The
  // origin ends at (x, y) + g - R(angle) g.
  const pusht::Vec2 g = pusht::kCentreOfGravity;
  const double c = std::cos(angle), s = std::sin(angle);
  block->x = x + g.x - (c * g.x - s * g.y);
  block->y = y + g.y - (s * g.x + c * g.y);
  block->angle = angle;
}

void PushTEnv::Reset(uint64_t seed) {
  if (config_.start == "probe") {
    SetConfiguration(ProbeBlockPose(), ProbeAgentPosition());
    return;
  }
  pusht::Vec2 agent;
  pusht::Pose2 block;
  RandomStart(seed, &agent, &block);
  SetConfiguration(block, agent);
}

StepResult PushTEnv::Step(const std::vector<double>& action) {
  if (action.size() != 2) {
    throw EnvError("pusht action must have 2 components (" +
                   std::string(config_.action_mode == ActionMode::kAbsolute ? "target_x, target_y"
                                                                            : "delta_x, delta_y") +
                   "), got " + std::to_string(action.size()));
  }
  for (int k = 0; k < 2; ++k) {
    if (!std::isfinite(action[k])) {
      throw EnvError("pusht action component " + std::to_string(k) +
                     " is not finite (NaN or Inf); actions must be finite px values");
    }
  }
  StepResult result;
  for (int k = 0; k < 2; ++k) {
    double value = action[k];
    bool clipped = false;
    if (config_.action_mode == ActionMode::kDelta) {
      const double delta = std::clamp(value, -kMaxDelta, kMaxDelta);
      clipped = delta != value;
      value = target_[k] + delta;
    }
    const double inside = std::clamp(value, 0.0, pusht::kWorkspaceSize);
    clipped = clipped || inside != value;
    target_[k] = inside;
    result.clipped_dims += clipped ? 1 : 0;
  }

  const bool touched = physics_.ControlStep(model_.get(), data_.get(), target_, substeps_);
  ++step_count_;
  UpdateLabelsAfterStep(touched);

  result.reward = Reward();
  result.success = Success();
  result.done = result.success || step_count_ >= config_.max_steps;
  result.phase = phase_;
  return result;
}

// Phase rule (debounced): the raw state of a step is "push" when the agent
// touched the block in any of its substeps, else "transit". The phase follows
// the raw state only once it has disagreed with the phase for kPhaseHoldSteps
// (2) consecutive control steps; a one-step graze or a one-step release
// inside a push does not flip it. The label thus lags a real change by one
// step.
void PushTEnv::UpdateLabelsAfterStep(bool touched) {
  touched_ = touched;
  const int raw = touched ? kPush : kTransit;
  phase_streak_ = raw == phase_ ? 0 : phase_streak_ + 1;
  if (phase_streak_ >= kPhaseHoldSteps) {
    phase_ = raw;
    phase_streak_ = 0;
  }
  const pusht::Pose2 block = BlockPose();
  coverage_ = pusht::Coverage(block);
  // Step mode: switches only on a decided state on the other side.
  const int now = ModeFromState(block, AgentPosition());
  if (now >= 0) step_mode_ = now;
  if (mode_ < 0) mode_ = step_mode_;
}

// Mode rule: the side of the T's symmetry axis (block frame x = 0; left =
// negative x, right = positive) on which the agent is at the end of a control
// step in which its edge is within kModeMargin (20 px) of the T's outline
// (its centre within 35 px) and its centre at least kModeAxisMargin (10 px)
// from the axis. Whichever way the agent goes around the T, or whichever side
// it first touches, it has to come that close there first; closer to the axis
// (pushing the bar's middle or the stem's tip) the state says nothing about
// the side, and a sub-pixel offset must not decide it. The episode's mode is
// the first decided state (undecided until then); the step mode is the latest
// one. In the probe state the agent starts on the axis 70 px from the bar, so
// the first close approach happens on the side it goes around.
int PushTEnv::ModeFromState(const pusht::Pose2& block, pusht::Vec2 agent) {
  if (pusht::DistanceToT(block, agent) > pusht::kAgentRadius + kModeMargin) return -1;
  const double x = pusht::ToLocal(block, agent).x;
  if (std::abs(x) < kModeAxisMargin) return -1;
  return x < 0.0 ? kLeft : kRight;
}

std::optional<std::array<double, 3>> PushTEnv::TargetWorldPoint(
    const std::vector<double>& target) const {
  if (target.size() < 2) return std::nullopt;
  return std::array<double, 3>{target[0] / kPxPerMetre, target[1] / kPxPerMetre, 0.0};
}

std::vector<double> PushTEnv::Observation(const std::string& key) const {
  const pusht::Pose2 block = BlockPose();
  const pusht::Vec2 agent = AgentPosition();
  if (key == "state") {
    return {agent.x, agent.y, block.x, block.y, pusht::WrapAngle(block.angle)};
  }
  if (key == "keypoints") {
    std::vector<double> out;
    out.reserve(20);
    for (const pusht::Vec2& vertex : pusht::kOutline) {
      const pusht::Vec2 w = pusht::ToWorld(block, vertex);
      out.push_back(w.x);
      out.push_back(w.y);
    }
    const pusht::Vec2 com = pusht::ToWorld(block, pusht::kCentreOfMass);
    out.push_back(com.x);
    out.push_back(com.y);
    out.push_back(agent.x);
    out.push_back(agent.y);
    return out;
  }
  throw EnvError("pusht has no observation key '" + key + "'; valid keys: state, keypoints");
}

std::vector<double> PushTEnv::SimState() const {
  const mjModel* m = model_.get();
  const mjData* d = data_.get();
  std::vector<double> state;
  state.reserve(static_cast<size_t>(m->nq + 2 * m->nv + kSimStateExtras));
  state.push_back(d->time);
  state.insert(state.end(), d->qpos, d->qpos + m->nq);
  state.insert(state.end(), d->qvel, d->qvel + m->nv);
  state.insert(state.end(), d->qacc_warmstart, d->qacc_warmstart + m->nv);
  state.push_back(target_[0]);
  state.push_back(target_[1]);
  state.push_back(step_count_);
  state.push_back(mode_);
  state.push_back(step_mode_);
  state.push_back(phase_);
  state.push_back(phase_streak_);
  state.push_back(touched_ ? 1.0 : 0.0);
  return state;
}

void PushTEnv::SetSimState(const std::vector<double>& state) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  const size_t expected = static_cast<size_t>(m->nq + 2 * m->nv + kSimStateExtras);
  if (state.size() != expected) {
    throw EnvError("pusht SimState must have " + std::to_string(expected) + " values, got " +
                   std::to_string(state.size()));
  }
  for (double v : state) {
    if (!std::isfinite(v)) throw EnvError("pusht SimState contains a non-finite value");
  }
  const double* labels = state.data() + expected - 6;
  const auto is_mode = [](double v) { return v == -1 || v == kLeft || v == kRight; };
  const double step = labels[0], phase = labels[3], streak = labels[4], touched = labels[5];
  if (step < 0 || step != std::floor(step) || !is_mode(labels[1]) || !is_mode(labels[2]) ||
      (phase != kTransit && phase != kPush) || streak < 0 || streak >= kPhaseHoldSteps ||
      streak != std::floor(streak) || (touched != 0 && touched != 1)) {
    throw EnvError(
        "pusht SimState has an invalid step count, mode, step mode, phase, phase streak or "
        "touched flag (last 6 values)");
  }
  size_t i = 0;
  d->time = state[i++];
  for (int k = 0; k < m->nq; ++k) d->qpos[k] = state[i++];
  for (int k = 0; k < m->nv; ++k) d->qvel[k] = state[i++];
  const size_t warmstart = i;
  i += static_cast<size_t>(m->nv);
  target_[0] = state[i++];
  target_[1] = state[i++];
  step_count_ = static_cast<int>(state[i++]);
  mode_ = static_cast<int>(state[i++]);
  step_mode_ = static_cast<int>(state[i++]);
  phase_ = static_cast<int>(state[i++]);
  phase_streak_ = static_cast<int>(state[i++]);
  touched_ = state[i++] != 0.0;
  // mj_forward makes mjData consistent for viewers, but it overwrites the
  // solver's warm start (which the next substep must see as it was saved) and
  // qvel must keep the T's pending velocity, which mj_forward does not touch.
  mj_forward(m, d);
  for (int k = 0; k < m->nv; ++k) d->qacc_warmstart[k] = state[warmstart + static_cast<size_t>(k)];
  coverage_ = pusht::Coverage(BlockPose());
}

}  // namespace bcbench
