#include "envs/pusht/pusht_env.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "envs/registry.h"

namespace bcbench {

namespace {

constexpr double kPxPerMetre = 1000.0;  // 1 px of the original = 1 mm

double Uniform(std::mt19937_64& rng, double low, double high) {
  return low + (high - low) * pusht::Uniform01(rng);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string OptionOr(const EnvOptions& options, const std::string& key,
                     const std::string& fallback) {
  const auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

std::string CheckChoice(const std::string& key, const std::string& value,
                        const std::vector<std::string>& valid) {
  if (std::find(valid.begin(), valid.end(), value) == valid.end()) {
    throw EnvError("pusht option " + key + "='" + value +
                   "' is invalid; valid values: " + Join(valid));
  }
  return value;
}

int ParseMaxSteps(const std::string& text) {
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || value < 1 || value > 1000000) {
    throw EnvError("pusht option max_steps='" + text +
                   "' is invalid; valid values: an integer in 1..1000000 (default 300)");
  }
  return static_cast<int>(value);
}

// SimState layout: [time, qpos(nq), qvel(nv), qacc_warmstart(nv), agent position (2, m),
// agent velocity (2, m/s), commanded target (2, px), step count, mode, phase].
// qacc_warmstart is part of it because MuJoCo's iterative solver starts from it and
// stops at a tolerance, so its result may depend on it in the last bits; with it
// restored, a continued episode is the same computation by construction.
constexpr int kSimStateExtras = 1 + 2 + 2 + 2 + 3;

}  // namespace

double pusht::Uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
}

// ---------------------------------------------------------------------------
// PushTPhysics

PushTPhysics::PushTPhysics(const mjModel* model) {
  const int agent_body = mj_name2id(model, mjOBJ_BODY, "agent");
  agent_geom_ = mj_name2id(model, mjOBJ_GEOM, "agent");
  const int block_body = mj_name2id(model, mjOBJ_BODY, "block");
  const int joint_x = mj_name2id(model, mjOBJ_JOINT, "block_x");
  const int hinge = mj_name2id(model, mjOBJ_JOINT, "block_rot");
  if (agent_body < 0 || agent_geom_ < 0 || block_body < 0 || joint_x < 0 || hinge < 0 ||
      model->body_mocapid[agent_body] < 0) {
    throw EnvError(
        "pusht MJCF must define a mocap body 'agent' with geom 'agent' and a body 'block' "
        "with joints block_x, block_y, block_rot");
  }
  agent_mocap_ = model->body_mocapid[agent_body];
  qpos_x_ = model->jnt_qposadr[joint_x];
  hinge_anchor_[0] = model->jnt_pos[3 * hinge + 0];
  hinge_anchor_[1] = model->jnt_pos[3 * hinge + 1];
}

bool PushTPhysics::AgentTouchesBlock(const mjData* d) const {
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& c = d->contact[i];
    // Only the agent and the block can collide with the agent (see pusht.xml).
    if (c.geom1 == agent_geom_ || c.geom2 == agent_geom_) return true;
  }
  return false;
}

bool PushTPhysics::ControlStep(const mjModel* m, mjData* d, PushTAgentState* agent,
                               const double target_px[2], int substeps) const {
  const double dt = m->opt.timestep;
  const double target[2] = {target_px[0] / kPxPerMetre, target_px[1] / kPxPerMetre};
  double* pos = AgentMocapPos(d);
  bool touched = false;
  for (int s = 0; s < substeps; ++s) {
    // The original's kinematic agent: velocity from the PD law, then position
    // (semi-implicit Euler, as pymunk integrates a kinematic body).
    for (int k = 0; k < 2; ++k) {
      const double acc = kKp * (target[k] - pos[k]) - kKv * agent->velocity[k];
      agent->velocity[k] += acc * dt;
      pos[k] += agent->velocity[k] * dt;
    }
    mj_step(m, d);
    // Contacts live in d->contact right after mj_step; ncon is almost always
    // 0 or 1, so this costs nothing next to the step itself.
    touched = touched || AgentTouchesBlock(d);
  }
  return touched;
}

// The hinge sits at anchor c (block frame) and the slides come before it, so
// the block origin is (qx, qy) + c - R(a) c: (qx, qy) moves the centre of mass.
pusht::Pose2 PushTPhysics::BlockPose(const mjData* d) const {
  const double* q = d->qpos + qpos_x_;
  const double c = std::cos(q[2]);
  const double s = std::sin(q[2]);
  const double ox = q[0] + hinge_anchor_[0] - (c * hinge_anchor_[0] - s * hinge_anchor_[1]);
  const double oy = q[1] + hinge_anchor_[1] - (s * hinge_anchor_[0] + c * hinge_anchor_[1]);
  return {ox * kPxPerMetre, oy * kPxPerMetre, q[2]};
}

void PushTPhysics::SetBlockPose(mjData* d, const pusht::Pose2& pose) const {
  double* q = d->qpos + qpos_x_;
  const double c = std::cos(pose.angle);
  const double s = std::sin(pose.angle);
  q[0] = pose.x / kPxPerMetre - hinge_anchor_[0] + (c * hinge_anchor_[0] - s * hinge_anchor_[1]);
  q[1] = pose.y / kPxPerMetre - hinge_anchor_[1] + (s * hinge_anchor_[0] + c * hinge_anchor_[1]);
  q[2] = pose.angle;
}

const double* PushTPhysics::AgentMocapPos(const mjData* d) const {
  return d->mocap_pos + 3 * agent_mocap_;
}

double* PushTPhysics::AgentMocapPos(mjData* d) const { return d->mocap_pos + 3 * agent_mocap_; }

pusht::Vec2 PushTPhysics::AgentPosition(const mjData* d) const {
  const double* pos = AgentMocapPos(d);
  return {pos[0] * kPxPerMetre, pos[1] * kPxPerMetre};
}

void PushTPhysics::SetAgentPosition(mjData* d, pusht::Vec2 position_px) const {
  double* pos = AgentMocapPos(d);
  pos[0] = position_px.x / kPxPerMetre;
  pos[1] = position_px.y / kPxPerMetre;
}

// ---------------------------------------------------------------------------
// PushTEnv

PushTEnv::Config PushTEnv::ParseOptions(const EnvOptions& options) {
  CheckOptionKeys("pusht", options, {"obs", "action_mode", "start", "max_steps"});
  Config config;
  config.obs_key = CheckChoice("obs", OptionOr(options, "obs", "state"), {"state", "keypoints"});
  config.action_mode = ParseActionMode(CheckChoice(
      "action_mode", OptionOr(options, "action_mode", "absolute"), {"absolute", "delta"}));
  config.start = CheckChoice("start", OptionOr(options, "start", "random"), {"random", "probe"});
  config.max_steps = ParseMaxSteps(OptionOr(options, "max_steps", "300"));
  return config;
}

PushTEnv::PushTEnv(const EnvOptions& options)
    : config_(ParseOptions(options)),
      model_(LoadModel(AssetPath("envs/pusht/pusht.xml"))),
      data_(MakeData(model_.get())),
      physics_(model_.get()) {
  // 10 Hz control over the MJCF's timestep (0.01 s: 10 substeps).
  substeps_ = std::max(1, static_cast<int>(std::lround(1.0 / (kControlHz * model_->opt.timestep))));
  Reset(0);
}

EnvOptions PushTEnv::Options() const {
  return {{"obs", config_.obs_key},
          {"action_mode", ToString(config_.action_mode)},
          {"start", config_.start},
          {"max_steps", std::to_string(config_.max_steps)}};
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
  agent_ = PushTAgentState{};
  // The target starts on the agent as observed (px from the simulated metres).
  const pusht::Vec2 observed = AgentPosition();
  target_[0] = observed.x;
  target_[1] = observed.y;
  step_count_ = 0;
  phase_ = kTransit;
  mode_ = -1;
  // Positions, contacts and the rest of mjData consistent for viewers.
  mj_forward(model_.get(), d);
  coverage_ = pusht::Coverage(BlockPose());
}

void PushTEnv::Reset(uint64_t seed) {
  if (config_.start == "probe") {
    SetConfiguration(ProbeBlockPose(), ProbeAgentPosition());
    return;
  }
  // Rejection sampling from the seed's own stream. Besides the original's
  // conditions (agent clear of the block, not already successful) the T must
  // lie inside the walls: the original let it start inside a wall and be shot
  // out by the solver on the first step.
  std::mt19937_64 rng(seed);
  for (;;) {
    const pusht::Vec2 agent{Uniform(rng, 50.0, 450.0), Uniform(rng, 50.0, 450.0)};
    pusht::Pose2 block;
    block.x = Uniform(rng, 100.0, 400.0);
    block.y = Uniform(rng, 100.0, 400.0);
    block.angle = Uniform(rng, 0.0, 2.0 * pusht::kPi);
    if (!pusht::TInsideWorkspace(block, 0.0)) continue;
    if (pusht::DistanceToT(block, agent) <= pusht::kAgentRadius + 1.0) continue;
    if (pusht::SuccessFromCoverage(pusht::Coverage(block))) continue;
    SetConfiguration(block, agent);
    return;
  }
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

  const bool touched = physics_.ControlStep(model_.get(), data_.get(), &agent_, target_, substeps_);
  ++step_count_;
  UpdateLabelsAfterStep(touched);

  result.reward = Reward();
  result.success = Success();
  result.done = result.success || step_count_ >= config_.max_steps;
  result.phase = phase_;
  return result;
}

void PushTEnv::UpdateLabelsAfterStep(bool touched) {
  phase_ = touched ? kPush : kTransit;
  coverage_ = pusht::Coverage(BlockPose());
  if (mode_ < 0) UpdateMode();
}

// Mode rule: the episode commits to the side of the T's symmetry axis (block
// frame x = 0; left = negative x, right = positive) on which the agent is at the
// end of the first control step in which its edge is within kModeMargin (20 px)
// of the T's outline, i.e. its centre within 35 px. Whichever way the agent goes
// around the T, or whichever side it first touches, it has to come that close
// there first. An agent within 1 px of the axis is a tie: the decision waits for
// a later step. In the probe state the agent starts on the axis 70 px from the
// bar, so the first close approach happens on the side it goes around.
int PushTEnv::ModeFromState(const pusht::Pose2& block, pusht::Vec2 agent) {
  if (pusht::DistanceToT(block, agent) > pusht::kAgentRadius + kModeMargin) return -1;
  const double x = pusht::ToLocal(block, agent).x;
  if (std::abs(x) < 1.0) return -1;
  return x < 0.0 ? kLeft : kRight;
}

void PushTEnv::UpdateMode() { mode_ = ModeFromState(BlockPose(), AgentPosition()); }

pusht::Vec2 PushTEnv::AgentVelocity() const {
  return {agent_.velocity[0] * kPxPerMetre, agent_.velocity[1] * kPxPerMetre};
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
  const double* agent = physics_.AgentMocapPos(d);
  state.push_back(agent[0]);
  state.push_back(agent[1]);
  state.push_back(agent_.velocity[0]);
  state.push_back(agent_.velocity[1]);
  state.push_back(target_[0]);
  state.push_back(target_[1]);
  state.push_back(step_count_);
  state.push_back(mode_);
  state.push_back(phase_);
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
  const double step = state[expected - 3], mode = state[expected - 2], phase = state[expected - 1];
  if (step < 0 || step != std::floor(step) || (mode != -1 && mode != kLeft && mode != kRight) ||
      (phase != kTransit && phase != kPush)) {
    throw EnvError("pusht SimState has an invalid step count, mode or phase (last 3 values)");
  }
  size_t i = 0;
  d->time = state[i++];
  for (int k = 0; k < m->nq; ++k) d->qpos[k] = state[i++];
  for (int k = 0; k < m->nv; ++k) d->qvel[k] = state[i++];
  for (int k = 0; k < m->nv; ++k) d->qacc_warmstart[k] = state[i++];
  // Stored in metres, as simulated, so that restoring is exact.
  double* agent = physics_.AgentMocapPos(d);
  agent[0] = state[i++];
  agent[1] = state[i++];
  agent_.velocity[0] = state[i++];
  agent_.velocity[1] = state[i++];
  target_[0] = state[i++];
  target_[1] = state[i++];
  step_count_ = static_cast<int>(state[i++]);
  mode_ = static_cast<int>(state[i++]);
  phase_ = static_cast<int>(state[i++]);
  // mj_forward makes mjData consistent for viewers but overwrites the solver's
  // warm start, which the next mj_step must see as it was saved.
  mj_forward(m, d);
  for (int k = 0; k < m->nv; ++k) d->qacc_warmstart[k] = state[1 + m->nq + m->nv + k];
  coverage_ = pusht::Coverage(BlockPose());
}

}  // namespace bcbench
