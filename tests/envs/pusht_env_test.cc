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

#include "envs/mujoco_handles.h"
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
  // And the original's mass properties: mass 1, centre of gravity (0, 45),
  // moment of inertia 3000 px^2 about it.
  const Vec2 cog = pusht::ToWorld(pose, pusht::kCentreOfGravity);
  EXPECT_NEAR(1000.0 * d->xipos[3 * body + 0], cog.x, 1e-9);
  EXPECT_NEAR(1000.0 * d->xipos[3 * body + 1], cog.y, 1e-9);
  EXPECT_NEAR(env.Model()->body_mass[body], 1.0, 1e-12);
  EXPECT_NEAR(env.Model()->body_inertia[3 * body + 2] * 1e6, 3000.0, 1e-9);
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
  int agent_in_t = 0, t_in_wall = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    env.Reset(seed);
    const Vec2 agent = env.AgentPosition();
    const Pose2 block = env.BlockPose();
    // Integer positions: the agent's in [50, 450), the block's (its origin
    // before the angle turned it about the centre of gravity) in [100, 400).
    EXPECT_EQ(agent.x, std::floor(agent.x));
    EXPECT_EQ(agent.y, std::floor(agent.y));
    EXPECT_GE(agent.x, 50.0);
    EXPECT_LT(agent.x, 450.0);
    EXPECT_GE(agent.y, 50.0);
    EXPECT_LT(agent.y, 450.0);
    const Vec2 cog = pusht::ToWorld(block, pusht::kCentreOfGravity);
    const Vec2 placed{cog.x - pusht::kCentreOfGravity.x, cog.y - pusht::kCentreOfGravity.y};
    EXPECT_NEAR(placed.x, std::round(placed.x), 1e-9) << "seed " << seed;
    EXPECT_NEAR(placed.y, std::round(placed.y), 1e-9) << "seed " << seed;
    EXPECT_GE(placed.x, 100.0 - 1e-9);
    EXPECT_LT(placed.x, 400.0);
    EXPECT_GE(placed.y, 100.0 - 1e-9);
    EXPECT_LT(placed.y, 400.0);
    EXPECT_GE(block.angle, -pusht::kPi - 8 * 2 * pusht::kPi);
    EXPECT_EQ(env.StepCount(), 0);
    EXPECT_EQ(env.Mode(), -1);
    EXPECT_EQ(env.CommandedTarget(), (std::vector<double>{agent.x, agent.y}));
    // No rejection, as the original: some starts overlap.
    agent_in_t += pusht::DistanceToT(block, agent) < pusht::kAgentRadius ? 1 : 0;
    t_in_wall += pusht::TInsideWorkspace(block, 7.0) ? 0 : 1;
  }
  EXPECT_GT(agent_in_t, 0);
  EXPECT_GT(t_in_wall, 0);
}

TEST(PushTEnv, RandomStartAnglesAreSpreadLikeRandnTimesTwoPiMinusPi) {
  double sum = 0.0, sum2 = 0.0;
  const int n = 2000;
  for (int seed = 0; seed < n; ++seed) {
    Vec2 agent;
    Pose2 block;
    PushTEnv::RandomStart(static_cast<uint64_t>(seed), &agent, &block);
    sum += block.angle;
    sum2 += block.angle * block.angle;
  }
  const double mean = sum / n;
  const double sd = std::sqrt(sum2 / n - mean * mean);
  EXPECT_NEAR(mean, -pusht::kPi, 0.3);      // 3.5 standard errors
  EXPECT_NEAR(sd, 2.0 * pusht::kPi, 0.35);  // about 3.5 standard errors
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

TEST(PushTEnv, PushedBlockMovesWithTheAgentAndStopsTheSubstepAfterContactEnds) {
  PushTEnv env({});
  env.SetConfiguration({256.0, 200.0, 0.0}, {256.0, 150.0});
  // Push the bar's outer edge upwards at 200 px/s for 1 s.
  bool pushed = false;
  for (int t = 1; t <= 10; ++t) {
    env.Step({256.0, 150.0 + 20.0 * t});
    pushed = pushed || env.TouchedLastStep();
  }
  EXPECT_TRUE(pushed);
  EXPECT_GT(env.BlockPose().y, 280.0);
  EXPECT_GT(BlockSpeedPxPerS(env), 100.0);
  // Jump the target far away and follow it substep by substep.
  const mjModel* m = env.Model();
  MjDataPtr d = MakeData(m);
  mj_copyData(d.get(), m, env.Data());
  const PushTPhysics& physics = env.Physics();
  const double away[2] = {256.0, 20.0};
  int substep = 0;
  Pose2 before = physics.BlockPose(d.get());
  while (physics.Substep(m, d.get(), away)) {
    ASSERT_LT(++substep, 20) << "the agent never let go";
    before = physics.BlockPose(d.get());
  }
  // The first substep without contact still moves the T (by the last
  // contact's velocity); the next one does not, nor any after it.
  const Pose2 free = physics.BlockPose(d.get());
  EXPECT_GT(std::abs(free.y - before.y), 0.1);
  for (int k = 0; k < 15; ++k) {
    physics.Substep(m, d.get(), away);
    const Pose2 now = physics.BlockPose(d.get());
    ASSERT_EQ(now.x, free.x) << "substep " << k << " after contact ended";
    ASSERT_EQ(now.y, free.y);
    ASSERT_EQ(now.angle, free.angle);
  }
}

TEST(PushTEnv, FreeBlockMovesOneSubstepByItsPendingVelocityThenStops) {
  PushTEnv env({});
  env.SetConfiguration({256.0, 256.0, 0.3}, {60.0, 60.0});
  std::vector<double> state = env.SimState();
  state[1 + env.Model()->nq + 0] = 0.3;  // qvel x: 300 px/s
  state[1 + env.Model()->nq + 2] = 3.0;  // rad/s
  env.SetSimState(state);
  const Vec2 cog = pusht::ToWorld(env.BlockPose(), pusht::kCentreOfGravity);
  env.Step({60.0, 60.0});
  EXPECT_EQ(BlockSpeedPxPerS(env), 0.0);
  EXPECT_EQ(env.Data()->qvel[2], 0.0);
  const Pose2 after = env.BlockPose();
  const Vec2 moved = pusht::ToWorld(after, pusht::kCentreOfGravity);
  EXPECT_NEAR(moved.x - cog.x, 3.0, 1e-9);  // 300 px/s for one 0.01 s substep
  EXPECT_NEAR(moved.y - cog.y, 0.0, 1e-9);
  EXPECT_NEAR(after.angle, 0.33, 1e-12);
}

TEST(PushTEnv, PurePushAlongTheStemAxisTranslatesWithoutRotation) {
  for (const double angle : {0.0, 0.7, -2.0}) {
    PushTEnv env({});
    const Pose2 start{256.0, 256.0, angle};
    // Below the bar on the axis, pushing towards the stem tip at 150 px/s.
    const Vec2 from = pusht::ToWorld(start, {0.0, -40.0});
    env.SetConfiguration(start, from);
    for (int t = 1; t <= 8; ++t) {
      const Vec2 target = pusht::ToWorld(start, {0.0, -40.0 + 15.0 * t});
      env.Step({target.x, target.y});
    }
    const Pose2 end = env.BlockPose();
    const Vec2 moved = pusht::ToLocal(start, {end.x, end.y});
    EXPECT_GT(moved.y, 50.0) << "angle " << angle;
    EXPECT_NEAR(moved.x, 0.0, 1e-6) << "angle " << angle;
    EXPECT_NEAR(pusht::AngleDifference(end.angle, angle), 0.0, 1e-9) << "angle " << angle;
  }
  // Off the axis the same push turns the T: the test can tell.
  PushTEnv env({});
  const Pose2 start{256.0, 256.0, 0.0};
  env.SetConfiguration(start, {256.0 + 20.0, 216.0});
  for (int t = 1; t <= 8; ++t) env.Step({256.0 + 20.0, 216.0 + 15.0 * t});
  EXPECT_GT(std::abs(env.BlockPose().angle), 0.05);
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

// The largest depth (px) by which the T's outline crosses the walls' inner faces.
double WallPenetration(const Pose2& block) {
  double depth = 0.0;
  for (const Vec2& v : pusht::kOutline) {
    const Vec2 w = pusht::ToWorld(block, v);
    depth = std::max({depth, 7.0 - w.x, w.x - 504.0, 7.0 - w.y, w.y - 504.0});
  }
  return depth;
}

struct WallPush {
  double deepest = 0.0;   // px, largest wall penetration over the episode
  double fastest = 0.0;   // px, largest block displacement in one control step
  Pose2 end;
};

WallPush PushIntoWall(const Pose2& block, Vec2 agent, Vec2 target, int steps) {
  PushTEnv env({});
  env.SetConfiguration(block, agent);
  WallPush out;
  Pose2 previous = env.BlockPose();
  for (int t = 0; t < steps; ++t) {
    env.Step({target.x, target.y});
    const Pose2 now = env.BlockPose();
    out.deepest = std::max(out.deepest, WallPenetration(now));
    out.fastest = std::max(out.fastest, std::hypot(now.x - previous.x, now.y - previous.y));
    previous = now;
  }
  out.end = previous;
  return out;
}

TEST(PushTEnv, PushingTheBlockIntoAWallNeitherTunnelsNorEjectsIt) {
  // The agent's target 10 px deeper than the T, flush with a wall, lets it go:
  // down onto the stem tip with the bar on the bottom wall, and sideways onto
  // the bar (on and off the axis) with the stem tip on the left wall. The
  // kinematic agent sinks into the T; the T stays at the wall (the original's
  // Chipmunk lets it sink up to 9 px and squirt sideways in the first case).
  const WallPush down = PushIntoWall({256.0, 7.0, 0.0}, {256.0, 190.0}, {256.0, 132.0}, 12);
  EXPECT_LT(down.deepest, 3.0);
  EXPECT_LT(down.fastest, 2.0);
  EXPECT_NEAR(down.end.x, 256.0, 0.5);
  for (const double offset : {0.0, 20.0}) {
    const WallPush side =
        PushIntoWall({127.0, 256.0, pusht::kPi / 2}, {200.0, 256.0 + offset}, {132.0, 256.0 + offset}, 12);
    EXPECT_LT(side.deepest, 3.0) << "offset " << offset;
    EXPECT_LT(side.fastest, 10.0) << "offset " << offset;
  }
  // Driven right through the T (target beyond the wall): the agent passes
  // (it is kinematic, as in the original), squeezing the T out sideways, as
  // the original does too (its Chipmunk moves the T 52 px in one step here and
  // lets it sink 17.6 px into the wall); the T is not pushed through the wall
  // and ends at rest against it.
  const WallPush through = PushIntoWall({256.0, 7.0, 0.0}, {256.0, 190.0}, {256.0, -200.0}, 30);
  EXPECT_LT(through.deepest, 8.0);
  EXPECT_LT(through.fastest, 80.0);
  EXPECT_LT(WallPenetration(through.end), 0.2);
  // A T that starts inside a wall (the original's resets allow it) is pushed out.
  const WallPush inside = PushIntoWall({40.0, 256.0, pusht::kPi / 2}, {400.0, 400.0}, {400.0, 400.0}, 20);
  EXPECT_LT(WallPenetration(inside.end), 0.2);
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
    pushes += a.TouchedLastStep() ? 1 : 0;
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

TEST(PushTEnv, PhaseFollowsContactOnceItHoldsForTwoSteps) {
  PushTEnv env({});
  env.SetConfiguration({256.0, 200.0, 0.0}, {256.0, 100.0});
  EXPECT_EQ(env.Step({256.0, 130.0}).phase, PushTEnv::kTransit);  // 70 px away
  std::vector<int> raw, phase;
  for (int t = 0; t < 5; ++t) {
    phase.push_back(env.Step({256.0, 240.0}).phase);
    raw.push_back(env.TouchedLastStep() ? 1 : 0);
  }
  // The phase turns "push" on the second step of contact, not the first.
  int first_touch = 0;
  while (first_touch < 5 && raw[first_touch] == 0) ++first_touch;
  ASSERT_LT(first_touch + 1, 5);
  EXPECT_EQ(raw[first_touch + 1], 1);
  EXPECT_EQ(phase[first_touch], PushTEnv::kTransit);
  EXPECT_EQ(phase[first_touch + 1], PushTEnv::kPush);
  EXPECT_EQ(env.Phase(), PushTEnv::kPush);
  // One step off the block does not end the push; two do.
  env.Step({256.0, 20.0});
  EXPECT_FALSE(env.TouchedLastStep());
  EXPECT_EQ(env.Phase(), PushTEnv::kPush);
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

TEST(PushTEnv, ModeWaitsUntilTheAgentIsClearlyOnOneSideOfTheAxis) {
  const Pose2 block{256.0, 256.0, 0.6};
  // Just below the bar (edge 5 px away): within 10 px of the axis it says nothing.
  for (const double x : {0.0, 0.4, -3.0, 9.9, -9.9}) {
    EXPECT_EQ(PushTEnv::ModeFromState(block, pusht::ToWorld(block, {x, -20.0})), -1) << x;
  }
  EXPECT_EQ(PushTEnv::ModeFromState(block, pusht::ToWorld(block, {10.5, -20.0})), PushTEnv::kRight);
  EXPECT_EQ(PushTEnv::ModeFromState(block, pusht::ToWorld(block, {-10.5, -20.0})), PushTEnv::kLeft);
  // Far from the T nothing is decided, off the axis or not.
  EXPECT_EQ(PushTEnv::ModeFromState(block, pusht::ToWorld(block, {-40.0, -60.0})), -1);
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

namespace bcbench {
namespace {

TEST(PushTPhysics, SkippingSubstepsWithNothingInReachChangesNothingBitForBit) {
  PushTEnv env({});
  env.Reset(3);
  const mjModel* m = env.Model();
  const PushTPhysics skipping(m, true), solving(m, false);
  MjDataPtr a = MakeData(m), b = MakeData(m);
  mj_copyData(a.get(), m, env.Data());
  mj_copyData(b.get(), m, env.Data());
  const auto actions = MixedActions(env, 120, 4);
  int touched = 0;
  for (const auto& action : actions) {
    const double target[2] = {action[0], action[1]};
    touched += skipping.ControlStep(m, a.get(), target, 10) ? 1 : 0;
    solving.ControlStep(m, b.get(), target, 10);
    ASSERT_TRUE(std::equal(a->qpos, a->qpos + m->nq, b->qpos));
    ASSERT_TRUE(std::equal(a->qvel, a->qvel + m->nv, b->qvel));
    ASSERT_TRUE(std::equal(a->qacc_warmstart, a->qacc_warmstart + m->nv, b->qacc_warmstart));
  }
  EXPECT_GT(touched, 10);           // pushes were compared
  EXPECT_LT(touched, 110);          // and free travel too
}

}  // namespace
}  // namespace bcbench
