#include "envs/stack/stack_env.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>

#include "envs/env_options.h"
#include "envs/registry.h"
#include "envs/sampling.h"

namespace bcbench {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kHalfCube = StackEnv::kCubeSize / 2.0;
constexpr int kGripDims = 5;  // x, y, z, yaw, grip
const char* const kCubeNames[StackEnv::kNumCubes] = {"red", "green", "blue"};
const char kCubeInitials[StackEnv::kNumCubes] = {'R', 'G', 'B'};

// SimState layout: [time, qpos(nq), qvel(nv), qacc_warmstart(nv), then the
// extras: target (5), step count, contact bits (left pad, right pad, palm,
// support), phase label (value, pending, streak), step mode label (value,
// pending, streak), mode, pick points (3 x 2), stable steps, success].
// qacc_warmstart is there because MuJoCo's iterative solver starts from it, so
// a restored episode continues as the same computation bit for bit.
constexpr int kSimStateExtras = kGripDims + 1 + 4 + 3 + 3 + 1 + 2 * StackEnv::kNumCubes + 2;

int Bit(int cube) { return 1 << cube; }

// An angle folded into [-pi/4, pi/4): a cube looks the same every 90 degrees.
double WrapQuarter(double angle) {
  return angle - (kPi / 2.0) * std::floor((angle + kPi / 4.0) / (kPi / 2.0));
}

}  // namespace

const std::vector<std::string>& StackEnv::PhaseNameList() {
  static const std::vector<std::string> names = {"reach", "grasp", "lift",
                                                 "move",  "place", "release"};
  return names;
}

const std::array<std::array<int, 3>, 6>& StackEnv::Orders() {
  static const std::array<std::array<int, 3>, 6> orders = {{{kRed, kGreen, kBlue},
                                                            {kRed, kBlue, kGreen},
                                                            {kGreen, kRed, kBlue},
                                                            {kGreen, kBlue, kRed},
                                                            {kBlue, kRed, kGreen},
                                                            {kBlue, kGreen, kRed}}};
  return orders;
}

std::string StackEnv::OrderName(int mode) {
  const auto& order = Orders().at(static_cast<size_t>(mode));
  return {kCubeInitials[order[0]], '-', kCubeInitials[order[1]], '-', kCubeInitials[order[2]]};
}

int StackEnv::ModeOf(int bottom, int middle, int top) {
  for (int m = 0; m < 6; ++m) {
    const auto& o = Orders()[static_cast<size_t>(m)];
    if (o[0] == bottom && o[1] == middle && o[2] == top) return m;
  }
  return -1;
}

std::vector<std::string> StackEnv::ModeNames() const {
  std::vector<std::string> names;
  for (int m = 0; m < 6; ++m) names.push_back(OrderName(m));
  return names;
}

StackEnv::Config StackEnv::ParseOptions(const EnvOptions& options) {
  CheckOptionKeys("stack", options, {"obs", "action_mode", "max_steps"});
  Config config;
  CheckChoice("stack", "obs", OptionOr(options, "obs", "state"), {"state"});
  config.action_mode = ParseActionModeOption("stack", options);
  config.max_steps = ParseMaxStepsOption("stack", options, 200);
  return config;
}

StackEnv::StackEnv(const EnvOptions& options)
    : config_(ParseOptions(options)),
      model_(LoadModel(AssetPath("envs/stack/stack.xml"))),
      data_(MakeData(model_.get())) {
  const mjModel* m = model_.get();
  const auto id = [m](mjtObj type, const char* name) { return mj_name2id(m, type, name); };
  bool ok = true;
  for (int c = 0; c < kNumCubes; ++c) {
    cube_body_[c] = id(mjOBJ_BODY, kCubeNames[c]);
    cube_geom_[c] = id(mjOBJ_GEOM, kCubeNames[c]);
    const int joint = id(mjOBJ_JOINT, kCubeNames[c]);
    ok = ok && cube_body_[c] >= 0 && cube_geom_[c] >= 0 && joint >= 0 &&
         m->jnt_type[joint] == mjJNT_FREE;
    if (ok) {
      cube_qpos_[c] = m->jnt_qposadr[joint];
      cube_dof_[c] = m->jnt_dofadr[joint];
    }
  }
  pad_geom_[0] = id(mjOBJ_GEOM, "left_pad");
  pad_geom_[1] = id(mjOBJ_GEOM, "right_pad");
  palm_geom_ = id(mjOBJ_GEOM, "palm");
  table_geom_ = id(mjOBJ_GEOM, "table");
  // The right jaw follows the left one through an equality constraint; the
  // first five joints have a servo each.
  const char* joints[6] = {"gripper_x", "gripper_y", "gripper_z",
                           "gripper_yaw", "left_jaw",  "right_jaw"};
  int joint_ids[6];
  for (int k = 0; k < 6; ++k) {
    joint_ids[k] = id(mjOBJ_JOINT, joints[k]);
    ok = ok && joint_ids[k] >= 0;
    if (k == 5) break;
    actuator_[k] = -1;
    for (int a = 0; a < m->nu && joint_ids[k] >= 0; ++a) {
      if (m->actuator_trntype[a] == mjTRN_JOINT && m->actuator_trnid[2 * a] == joint_ids[k]) {
        actuator_[k] = a;
      }
    }
    ok = ok && actuator_[k] >= 0;
  }
  ok = ok && pad_geom_[0] >= 0 && pad_geom_[1] >= 0 && palm_geom_ >= 0 && table_geom_ >= 0;
  if (ok) {
    gripper_qpos_ = m->jnt_qposadr[joint_ids[0]];
    gripper_dof_ = m->jnt_dofadr[joint_ids[0]];
    for (int k = 1; k < 4; ++k) ok = ok && m->jnt_qposadr[joint_ids[k]] == gripper_qpos_ + k;
    jaw_qpos_[0] = m->jnt_qposadr[joint_ids[4]];
    jaw_qpos_[1] = m->jnt_qposadr[joint_ids[5]];
  }
  if (!ok) {
    throw EnvError(
        "stack MJCF must define free bodies red, green, blue (geom and free joint of the same "
        "name), consecutive joints gripper_x, gripper_y, gripper_z, gripper_yaw, jaw joints "
        "left_jaw, right_jaw, a joint actuator on each but right_jaw, and geoms left_pad, "
        "right_pad, palm, table");
  }
  // Gravity compensation of the z servo: a constant force equal to the weight of
  // everything the z joint carries (stack.xml's header).
  const int gripper_body = m->jnt_bodyid[joint_ids[2]];
  model_->actuator_biasprm[mjNBIAS * actuator_[2]] =
      -m->opt.gravity[2] * m->body_subtreemass[gripper_body];
  substeps_ = std::max(1, static_cast<int>(std::lround(1.0 / (kControlHz * m->opt.timestep))));
  Reset(0);
}

EnvOptions StackEnv::Options() const {
  return {{"obs", "state"},
          {"action_mode", ToString(config_.action_mode)},
          {"max_steps", std::to_string(config_.max_steps)}};
}

SpaceSpec StackEnv::ObsSpec(const std::string& key) const {
  if (key != "state") throw EnvError("stack has no observation key '" + key + "'; valid keys: state");
  SpaceSpec spec;
  // Joint ranges of stack.xml for the gripper; the table top (0.8 m square) and
  // the gripper's reach in height for the cubes.
  spec.names = {"gripper_x", "gripper_y", "gripper_z", "gripper_yaw", "jaw_opening"};
  spec.low = {-0.3, -0.3, 0.0, -1.7, 0.0};
  spec.high = {0.3, 0.3, 0.4, 1.7, 2.0 * kMaxJaw};
  for (int c = 0; c < kNumCubes; ++c) {
    for (const char* field : {"_x", "_y", "_z", "_yaw"}) {
      spec.names.push_back(std::string(kCubeNames[c]) + field);
    }
    spec.low.insert(spec.low.end(), {-0.4, -0.4, 0.0, -kPi / 4.0});
    spec.high.insert(spec.high.end(), {0.4, 0.4, 0.45, kPi / 4.0});
  }
  return spec;
}

SpaceSpec StackEnv::TargetSpec() const {
  SpaceSpec spec;
  spec.names = {"target_x", "target_y", "target_z", "target_yaw", "grip"};
  spec.low.assign(std::begin(kTargetLow), std::end(kTargetLow));
  spec.high.assign(std::begin(kTargetHigh), std::end(kTargetHigh));
  return spec;
}

SpaceSpec StackEnv::ActionSpec() const {
  if (config_.action_mode == ActionMode::kAbsolute) return TargetSpec();
  SpaceSpec spec;
  spec.names = {"delta_x", "delta_y", "delta_z", "delta_yaw", "delta_grip"};
  for (const double bound : kMaxDelta) {
    spec.low.push_back(-bound);
    spec.high.push_back(bound);
  }
  return spec;
}

std::array<StackEnv::CubePose, StackEnv::kNumCubes> StackEnv::RandomCubes(uint64_t seed) {
  std::mt19937_64 rng(SplitMix64(seed ^ 0x737461636bull));  // "stack": not the expert's stream
  std::array<CubePose, kNumCubes> cubes;
  for (int c = 0; c < kNumCubes; ++c) {
    // Rejection sampling; three 12 cm discs fit the 30 cm square easily, so
    // this ends after a few draws (the bound only guards the loop).
    for (int attempt = 0; attempt < 10000; ++attempt) {
      cubes[c].pos[0] = UniformIn(rng, -kSpawnHalfWidth, kSpawnHalfWidth);
      cubes[c].pos[1] = UniformIn(rng, -kSpawnHalfWidth, kSpawnHalfWidth);
      bool clear = true;
      for (int o = 0; o < c; ++o) {
        clear = clear && std::hypot(cubes[c].pos[0] - cubes[o].pos[0],
                                    cubes[c].pos[1] - cubes[o].pos[1]) >= kSpawnSeparation;
      }
      if (clear) break;
    }
    cubes[c].pos[2] = kHalfCube;
    cubes[c].yaw = UniformIn(rng, -kPi / 4.0, kPi / 4.0);
  }
  return cubes;
}

void StackEnv::Reset(uint64_t seed) {
  SetConfiguration(RandomCubes(seed), {0.0, 0.0, kGripperStartZ, 0.0, 0.0});
}

void StackEnv::SetConfiguration(const std::array<CubePose, kNumCubes>& cubes,
                                const std::array<double, 5>& gripper) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  mj_resetData(m, d);
  for (int c = 0; c < kNumCubes; ++c) {
    double* q = d->qpos + cube_qpos_[c];
    q[0] = cubes[c].pos[0];
    q[1] = cubes[c].pos[1];
    q[2] = cubes[c].pos[2];
    q[3] = std::cos(cubes[c].yaw / 2.0);
    q[4] = 0.0;
    q[5] = 0.0;
    q[6] = std::sin(cubes[c].yaw / 2.0);
  }
  for (int k = 0; k < 4; ++k) d->qpos[gripper_qpos_ + k] = gripper[k];
  for (int jaw = 0; jaw < 2; ++jaw) d->qpos[jaw_qpos_[jaw]] = (1.0 - gripper[4]) * kMaxJaw;
  target_ = gripper;
  ApplyTarget();
  // One control step holding the target: contacts settle (the soft contacts
  // sink a cube by a fraction of a millimetre) before the first observation.
  for (int s = 0; s < substeps_; ++s) mj_step(m, d);
  ReadContacts();
  step_count_ = 0;
  for (int c = 0; c < kNumCubes; ++c) {
    pick_xy_[c][0] = d->qpos[cube_qpos_[c]];
    pick_xy_[c][1] = d->qpos[cube_qpos_[c] + 1];
  }
  phase_.Reset(RawPhase());
  step_mode_.Reset(-1);
  mode_ = -1;
  stable_steps_ = 0;
  success_ = false;
}

void StackEnv::ApplyTarget() {
  mjData* d = data_.get();
  for (int k = 0; k < 4; ++k) d->ctrl[actuator_[k]] = target_[k];
  d->ctrl[actuator_[4]] = (1.0 - target_[4]) * kMaxJaw;
}

StepResult StackEnv::Step(const std::vector<double>& action) {
  if (action.size() != kGripDims) {
    throw EnvError("stack action must have 5 components (" +
                   std::string(config_.action_mode == ActionMode::kAbsolute
                                   ? "x, y, z, yaw, grip"
                                   : "delta x, y, z, yaw, grip") +
                   "), got " + std::to_string(action.size()));
  }
  for (size_t k = 0; k < action.size(); ++k) {
    if (!std::isfinite(action[k])) {
      throw EnvError("stack action component " + std::to_string(k) +
                     " is not finite (NaN or Inf); actions must be finite numbers");
    }
  }
  StepResult result;
  for (int k = 0; k < kGripDims; ++k) {
    double value = action[k];
    bool clipped = false;
    if (config_.action_mode == ActionMode::kDelta) {
      const double delta = std::clamp(value, -kMaxDelta[k], kMaxDelta[k]);
      clipped = delta != value;
      value = target_[k] + delta;
    }
    const double inside = std::clamp(value, kTargetLow[k], kTargetHigh[k]);
    clipped = clipped || inside != value;
    target_[k] = inside;
    result.clipped_dims += clipped ? 1 : 0;
  }
  ApplyTarget();
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  for (int s = 0; s < substeps_; ++s) mj_step(m, d);
  ++step_count_;
  ReadContacts();
  UpdateLabels();
  result.reward = Reward();
  result.success = success_;
  result.done = success_ || step_count_ >= config_.max_steps;
  result.phase = phase_.value();
  return result;
}

// The contacts MuJoCo found in the last substep (collision runs at the start
// of mj_step, so they are at most 5 ms old). A contact supports a cube when
// it touches the table or another cube on the cube's lower face (the contact
// point at least 40% of the edge below its centre); a cube beside another is
// not supported by it.
void StackEnv::ReadContacts() {
  const mjData* d = data_.get();
  pad_touch_[0] = pad_touch_[1] = palm_touch_ = support_ = 0;
  const auto cube_of = [this](int geom) {
    for (int c = 0; c < kNumCubes; ++c) {
      if (cube_geom_[c] == geom) return c;
    }
    return -1;
  };
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& con = d->contact[i];
    const int g[2] = {con.geom1, con.geom2};
    for (int side = 0; side < 2; ++side) {
      const int c = cube_of(g[side]);
      if (c < 0) continue;
      const int other = g[1 - side];
      if (other == pad_geom_[0]) pad_touch_[0] |= Bit(c);
      if (other == pad_geom_[1]) pad_touch_[1] |= Bit(c);
      if (other == palm_geom_) palm_touch_ |= Bit(c);
      if (other == table_geom_ || cube_of(other) >= 0) {
        if (con.pos[2] < d->qpos[cube_qpos_[c] + 2] - 0.4 * kCubeSize) support_ |= Bit(c);
      }
    }
  }
}

StackEnv::CubePose StackEnv::Cube(int cube) const {
  const double* q = data_->qpos + cube_qpos_[cube];
  CubePose pose;
  std::copy(q, q + 3, pose.pos);
  double mat[9];
  mju_quat2Mat(mat, q + 3);
  // The body axis nearest the horizontal plane (columns of mat are the axes).
  int axis = 0;
  for (int k = 1; k < 3; ++k) {
    if (std::abs(mat[6 + k]) < std::abs(mat[6 + axis])) axis = k;
  }
  pose.yaw = WrapQuarter(std::atan2(mat[3 + axis], mat[axis]));
  return pose;
}

StackEnv::GripperPose StackEnv::Gripper() const {
  const double* q = data_->qpos;
  GripperPose pose;
  std::copy(q + gripper_qpos_, q + gripper_qpos_ + 3, pose.pos);
  pose.yaw = q[gripper_qpos_ + 3];
  pose.opening = q[jaw_qpos_[0]] + q[jaw_qpos_[1]];
  return pose;
}

double StackEnv::CubeSpeed(int cube) const {
  const double* v = data_->qvel + cube_dof_[cube];
  return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

bool StackEnv::PadTouches(int pad, int cube) const { return (pad_touch_[pad] & Bit(cube)) != 0; }

bool StackEnv::GripperTouches(int cube) const {
  return ((pad_touch_[0] | pad_touch_[1] | palm_touch_) & Bit(cube)) != 0;
}

bool StackEnv::Supported(int cube) const { return (support_ & Bit(cube)) != 0; }

int StackEnv::HeldCube() const {
  if (target_[4] < 0.5) return -1;
  const int both = pad_touch_[0] & pad_touch_[1];
  for (int c = 0; c < kNumCubes; ++c) {
    if (both & Bit(c)) return c;
  }
  return -1;
}

bool StackEnv::Stacked(int upper, int lower) const {
  if (upper == lower) return false;
  const double* a = data_->qpos + cube_qpos_[upper];
  const double* b = data_->qpos + cube_qpos_[lower];
  return std::hypot(a[0] - b[0], a[1] - b[1]) <= kAlignTolerance &&
         std::abs(a[2] - b[2] - kCubeSize) <= kHeightTolerance;
}

bool StackEnv::RestsOn(int upper, int lower) const {
  return Stacked(upper, lower) && !GripperTouches(upper);
}

bool StackEnv::Tower(std::array<int, 3>* order) const {
  for (const auto& o : Orders()) {
    const double bottom_z = data_->qpos[cube_qpos_[o[0]] + 2];
    if (std::abs(bottom_z - kHalfCube) <= kHeightTolerance && RestsOn(o[1], o[0]) &&
        RestsOn(o[2], o[1])) {
      if (order != nullptr) *order = o;
      return true;
    }
  }
  return false;
}

int StackEnv::DecidedOrder() const {
  std::array<int, 3> order;
  if (Tower(&order)) return ModeOf(order[0], order[1], order[2]);
  for (int upper = 0; upper < kNumCubes; ++upper) {
    for (int lower = 0; lower < kNumCubes; ++lower) {
      if (RestsOn(upper, lower)) return ModeOf(lower, upper, 3 - upper - lower);
    }
  }
  return -1;
}

bool StackEnv::TowerSuccessState() const {
  std::array<int, 3> order;
  if (!Tower(&order)) return false;
  const GripperPose g = Gripper();
  if (g.opening < kOpenJaws) return false;
  for (int c = 0; c < kNumCubes; ++c) {
    if (GripperTouches(c) || CubeSpeed(c) >= kStillSpeed) return false;
  }
  const double tower_top = data_->qpos[cube_qpos_[order[2]] + 2] + kHalfCube;
  return g.pos[2] - kPadBelow > tower_top;
}

// Phase rule, from the state after a control step (grip command = target_[4]):
//   a cube is held (both pads touch it, grip >= 0.5):
//     it is supported (touches the table or a cube below):
//       place if it stands on another cube (Stacked), else grasp;
//     in the air:
//       place if it is within kPlaceRadius (xy) over another cube with its
//         bottom at most kPlaceHeight above that cube's top,
//       else lift while it is within kLiftRadius (xy) of where it was last
//         supported (its pick point), else move;
//   nothing held, grip >= 0.5 and a pad touches a cube: grasp (closing on it);
//   grip < 0.5, and a cube that is stacked on another is touched by the
//     gripper or has the grasp point within kPlaceRadius (xy) of it, between
//     its centre height and kReleaseHeight above its top: release (letting go
//     and backing off);
//   otherwise: reach.
int StackEnv::RawPhase() const {
  const double* q = data_->qpos;
  const auto xy_distance = [this, q](int a, int b) {
    return std::hypot(q[cube_qpos_[a]] - q[cube_qpos_[b]],
                      q[cube_qpos_[a] + 1] - q[cube_qpos_[b] + 1]);
  };
  const int held = HeldCube();
  if (held >= 0) {
    const double held_bottom = q[cube_qpos_[held] + 2] - kHalfCube;
    if (Supported(held)) {
      for (int c = 0; c < kNumCubes; ++c) {
        if (Stacked(held, c)) return kPlace;
      }
      return kGrasp;
    }
    for (int c = 0; c < kNumCubes; ++c) {
      if (c == held) continue;
      const double gap = held_bottom - (q[cube_qpos_[c] + 2] + kHalfCube);
      if (xy_distance(held, c) <= kPlaceRadius && gap <= kPlaceHeight) return kPlace;
    }
    const double moved = std::hypot(q[cube_qpos_[held]] - pick_xy_[held][0],
                                    q[cube_qpos_[held] + 1] - pick_xy_[held][1]);
    return moved < kLiftRadius ? kLift : kMove;
  }
  const bool closing = target_[4] >= 0.5;
  if (closing) return (pad_touch_[0] | pad_touch_[1]) != 0 ? int{kGrasp} : int{kReach};
  const GripperPose g = Gripper();
  for (int c = 0; c < kNumCubes; ++c) {
    bool stacked = false;
    for (int below = 0; below < kNumCubes; ++below) stacked = stacked || Stacked(c, below);
    if (!stacked) continue;
    const double* p = q + cube_qpos_[c];
    const bool near = std::hypot(g.pos[0] - p[0], g.pos[1] - p[1]) <= kPlaceRadius &&
                      g.pos[2] >= p[2] && g.pos[2] <= p[2] + kHalfCube + kReleaseHeight;
    if (GripperTouches(c) || near) return kRelease;
  }
  return kReach;
}

void StackEnv::UpdateLabels() {
  const double* q = data_->qpos;
  for (int c = 0; c < kNumCubes; ++c) {
    if (Supported(c)) {
      pick_xy_[c][0] = q[cube_qpos_[c]];
      pick_xy_[c][1] = q[cube_qpos_[c] + 1];
    }
  }
  phase_.Update(RawPhase());
  // An undecided state keeps the step mode (and interrupts a pending change).
  const int decided = DecidedOrder();
  step_mode_.Update(decided >= 0 ? decided : step_mode_.value());
  if (mode_ < 0) mode_ = step_mode_.value();
  stable_steps_ = TowerSuccessState() ? stable_steps_ + 1 : 0;
  success_ = success_ || stable_steps_ >= kStableSteps;
}

double StackEnv::Reward() const {
  if (success_) return 1.0;
  if (Tower(nullptr)) return 0.8;
  return DecidedOrder() >= 0 ? 0.4 : 0.0;
}

std::vector<std::pair<std::string, double>> StackEnv::PartialScores() const {
  const bool tower = Tower(nullptr);
  return {{"p1", tower || DecidedOrder() >= 0 ? 1.0 : 0.0}, {"p2", tower ? 1.0 : 0.0}};
}

std::vector<double> StackEnv::CommandedTarget() const {
  return std::vector<double>(target_.begin(), target_.end());
}

std::optional<std::array<double, 3>> StackEnv::TargetWorldPoint(
    const std::vector<double>& target) const {
  if (target.size() < 3) return std::nullopt;
  return std::array<double, 3>{target[0], target[1], target[2]};
}

std::vector<double> StackEnv::EffectorPosition() const {
  const GripperPose g = Gripper();
  // The jaws' opening in grip units (0 open, 1 closed), as the target's grip.
  return {g.pos[0], g.pos[1], g.pos[2], g.yaw, 1.0 - g.opening / (2.0 * kMaxJaw)};
}

std::vector<double> StackEnv::Observation(const std::string& key) const {
  if (key != "state") throw EnvError("stack has no observation key '" + key + "'; valid keys: state");
  const GripperPose g = Gripper();
  std::vector<double> out = {g.pos[0], g.pos[1], g.pos[2], g.yaw, g.opening};
  out.reserve(5 + 4 * kNumCubes);
  for (int c = 0; c < kNumCubes; ++c) {
    const CubePose p = Cube(c);
    out.insert(out.end(), {p.pos[0], p.pos[1], p.pos[2], p.yaw});
  }
  return out;
}

std::vector<double> StackEnv::SimState() const {
  const mjModel* m = model_.get();
  const mjData* d = data_.get();
  std::vector<double> state;
  state.reserve(static_cast<size_t>(1 + m->nq + 2 * m->nv + kSimStateExtras));
  state.push_back(d->time);
  state.insert(state.end(), d->qpos, d->qpos + m->nq);
  state.insert(state.end(), d->qvel, d->qvel + m->nv);
  state.insert(state.end(), d->qacc_warmstart, d->qacc_warmstart + m->nv);
  state.insert(state.end(), target_.begin(), target_.end());
  state.push_back(step_count_);
  state.insert(state.end(), {static_cast<double>(pad_touch_[0]), static_cast<double>(pad_touch_[1]),
                             static_cast<double>(palm_touch_), static_cast<double>(support_)});
  state.insert(state.end(), {static_cast<double>(phase_.value()),
                             static_cast<double>(phase_.pending()),
                             static_cast<double>(phase_.streak())});
  state.insert(state.end(), {static_cast<double>(step_mode_.value()),
                             static_cast<double>(step_mode_.pending()),
                             static_cast<double>(step_mode_.streak())});
  state.push_back(mode_);
  for (const auto& xy : pick_xy_) state.insert(state.end(), {xy[0], xy[1]});
  state.push_back(stable_steps_);
  state.push_back(success_ ? 1.0 : 0.0);
  return state;
}

void StackEnv::SetSimState(const std::vector<double>& state) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  const size_t expected = static_cast<size_t>(1 + m->nq + 2 * m->nv + kSimStateExtras);
  if (state.size() != expected) {
    throw EnvError("stack SimState must have " + std::to_string(expected) + " values, got " +
                   std::to_string(state.size()));
  }
  for (double v : state) {
    if (!std::isfinite(v)) throw EnvError("stack SimState contains a non-finite value");
  }
  const auto whole = [](double v, double low, double high) {
    return v == std::floor(v) && v >= low && v <= high;
  };
  const double* x = state.data() + 1 + m->nq + 2 * m->nv;  // the extras
  const double* bits = x + kGripDims + 1;
  const double* phase = bits + 4;
  const double* step_mode = phase + 3;
  const double mode = step_mode[3];
  const double stable = state[expected - 2], success = state[expected - 1];
  bool ok = whole(x[kGripDims], 0, 1e9) && whole(stable, 0, 1e9) && (success == 0 || success == 1);
  for (int k = 0; k < 4; ++k) ok = ok && whole(bits[k], 0, (1 << kNumCubes) - 1);
  ok = ok && whole(phase[0], 0, kRelease) && whole(phase[1], 0, kRelease) &&
       whole(phase[2], 0, 1e9) && phase_.Valid(static_cast<int>(phase[0]),
                                              static_cast<int>(phase[1]),
                                              static_cast<int>(phase[2]));
  ok = ok && whole(step_mode[0], -1, 5) && whole(step_mode[1], -1, 5) &&
       whole(step_mode[2], 0, 1e9) &&
       step_mode_.Valid(static_cast<int>(step_mode[0]), static_cast<int>(step_mode[1]),
                        static_cast<int>(step_mode[2])) &&
       whole(mode, -1, 5);
  if (!ok) {
    throw EnvError(
        "stack SimState has an invalid step count, contact bits, phase or mode label, stable "
        "step count or success flag (the values after the target)");
  }
  size_t i = 0;
  d->time = state[i++];
  for (int k = 0; k < m->nq; ++k) d->qpos[k] = state[i++];
  for (int k = 0; k < m->nv; ++k) d->qvel[k] = state[i++];
  const size_t warmstart = i;
  i += static_cast<size_t>(m->nv);
  for (auto& t : target_) t = state[i++];
  step_count_ = static_cast<int>(state[i++]);
  pad_touch_[0] = static_cast<int>(state[i++]);
  pad_touch_[1] = static_cast<int>(state[i++]);
  palm_touch_ = static_cast<int>(state[i++]);
  support_ = static_cast<int>(state[i++]);
  const int phase_value = static_cast<int>(state[i++]);
  const int phase_pending = static_cast<int>(state[i++]);
  const int phase_streak = static_cast<int>(state[i++]);
  phase_.Restore(phase_value, phase_pending, phase_streak);
  const int mode_value = static_cast<int>(state[i++]);
  const int mode_pending = static_cast<int>(state[i++]);
  const int mode_streak = static_cast<int>(state[i++]);
  step_mode_.Restore(mode_value, mode_pending, mode_streak);
  mode_ = static_cast<int>(state[i++]);
  for (auto& xy : pick_xy_) {
    xy[0] = state[i++];
    xy[1] = state[i++];
  }
  stable_steps_ = static_cast<int>(state[i++]);
  success_ = state[i++] != 0.0;
  ApplyTarget();
  // mj_forward makes the derived quantities consistent for viewers, but
  // overwrites the solver's warm start, which the next substep must see as saved.
  mj_forward(m, d);
  for (int k = 0; k < m->nv; ++k) d->qacc_warmstart[k] = state[warmstart + static_cast<size_t>(k)];
}

}  // namespace bcbench
