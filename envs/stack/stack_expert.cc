#include "envs/stack/stack_expert.h"

#include <algorithm>
#include <cmath>

#include "envs/sampling.h"

namespace bcbench {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kHalfCube = StackEnv::kCubeSize / 2.0;
constexpr double kMaxXyStep = 0.05;     // m per control step (0.5 m/s)
constexpr double kMaxZStep = 0.04;      // m per control step
constexpr double kLowerZStep = 0.02;    // m per control step while putting a cube down
constexpr double kMaxYawStep = 0.25;    // rad per control step
// Height of the pads' lower ends over every cube top while travelling empty,
constexpr double kTravelClearance = 0.03;
// and of a held cube's bottom while carrying it: above the env's place zone
// (StackEnv::kPlaceHeight), so that only putting it down reads as "place".
constexpr double kCarryClearance = StackEnv::kPlaceHeight + 0.015;
// After the last cube: grasp point this far over the tower's top (pads 2.5 cm
// clear of it, within the env's release zone).
constexpr double kFinalHover = 0.045;
constexpr double kXyTolerance = 0.005;  // m: close enough over a cube to go down
constexpr double kYawTolerance = 0.04;  // rad
constexpr int kMinGripSteps = 3;        // closing and opening take at least this many steps
constexpr int kMaxCloseSteps = 10;      // then the grasp is tried again
constexpr int kLostSteps = 2;           // a carried cube not held this long is picked again
constexpr int kRebuildSteps = 5;        // a finished tower not standing this long is rebuilt

double WrapQuarter(double angle) {
  return angle - (kPi / 2.0) * std::floor((angle + kPi / 4.0) / (kPi / 2.0));
}

}  // namespace

StackExpert::StackExpert(StackEnv& env, const ExpertOptions& options)
    : env_(env), options_(options), idle_(options) {
  if (!options_.mode_weights.empty()) {
    if (options_.mode_weights.size() != 6) {
      throw EnvError("stack expert mode_weights must have 6 values, one per order (" +
                     [] {
                       std::string names;
                       for (int m = 0; m < 6; ++m) {
                         names += (m ? "," : "") + StackEnv::OrderName(m);
                       }
                       return names;
                     }() +
                     "), got " + std::to_string(options_.mode_weights.size()));
    }
    double sum = 0.0;
    for (double w : options_.mode_weights) {
      if (!(w >= 0.0) || !std::isfinite(w)) {
        throw EnvError("stack expert mode_weights must be finite and >= 0");
      }
      sum += w;
    }
    if (sum <= 0.0) throw EnvError("stack expert mode_weights must not all be 0");
  }
  Reset(0);
}

void StackExpert::Reset(uint64_t seed) {
  rng_.seed(SplitMix64(seed ^ 0x737461636b657870ull));  // "stackexp": not the env's stream
  // The order: one draw against the cumulative weights.
  std::vector<double> weights = options_.mode_weights;
  if (weights.empty()) weights.assign(6, 1.0);
  double total = 0.0;
  for (double w : weights) total += w;
  const double u = Uniform01(rng_) * total;
  double cumulative = 0.0;
  mode_ = -1;
  for (int m = 0; m < 6; ++m) {
    cumulative += weights[static_cast<size_t>(m)];
    if (u < cumulative && weights[static_cast<size_t>(m)] > 0.0) {
      mode_ = m;
      break;
    }
  }
  if (mode_ < 0) {  // u landed on the total by rounding: the last order with weight
    for (int m = 5; m >= 0 && mode_ < 0; --m) {
      if (weights[static_cast<size_t>(m)] > 0.0) mode_ = m;
    }
  }
  task_ = 0;
  lost_steps_ = 0;
  Enter(Stage::kApproach);
  const std::vector<double> target = env_.CommandedTarget();
  std::copy(target.begin(), target.end(), planned_.begin());
  idle_.Reset(env_.Phase());
}

void StackExpert::Enter(Stage stage) {
  stage_ = stage;
  stage_steps_ = 0;
}

int StackExpert::PickCube() const { return StackEnv::Orders()[mode_][task_ + 1]; }
int StackExpert::BaseCube() const { return StackEnv::Orders()[mode_][task_]; }

double StackExpert::TravelHeight(int ignore, bool holding) const {
  double top = StackEnv::kCubeSize;  // the table's cubes at least
  for (int c = 0; c < StackEnv::kNumCubes; ++c) {
    if (c != ignore) top = std::max(top, env_.Cube(c).pos[2] + kHalfCube);
  }
  // Holding a cube at the grasp point: its bottom is kHalfCube under it; else
  // the pads' lower ends are kPadBelow under it.
  return top + (holding ? kCarryClearance + kHalfCube : kTravelClearance + StackEnv::kPadBelow);
}

StackExpert::Target StackExpert::Toward(const Target& goal, double max_z_step) const {
  // Within reach a coordinate lands on the goal exactly (stages compare them).
  Target next = goal;
  const double dx = goal[0] - planned_[0], dy = goal[1] - planned_[1];
  const double dxy = std::hypot(dx, dy);
  if (dxy > kMaxXyStep) {
    next[0] = planned_[0] + dx * (kMaxXyStep / dxy);
    next[1] = planned_[1] + dy * (kMaxXyStep / dxy);
  }
  const auto limit = [](double from, double to, double step) {
    return std::abs(to - from) > step ? from + std::copysign(step, to - from) : to;
  };
  next[2] = limit(planned_[2], goal[2], max_z_step);
  next[3] = limit(planned_[3], goal[3], kMaxYawStep);
  return next;
}

StackExpert::Target StackExpert::Plan() {
  const StackEnv::GripperPose g = env_.Gripper();
  ++stage_steps_;
  // A tower that stands needs nothing more; one that fell apart is rebuilt
  // from what still stands.
  if (stage_ == Stage::kDone) {
    std::array<int, 3> order;
    const bool standing = env_.Tower(&order) || env_.Success();
    if (standing) stage_steps_ = 0;
    if (!standing && stage_steps_ >= kRebuildSteps) {
      const auto& o = StackEnv::Orders()[mode_];
      task_ = env_.RestsOn(o[1], o[0]) ? 1 : 0;
      Enter(Stage::kApproach);
    } else {
      return planned_;
    }
  }
  const int pick = PickCube();
  const int base = BaseCube();
  const StackEnv::CubePose p = env_.Cube(pick);
  const StackEnv::CubePose b = env_.Cube(base);
  const bool carrying = stage_ == Stage::kLift || stage_ == Stage::kCarry ||
                        stage_ == Stage::kLower;
  if (carrying) {
    lost_steps_ = env_.HeldCube() == pick ? 0 : lost_steps_ + 1;
    if (lost_steps_ >= kLostSteps) {
      lost_steps_ = 0;
      Enter(Stage::kApproach);
    }
  }

  Target goal = planned_;
  switch (stage_) {
    case Stage::kApproach: {
      const auto& order = StackEnv::Orders()[mode_];
      if (task_ == 1 && !env_.RestsOn(order[1], order[0])) {
        task_ = 0;  // the first cube fell off: put it back first
        return Plan();
      }
      const double travel = TravelHeight(-1, false);
      goal = {planned_[0], planned_[1], std::max(travel, planned_[2]), p.yaw, 0.0};
      // Horizontal motion once the pads clear every cube.
      if (g.pos[2] >= travel - 0.01) {
        goal[0] = p.pos[0];
        goal[1] = p.pos[1];
        goal[2] = travel;
      }
      const Target next = Toward(goal, kMaxZStep);
      if (std::hypot(g.pos[0] - p.pos[0], g.pos[1] - p.pos[1]) < kXyTolerance &&
          std::abs(g.yaw - p.yaw) < kYawTolerance && g.opening > StackEnv::kOpenJaws &&
          next[0] == goal[0] && next[1] == goal[1]) {
        Enter(Stage::kDescend);
      }
      return next;
    }
    case Stage::kDescend: {
      goal = {p.pos[0], p.pos[1], p.pos[2], p.yaw, 0.0};
      const Target next = Toward(goal, kMaxZStep);
      if (std::abs(g.pos[2] - p.pos[2]) < 0.004) Enter(Stage::kClose);
      return next;
    }
    case Stage::kClose: {
      goal = planned_;
      goal[4] = 1.0;
      if (env_.PadTouches(0, pick) && env_.PadTouches(1, pick) && stage_steps_ >= kMinGripSteps) {
        Enter(Stage::kLift);
      } else if (stage_steps_ >= kMaxCloseSteps) {
        goal[4] = 0.0;  // missed: open and try again
        Enter(Stage::kApproach);
      }
      return Toward(goal, kMaxZStep);
    }
    case Stage::kLift: {
      const double carry = TravelHeight(pick, true);
      goal = {planned_[0], planned_[1], carry, planned_[3], 1.0};
      if (g.pos[2] >= carry - 0.01) Enter(Stage::kCarry);
      return Toward(goal, kMaxZStep);
    }
    case Stage::kCarry:
    case Stage::kLower: {
      // Where the held cube sits in the grasp (it may have shifted a little).
      const double offset[3] = {p.pos[0] - g.pos[0], p.pos[1] - g.pos[1], p.pos[2] - g.pos[2]};
      const double yaw = g.yaw + WrapQuarter(b.yaw - p.yaw);
      goal = {b.pos[0] - offset[0], b.pos[1] - offset[1], TravelHeight(pick, true), yaw, 1.0};
      const bool over = std::hypot(p.pos[0] - b.pos[0], p.pos[1] - b.pos[1]) < kXyTolerance / 2 &&
                        std::abs(WrapQuarter(p.yaw - b.yaw)) < kYawTolerance;
      if (stage_ == Stage::kCarry) {
        if (over && stage_steps_ >= 2) Enter(Stage::kLower);
        return Toward(goal, kMaxZStep);
      }
      // Lower until the held cube stands on the base: its bottom on the base's top.
      goal[2] = b.pos[2] + StackEnv::kCubeSize - offset[2];
      const Target next = Toward(goal, kLowerZStep);
      const bool down = std::abs(p.pos[2] - b.pos[2] - StackEnv::kCubeSize) < 0.003;
      if (down && stage_steps_ >= 3) Enter(Stage::kOpen);
      return next;
    }
    case Stage::kOpen: {
      goal = planned_;
      goal[4] = 0.0;
      if (g.opening >= StackEnv::kOpenJaws + 0.01 && stage_steps_ >= kMinGripSteps) {
        Enter(Stage::kRetreat);
      }
      return Toward(goal, kMaxZStep);
    }
    case Stage::kRetreat: {
      const double top = env_.Cube(pick).pos[2] + kHalfCube;
      const double height = task_ == 0 ? TravelHeight(-1, false) : top + kFinalHover;
      goal = {planned_[0], planned_[1], height, planned_[3], 0.0};
      const Target next = Toward(goal, kMaxZStep);
      if (std::abs(g.pos[2] - height) < 0.01) {
        if (task_ == 0) {
          task_ = 1;
          Enter(Stage::kApproach);
        } else {
          Enter(Stage::kDone);
        }
      }
      return next;
    }
    case Stage::kDone:
      break;
  }
  return planned_;
}

std::vector<double> StackExpert::Act() {
  const std::vector<double> commanded = env_.CommandedTarget();
  std::vector<double> target = commanded;
  if (!idle_.Pausing(env_.Phase(), rng_)) {
    planned_ = Plan();
    // Noise on x, y, z and yaw; the grip command stays exact.
    std::vector<double> pose(planned_.begin(), planned_.begin() + 4);
    idle_.AddNoise(&pose, rng_);
    target = {pose[0], pose[1], pose[2], pose[3], planned_[4]};
  }
  if (env_.GetActionMode() == ActionMode::kDelta) {
    for (size_t k = 0; k < target.size(); ++k) target[k] -= commanded[k];
  }
  return target;
}

}  // namespace bcbench
