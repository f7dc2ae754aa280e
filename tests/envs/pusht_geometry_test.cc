// Push-T geometry: the exact coverage that defines reward and success.
#include "envs/pusht/pusht_geometry.h"

#include <gtest/gtest.h>

#include <cmath>

namespace bcbench {
namespace pusht {
namespace {

bool InsideT(const Pose2& pose, Vec2 world) {
  const Vec2 p = ToLocal(pose, world);
  const bool in_bar = p.x >= -60 && p.x <= 60 && p.y >= 0 && p.y <= 30;
  const bool in_stem = p.x >= -15 && p.x <= 15 && p.y >= 30 && p.y <= 120;
  return in_bar || in_stem;
}

// Independent estimate: count the centres of a fine grid (0.1 px cells) that
// lie in both Ts, over a 260 px square around the goal that holds the whole
// goal T. The grid is turned by 0.3 rad: a grid parallel to the T's edges
// (or at 45 degrees to them) lines its points up along the edges and biases
// the count by O(h) instead of averaging the boundary out.
double GridCoverage(const Pose2& block, const Pose2& goal) {
  const double h = 0.1;
  const double half = 130.0;
  const int n = static_cast<int>(2 * half / h);
  const double c = std::cos(0.3), s = std::sin(0.3);
  long both = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      const double u = -half + (i + 0.5) * h;
      const double v = -half + (j + 0.5) * h;
      const Vec2 w{goal.x + c * u - s * v, goal.y + s * u + c * v};
      if (InsideT(goal, w) && InsideT(block, w)) ++both;
    }
  }
  return static_cast<double>(both) * h * h / kTArea;
}

TEST(PushTGeometry, TAreaIsBarPlusStem) {
  EXPECT_DOUBLE_EQ(kTArea, 6300.0);
  EXPECT_NEAR(TOverlapArea(kGoalPose, kGoalPose), 6300.0, 1e-9);
}

TEST(PushTGeometry, CoverageIsOneAtTheGoalPose) {
  EXPECT_NEAR(Coverage(kGoalPose), 1.0, 1e-12);
  // The same pose expressed with a full turn added.
  EXPECT_NEAR(Coverage({256, 256, kPi / 4 + 2 * kPi}), 1.0, 1e-12);
}

TEST(PushTGeometry, CoverageIsZeroFarAway) {
  EXPECT_EQ(Coverage({60, 60, 0.0}), 0.0);
  EXPECT_EQ(Coverage({450, 100, 2.0}), 0.0);
}

TEST(PushTGeometry, CoverageMatchesAFineGridCountForOffsetPoses) {
  const Pose2 g = kGoalPose;
  const Pose2 cases[] = {
      {g.x + 5, g.y, g.angle},                  // pure translation along x
      {g.x, g.y - 12, g.angle},                 // pure translation along y
      {g.x + 3, g.y + 4, g.angle},              // diagonal translation
      {g.x, g.y, g.angle + 0.1},                // rotation about the block origin
      {g.x - 20, g.y + 15, g.angle - 0.6},      // large mixed offset
      {g.x - 57.6, g.y + 57.6, g.angle + kPi},  // turned over about its centre of mass
  };
  for (const Pose2& block : cases) {
    const double exact = Coverage(block);
    const double grid = GridCoverage(block, g);
    EXPECT_NEAR(exact, grid, 1e-3)
        << "block pose " << block.x << ", " << block.y << ", " << block.angle;
    EXPECT_GT(exact, 0.0);
    EXPECT_LT(exact, 1.0);
  }
}

TEST(PushTGeometry, CoverageIsSymmetricInItsArguments) {
  const Pose2 a{250, 262, 0.9};
  EXPECT_NEAR(Coverage(a, kGoalPose), Coverage(kGoalPose, a), 1e-12);
}

TEST(PushTGeometry, ClippingTwoSquaresGivesTheirOverlap) {
  const std::array<Vec2, 4> a{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}};
  const std::array<Vec2, 4> b{{{5, 5}, {15, 5}, {15, 15}, {5, 15}}};
  EXPECT_NEAR(PolygonArea(ClipConvexQuads(a, b)), 25.0, 1e-12);
  const std::array<Vec2, 4> far{{{20, 20}, {30, 20}, {30, 30}, {20, 30}}};
  EXPECT_LT(ClipConvexQuads(a, far).n, 3);
}

TEST(PushTGeometry, RewardIsCoverageOverThresholdClippedToOne) {
  EXPECT_DOUBLE_EQ(RewardFromCoverage(0.5), 0.5 / 0.95);
  EXPECT_DOUBLE_EQ(RewardFromCoverage(0.95), 1.0);
  EXPECT_DOUBLE_EQ(RewardFromCoverage(1.0), 1.0);
  EXPECT_DOUBLE_EQ(RewardFromCoverage(0.0), 0.0);
}

TEST(PushTGeometry, SuccessNeedsCoverageStrictlyAbove095) {
  EXPECT_FALSE(SuccessFromCoverage(0.95));
  EXPECT_FALSE(SuccessFromCoverage(0.5));
  EXPECT_TRUE(SuccessFromCoverage(0.9500001));
  EXPECT_TRUE(SuccessFromCoverage(1.0));
}

TEST(PushTGeometry, PoseConventionPlacesBlockPointsByRotationThenTranslation) {
  const Pose2 pose{100, 200, kPi / 2};
  const Vec2 w = ToWorld(pose, {10, 0});  // +x of the block points along world +y
  EXPECT_NEAR(w.x, 100, 1e-12);
  EXPECT_NEAR(w.y, 210, 1e-12);
  const Vec2 back = ToLocal(pose, w);
  EXPECT_NEAR(back.x, 10, 1e-12);
  EXPECT_NEAR(back.y, 0, 1e-12);
}

TEST(PushTGeometry, DistanceToTIsZeroInsideAndEuclideanOutside) {
  const Pose2 pose{200, 200, 0.0};
  EXPECT_EQ(DistanceToT(pose, {200, 210}), 0.0);            // inside the bar
  EXPECT_NEAR(DistanceToT(pose, {200, 180}), 20.0, 1e-12);  // below the bar
  EXPECT_NEAR(DistanceToT(pose, {240, 280}), 25.0, 1e-12);  // beside the stem
  EXPECT_NEAR(DistanceToT(pose, {263, 204}), 3.0, 1e-12);   // right of the bar
}

TEST(PushTGeometry, WrapAngleMapsIntoZeroToTwoPi) {
  EXPECT_NEAR(WrapAngle(-0.5), 2 * kPi - 0.5, 1e-12);
  EXPECT_NEAR(WrapAngle(7.0), 7.0 - 2 * kPi, 1e-12);
  EXPECT_EQ(WrapAngle(0.0), 0.0);
  EXPECT_LT(WrapAngle(-1e-18), 2 * kPi);
  EXPECT_NEAR(AngleDifference(0.1, 2 * kPi - 0.1), 0.2, 1e-12);
}

}  // namespace
}  // namespace pusht
}  // namespace bcbench
