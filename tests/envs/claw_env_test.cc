// The claw machine's physics (a closed claw holds a prize, an open one drops
// it), resets, labels, determinism, delta mode and error messages, all under
// the env's own physics settings (claw.xml).
#include "envs/claw/claw_env.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "envs/claw/claw_expert.h"
#include "envs/registry.h"

namespace bcbench {
namespace {

using Placement = std::array<std::array<double, 3>, ClawEnv::kNumPrizes>;

// Prize `chosen` in the middle of the bin, the others out of the claw's way.
Placement OnePrizeInTheMiddle(int chosen, double yaw = 0.3) {
  Placement p = {{{-0.15, -0.15, 0.0}, {0.15, -0.15, 0.0}, {-0.15, 0.15, 0.0}}};
  p[chosen] = {0.0, 0.0, yaw};
  return p;
}

double Distance(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                   (a[2] - b[2]) * (a[2] - b[2]));
}

// Moves the target in a straight line to `goal` over `steps` control steps.
void MoveTo(ClawEnv& env, const std::array<double, 4>& goal, int steps) {
  const std::vector<double> from = env.CommandedTarget();
  for (int t = 1; t <= steps; ++t) {
    std::vector<double> target(4);
    for (int k = 0; k < 4; ++k) target[k] = from[k] + (goal[k] - from[k]) * t / steps;
    env.Step(target);
  }
}

// Scripted grasp of the prize at the centre of the bin: over it, down to its
// centre height, close, lift to 0.2 m.
void GraspAndLift(ClawEnv& env, int prize) {
  const double grasp_z = std::max(0.022, env.PrizePosition(prize)[2]);
  MoveTo(env, {0.0, 0.0, 0.2, 0.0}, 12);
  MoveTo(env, {0.0, 0.0, grasp_z, 0.0}, 8);
  MoveTo(env, {0.0, 0.0, grasp_z, 1.0}, 1);
  MoveTo(env, {0.0, 0.0, grasp_z, 1.0}, 3);  // the grip settles
  MoveTo(env, {0.0, 0.0, 0.2, 1.0}, 12);
  MoveTo(env, {0.0, 0.0, 0.2, 1.0}, 3);      // the swing dies out
}

TEST(ClawEnv, RunsAtTenHertzWithTwentySubstepsOfFiveMilliseconds) {
  ClawEnv env({});
  EXPECT_DOUBLE_EQ(env.Model()->opt.timestep, 0.005);
  EXPECT_EQ(env.Substeps(), 20);
  EXPECT_EQ(env.ControlHz(), 10.0);
  EXPECT_EQ(env.MaxSteps(), 200);
  const double before = env.Data()->time;
  env.Step(env.CommandedTarget());
  EXPECT_NEAR(env.Data()->time - before, 0.1, 1e-12);
}

TEST(ClawEnv, AClosedClawHoldsALiftedPrizeForTwoSecondsAtRest) {
  for (int prize = 0; prize < ClawEnv::kNumPrizes; ++prize) {
    ClawEnv env({});
    env.SetConfiguration(OnePrizeInTheMiddle(prize));
    const double rest_z = env.PrizeRestHeight(prize);
    GraspAndLift(env, prize);
    ASSERT_TRUE(env.PrizeHeld(prize)) << "prize " << prize;
    ASSERT_FALSE(env.PrizeSupported(prize)) << "prize " << prize;
    ASSERT_GT(env.PrizePosition(prize)[2], rest_z + 0.12) << "prize " << prize;
    // Relative to the claw, the prize moves by less than 3 mm in 2 s.
    const auto offset = [&] {
      const auto p = env.PrizePosition(prize);
      const auto c = env.ClawPosition();
      return std::array<double, 3>{p[0] - c[0], p[1] - c[1], p[2] - c[2]};
    };
    const auto start = offset();
    for (int t = 0; t < 20; ++t) env.Step({0.0, 0.0, 0.2, 1.0});
    EXPECT_LT(Distance(offset(), start), 0.003) << "prize " << prize << " slipped in the jaws";
    EXPECT_TRUE(env.PrizeHeld(prize)) << "prize " << prize;
    EXPECT_GT(env.PrizePosition(prize)[2], rest_z + 0.12) << "prize " << prize;
  }
}

TEST(ClawEnv, AnOpenClawDropsThePrize) {
  for (int prize = 0; prize < ClawEnv::kNumPrizes; ++prize) {
    ClawEnv env({});
    env.SetConfiguration(OnePrizeInTheMiddle(prize));
    GraspAndLift(env, prize);
    ASSERT_TRUE(env.PrizeHeld(prize)) << "prize " << prize;
    for (int t = 0; t < 10; ++t) env.Step({0.0, 0.0, 0.2, 0.0});  // 1 s open
    EXPECT_FALSE(env.PrizeTouched(prize)) << "prize " << prize;
    EXPECT_TRUE(env.PrizeSupported(prize)) << "prize " << prize;
    // Back on the floor (it may roll, but not stand higher than it rests).
    EXPECT_LT(env.PrizePosition(prize)[2], env.PrizeRestHeight(prize) + 0.005) << "prize " << prize;
    EXPECT_GT(env.JawOpening(), 0.115);
  }
}

TEST(ClawEnv, ResetsPlacePrizesApartOnTheFloorFromTheSeed) {
  ClawEnv env({});
  ClawEnv other({});
  for (uint64_t seed = 0; seed < 30; ++seed) {
    env.Reset(seed);
    other.Reset(seed);
    EXPECT_EQ(env.SimState(), other.SimState()) << "seed " << seed;
    const auto claw = env.ClawPosition();
    EXPECT_NEAR(claw[0], ClawEnv::kHomeX, 2e-3);
    EXPECT_NEAR(claw[1], ClawEnv::kHomeY, 2e-3);
    EXPECT_NEAR(claw[2], ClawEnv::kHomeZ, 2e-3);
    EXPECT_EQ(env.Phase(), ClawEnv::kApproach);
    EXPECT_EQ(env.Mode(), -1);
    EXPECT_EQ(env.StepMode(), -1);
    EXPECT_EQ(env.Reward(), 0.0);
    for (int k = 0; k < ClawEnv::kNumPrizes; ++k) {
      const auto p = env.PrizePosition(k);
      EXPECT_LE(std::abs(p[0]), ClawEnv::kPlacementHalfWidth + 1e-3);
      EXPECT_LE(std::abs(p[1]), ClawEnv::kPlacementHalfWidth + 1e-3);
      EXPECT_FALSE(p[0] >= ClawEnv::kShieldCornerX && p[1] >= ClawEnv::kShieldCornerY);
      EXPECT_TRUE(env.PrizeSupported(k));  // resting on the floor
      EXPECT_FALSE(env.PrizeTouched(k));
      EXPECT_NEAR(p[2], env.PrizeRestHeight(k), 1e-9);
      EXPECT_GT(p[2], 0.015);  // on the floor, not in it
      EXPECT_LT(env.PrizeSpeed(k), 0.01) << "seed " << seed << " prize " << k;  // at rest
      for (int j = 0; j < k; ++j) {
        const auto q = env.PrizePosition(j);
        EXPECT_TRUE(std::abs(p[0] - q[0]) >= ClawEnv::kMinSeparationX - 2e-3 ||
                    std::abs(p[1] - q[1]) >= ClawEnv::kMinSeparationY - 2e-3)
            << "seed " << seed << " prizes " << j << ", " << k;
      }
    }
  }
  env.Reset(1);
  other.Reset(2);
  EXPECT_NE(env.Observation("state"), other.Observation("state"));
}

TEST(ClawEnv, ObservationsFollowTheDocumentedLayout) {
  ClawEnv env({});
  env.Reset(4);
  EXPECT_EQ(env.ObsKeys(), (std::vector<std::string>{"state"}));
  const SpaceSpec spec = env.ObsSpec("state");
  ASSERT_EQ(spec.dim(), 13);
  EXPECT_EQ(spec.names[3], "opening");
  EXPECT_EQ(spec.names[4], "ball_x");
  EXPECT_EQ(spec.names[12], "capsule_z");
  const std::vector<double> obs = env.Observation("state");
  ASSERT_EQ(obs.size(), 13u);
  const auto claw = env.ClawPosition();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(obs[i], claw[i]);
  EXPECT_NEAR(obs[3], 0.12, 1e-6);  // open jaws
  for (int k = 0; k < 3; ++k) {
    const auto p = env.PrizePosition(k);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(obs[4 + 3 * k + i], p[i]);
  }
  for (int i = 0; i < 13; ++i) {
    EXPECT_GE(obs[i], spec.low[i]) << spec.names[i];
    EXPECT_LE(obs[i], spec.high[i]) << spec.names[i];
  }
  EXPECT_THROW(env.ObsSpec("pixels"), EnvError);
  EXPECT_THROW(env.Observation("pixels"), EnvError);
  const SpaceSpec action = env.ActionSpec();
  EXPECT_EQ(action.names, (std::vector<std::string>{"target_x", "target_y", "target_z", "grip"}));
  EXPECT_EQ(action.low, (std::vector<double>{-0.2, -0.2, 0.02, 0.0}));
  EXPECT_EQ(action.high, (std::vector<double>{0.2, 0.2, 0.3, 1.0}));
}

TEST(ClawEnv, SameActionsGiveBitIdenticalRolloutsThroughGrasps) {
  ClawEnv a({}), b({});
  ClawExpert expert(a, {});
  a.Reset(7);
  b.Reset(7);
  expert.Reset(7);
  int held_steps = 0;
  StepResult ra;
  do {
    const std::vector<double> action = expert.Act();
    ra = a.Step(action);
    const StepResult rb = b.Step(action);
    ASSERT_EQ(a.SimState(), b.SimState()) << "step " << a.StepCount();
    ASSERT_EQ(ra.reward, rb.reward);
    ASSERT_EQ(ra.phase, rb.phase);
    held_steps += a.PrizeHeld(expert.Choice()) ? 1 : 0;
  } while (!ra.done);
  EXPECT_TRUE(ra.success);
  EXPECT_GT(held_steps, 10);  // the comparison covered a grasp and a carry
}

TEST(ClawEnv, SimStateRoundTripRestoresTheEpisodeExactly) {
  ClawEnv env({});
  ClawExpert expert(env, {});
  env.Reset(3);
  expert.Reset(3);
  std::vector<std::vector<double>> actions;
  for (int t = 0; t < 40; ++t) {
    actions.push_back(expert.Act());
    if (env.Step(actions.back()).done) break;
  }
  ASSERT_EQ(actions.size(), 40u) << "the expert finished too soon for this test";
  // Replay the first 20, save, go on; restore into another env and go on.
  ClawEnv replay({});
  replay.Reset(3);
  for (int t = 0; t < 20; ++t) replay.Step(actions[t]);
  const std::vector<double> saved = replay.SimState();
  std::vector<std::vector<double>> first;
  for (int t = 20; t < 40; ++t) {
    replay.Step(actions[t]);
    first.push_back(replay.SimState());
  }
  ClawEnv other({});
  other.Reset(99);
  other.Step({0.0, 0.0, 0.1, 1.0});
  other.SetSimState(saved);
  EXPECT_EQ(other.SimState(), saved);
  EXPECT_EQ(other.StepCount(), 20);
  for (int t = 20; t < 40; ++t) {
    other.Step(actions[t]);
    ASSERT_EQ(other.SimState(), first[t - 20]) << "step " << t;
  }
  EXPECT_EQ(other.Mode(), replay.Mode());
  EXPECT_EQ(other.Phase(), replay.Phase());
  EXPECT_THROW(other.SetSimState({1.0, 2.0}), EnvError);
  std::vector<double> bad = saved;
  bad.back() = 0.5;  // a contact flag that is neither 0 nor 1
  EXPECT_THROW(other.SetSimState(bad), EnvError);
}

TEST(ClawEnv, DeltaActionsReproduceTheAbsoluteRolloutBitForBit) {
  // The expert's targets rounded to 1/4096 m (and the home pose, 3/16 m and
  // 1/4 m): differences and sums of such binary fractions are exact, so the
  // delta env must land on the very same targets.
  ClawEnv absolute({});
  ClawEnv delta(EnvOptions{{"action_mode", "delta"}});
  ClawExpert expert(absolute, {});
  absolute.Reset(11);
  delta.Reset(11);
  expert.Reset(11);
  std::vector<double> previous = absolute.CommandedTarget();
  StepResult ra;
  int held = 0;
  do {
    std::vector<double> target = expert.Act();
    for (double& v : target) v = std::round(v * 4096.0) / 4096.0;
    std::vector<double> change(4);
    for (int k = 0; k < 4; ++k) change[k] = target[k] - previous[k];
    previous = target;
    ra = absolute.Step(target);
    const StepResult rd = delta.Step(change);
    ASSERT_EQ(rd.clipped_dims, 0) << "step " << absolute.StepCount();
    ASSERT_EQ(delta.CommandedTarget(), target);
    ASSERT_EQ(absolute.SimState(), delta.SimState()) << "step " << absolute.StepCount();
    ASSERT_EQ(ra.phase, rd.phase);
    held += absolute.PrizeHeld(expert.Choice()) ? 1 : 0;
  } while (!ra.done);
  EXPECT_TRUE(ra.success);
  EXPECT_GT(held, 10);
  EXPECT_EQ(delta.GetActionMode(), ActionMode::kDelta);
  EXPECT_EQ(delta.ActionSpec().high, (std::vector<double>{0.05, 0.05, 0.05, 1.0}));
  EXPECT_EQ(delta.TargetSpec().high, absolute.ActionSpec().high);
}

TEST(ClawEnv, OutOfBoundsAndOversizedDeltaActionsAreClippedAndCounted) {
  ClawEnv env({});
  env.Reset(1);
  EXPECT_EQ(env.Step({-0.5, 0.5, 0.0, 2.0}).clipped_dims, 4);
  EXPECT_EQ(env.CommandedTarget(), (std::vector<double>{-0.2, 0.2, 0.02, 1.0}));
  EXPECT_EQ(env.Step({0.1, 0.2, 0.3, 0.0}).clipped_dims, 0);
  ClawEnv delta(EnvOptions{{"action_mode", "delta"}});
  delta.Reset(1);
  const StepResult r = delta.Step({-0.2, 0.0, 0.0, -0.5});  // x over the bound, grip below 0
  EXPECT_EQ(r.clipped_dims, 2);
  EXPECT_EQ(delta.CommandedTarget(),
            (std::vector<double>{ClawEnv::kHomeX - 0.05, ClawEnv::kHomeY, ClawEnv::kHomeZ, 0.0}));
  EXPECT_EQ(delta.Step({0.05, 0.0, 0.0, 0.0}).clipped_dims, 0);
  // The target stays in the workspace: x is at most 0.2.
  EXPECT_EQ(delta.Step({0.05, 0.0, 0.0, 0.0}).clipped_dims, 1);
  EXPECT_EQ(delta.CommandedTarget()[0], 0.2);
}

TEST(ClawEnv, BadActionsOptionsAndStatesGiveClearErrors) {
  ClawEnv env({});
  env.Reset(1);
  EXPECT_THROW(env.Step({std::nan(""), 0.0, 0.1, 0.0}), EnvError);
  EXPECT_THROW(env.Step({0.0, 0.0, INFINITY, 0.0}), EnvError);
  EXPECT_THROW(env.Step({0.0, 0.0, 0.1}), EnvError);
  try {
    env.Step({0.0, 0.0, 0.1, 0.0, 1.0});
    FAIL() << "a 5-component action was accepted";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("4 components (x, y, z, grip)"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(env.StepCount(), 0);
  try {
    ClawEnv bad(EnvOptions{{"prizes", "5"}});
    FAIL() << "unknown option accepted";
  } catch (const EnvError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown option 'prizes'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("action_mode"), std::string::npos) << msg;
    EXPECT_NE(msg.find("max_steps"), std::string::npos) << msg;
  }
  try {
    ClawEnv bad(EnvOptions{{"action_mode", "velocity"}});
    FAIL() << "unknown action mode accepted";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("absolute, delta"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ClawEnv(EnvOptions{{"obs", "keypoints"}}), EnvError);
  EXPECT_THROW(ClawEnv(EnvOptions{{"max_steps", "0"}}), EnvError);
  EXPECT_THROW(ClawEnv(EnvOptions{{"max_steps", "20x"}}), EnvError);
  EXPECT_EQ(ClawEnv(EnvOptions{{"max_steps", "50"}}).MaxSteps(), 50);
  // Placements the floor cannot hold.
  Placement overlapping = OnePrizeInTheMiddle(0);
  overlapping[1] = {0.03, 0.0, 0.0};
  EXPECT_THROW(env.SetConfiguration(overlapping), EnvError);
  Placement outside = OnePrizeInTheMiddle(0);
  outside[2] = {0.25, 0.0, 0.0};
  EXPECT_THROW(env.SetConfiguration(outside), EnvError);
  Placement over_the_chute = OnePrizeInTheMiddle(0);
  over_the_chute[2] = {0.16, 0.16, 0.0};
  EXPECT_THROW(env.SetConfiguration(over_the_chute), EnvError);
}

TEST(ClawEnv, StepModeFollowsThePrizeTheClawGoesForAndThePhaseIsDebounced) {
  ClawEnv env({});
  // Ball at (-0.1, 0), cube at (0.1, 0): hover over one, then the other.
  env.SetConfiguration({{{-0.1, 0.0, 0.0}, {0.1, 0.0, 0.0}, {-0.1, -0.15, 0.0}}});
  MoveTo(env, {-0.1, 0.0, 0.2, 0.0}, 10);
  MoveTo(env, {-0.1, 0.0, 0.2, 0.0}, 3);
  EXPECT_EQ(env.StepMode(), 0);  // over the ball
  EXPECT_EQ(env.Mode(), -1);     // nothing held yet
  EXPECT_EQ(env.Reward(), 0.2);  // over a prize
  EXPECT_EQ(env.Phase(), ClawEnv::kApproach);  // high above it: not descending
  // One step low over the ball is a flicker; the second makes it "descend".
  MoveTo(env, {-0.1, 0.0, 0.12, 0.0}, 1);
  MoveTo(env, {-0.1, 0.0, 0.12, 0.0}, 1);
  ASSERT_EQ(env.RawPhase(), ClawEnv::kDescend);
  MoveTo(env, {-0.1, 0.0, 0.2, 0.0}, 1);
  MoveTo(env, {-0.1, 0.0, 0.2, 0.0}, 1);
  EXPECT_EQ(env.RawPhase(), ClawEnv::kApproach);
  EXPECT_EQ(env.Phase(), ClawEnv::kApproach) << "one raw step of descend flipped the phase";
  MoveTo(env, {-0.1, 0.0, 0.12, 0.0}, 1);
  MoveTo(env, {-0.1, 0.0, 0.12, 0.0}, 2);
  EXPECT_EQ(env.Phase(), ClawEnv::kDescend);
  // Over to the cube: the step mode switches, still nothing held.
  MoveTo(env, {0.1, 0.0, 0.2, 0.0}, 8);
  MoveTo(env, {0.1, 0.0, 0.2, 0.0}, 3);
  EXPECT_EQ(env.StepMode(), 1);
  EXPECT_EQ(env.Mode(), -1);
  // Grasp the cube: it becomes the episode's mode.
  MoveTo(env, {0.1, 0.0, 0.022, 0.0}, 8);
  MoveTo(env, {0.1, 0.0, 0.022, 1.0}, 4);
  EXPECT_TRUE(env.PrizeHeld(1));
  EXPECT_EQ(env.Mode(), 1);
  EXPECT_EQ(env.Reward(), 0.4);
  EXPECT_EQ(env.Phase(), ClawEnv::kGrasp);
}

TEST(ClawEnv, RegistryBuildsTheClawAndItsExpert) {
  auto env = MakeEnv("claw", {{"action_mode", "delta"}});
  EXPECT_EQ(env->Name(), "claw");
  EXPECT_EQ(env->Options().at("action_mode"), "delta");
  EXPECT_EQ(env->PhaseNames(), (std::vector<std::string>{"approach", "descend", "grasp", "lift",
                                                         "carry", "release"}));
  EXPECT_EQ(env->ModeNames(), (std::vector<std::string>{"ball", "cube", "capsule"}));
  EXPECT_EQ(env->TargetSpec().dim(), 4);
  EXPECT_EQ(env->EffectorPosition().size(), 4u);
  auto expert = MakeExpert(*env);
  env->Reset(0);
  expert->Reset(0);
  EXPECT_EQ(expert->Act().size(), 4u);
  // The camera the render command looks through.
  EXPECT_GE(mj_name2id(env->Model(), mjOBJ_CAMERA, "task"), 0);
}

}  // namespace
}  // namespace bcbench
