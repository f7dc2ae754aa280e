#include "envs/claw/claw_env.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "envs/env_options.h"
#include "envs/registry.h"
#include "envs/sampling.h"

namespace bcbench {

namespace {

constexpr double kPi = 3.14159265358979323846;
const char* const kPrizeNames[ClawEnv::kNumPrizes] = {"prize_ball", "prize_cube", "prize_capsule"};
const char* const kJointNames[5] = {"claw_x", "claw_y", "claw_z", "finger_left", "finger_right"};
constexpr int kX = 0, kY = 1, kZ = 2, kLeft = 3, kRight = 4;

// SimState layout: [time, qpos (nq), qvel (nv), qacc_warmstart (nv), target (4),
// resting heights (3), step count, phase, candidate phase, candidate steps,
// last held, step mode, delivered, held (3), touched (3), supported (3)].
// qacc_warmstart is there because MuJoCo's solver starts from it and stops at
// a tolerance; the contact flags are those of the last substep (SetSimState's
// mj_forward would find them at the positions after it).
constexpr int kLabelValues = 7 + 3 * ClawEnv::kNumPrizes;
constexpr int kSimStateExtras = 1 + 4 + ClawEnv::kNumPrizes + kLabelValues;

// How far a geom reaches below its body's origin when the body is turned
// about the vertical only (m): its resting height on a floor at z = 0.
double RestHeight(const mjModel* m, int geom) {
  const double* size = m->geom_size + 3 * geom;
  double rot[9];
  mju_quat2Mat(rot, m->geom_quat + 4 * geom);
  const double* up = rot + 6;  // world z in the geom's frame: row 3 of R
  double reach = 0.0;
  switch (m->geom_type[geom]) {
    case mjGEOM_SPHERE:
      reach = size[0];
      break;
    case mjGEOM_BOX:
      reach = std::abs(up[0]) * size[0] + std::abs(up[1]) * size[1] + std::abs(up[2]) * size[2];
      break;
    case mjGEOM_CAPSULE:
      reach = size[0] + std::abs(up[2]) * size[1];
      break;
    default:
      throw EnvError("claw.xml: prize geoms must be spheres, boxes or capsules");
  }
  return reach - m->geom_pos[3 * geom + 2];
}

}  // namespace

ClawEnv::Config ClawEnv::ParseOptions(const EnvOptions& options) {
  CheckOptionKeys("claw", options, {"obs", "action_mode", "max_steps"});
  Config config;
  CheckChoice("claw", "obs", OptionOr(options, "obs", "state"), {"state"});
  config.action_mode = ParseActionModeOption("claw", options);
  config.max_steps = ParseMaxStepsOption("claw", options, 200);
  return config;
}

ClawEnv::ClawEnv(const EnvOptions& options)
    : config_(ParseOptions(options)),
      model_(LoadModel(AssetPath("envs/claw/claw.xml"))),
      data_(MakeData(model_.get())) {
  const mjModel* m = model_.get();
  for (int i = 0; i < 5; ++i) {
    const int joint = mj_name2id(m, mjOBJ_JOINT, kJointNames[i]);
    actuator_[i] = mj_name2id(m, mjOBJ_ACTUATOR, kJointNames[i]);
    if (joint < 0 || actuator_[i] < 0 || m->jnt_type[joint] != mjJNT_SLIDE ||
        m->actuator_trnid[2 * actuator_[i]] != joint || !m->actuator_ctrllimited[actuator_[i]]) {
      throw EnvError(std::string("claw.xml must define a slide joint '") + kJointNames[i] +
                     "' driven by a ctrl-limited actuator of the same name");
    }
    qpos_[i] = m->jnt_qposadr[joint];
  }
  for (int k = 0; k < kNumPrizes; ++k) {
    const int joint = mj_name2id(m, mjOBJ_JOINT, kPrizeNames[k]);
    prize_geom_[k] = mj_name2id(m, mjOBJ_GEOM, kPrizeNames[k]);
    if (joint < 0 || prize_geom_[k] < 0 || m->jnt_type[joint] != mjJNT_FREE ||
        m->geom_bodyid[prize_geom_[k]] != m->jnt_bodyid[joint]) {
      throw EnvError(std::string("claw.xml must define a free body with joint and geom '") +
                     kPrizeNames[k] + "'");
    }
    prize_qpos_[k] = m->jnt_qposadr[joint];
    prize_dof_[k] = m->jnt_dofadr[joint];
  }
  const int pad_left = mj_name2id(m, mjOBJ_GEOM, "pad_left");
  const int pad_right = mj_name2id(m, mjOBJ_GEOM, "pad_right");
  const int claw_body = mj_name2id(m, mjOBJ_BODY, "claw");
  const int chute = mj_name2id(m, mjOBJ_SITE, "chute");
  const int finger_left = mj_name2id(m, mjOBJ_BODY, "finger_left");
  const int finger_right = mj_name2id(m, mjOBJ_BODY, "finger_right");
  if (pad_left < 0 || pad_right < 0 || claw_body < 0 || chute < 0 || finger_left < 0 ||
      finger_right < 0) {
    throw EnvError(
        "claw.xml must define geoms pad_left and pad_right, bodies claw, finger_left and "
        "finger_right, and a site chute");
  }
  // Every geom's part in the contact labels.
  geom_role_.assign(static_cast<size_t>(m->ngeom), kOther);
  geom_prize_.assign(static_cast<size_t>(m->ngeom), -1);
  for (int g = 0; g < m->ngeom; ++g) {
    for (int b = m->geom_bodyid[g]; b > 0; b = m->body_parentid[b]) {
      if (b == claw_body) geom_role_[g] = kClawBody;
    }
  }
  geom_role_[pad_left] = kPadLeft;
  geom_role_[pad_right] = kPadRight;
  for (int k = 0; k < kNumPrizes; ++k) {
    geom_role_[prize_geom_[k]] = kPrize;
    geom_prize_[prize_geom_[k]] = static_cast<int8_t>(k);
  }
  chute_ = {m->site_pos[3 * chute], m->site_pos[3 * chute + 1], m->site_size[3 * chute],
            m->site_size[3 * chute + 1]};
  // The pads' inner faces sit at their finger bodies' origins.
  pad_gap_open_ = m->body_pos[3 * finger_right] - m->body_pos[3 * finger_left];
  const int jaw_joint = m->actuator_trnid[2 * actuator_[kLeft]];
  pad_gap_closed_ = pad_gap_open_ - 2.0 * m->jnt_range[2 * jaw_joint + 1];
  finger_stroke_ = m->actuator_ctrlrange[2 * actuator_[kLeft] + 1];
  for (int i = 0; i < 3; ++i) {
    target_low_[i] = m->actuator_ctrlrange[2 * actuator_[i]];
    target_high_[i] = m->actuator_ctrlrange[2 * actuator_[i] + 1];
  }
  target_low_[3] = 0.0;
  target_high_[3] = 1.0;
  // 10 Hz control over the MJCF's timestep (5 ms: 20 substeps).
  substeps_ = std::max(1, static_cast<int>(std::lround(1.0 / (kControlHz * m->opt.timestep))));
  Reset(0);
}

EnvOptions ClawEnv::Options() const {
  return {{"obs", "state"},
          {"action_mode", ToString(config_.action_mode)},
          {"max_steps", std::to_string(config_.max_steps)}};
}

SpaceSpec ClawEnv::ObsSpec(const std::string& key) const {
  if (key != "state") throw EnvError("claw has no observation key '" + key + "'; valid keys: state");
  SpaceSpec spec;
  spec.names = {"claw_x", "claw_y", "claw_z", "opening"};
  // The carriage joints' ranges (claw.xml) bound the claw; the jaws' open and
  // closed limits bound the opening.
  for (int i = 0; i < 3; ++i) {
    const int joint = model_->actuator_trnid[2 * actuator_[i]];
    spec.low.push_back(model_->jnt_range[2 * joint]);
    spec.high.push_back(model_->jnt_range[2 * joint + 1]);
  }
  spec.low.push_back(pad_gap_closed_);
  spec.high.push_back(pad_gap_open_);
  const char* const short_names[kNumPrizes] = {"ball", "cube", "capsule"};
  for (int k = 0; k < kNumPrizes; ++k) {
    for (const char* axis : {"_x", "_y", "_z"}) spec.names.push_back(short_names[k] + std::string(axis));
    spec.low.insert(spec.low.end(), {-0.27, -0.27, -0.31});
    spec.high.insert(spec.high.end(), {0.27, 0.27, 0.35});
  }
  return spec;
}

SpaceSpec ClawEnv::TargetSpec() const {
  SpaceSpec spec;
  spec.names = {"target_x", "target_y", "target_z", "grip"};
  spec.low.assign(target_low_.begin(), target_low_.end());
  spec.high.assign(target_high_.begin(), target_high_.end());
  return spec;
}

SpaceSpec ClawEnv::ActionSpec() const {
  if (config_.action_mode == ActionMode::kAbsolute) return TargetSpec();
  SpaceSpec spec;
  spec.names = {"delta_x", "delta_y", "delta_z", "delta_grip"};
  spec.low = {-kMaxDelta, -kMaxDelta, -kMaxDelta, -kMaxGripDelta};
  spec.high = {kMaxDelta, kMaxDelta, kMaxDelta, kMaxGripDelta};
  return spec;
}

std::array<double, 3> ClawEnv::ClawPosition() const {
  const double* q = data_->qpos;
  return {q[qpos_[kX]], q[qpos_[kY]], q[qpos_[kZ]]};
}

double ClawEnv::JawOpening() const {
  return pad_gap_open_ - data_->qpos[qpos_[kLeft]] - data_->qpos[qpos_[kRight]];
}

std::optional<std::array<double, 3>> ClawEnv::TargetWorldPoint(
    const std::vector<double>& target) const {
  if (target.size() < 3) return std::nullopt;
  return std::array<double, 3>{target[0], target[1], target[2]};
}

std::vector<double> ClawEnv::EffectorPosition() const {
  const auto claw = ClawPosition();
  const double closing =
      (data_->qpos[qpos_[kLeft]] + data_->qpos[qpos_[kRight]]) / (2.0 * finger_stroke_);
  return {claw[0], claw[1], claw[2], closing};
}

std::array<double, 3> ClawEnv::PrizePosition(int prize) const {
  const double* q = data_->qpos + prize_qpos_[prize];
  return {q[0], q[1], q[2]};
}

double ClawEnv::PrizeSpeed(int prize) const {
  const double* v = data_->qvel + prize_dof_[prize];  // free joint: linear velocity first
  return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

bool ClawEnv::OverChute(const std::array<double, 3>& point) const {
  return std::abs(point[0] - chute_[0]) < chute_[2] && std::abs(point[1] - chute_[1]) < chute_[3];
}

std::array<std::array<double, 3>, ClawEnv::kNumPrizes> ClawEnv::RandomPlacement(uint64_t seed) {
  std::mt19937_64 rng(SplitMix64(seed));
  std::array<std::array<double, 3>, kNumPrizes> out{};
  const auto allowed = [&](int k) {
    const double x = out[k][0], y = out[k][1];
    if (x >= kShieldCornerX && y >= kShieldCornerY) return false;
    for (int j = 0; j < k; ++j) {
      if (std::abs(x - out[j][0]) < kMinSeparationX && std::abs(y - out[j][1]) < kMinSeparationY) {
        return false;
      }
    }
    return true;
  };
  // Each prize by rejection in turn. There is always room: the allowed area is
  // 0.1296 - 0.0141 = 0.116 m^2 and two prizes' separation zones (0.26 x 0.18
  // m each) cover at most 0.094 m^2 of it, so a prize's draw succeeds with
  // probability > 0.17 and 10^4 draws all miss with probability < 1e-800.
  for (int k = 0; k < kNumPrizes; ++k) {
    int tries = 0;
    do {
      if (++tries > 10000) throw EnvError("claw: no room to place the prizes (a bug)");
      out[k] = {UniformIn(rng, -kPlacementHalfWidth, kPlacementHalfWidth),
                UniformIn(rng, -kPlacementHalfWidth, kPlacementHalfWidth),
                UniformIn(rng, 0.0, 2.0 * kPi)};
    } while (!allowed(k));
  }
  return out;
}

void ClawEnv::Reset(uint64_t seed) { SetConfiguration(RandomPlacement(seed)); }

void ClawEnv::SetConfiguration(const std::array<std::array<double, 3>, kNumPrizes>& prizes) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  for (int k = 0; k < kNumPrizes; ++k) {
    const auto& p = prizes[k];
    if (!std::isfinite(p[0]) || !std::isfinite(p[1]) || !std::isfinite(p[2]) ||
        std::abs(p[0]) > kPlacementHalfWidth || std::abs(p[1]) > kPlacementHalfWidth ||
        (p[0] >= kShieldCornerX && p[1] >= kShieldCornerY)) {
      throw EnvError("claw prize placement must be finite with x, y in [-" +
                     std::to_string(kPlacementHalfWidth) + ", " +
                     std::to_string(kPlacementHalfWidth) + "] m and not both x >= " +
                     std::to_string(kShieldCornerX) + " and y >= " +
                     std::to_string(kShieldCornerY) + " (the chute's corner)");
    }
    for (int j = 0; j < k; ++j) {
      const double gap = std::hypot(p[0] - prizes[j][0], p[1] - prizes[j][1]);
      const double needed = m->geom_rbound[prize_geom_[k]] + m->geom_rbound[prize_geom_[j]];
      if (gap < needed) {
        throw EnvError("claw prizes " + std::to_string(j) + " and " + std::to_string(k) +
                       " overlap: their centres must be at least " + std::to_string(needed) +
                       " m apart");
      }
    }
  }
  mj_resetData(m, d);
  for (int k = 0; k < kNumPrizes; ++k) {
    double* q = d->qpos + prize_qpos_[k];
    q[0] = prizes[k][0];
    q[1] = prizes[k][1];
    q[2] = RestHeight(m, prize_geom_[k]);
    q[3] = std::cos(0.5 * prizes[k][2]);  // yaw about z
    q[4] = 0.0;
    q[5] = 0.0;
    q[6] = std::sin(0.5 * prizes[k][2]);
  }
  d->qpos[qpos_[kX]] = kHomeX;
  d->qpos[qpos_[kY]] = kHomeY;
  d->qpos[qpos_[kZ]] = kHomeZ;
  target_ = {kHomeX, kHomeY, kHomeZ, 0.0};
  ApplyTarget();
  // One control step of settling: the prizes sink into their soft contacts
  // with the floor (a fraction of a millimetre) and come to rest.
  for (int i = 0; i < substeps_; ++i) mj_step(m, d);
  for (int k = 0; k < kNumPrizes; ++k) rest_z_[k] = PrizePosition(k)[2];
  ReadContacts();
  step_count_ = 0;
  phase_ = candidate_phase_ = RawPhase();
  candidate_steps_ = 0;
  last_held_ = -1;
  step_mode_ = -1;
  delivered_ = -1;
  reward_ = StageReward();
}

void ClawEnv::ApplyTarget() {
  double* ctrl = data_->ctrl;
  ctrl[actuator_[kX]] = target_[0];
  ctrl[actuator_[kY]] = target_[1];
  ctrl[actuator_[kZ]] = target_[2];
  // Grip 1 commands both jaws to the centre: any prize between them is
  // squeezed with the actuators' full force.
  ctrl[actuator_[kLeft]] = target_[3] * finger_stroke_;
  ctrl[actuator_[kRight]] = target_[3] * finger_stroke_;
}

StepResult ClawEnv::Step(const std::vector<double>& action) {
  if (action.size() != 4) {
    throw EnvError("claw action must have 4 components (" +
                   std::string(config_.action_mode == ActionMode::kAbsolute
                                   ? "x, y, z, grip"
                                   : "delta_x, delta_y, delta_z, delta_grip") +
                   "), got " + std::to_string(action.size()));
  }
  for (size_t k = 0; k < 4; ++k) {
    if (!std::isfinite(action[k])) {
      throw EnvError("claw action component " + std::to_string(k) +
                     " is not finite (NaN or Inf); actions must be finite (m, grip in [0, 1])");
    }
  }
  StepResult result;
  for (size_t k = 0; k < 4; ++k) {
    double value = action[k];
    bool clipped = false;
    if (config_.action_mode == ActionMode::kDelta) {
      const double bound = k < 3 ? kMaxDelta : kMaxGripDelta;
      const double delta = std::clamp(value, -bound, bound);
      clipped = delta != value;
      value = target_[k] + delta;
    }
    const double inside = std::clamp(value, target_low_[k], target_high_[k]);
    clipped = clipped || inside != value;
    target_[k] = inside;
    result.clipped_dims += clipped ? 1 : 0;
  }
  ApplyTarget();
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  for (int i = 0; i < substeps_; ++i) mj_step(m, d);
  ++step_count_;
  ReadContacts();
  UpdateLabels();

  result.reward = reward_;
  result.success = Success();
  result.done = result.success || step_count_ >= config_.max_steps;
  result.phase = phase_;
  return result;
}

// After mj_step, d->contact holds the contacts of the last substep (found
// before its integration, 5 ms before the state the step ends in).
void ClawEnv::ReadContacts() {
  const mjData* d = data_.get();
  std::array<bool, kNumPrizes> left{}, right{};
  supported_ = {};
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& c = d->contact[i];
    for (int side = 0; side < 2; ++side) {
      const int geom = side == 0 ? c.geom1 : c.geom2;
      const int other = side == 0 ? c.geom2 : c.geom1;
      const int prize = geom_prize_[geom];
      if (prize < 0) continue;
      switch (geom_role_[other]) {
        case kPadLeft:
          left[prize] = true;
          break;
        case kPadRight:
          right[prize] = true;
          break;
        case kClawBody:
          break;  // the palm presses on it: neither a grip nor a support
        default:
          supported_[prize] = true;  // floor, walls, shield, another prize
      }
    }
  }
  for (int k = 0; k < kNumPrizes; ++k) {
    held_[k] = left[k] && right[k];
    touched_[k] = left[k] || right[k];
  }
}

// Raw phase of the current state, the first rule that holds:
//   release  a prize's centre is over the chute's opening (held there, or
//            falling through: nothing rests on the opening)
//   carry    a held prize touches nothing else and is >= kCarryHeight above
//            its resting height
//   lift     a held prize touches nothing else and is >= kLiftedHeight up
//   grasp    a jaw pad touches a prize
//   descend  the grasp centre is within kOverRadius of a prize, horizontally,
//            and below kDescendBelow
//   approach otherwise
int ClawEnv::RawPhase() const {
  for (int k = 0; k < kNumPrizes; ++k) {
    if (OverChute(PrizePosition(k))) return kRelease;
  }
  int raw = kApproach;
  const auto claw = ClawPosition();
  for (int k = 0; k < kNumPrizes; ++k) {
    const auto p = PrizePosition(k);
    const double raised = p[2] - rest_z_[k];
    if (held_[k] && !supported_[k] && raised >= kCarryHeight) return kCarry;
    if (held_[k] && !supported_[k] && raised >= kLiftedHeight) raw = std::max(raw, int{kLift});
    if (touched_[k]) raw = std::max(raw, int{kGrasp});
    if (std::hypot(claw[0] - p[0], claw[1] - p[1]) < kOverRadius && claw[2] < kDescendBelow) {
      raw = std::max(raw, int{kDescend});
    }
  }
  return raw;
}

double ClawEnv::StageReward() const {
  if (delivered_ >= 0) return 1.0;
  double reward = 0.0;
  const auto claw = ClawPosition();
  for (int k = 0; k < kNumPrizes; ++k) {
    const auto p = PrizePosition(k);
    if (OverChute(p)) {
      reward = std::max(reward, 0.8);  // held above the opening or falling through it
    } else if (held_[k] && !supported_[k] && p[2] - rest_z_[k] >= kLiftedHeight) {
      reward = std::max(reward, 0.6);
    } else if (held_[k]) {
      reward = std::max(reward, 0.4);
    } else if (std::hypot(claw[0] - p[0], claw[1] - p[1]) < kOverRadius) {
      reward = std::max(reward, 0.2);
    }
  }
  return reward;
}

// Debounce: the phase follows the raw phase once one raw value has held for
// kPhaseHoldSteps (2) consecutive control steps, so a one-step contact flicker
// (a pad grazing a prize, a jaw chattering as it closes) does not flip it.
// The label thus lags a real change by one step.
void ClawEnv::UpdateLabels() {
  for (int k = 0; k < kNumPrizes && delivered_ < 0; ++k) {
    const auto p = PrizePosition(k);
    if (p[2] < kDeliveredZ && OverChute(p)) delivered_ = k;
  }
  const int raw = RawPhase();
  if (raw == phase_) {
    candidate_phase_ = phase_;
    candidate_steps_ = 0;
  } else if (raw == candidate_phase_) {
    ++candidate_steps_;
  } else {
    candidate_phase_ = raw;
    candidate_steps_ = 1;
  }
  if (candidate_steps_ >= kPhaseHoldSteps) {
    phase_ = raw;
    candidate_steps_ = 0;
  }
  // Step mode: the prize held, else touched, else hovered over (nearest).
  int now = -1;
  for (int k = 0; k < kNumPrizes && now < 0; ++k) now = held_[k] ? k : -1;
  for (int k = 0; k < kNumPrizes && now < 0; ++k) now = touched_[k] ? k : -1;
  if (now < 0) {
    const auto claw = ClawPosition();
    double nearest = kOverRadius;
    for (int k = 0; k < kNumPrizes; ++k) {
      const auto p = PrizePosition(k);
      const double distance = std::hypot(claw[0] - p[0], claw[1] - p[1]);
      if (distance < nearest) nearest = distance, now = k;
    }
  }
  if (now >= 0) step_mode_ = now;
  for (int k = 0; k < kNumPrizes; ++k) {
    if (held_[k]) last_held_ = k;
  }
  reward_ = StageReward();
}

std::vector<double> ClawEnv::Observation(const std::string& key) const {
  if (key != "state") throw EnvError("claw has no observation key '" + key + "'; valid keys: state");
  std::vector<double> out;
  out.reserve(4 + 3 * kNumPrizes);
  const auto claw = ClawPosition();
  out.insert(out.end(), claw.begin(), claw.end());
  out.push_back(JawOpening());
  for (int k = 0; k < kNumPrizes; ++k) {
    const auto p = PrizePosition(k);
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

std::vector<double> ClawEnv::SimState() const {
  const mjModel* m = model_.get();
  const mjData* d = data_.get();
  std::vector<double> state;
  state.reserve(static_cast<size_t>(m->nq + 2 * m->nv + kSimStateExtras));
  state.push_back(d->time);
  state.insert(state.end(), d->qpos, d->qpos + m->nq);
  state.insert(state.end(), d->qvel, d->qvel + m->nv);
  state.insert(state.end(), d->qacc_warmstart, d->qacc_warmstart + m->nv);
  state.insert(state.end(), target_.begin(), target_.end());
  state.insert(state.end(), rest_z_.begin(), rest_z_.end());
  for (int v : {step_count_, phase_, candidate_phase_, candidate_steps_, last_held_, step_mode_,
                delivered_}) {
    state.push_back(v);
  }
  for (const auto* flags : {&held_, &touched_, &supported_}) {
    for (bool f : *flags) state.push_back(f ? 1.0 : 0.0);
  }
  return state;
}

void ClawEnv::SetSimState(const std::vector<double>& state) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  const size_t expected = static_cast<size_t>(m->nq + 2 * m->nv + kSimStateExtras);
  if (state.size() != expected) {
    throw EnvError("claw SimState must have " + std::to_string(expected) + " values, got " +
                   std::to_string(state.size()));
  }
  for (double v : state) {
    if (!std::isfinite(v)) throw EnvError("claw SimState contains a non-finite value");
  }
  const double* labels = state.data() + expected - kLabelValues;
  const auto is_int_in = [](double v, int low, int high) {
    return v == std::floor(v) && v >= low && v <= high;
  };
  bool valid = is_int_in(labels[0], 0, 1 << 30) && is_int_in(labels[1], 0, kRelease) &&
               is_int_in(labels[2], 0, kRelease) && is_int_in(labels[3], 0, kPhaseHoldSteps - 1);
  for (int i = 4; i < 7; ++i) valid = valid && is_int_in(labels[i], -1, kNumPrizes - 1);
  for (int i = 7; i < kLabelValues; ++i) valid = valid && is_int_in(labels[i], 0, 1);
  if (!valid) {
    throw EnvError(
        "claw SimState has an invalid step count, phase, candidate phase, candidate steps, prize "
        "index or contact flag (last " +
        std::to_string(kLabelValues) + " values)");
  }
  size_t i = 0;
  d->time = state[i++];
  for (int k = 0; k < m->nq; ++k) d->qpos[k] = state[i++];
  for (int k = 0; k < m->nv; ++k) d->qvel[k] = state[i++];
  const size_t warmstart = i;
  i += static_cast<size_t>(m->nv);
  for (double& t : target_) t = state[i++];
  for (double& z : rest_z_) z = state[i++];
  step_count_ = static_cast<int>(state[i++]);
  phase_ = static_cast<int>(state[i++]);
  candidate_phase_ = static_cast<int>(state[i++]);
  candidate_steps_ = static_cast<int>(state[i++]);
  last_held_ = static_cast<int>(state[i++]);
  step_mode_ = static_cast<int>(state[i++]);
  delivered_ = static_cast<int>(state[i++]);
  for (auto* flags : {&held_, &touched_, &supported_}) {
    for (bool& f : *flags) f = state[i++] != 0.0;
  }
  ApplyTarget();
  // mj_forward makes mjData consistent for viewers; it overwrites the warm
  // start, which the next substep must see as it was saved.
  mj_forward(m, d);
  for (int k = 0; k < m->nv; ++k) d->qacc_warmstart[k] = state[warmstart + static_cast<size_t>(k)];
  reward_ = StageReward();
}

}  // namespace bcbench
