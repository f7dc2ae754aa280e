// Push-T physics, options, observations and bookkeeping.
#include "envs/pusht/pusht_env.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "envs/registry.h"

namespace bcbench {
namespace {

using pusht::Pose2;
using pusht::Vec2;

double BlockSpeedPxPerS(const PushTEnv& env) {
  const mjData* d = env.Data();
  return 1000.0 * std::hypot(d->qvel[0], d->qvel[1]);
}

// A random action sequence that certainly pushes the block around: targets
// alternate between the block's centre and random points.
std::vector<std::vector<double>> MixedActions(const PushTEnv& env, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const Vec2 centre = pusht::ToWorld(env.BlockPose(), pusht::kCentreOfMass);
  std::vector<std::vector<double>> actions;
  for (int t = 0; t < n; ++t) {
    if (t % 10 < 5) {
      actions.push_back({centre.x + (t % 5) * 3.0, centre.y - (t % 5) * 2.0});
    } else {
      actions.push_back({static_cast<double>(rng() % 512), static_cast<double>(rng() % 512)});
    }
  }
  return actions;
}

TEST(PushTEnv, BlockPoseRoundTripsThroughTheJointsAndMatchesMuJoCosFrame) {
  PushTEnv env({});
  const Pose2 pose{300.0, 180.0, 2.2};
  env.SetConfiguration(pose, {60.0, 60.0});
  const Pose2 back = env.BlockPose();
  EXPECT_NEAR(back.x, pose.x, 1e-9);
  EXPECT_NEAR(back.y, pose.y, 1e-9);
  EXPECT_NEAR(back.angle, pose.angle, 1e-12);
  // MuJoCo's own kinematics put the body frame (= block frame) at the pose.
  const int body = mj_name2id(env.Model(), mjOBJ_BODY, "block");
  const mjData* d = env.Data();
  EXPECT_NEAR(1000.0 * d->xpos[3 * body + 0], pose.x, 1e-9);
  EXPECT_NEAR(1000.0 * d->xpos[3 * body + 1], pose.y, 1e-9);
  EXPECT_NEAR(
      pusht::AngleDifference(std::atan2(d->xmat[9 * body + 3], d->xmat[9 * body + 0]), pose.angle),
      0.0, 1e-9);
  // And the centre of mass where the geometry says it is.
  const Vec2 com = pusht::ToWorld(pose, pusht::kCentreOfMass);
  EXPECT_NEAR(1000.0 * d->xipos[3 * body + 0], com.x, 1e-9);
  EXPECT_NEAR(1000.0 * d->xipos[3 * body + 1], com.y, 1e-9);
  EXPECT_NEAR(env.Model()->body_mass[body], 1.0, 1e-12);
}

TEST(PushTEnv, RunsAtTenHertzWithTenSubstepsOfTenMilliseconds) {
  PushTEnv env({});
  EXPECT_EQ(env.ControlHz(), 10.0);
  EXPECT_EQ(env.Substeps(), 10);
  EXPECT_DOUBLE_EQ(env.Model()->opt.timestep, 0.01);
  EXPECT_EQ(env.MaxSteps(), 300);
}

TEST(PushTEnv, RandomStartsFollowTheOriginalsRanges) {
  PushTEnv env({});
  for (uint64_t seed = 0; seed < 200; ++seed) {
    env.Reset(seed);
    const Vec2 agent = env.AgentPosition();
    const Pose2 block = env.BlockPose();
    EXPECT_GE(agent.x, 50.0);
    EXPECT_LT(agent.x, 450.0);
    EXPECT_GE(agent.y, 50.0);
    EXPECT_LT(agent.y, 450.0);
    EXPECT_GE(block.x, 100.0);
    EXPECT_LT(block.x, 400.0);
    EXPECT_GE(block.y, 100.0);
    EXPECT_LT(block.y, 400.0);
    EXPECT_TRUE(pusht::TInsideWorkspace(block, 0.0)) << "seed " << seed;
    EXPECT_GT(pusht::DistanceToT(block, agent), pusht::kAgentRadius) << "seed " << seed;
    EXPECT_FALSE(env.Success()) << "seed " << seed;
    EXPECT_EQ(env.StepCount(), 0);
    EXPECT_EQ(env.Mode(), -1);
    EXPECT_EQ(env.CommandedTarget(), (std::vector<double>{agent.x, agent.y}));
  }
}

TEST(PushTEnv, ResetIsDeterministicPerSeed) {
  PushTEnv a({});
  PushTEnv b({});
  a.Reset(42);
  b.Reset(7);
  b.Reset(42);
  EXPECT_EQ(a.Observation("state"), b.Observation("state"));
  EXPECT_EQ(a.SimState(), b.SimState());
  b.Reset(43);
  EXPECT_NE(a.Observation("state"), b.Observation("state"));
}

TEST(PushTEnv, BlockDoesNotMoveWithoutContact) {
  PushTEnv env({});
  env.SetConfiguration({300.0, 300.0, 0.7}, {100.0, 100.0});
  const std::vector<double> before = env.Observation("state");
  for (int t = 0; t < 20; ++t) {
    // The agent races around the far corner, never near the T.
    const StepResult r = env.Step({t % 2 == 0 ? 20.0 : 160.0, t % 3 == 0 ? 20.0 : 150.0});
    EXPECT_EQ(r.phase, PushTEnv::kTransit);
  }
  const std::vector<double> after = env.Observation("state");
  for (int k = 2; k < 5; ++k) EXPECT_EQ(before[k], after[k]) << "block component " << k;
  EXPECT_NE(before[0], after[0]);  // while the agent did move
}

TEST(PushTEnv, PushedBlockMovesAndStopsWithinAFewTenthsOfASecond) {
  PushTEnv env({});
  env.SetConfiguration({256.0, 200.0, 0.0}, {256.0, 150.0});
  // Push the bar's outer edge upwards at 200 px/s for 1 s.
  bool pushed = false;
  for (int t = 1; t <= 10; ++t) {
    const StepResult r = env.Step({256.0, 150.0 + 20.0 * t});
    pushed = pushed || r.phase == PushTEnv::kPush;
  }
  EXPECT_TRUE(pushed);
  EXPECT_GT(env.BlockPose().y, 280.0);
  EXPECT_GT(BlockSpeedPxPerS(env), 100.0);
  // Jump the target far away: the agent leaves the block within a step.
  env.Step({256.0, 20.0});
  EXPECT_EQ(env.Phase(), PushTEnv::kTransit);
  // Quasi-static: once free, the block stops within 0.1-0.2 s.
  env.Step({256.0, 20.0});
  EXPECT_LT(BlockSpeedPxPerS(env), 0.5);
  const Pose2 rest = env.BlockPose();
  env.Step({256.0, 20.0});
  EXPECT_NEAR(env.BlockPose().y, rest.y, 0.05);
}

TEST(PushTEnv, FreeBlockLosesItsVelocityWithinATenthOfASecond) {
  PushTEnv env({});
  env.SetConfiguration({256.0, 256.0, 0.3}, {60.0, 60.0});
  std::vector<double> state = env.SimState();
  state[1 + 3] = 0.3;   // qvel x: 300 px/s
  state[1 + 4] = -0.2;  // qvel y
  state[1 + 5] = 3.0;   // rad/s
  env.SetSimState(state);
  env.Step({60.0, 60.0});
  EXPECT_LT(BlockSpeedPxPerS(env), 1.0);
  EXPECT_LT(std::abs(env.Data()->qvel[2]), 0.01);
}

TEST(PushTEnv, AgentFollowsTheCriticallyDampedPdLaw) {
  PushTEnv env({});
  env.SetConfiguration({400.0, 400.0, 0.0}, {100.0, 100.0});
  // Critically damped, omega = 10/s, from rest: the remaining distance is
  // d (1 + w t) exp(-w t): 4.0 px of 100 after 0.5 s, 0.05 px after 1 s. The
  // semi-implicit Euler integration at 100 Hz (as pymunk's) runs up to ~3 px
  // ahead of that continuous curve early on.
  double peak = 0.0;
  for (int t = 1; t <= 10; ++t) {
    env.Step({200.0, 100.0});
    const Vec2 a = env.AgentPosition();
    peak = std::max(peak, a.x);
    const double time = 0.1 * t;
    const double expected = 100.0 * (1.0 + 10.0 * time) * std::exp(-10.0 * time);
    EXPECT_NEAR(200.0 - a.x, expected, 3.5) << "after " << time << " s";
    EXPECT_NEAR(a.y, 100.0, 1e-9);
  }
  EXPECT_LT(200.0 - env.AgentPosition().x, 0.5);
  EXPECT_LE(peak, 200.0 + 1e-9);  // no overshoot
}

TEST(PushTEnv, WallsKeepTheBlockInsideWhenPushedHard) {
  PushTEnv env({});
  // T upright just above the bottom wall; the agent drives down through the
  // stem with a target beyond the wall.
  env.SetConfiguration({256.0, 40.0, 0.0}, {256.0, 190.0});
  for (int t = 0; t < 30; ++t) {
    const StepResult r = env.Step({256.0, -200.0});
    EXPECT_EQ(r.clipped_dims, 1);
  }
  EXPECT_EQ(env.CommandedTarget(), (std::vector<double>{256.0, 0.0}));
  // And sideways into the left wall, block turned.
  PushTEnv side({});
  side.SetConfiguration({90.0, 256.0, pusht::kPi / 2}, {250.0, 270.0});
  for (int t = 0; t < 30; ++t) side.Step({-100.0, 260.0});
  for (const PushTEnv* e : {&env, &side}) {
    const Pose2 block = e->BlockPose();
    EXPECT_GE(block.x, 0.0);
    EXPECT_LE(block.x, 512.0);
    EXPECT_GE(block.y, 0.0);
    EXPECT_LE(block.y, 512.0);
    // Soft contacts may let a corner sink in by a few px, no more.
    EXPECT_TRUE(pusht::TInsideWorkspace(block, -3.0))
        << block.x << ", " << block.y << ", " << block.angle;
  }
}

TEST(PushTEnv, SameActionsGiveBitIdenticalRollouts) {
  PushTEnv a({});
  PushTEnv b({});
  a.Reset(3);
  b.Reset(3);
  const auto actions = MixedActions(a, 60, 11);
  int pushes = 0;
  for (const auto& action : actions) {
    const StepResult ra = a.Step(action);
    const StepResult rb = b.Step(action);
    pushes += ra.phase;
    ASSERT_EQ(a.Observation("keypoints"), b.Observation("keypoints"));
    ASSERT_EQ(a.SimState(), b.SimState());
    ASSERT_EQ(ra.reward, rb.reward);
  }
  EXPECT_GT(pushes, 5);  // the comparison covered contact, not only free motion
}

TEST(PushTEnv, SimStateRoundTripRestoresTheEpisodeExactly) {
  PushTEnv env({});
  env.Reset(5);
  const auto actions = MixedActions(env, 40, 2);
  for (int t = 0; t < 20; ++t) env.Step(actions[t]);
  const std::vector<double> saved = env.SimState();
  std::vector<std::vector<double>> first;
  for (int t = 20; t < 40; ++t) {
    env.Step(actions[t]);
    first.push_back(env.Observation("state"));
  }
  // Restore into another instance that has lived a different life.
  PushTEnv other({});
  other.Reset(99);
  other.Step({10.0, 10.0});
  other.SetSimState(saved);
  EXPECT_EQ(other.SimState(), saved);
  EXPECT_EQ(other.StepCount(), 20);
  for (int t = 20; t < 40; ++t) {
    other.Step(actions[t]);
    ASSERT_EQ(other.Observation("state"), first[t - 20]) << "step " << t;
  }
  EXPECT_EQ(other.Mode(), env.Mode());
  EXPECT_EQ(other.Phase(), env.Phase());
  EXPECT_THROW(other.SetSimState({1.0, 2.0}), EnvError);
}

TEST(PushTEnv, BadActionsAreRejectedWithAClearError) {
  PushTEnv env({});
  env.Reset(1);
  EXPECT_THROW(env.Step({std::nan(""), 3.0}), EnvError);
  EXPECT_THROW(env.Step({1.0, INFINITY}), EnvError);
  EXPECT_THROW(env.Step({1.0}), EnvError);
  EXPECT_THROW(env.Step({1.0, 2.0, 3.0}), EnvError);
  try {
    env.Step({1.0, 2.0, 3.0});
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("2 components"), std::string::npos) << e.what();
  }
  EXPECT_EQ(env.StepCount(), 0);
}

TEST(PushTEnv, OutOfBoundsTargetsAreClippedAndCounted) {
  PushTEnv env({});
  env.Reset(1);
  EXPECT_EQ(env.Step({-10.0, 600.0}).clipped_dims, 2);
  EXPECT_EQ(env.CommandedTarget(), (std::vector<double>{0.0, 512.0}));
  EXPECT_EQ(env.Step({100.0, 600.0}).clipped_dims, 1);
  EXPECT_EQ(env.Step({100.0, 512.0}).clipped_dims, 0);
}

TEST(PushTEnv, UnknownOptionsAndValuesNameTheValidOnes) {
  try {
    PushTEnv env(EnvOptions{{"observation", "state"}});
    FAIL() << "unknown option accepted";
  } catch (const EnvError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("observation"), std::string::npos) << msg;
    EXPECT_NE(msg.find("action_mode"), std::string::npos) << msg;
    EXPECT_NE(msg.find("max_steps"), std::string::npos) << msg;
  }
  try {
    PushTEnv env(EnvOptions{{"obs", "pixels"}});
    FAIL() << "invalid obs accepted";
  } catch (const EnvError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("obs"), std::string::npos) << msg;
    EXPECT_NE(msg.find("pixels"), std::string::npos) << msg;
    EXPECT_NE(msg.find("keypoints"), std::string::npos) << msg;
  }
  EXPECT_THROW(PushTEnv(EnvOptions{{"action_mode", "velocity"}}), EnvError);
  EXPECT_THROW(PushTEnv(EnvOptions{{"start", "fixed"}}), EnvError);
  EXPECT_THROW(PushTEnv(EnvOptions{{"max_steps", "0"}}), EnvError);
  EXPECT_THROW(PushTEnv(EnvOptions{{"max_steps", "12x"}}), EnvError);
  EXPECT_EQ(PushTEnv(EnvOptions{{"max_steps", "50"}}).MaxSteps(), 50);
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

TEST(PushTEnv, BrokenMjcfIsReportedWithItsPath) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("bcbench_pusht_broken_mjcf_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "envs" / "pusht");
  std::ofstream(dir / "envs" / "pusht" / "pusht.xml") << "<mujoco><worldbody><body>";
  ScopedAssetDir scoped(dir);
  try {
    PushTEnv env({});
    FAIL() << "broken MJCF accepted";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("pusht.xml"), std::string::npos) << e.what();
  }
}

TEST(PushTEnv, DeltaActionsReproduceTheAbsoluteRolloutBitForBit) {
  PushTEnv absolute({});
  PushTEnv delta(EnvOptions{{"action_mode", "delta"}});
  // Dyadic start and targets (multiples of 1/8 px): their differences and
  // sums are exact, so the delta env must land on the very same targets.
  const Pose2 block{250.0, 200.0, 0.4};
  const Vec2 start{200.5, 120.25};
  absolute.SetConfiguration(block, start);
  delta.SetConfiguration(block, start);
  std::vector<std::vector<double>> targets;
  for (int t = 1; t <= 40; ++t) {
    // Up into the bar, then sideways, within 50 px per step.
    const double x = t <= 20 ? 200.5 + 2.0 * t : 240.5 - 3.125 * (t - 20);
    const double y = t <= 20 ? 120.25 + 8.5 * t : 290.25 + 1.375 * (t - 20);
    targets.push_back({x, y});
  }
  std::vector<double> previous = {start.x, start.y};
  int pushes = 0;
  for (const auto& target : targets) {
    const StepResult ra = absolute.Step(target);
    const StepResult rd = delta.Step({target[0] - previous[0], target[1] - previous[1]});
    previous = target;
    pushes += ra.phase;
    ASSERT_EQ(delta.CommandedTarget(), target);
    ASSERT_EQ(absolute.SimState(), delta.SimState());
    ASSERT_EQ(ra.phase, rd.phase);
    ASSERT_EQ(rd.clipped_dims, 0);
  }
  EXPECT_GT(pushes, 5);
  EXPECT_EQ(delta.GetActionMode(), ActionMode::kDelta);
  EXPECT_EQ(delta.ActionSpec().high[0], PushTEnv::kMaxDelta);
  EXPECT_EQ(delta.TargetSpec().high[0], 512.0);  // targets stay in the workspace
  EXPECT_EQ(absolute.ActionSpec().names, absolute.TargetSpec().names);
}

TEST(PushTEnv, DeltaActionsAreBoundedPerAxisAndTheTargetToTheWorkspace) {
  PushTEnv env(EnvOptions{{"action_mode", "delta"}});
  env.SetConfiguration({300.0, 300.0, 0.0}, {30.0, 100.0});
  EXPECT_EQ(env.CommandedTarget(), (std::vector<double>{30.0, 100.0}));
  StepResult r = env.Step({80.0, -20.0});  // x delta over the bound
  EXPECT_EQ(r.clipped_dims, 1);
  EXPECT_EQ(env.CommandedTarget(), (std::vector<double>{80.0, 80.0}));
  r = env.Step({-50.0, 0.0});
  r = env.Step({-40.0, 0.0});  // the target would leave the workspace
  EXPECT_EQ(r.clipped_dims, 1);
  EXPECT_EQ(env.CommandedTarget(), (std::vector<double>{0.0, 80.0}));
}

TEST(PushTEnv, ObservationsFollowTheDocumentedLayout) {
  PushTEnv env(EnvOptions{{"obs", "keypoints"}});
  EXPECT_EQ(env.ObsKeys(), (std::vector<std::string>{"keypoints", "state"}));
  EXPECT_EQ(PushTEnv({}).ObsKeys(), (std::vector<std::string>{"state", "keypoints"}));
  const Pose2 pose{200.0, 300.0, -0.5};
  env.SetConfiguration(pose, {400.0, 100.0});
  const std::vector<double> state = env.Observation("state");
  ASSERT_EQ(state.size(), 5u);
  EXPECT_EQ(state[0], 400.0);
  EXPECT_EQ(state[1], 100.0);
  EXPECT_NEAR(state[2], 200.0, 1e-9);
  EXPECT_NEAR(state[3], 300.0, 1e-9);
  EXPECT_NEAR(state[4], 2 * pusht::kPi - 0.5, 1e-12);  // wrapped to [0, 2 pi)
  const std::vector<double> kp = env.Observation("keypoints");
  ASSERT_EQ(kp.size(), 20u);
  for (int i = 0; i < 8; ++i) {
    const Vec2 v = pusht::ToWorld(pose, pusht::kOutline[i]);
    EXPECT_NEAR(kp[2 * i], v.x, 1e-9);
    EXPECT_NEAR(kp[2 * i + 1], v.y, 1e-9);
  }
  const Vec2 first = pusht::ToWorld(pose, {-60.0, 0.0});
  EXPECT_NEAR(kp[0], first.x, 1e-9);
  const Vec2 com = pusht::ToWorld(pose, pusht::kCentreOfMass);
  EXPECT_NEAR(kp[16], com.x, 1e-9);
  EXPECT_NEAR(kp[17], com.y, 1e-9);
  EXPECT_EQ(kp[18], 400.0);
  EXPECT_EQ(kp[19], 100.0);
  EXPECT_EQ(env.ObsSpec("keypoints").dim(), 20);
  EXPECT_EQ(env.ObsSpec("state").dim(), 5);
  EXPECT_THROW(env.ObsSpec("pixels"), EnvError);
  EXPECT_THROW(env.Observation("pixels"), EnvError);
}

TEST(PushTEnv, SuccessEndsTheEpisodeAndTheStepLimitToo) {
  PushTEnv env(EnvOptions{{"max_steps", "5"}});
  // The block 1 px off the goal: already above 0.95 coverage.
  env.SetConfiguration({257.0, 256.0, pusht::kPi / 4}, {60.0, 60.0});
  StepResult r = env.Step({60.0, 60.0});
  EXPECT_TRUE(r.success);
  EXPECT_TRUE(r.done);
  EXPECT_DOUBLE_EQ(r.reward, 1.0);
  env.SetConfiguration({300.0, 256.0, pusht::kPi / 4}, {60.0, 60.0});
  for (int t = 0; t < 4; ++t) EXPECT_FALSE(env.Step({60.0, 60.0}).done);
  r = env.Step({60.0, 60.0});
  EXPECT_TRUE(r.done);
  EXPECT_FALSE(r.success);
  EXPECT_NEAR(r.reward, pusht::Coverage({300.0, 256.0, pusht::kPi / 4}) / 0.95, 1e-9);
}

TEST(PushTEnv, PhaseIsPushExactlyWhileTheAgentTouchesTheBlock) {
  PushTEnv env({});
  env.SetConfiguration({256.0, 200.0, 0.0}, {256.0, 100.0});
  EXPECT_EQ(env.Step({256.0, 130.0}).phase, PushTEnv::kTransit);  // 70 px away
  int push_steps = 0;
  for (int t = 0; t < 5; ++t) push_steps += env.Step({256.0, 240.0}).phase;
  EXPECT_GE(push_steps, 3);
  EXPECT_EQ(env.Phase(), PushTEnv::kPush);
  env.Step({256.0, 20.0});
  env.Step({256.0, 20.0});
  EXPECT_EQ(env.Phase(), PushTEnv::kTransit);
}

// Drives the agent from the probe start around one side of the T.
int ProbeModeGoingAround(double side) {
  PushTEnv env(EnvOptions{{"start", "probe"}});
  env.Reset(0);
  const Pose2 block = env.BlockPose();
  const Vec2 waypoints[] = {{side * 85.0, -20.0}, {side * 85.0, 60.0}, {side * 35.0, 145.0}};
  for (const Vec2& w : waypoints) {
    const Vec2 target = pusht::ToWorld(block, w);
    for (int t = 0; t < 6; ++t) env.Step({target.x, target.y});
  }
  return env.Mode();
}

TEST(PushTEnv, ModeIsTheSideOfTheTTheAgentGoesAround) {
  EXPECT_EQ(ProbeModeGoingAround(-1.0), PushTEnv::kLeft);
  EXPECT_EQ(ProbeModeGoingAround(+1.0), PushTEnv::kRight);
  // Undecided while the agent stays away from the T.
  PushTEnv env(EnvOptions{{"start", "probe"}});
  env.Reset(0);
  EXPECT_EQ(env.Mode(), -1);
  env.Step({env.AgentPosition().x, env.AgentPosition().y});
  EXPECT_EQ(env.Mode(), -1);
}

TEST(PushTEnv, ProbeStateIsSymmetricAboutTheBlockAxis) {
  PushTEnv env(EnvOptions{{"start", "probe"}});
  env.Reset(123);
  const Pose2 block = env.BlockPose();
  EXPECT_NEAR(block.angle, pusht::kGoalPose.angle, 1e-12);
  // Goal, block origin and agent all on the block's axis (block-frame x = 0),
  // which is the workspace diagonal x + y = 512.
  EXPECT_NEAR(pusht::ToLocal(block, {pusht::kGoalPose.x, pusht::kGoalPose.y}).x, 0.0, 1e-9);
  EXPECT_NEAR(pusht::ToLocal(block, env.AgentPosition()).x, 0.0, 1e-9);
  EXPECT_NEAR(block.x + block.y, 512.0, 1e-9);
  EXPECT_NEAR(env.AgentPosition().x + env.AgentPosition().y, 512.0, 1e-9);
  EXPECT_FALSE(env.Success());
  PushTEnv again(EnvOptions{{"start", "probe"}});
  again.Reset(5);
  EXPECT_EQ(env.SimState(), again.SimState());  // one fixed state whatever the seed
}

TEST(PushTEnv, RegistryBuildsPushT) {
  auto env = MakeEnv("pusht", {{"obs", "keypoints"}});
  EXPECT_EQ(env->Name(), "pusht");
  EXPECT_EQ(env->Options().at("obs"), "keypoints");
  EXPECT_EQ(env->PhaseNames(), (std::vector<std::string>{"transit", "push"}));
  EXPECT_EQ(env->ModeNames(), (std::vector<std::string>{"left", "right"}));
}

}  // namespace
}  // namespace bcbench
