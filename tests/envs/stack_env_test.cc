// Block stacking: physics under the env's own settings (stacked cubes stay,
// closed jaws hold a lifted cube, open jaws drop it), resets, success and
// partial scores, labels, determinism, delta mode, options and errors.
#include "envs/stack/stack_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "envs/registry.h"

namespace bcbench {
namespace {

using Cubes = std::array<StackEnv::CubePose, StackEnv::kNumCubes>;
constexpr double kHalf = StackEnv::kCubeSize / 2.0;
constexpr double kPi = 3.14159265358979323846;

StackEnv::CubePose At(double x, double y, double z, double yaw = 0.0) {
  StackEnv::CubePose pose;
  pose.pos[0] = x;
  pose.pos[1] = y;
  pose.pos[2] = z;
  pose.yaw = yaw;
  return pose;
}

// Red, green, blue apart on the table.
Cubes Apart() { return {At(-0.12, 0.0, kHalf), At(0.0, 0.1, kHalf, 0.3), At(0.12, -0.05, kHalf)}; }

// Steps `n` control steps holding `target`.
void Hold(StackEnv& env, const std::vector<double>& target, int n) {
  for (int t = 0; t < n; ++t) env.Step(target);
}

double Tilt(const StackEnv& env, int cube) {
  // Angle between the cube's body z axis and the world z axis, or whichever
  // body axis is closest to vertical.
  double mat[9];
  const mjData* d = env.Data();
  const int body = mj_name2id(env.Model(), mjOBJ_BODY, cube == 0 ? "red" : cube == 1 ? "green" : "blue");
  mju_quat2Mat(mat, d->xquat + 4 * body);
  double best = 0.0;
  for (int k = 0; k < 3; ++k) best = std::max(best, std::abs(mat[6 + k]));
  return std::acos(std::min(1.0, best));
}

TEST(StackEnv, RunsAtTenHertzWithTwentySubstepsOfFiveMilliseconds) {
  StackEnv env({});
  EXPECT_EQ(env.ControlHz(), 10.0);
  EXPECT_EQ(env.Substeps(), 20);
  EXPECT_DOUBLE_EQ(env.Model()->opt.timestep, 0.005);
  EXPECT_EQ(env.MaxSteps(), 200);
  EXPECT_EQ(env.Name(), "stack");
}

TEST(StackEnv, ResetPlacesTheCubesApartAtRestOnTheTable) {
  StackEnv env({});
  for (uint64_t seed = 0; seed < 100; ++seed) {
    env.Reset(seed);
    const Cubes drawn = StackEnv::RandomCubes(seed);
    for (int c = 0; c < 3; ++c) {
      const auto p = env.Cube(c);
      EXPECT_LE(std::abs(p.pos[0]), StackEnv::kSpawnHalfWidth);
      EXPECT_LE(std::abs(p.pos[1]), StackEnv::kSpawnHalfWidth);
      // Settled on the table where drawn: sunk by a fraction of a millimetre.
      EXPECT_NEAR(p.pos[2], kHalf, 5e-4) << "seed " << seed;
      EXPECT_NEAR(p.pos[0], drawn[c].pos[0], 1e-4) << "seed " << seed;
      EXPECT_NEAR(p.pos[1], drawn[c].pos[1], 1e-4) << "seed " << seed;
      EXPECT_LT(env.CubeSpeed(c), 0.01) << "seed " << seed;
      EXPECT_TRUE(env.Supported(c));
      for (int o = 0; o < c; ++o) {
        const auto q = env.Cube(o);
        EXPECT_GE(std::hypot(p.pos[0] - q.pos[0], p.pos[1] - q.pos[1]),
                  StackEnv::kSpawnSeparation - 1e-4)
            << "seed " << seed;
      }
    }
    const auto g = env.Gripper();
    EXPECT_NEAR(g.pos[2], StackEnv::kGripperStartZ, 2e-3);
    EXPECT_NEAR(g.opening, 2.0 * StackEnv::kMaxJaw, 1e-3);
    EXPECT_EQ(env.StepCount(), 0);
    EXPECT_EQ(env.Mode(), -1);
    EXPECT_EQ(env.Phase(), StackEnv::kReach);
    EXPECT_EQ(env.CommandedTarget(),
              (std::vector<double>{0.0, 0.0, StackEnv::kGripperStartZ, 0.0, 0.0}));
  }
}

TEST(StackEnv, ResetIsDeterministicPerSeed) {
  StackEnv a({});
  StackEnv b({});
  a.Reset(42);
  b.Reset(7);
  b.Reset(42);
  EXPECT_EQ(a.Observation("state"), b.Observation("state"));
  EXPECT_EQ(a.SimState(), b.SimState());
  b.Reset(43);
  EXPECT_NE(a.Observation("state"), b.Observation("state"));
}

TEST(StackEnv, ACubePlacedOnAnotherStaysForTwoSeconds) {
  StackEnv env({});
  // Green 1 mm above red, turned 0.3 rad against it and 5 mm off centre: it
  // drops, settles and stands.
  Cubes cubes = Apart();
  cubes[StackEnv::kGreen] = At(cubes[0].pos[0] + 0.005, cubes[0].pos[1], 3 * kHalf + 0.001, 0.3);
  env.SetConfiguration(cubes, {0.0, 0.0, 0.25, 0.0, 0.0});
  const auto start = env.Cube(StackEnv::kGreen);
  Hold(env, env.CommandedTarget(), 20);
  const auto end = env.Cube(StackEnv::kGreen);
  EXPECT_LT(std::hypot(end.pos[0] - start.pos[0], end.pos[1] - start.pos[1]), 1e-3);
  EXPECT_NEAR(end.pos[2], 3 * kHalf, 1e-3);
  EXPECT_LT(Tilt(env, StackEnv::kGreen), 0.01);
  EXPECT_LT(env.CubeSpeed(StackEnv::kGreen), 1e-3);
  EXPECT_TRUE(env.RestsOn(StackEnv::kGreen, StackEnv::kRed));
  EXPECT_FALSE(env.RestsOn(StackEnv::kRed, StackEnv::kGreen));
  // A pair decides the order: red, green, then blue on top.
  EXPECT_EQ(env.StepMode(), StackEnv::ModeOf(StackEnv::kRed, StackEnv::kGreen, StackEnv::kBlue));
  EXPECT_EQ(StackEnv::OrderName(env.Mode()), "R-G-B");
}

TEST(StackEnv, ATowerOfThreeStandsAndAnOverhangingCubeFalls) {
  StackEnv env({});
  Cubes cubes = Apart();
  cubes[StackEnv::kBlue] = At(0.05, 0.05, kHalf, 0.1);
  cubes[StackEnv::kRed] = At(0.055, 0.05, 3 * kHalf + 5e-4, -0.2);
  cubes[StackEnv::kGreen] = At(0.05, 0.045, 5 * kHalf + 1e-3, 0.4);
  env.SetConfiguration(cubes, {-0.2, -0.2, 0.25, 0.0, 0.0});
  Hold(env, env.CommandedTarget(), 20);
  std::array<int, 3> order;
  ASSERT_TRUE(env.Tower(&order));
  EXPECT_EQ(order, (std::array<int, 3>{StackEnv::kBlue, StackEnv::kRed, StackEnv::kGreen}));
  EXPECT_NEAR(env.Cube(StackEnv::kGreen).pos[2], 5 * kHalf, 1.5e-3);

  // Centre of mass 1 cm beyond the edge of the cube below: it tips off.
  cubes = Apart();
  cubes[StackEnv::kGreen] = At(cubes[0].pos[0] + kHalf + 0.01, cubes[0].pos[1], 3 * kHalf + 5e-4);
  env.SetConfiguration(cubes, {0.0, 0.2, 0.25, 0.0, 0.0});
  Hold(env, env.CommandedTarget(), 20);
  EXPECT_FALSE(env.RestsOn(StackEnv::kGreen, StackEnv::kRed));
  EXPECT_NEAR(env.Cube(StackEnv::kGreen).pos[2], kHalf, 1e-3);  // down on the table
}

// The gripper around red at the height of its centre, jaws open, turned to it.
StackEnv& GripperAroundRed(StackEnv& env) {
  const Cubes cubes = Apart();
  env.SetConfiguration(cubes, {cubes[0].pos[0], cubes[0].pos[1], kHalf, cubes[0].yaw, 0.0});
  return env;
}

TEST(StackEnv, ACubeHeldByClosedJawsStaysInThemWhenLiftedAndCarried) {
  StackEnv env({});
  GripperAroundRed(env);
  const double x = env.Cube(0).pos[0], y = env.Cube(0).pos[1];
  Hold(env, {x, y, kHalf, 0.0, 1.0}, 3);  // close
  EXPECT_EQ(env.HeldCube(), StackEnv::kRed);
  EXPECT_EQ(env.Phase(), StackEnv::kGrasp);
  EXPECT_LT(env.Gripper().opening, StackEnv::kCubeSize + 1e-3);
  // Lift 15 cm, then carry and turn it, then hold it still for 2 s.
  for (int t = 1; t <= 4; ++t) env.Step({x, y, kHalf + 0.0375 * t, 0.0, 1.0});
  for (int t = 1; t <= 4; ++t) env.Step({x + 0.04 * t, y + 0.02 * t, kHalf + 0.15, 0.2 * t, 1.0});
  const auto before = env.Cube(0);
  const auto grip_before = env.Gripper();
  Hold(env, env.CommandedTarget(), 20);
  const auto after = env.Cube(0);
  const auto grip_after = env.Gripper();
  EXPECT_EQ(env.HeldCube(), StackEnv::kRed);
  EXPECT_FALSE(env.Supported(StackEnv::kRed));
  EXPECT_GT(after.pos[2], kHalf + 0.14);  // in the air with the gripper
  // Where it sits in the grasp: it moved with the gripper and slid less than a
  // millimetre in the 2 s hold.
  const double sag_before = before.pos[2] - grip_before.pos[2];
  const double sag_after = after.pos[2] - grip_after.pos[2];
  EXPECT_LT(std::abs(sag_after - sag_before), 1e-3);
  EXPECT_LT(std::abs(sag_after), 5e-3);
  EXPECT_NEAR(after.pos[0], grip_after.pos[0], 5e-3);
  EXPECT_NEAR(after.pos[1], grip_after.pos[1], 5e-3);
  EXPECT_EQ(env.Phase(), StackEnv::kMove);
}

TEST(StackEnv, OpenJawsDropTheCubeAndNeverLiftIt) {
  StackEnv env({});
  GripperAroundRed(env);
  const double x = env.Cube(0).pos[0], y = env.Cube(0).pos[1];
  Hold(env, {x, y, kHalf, 0.0, 1.0}, 3);
  Hold(env, {x, y, 0.15, 0.0, 1.0}, 5);
  ASSERT_GT(env.Cube(0).pos[2], 0.12);
  Hold(env, {x, y, 0.15, 0.0, 0.0}, 10);  // open: it falls back to the table
  EXPECT_EQ(env.HeldCube(), -1);
  EXPECT_NEAR(env.Cube(0).pos[2], kHalf, 1e-3);
  EXPECT_TRUE(env.Supported(StackEnv::kRed));

  // Jaws left open around the cube and raised: nothing holds it (no weld or
  // attachment of any kind), it stays on the table.
  GripperAroundRed(env);
  Hold(env, {x, y, 0.15, 0.0, 0.0}, 5);
  EXPECT_NEAR(env.Cube(0).pos[2], kHalf, 5e-4);
  EXPECT_NEAR(env.Gripper().pos[2], 0.15, 2e-3);
}

TEST(StackEnv, SuccessNeedsTheTowerStillForOneSecondWithTheGripperOpenAndClear) {
  StackEnv env({});
  Cubes tower = Apart();
  tower[StackEnv::kRed] = At(0.0, 0.0, kHalf);
  tower[StackEnv::kGreen] = At(0.0, 0.0, 3 * kHalf + 5e-4);
  tower[StackEnv::kBlue] = At(0.0, 0.0, 5 * kHalf + 1e-3);
  // The jaws around the top cube, closed: the tower is not standing on its own.
  env.SetConfiguration(tower, {0.0, 0.0, 5 * kHalf, 0.0, 0.0});
  StepResult r;
  for (int t = 0; t < 15; ++t) r = env.Step({0.0, 0.0, 5 * kHalf, 0.0, 1.0});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(env.PartialScores()[1].second, 0.0);  // p2: blue is held, not resting
  EXPECT_EQ(env.PartialScores()[0].second, 1.0);  // p1: green rests on red
  EXPECT_DOUBLE_EQ(env.Reward(), 0.4);
  // Open and back off: 10 steps (1 s) later the episode succeeds, not before.
  int success_step = -1;
  for (int t = 0; t < 30 && success_step < 0; ++t) {
    r = env.Step({0.0, 0.0, t < 2 ? 5 * kHalf : 0.2, 0.0, 0.0});
    if (r.success) success_step = env.StepCount();
    if (!r.success && env.Tower(nullptr)) {
      EXPECT_DOUBLE_EQ(r.reward, 0.8);
      EXPECT_EQ(env.PartialScores()[1].second, 1.0);
    }
  }
  ASSERT_GT(success_step, 0);
  EXPECT_TRUE(r.done);
  EXPECT_DOUBLE_EQ(r.reward, 1.0);
  EXPECT_GE(success_step, 15 + StackEnv::kStableSteps);
  EXPECT_LE(success_step, 15 + StackEnv::kStableSteps + 6);
  EXPECT_EQ(StackEnv::OrderName(env.Mode()), "R-G-B");
}

TEST(StackEnv, PartialScoresAndRewardFollowTheStack) {
  StackEnv env({});
  env.SetConfiguration(Apart(), {0.0, 0.0, 0.2, 0.0, 0.0});
  auto scores = env.PartialScores();
  ASSERT_EQ(scores.size(), 2u);
  EXPECT_EQ(scores[0], (std::pair<std::string, double>{"p1", 0.0}));
  EXPECT_EQ(scores[1], (std::pair<std::string, double>{"p2", 0.0}));
  EXPECT_DOUBLE_EQ(env.Reward(), 0.0);
  EXPECT_EQ(env.StepMode(), -1);

  Cubes pair = Apart();
  pair[StackEnv::kBlue] = At(pair[0].pos[0], pair[0].pos[1], 3 * kHalf + 5e-4);
  env.SetConfiguration(pair, {0.0, 0.2, 0.2, 0.0, 0.0});
  Hold(env, env.CommandedTarget(), 3);
  scores = env.PartialScores();
  EXPECT_EQ(scores[0].second, 1.0);
  EXPECT_EQ(scores[1].second, 0.0);
  EXPECT_DOUBLE_EQ(env.Reward(), 0.4);
  EXPECT_EQ(StackEnv::OrderName(env.StepMode()), "R-B-G");
}

TEST(StackEnv, OrdersAreTheSixPermutationsNamedBottomToTop) {
  StackEnv env({});
  const std::vector<std::string> names = env.ModeNames();
  EXPECT_EQ(names, (std::vector<std::string>{"R-G-B", "R-B-G", "G-R-B", "G-B-R", "B-R-G", "B-G-R"}));
  for (int m = 0; m < 6; ++m) {
    const auto& o = StackEnv::Orders()[m];
    EXPECT_EQ(StackEnv::ModeOf(o[0], o[1], o[2]), m);
  }
  EXPECT_EQ(StackEnv::ModeOf(0, 0, 1), -1);
  EXPECT_EQ(env.PhaseNames(),
            (std::vector<std::string>{"reach", "grasp", "lift", "move", "place", "release"}));
}

// A fixed action sequence that closes on red, lifts it and drops it on green.
std::vector<std::vector<double>> PickAndDrop(const StackEnv& env) {
  const auto red = env.Cube(0), green = env.Cube(1);
  std::vector<std::vector<double>> actions;
  for (int t = 0; t < 3; ++t) actions.push_back({red.pos[0], red.pos[1], 0.1, red.yaw, 0.0});
  for (int t = 0; t < 3; ++t) actions.push_back({red.pos[0], red.pos[1], kHalf, red.yaw, 0.0});
  for (int t = 0; t < 3; ++t) actions.push_back({red.pos[0], red.pos[1], kHalf, red.yaw, 1.0});
  for (int t = 0; t < 3; ++t) actions.push_back({red.pos[0], red.pos[1], 0.16, red.yaw, 1.0});
  for (int t = 0; t < 4; ++t) actions.push_back({green.pos[0], green.pos[1], 0.16, green.yaw, 1.0});
  for (int t = 0; t < 4; ++t) actions.push_back({green.pos[0], green.pos[1], 0.16, green.yaw, 0.0});
  return actions;
}

TEST(StackEnv, SameActionsGiveBitIdenticalRollouts) {
  StackEnv a({});
  StackEnv b({});
  a.Reset(3);
  b.Reset(3);
  int held = 0;
  for (const auto& action : PickAndDrop(a)) {
    const StepResult ra = a.Step(action);
    const StepResult rb = b.Step(action);
    held += a.HeldCube() >= 0 ? 1 : 0;
    ASSERT_EQ(a.Observation("state"), b.Observation("state"));
    ASSERT_EQ(a.SimState(), b.SimState());
    ASSERT_EQ(ra.reward, rb.reward);
    ASSERT_EQ(ra.phase, rb.phase);
  }
  EXPECT_GT(held, 5);  // the comparison covered a grasp, not only free motion
}

TEST(StackEnv, SimStateRoundTripRestoresTheEpisodeExactly) {
  StackEnv env({});
  env.Reset(5);
  const auto actions = PickAndDrop(env);
  for (int t = 0; t < 10; ++t) env.Step(actions[t]);
  const std::vector<double> saved = env.SimState();
  std::vector<std::vector<double>> first;
  std::vector<int> phases;
  for (size_t t = 10; t < actions.size(); ++t) {
    phases.push_back(env.Step(actions[t]).phase);
    first.push_back(env.SimState());
  }
  StackEnv other({});
  other.Reset(99);
  other.Step({0.1, 0.1, 0.1, 0.0, 1.0});
  other.SetSimState(saved);
  EXPECT_EQ(other.SimState(), saved);
  EXPECT_EQ(other.StepCount(), 10);
  for (size_t t = 10; t < actions.size(); ++t) {
    ASSERT_EQ(other.Step(actions[t]).phase, phases[t - 10]) << "step " << t;
    ASSERT_EQ(other.SimState(), first[t - 10]) << "step " << t;
  }
  EXPECT_THROW(other.SetSimState({1.0, 2.0}), EnvError);
  std::vector<double> bad = saved;
  bad[bad.size() - 1] = 0.5;  // success flag
  EXPECT_THROW(other.SetSimState(bad), EnvError);
}

TEST(StackEnv, DeltaActionsReproduceTheAbsoluteRolloutBitForBit) {
  StackEnv absolute({});
  StackEnv delta(EnvOptions{{"action_mode", "delta"}});
  // Dyadic start and targets (multiples of 2^-10): their differences and sums
  // are exact, so the delta env lands on the very same targets.
  const Cubes cubes = {At(-0.125, 0.0, kHalf), At(0.0625, 0.125, kHalf), At(0.125, -0.125, kHalf)};
  const std::array<double, 5> start = {-0.125, 0.0, 0.125, 0.0, 0.0};
  absolute.SetConfiguration(cubes, start);
  delta.SetConfiguration(cubes, start);
  std::vector<std::vector<double>> targets;
  for (int t = 0; t < 3; ++t) targets.push_back({-0.125, 0.0, 0.125 - 0.03125 * (t + 1), 0.0, 0.0});
  for (int t = 0; t < 3; ++t) targets.push_back({-0.125, 0.0, 0.03125, 0.0, 1.0});
  for (int t = 0; t < 4; ++t) {
    targets.push_back({-0.125 + 0.046875 * t, 0.03125 * t, 0.0625 + 0.03125 * t, 0.25 * t, 1.0});
  }
  for (int t = 0; t < 3; ++t) targets.push_back({0.0625, 0.125, 0.15625, 0.5, 0.5});
  std::vector<double> previous(start.begin(), start.end());
  int held = 0;
  for (const auto& target : targets) {
    std::vector<double> d(5);
    for (int k = 0; k < 5; ++k) d[k] = target[k] - previous[k];
    const StepResult ra = absolute.Step(target);
    const StepResult rd = delta.Step(d);
    previous = target;
    held += absolute.HeldCube() >= 0 ? 1 : 0;
    ASSERT_EQ(delta.CommandedTarget(), target);
    ASSERT_EQ(absolute.SimState(), delta.SimState());
    ASSERT_EQ(ra.phase, rd.phase);
    ASSERT_EQ(rd.clipped_dims, 0);
  }
  EXPECT_GT(held, 3);
  EXPECT_EQ(delta.GetActionMode(), ActionMode::kDelta);
  EXPECT_EQ(delta.ActionSpec().high[0], StackEnv::kMaxDeltaXyz);
  EXPECT_EQ(delta.ActionSpec().high[3], StackEnv::kMaxDeltaYaw);
  EXPECT_EQ(delta.TargetSpec().high[0], StackEnv::kXyLimit);
  EXPECT_EQ(absolute.ActionSpec().names, absolute.TargetSpec().names);
}

void ExpectNear(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t k = 0; k < actual.size(); ++k) EXPECT_NEAR(actual[k], expected[k], 1e-12) << k;
}

TEST(StackEnv, DeltaActionsAreBoundedPerStepAndTheTargetToTheWorkspace) {
  StackEnv env(EnvOptions{{"action_mode", "delta"}});
  env.SetConfiguration(Apart(), {0.2, 0.0, 0.125, 1.5, 0.0});
  StepResult r = env.Step({0.1, 0.0, -0.25, 0.0, 2.0});  // x, z and grip over the bound
  EXPECT_EQ(r.clipped_dims, 3);
  ExpectNear(env.CommandedTarget(), {0.25, 0.0, 0.075, 1.5, 1.0});
  r = env.Step({0.05, 0.0, 0.0, 0.25, 0.0});  // x and yaw would leave the workspace
  EXPECT_EQ(r.clipped_dims, 2);
  ExpectNear(env.CommandedTarget(), {0.25, 0.0, 0.075, 1.6, 1.0});
}

TEST(StackEnv, OutOfBoundsTargetsAreClippedAndCounted) {
  StackEnv env({});
  env.Reset(1);
  EXPECT_EQ(env.Step({-1.0, 0.0, 0.5, 0.0, 1.5}).clipped_dims, 3);
  EXPECT_EQ(env.CommandedTarget(),
            (std::vector<double>{-StackEnv::kXyLimit, 0.0, StackEnv::kZHigh, 0.0, 1.0}));
  EXPECT_EQ(env.Step({0.0, 0.0, 0.1, -2.0, 0.0}).clipped_dims, 1);
  EXPECT_EQ(env.Step({0.0, 0.0, 0.1, 0.0, 0.0}).clipped_dims, 0);
}

TEST(StackEnv, BadActionsAreRejectedWithAClearError) {
  StackEnv env({});
  env.Reset(1);
  EXPECT_THROW(env.Step({std::nan(""), 0.0, 0.1, 0.0, 0.0}), EnvError);
  EXPECT_THROW(env.Step({0.0, 0.0, 0.1, INFINITY, 0.0}), EnvError);
  EXPECT_THROW(env.Step({0.0, 0.0, 0.1, 0.0}), EnvError);
  try {
    env.Step({0.0, 0.0, 0.1});
    FAIL() << "a 3-component action was accepted";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("5 components"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("grip"), std::string::npos) << e.what();
  }
  try {
    env.Step({0.0, 0.0, 0.1, 0.0, std::nan("")});
    FAIL() << "a NaN grip was accepted";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("component 4"), std::string::npos) << e.what();
  }
  EXPECT_EQ(env.StepCount(), 0);
}

TEST(StackEnv, UnknownOptionsAndValuesNameTheValidOnes) {
  try {
    StackEnv env(EnvOptions{{"start", "probe"}});
    FAIL() << "unknown option accepted";
  } catch (const EnvError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'start'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("action_mode"), std::string::npos) << msg;
    EXPECT_NE(msg.find("max_steps"), std::string::npos) << msg;
  }
  try {
    StackEnv env(EnvOptions{{"obs", "pixels"}});
    FAIL() << "invalid obs accepted";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("pixels"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("state"), std::string::npos) << e.what();
  }
  EXPECT_THROW(StackEnv(EnvOptions{{"action_mode", "velocity"}}), EnvError);
  EXPECT_THROW(StackEnv(EnvOptions{{"max_steps", "0"}}), EnvError);
  EXPECT_THROW(StackEnv(EnvOptions{{"max_steps", "ten"}}), EnvError);
  EXPECT_EQ(StackEnv(EnvOptions{{"max_steps", "50"}}).MaxSteps(), 50);
  EXPECT_THROW(StackEnv({}).Observation("keypoints"), EnvError);
  EXPECT_THROW(StackEnv({}).ObsSpec("keypoints"), EnvError);
}

TEST(StackEnv, ObservationsFollowTheDocumentedLayout) {
  StackEnv env({});
  const Cubes cubes = {At(-0.1, 0.02, kHalf, 0.7), At(0.05, 0.1, kHalf, -0.2), At(0.1, -0.1, kHalf, 1.2)};
  env.SetConfiguration(cubes, {0.03, -0.04, 0.2, 0.5, 0.0});
  const std::vector<double> state = env.Observation("state");
  const SpaceSpec spec = env.ObsSpec("state");
  ASSERT_EQ(state.size(), 17u);
  ASSERT_EQ(spec.dim(), 17);
  EXPECT_EQ(spec.names[0], "gripper_x");
  EXPECT_EQ(spec.names[4], "jaw_opening");
  EXPECT_EQ(spec.names[5], "red_x");
  EXPECT_EQ(spec.names[16], "blue_yaw");
  EXPECT_NEAR(state[0], 0.03, 2e-3);
  EXPECT_NEAR(state[1], -0.04, 2e-3);
  EXPECT_NEAR(state[2], 0.2, 2e-3);
  EXPECT_NEAR(state[3], 0.5, 1e-2);
  EXPECT_NEAR(state[4], 0.08, 1e-3);
  // Yaw modulo 90 degrees in [-pi/4, pi/4): 1.2 rad reads as 1.2 - pi/2.
  const double expected_yaw[3] = {0.7, -0.2, 1.2 - kPi / 2};
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(state[5 + 4 * c + 0], cubes[c].pos[0], 1e-4);
    EXPECT_NEAR(state[5 + 4 * c + 1], cubes[c].pos[1], 1e-4);
    EXPECT_NEAR(state[5 + 4 * c + 2], kHalf, 5e-4);
    EXPECT_NEAR(state[5 + 4 * c + 3], expected_yaw[c], 1e-3);
  }
  for (int k = 0; k < 17; ++k) {
    EXPECT_GE(state[k], spec.low[k]) << spec.names[k];
    EXPECT_LE(state[k], spec.high[k]) << spec.names[k];
  }
  // The effector in the target's units: the jaws' opening as a grip value.
  const std::vector<double> effector = env.EffectorPosition();
  ASSERT_EQ(effector.size(), 5u);
  EXPECT_NEAR(effector[4], 0.0, 0.02);
}

// Points BCBENCH_ASSET_DIR at a scratch tree for one scope, whatever happens.
class ScopedAssetDir {
 public:
  explicit ScopedAssetDir(const std::filesystem::path& dir) : dir_(dir) {
    setenv("BCBENCH_ASSET_DIR", dir_.c_str(), 1);
  }
  ~ScopedAssetDir() {
    unsetenv("BCBENCH_ASSET_DIR");
    std::filesystem::remove_all(dir_);
  }

 private:
  std::filesystem::path dir_;
};

TEST(StackEnv, AnMjcfWithoutTheExpectedPartsIsReportedClearly) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("bcbench_stack_mjcf_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "envs" / "stack");
  std::ofstream(dir / "envs" / "stack" / "stack.xml")
      << "<mujoco><worldbody><body name='red'><freejoint/><geom size='0.1'/></body>"
         "</worldbody></mujoco>";
  ScopedAssetDir scoped(dir);
  try {
    StackEnv env({});
    FAIL() << "an MJCF without the gripper was accepted";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("gripper_x"), std::string::npos) << e.what();
  }
}

TEST(StackEnv, RegistryBuildsStack) {
  auto env = MakeEnv("stack", {{"action_mode", "delta"}});
  EXPECT_EQ(env->Name(), "stack");
  EXPECT_EQ(env->Options().at("action_mode"), "delta");
  EXPECT_EQ(env->ObsKeys(), (std::vector<std::string>{"state"}));
  EXPECT_EQ(env->ModeNames().size(), 6u);
  const std::vector<std::string> names = EnvNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "stack"), names.end());
  // The render command looks for a camera named "task".
  EXPECT_GE(mj_name2id(env->Model(), mjOBJ_CAMERA, "task"), 0);
}

}  // namespace
}  // namespace bcbench
