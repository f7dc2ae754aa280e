#include "envs/claw/claw_expert.h"

#include <algorithm>
#include <cmath>

#include "envs/mode_weights.h"
#include "envs/sampling.h"

namespace bcbench {

namespace {

// Moves `value` towards `goal` by at most `step`.
double Toward(double value, double goal, double step) {
  return value + std::clamp(goal - value, -step, step);
}

}  // namespace

ClawExpert::ClawExpert(ClawEnv& env, const ExpertOptions& options)
    : env_(env), options_(options), idle_(options) {
  CheckModeWeights("claw", options_.mode_weights, env.ModeNames());
  probabilities_ = ModeProbabilities(options_.mode_weights, ClawEnv::kNumPrizes);
  Reset(0);
}

void ClawExpert::Reset(uint64_t seed) {
  rng_.seed(SplitMix64(seed ^ 0x636c6177ull));  // own stream, not the env's ("claw")
  choice_ = DrawMode(rng_, probabilities_);
  idle_.Reset(env_.Phase());
  const std::vector<double> commanded = env_.CommandedTarget();
  std::copy(commanded.begin(), commanded.end(), plan_.begin());
  last_opening_ = env_.JawOpening();
  Enter(kApproach);
}

void ClawExpert::Enter(Stage stage) {
  stage_ = stage;
  stage_steps_ = 0;
  held_steps_ = 0;
}

bool ClawExpert::Arrived(const std::array<double, 3>& goal, bool with_z) const {
  const auto claw = env_.ClawPosition();
  const double tolerance = kArrivalTolerance + 2.0 * options_.noise;
  return std::hypot(claw[0] - goal[0], claw[1] - goal[1]) < tolerance &&
         (!with_z || std::abs(claw[2] - goal[2]) < tolerance);
}

void ClawExpert::Advance() {
  const auto prize = env_.PrizePosition(choice_);
  const auto chute = env_.ChuteCentre();
  const double opening = env_.JawOpening();
  const bool lost = !env_.PrizeTouched(choice_);
  ++stage_steps_;
  switch (stage_) {
    case kApproach:
      // Over the prize at travel height, the plan there too: go down.
      if (plan_[2] >= kTravelZ - 1e-9 && Arrived({prize[0], prize[1], kTravelZ}, true) &&
          std::hypot(plan_[0] - prize[0], plan_[1] - prize[1]) < 1e-3) {
        grasp_z_ = std::max(kLowestGrasp, prize[2]);
        Enter(kDescend);
      }
      break;
    case kDescend:
      if ((plan_[2] <= grasp_z_ + 1e-9 && Arrived({prize[0], prize[1], grasp_z_}, true)) ||
          stage_steps_ > kMaxDescendSteps) {
        Enter(kClose);
      }
      break;
    case kClose:
      // The grip has settled: both pads on the prize for two steps and the
      // jaws closing by less than 2 mm a step (a capsule squeezed at a slant
      // keeps turning slowly towards its narrow side; that needs no wait).
      held_steps_ = env_.PrizeHeld(choice_) ? held_steps_ + 1 : 0;
      if (held_steps_ >= 2 && std::abs(opening - last_opening_) < kSettledClosing) {
        lift_from_z_ = plan_[2];
        Enter(kLift);
      } else if (stage_steps_ > kMaxCloseSteps) {
        Enter(kApproach);  // missed: open, rise, try again
      }
      break;
    case kLift:
      if (lost) {
        Enter(kApproach);
      } else if (plan_[2] >= kTravelZ - 1e-9) {
        Enter(kCarry);
      }
      break;
    case kCarry:
      if (lost) {
        Enter(kApproach);
      } else if (Arrived({chute[0], chute[1], kTravelZ}, false) &&
                 std::hypot(plan_[0] - chute[0], plan_[1] - chute[1]) < 1e-3) {
        Enter(kRelease);
      }
      break;
    case kRelease:
      if (stage_steps_ > kMaxReleaseSteps) Enter(kApproach);
      break;
  }
  last_opening_ = opening;
}

void ClawExpert::Plan() {
  const auto prize = env_.PrizePosition(choice_);
  const auto chute = env_.ChuteCentre();
  const auto horizontal = [this](double x, double y) {
    const double dx = x - plan_[0], dy = y - plan_[1];
    const double distance = std::hypot(dx, dy);
    const double scale = distance > kTravelSpeed ? kTravelSpeed / distance : 1.0;
    plan_[0] += scale * dx;
    plan_[1] += scale * dy;
  };
  switch (stage_) {
    case kApproach: {
      plan_[3] = 0.0;
      // Up to travel height first when low and away from the prize (a retry):
      // the open jaws must not sweep other prizes.
      const bool low = plan_[2] < kTravelZ - 0.01;
      const bool away = std::hypot(plan_[0] - prize[0], plan_[1] - prize[1]) > 0.02;
      if (!(low && away)) horizontal(prize[0], prize[1]);
      plan_[2] = Toward(plan_[2], kTravelZ, kVerticalSpeed);
      break;
    }
    case kDescend:
      horizontal(prize[0], prize[1]);
      plan_[2] = Toward(plan_[2], grasp_z_, kVerticalSpeed);
      plan_[3] = 0.0;
      break;
    case kClose:
      plan_[3] = 1.0;
      break;
    case kLift: {
      const bool gentle = plan_[2] < lift_from_z_ + kGentleLiftHeight;
      plan_[2] = Toward(plan_[2], kTravelZ, gentle ? kGentleLiftSpeed : kVerticalSpeed);
      plan_[3] = 1.0;
      break;
    }
    case kCarry:
      horizontal(chute[0], chute[1]);
      plan_[2] = Toward(plan_[2], kTravelZ, kVerticalSpeed);
      plan_[3] = 1.0;
      break;
    case kRelease:
      plan_[3] = 0.0;
      break;
  }
}

std::vector<double> ClawExpert::Act() {
  const std::vector<double> commanded = env_.CommandedTarget();
  std::vector<double> target = commanded;
  if (!idle_.Pausing(env_.Phase(), rng_)) {
    Advance();
    Plan();
    std::vector<double> position = {plan_[0], plan_[1], plan_[2]};
    idle_.AddNoise(&position, rng_);
    target = {position[0], position[1], position[2], plan_[3]};
  }
  if (env_.GetActionMode() == ActionMode::kDelta) {
    for (size_t k = 0; k < target.size(); ++k) target[k] -= commanded[k];
  }
  return target;
}

}  // namespace bcbench
