// Plane geometry of Push-T in the original's pixel units: the T polygon, poses,
// the exact goal coverage that defines reward and success, and the distance
// queries that the reset sampler, the mode label and the expert share.
#pragma once

#include <array>

namespace bcbench {
namespace pusht {

struct Vec2 {
  double x = 0.0;
  double y = 0.0;
};

// A block pose: a block-frame point p sits in the world at
// (x + cos(a) p.x - sin(a) p.y, y + sin(a) p.x + cos(a) p.y). (x, y) is the
// block frame's origin, the middle of the bar's outer edge (not the centre of
// mass).
struct Pose2 {
  double x = 0.0;
  double y = 0.0;
  double angle = 0.0;
};

constexpr double kPi = 3.14159265358979323846;
constexpr double kWorkspaceSize = 512.0;  // walls at 0 and 512 on both axes
constexpr double kAgentRadius = 15.0;
constexpr double kSuccessCoverage = 0.95;
constexpr Pose2 kGoalPose{256.0, 256.0, kPi / 4.0};

// The T is two boxes that share an edge and do not overlap, block frame.
constexpr std::array<Vec2, 4> kBarCorners{{{-60, 0}, {60, 0}, {60, 30}, {-60, 30}}};
constexpr std::array<Vec2, 4> kStemCorners{{{-15, 30}, {15, 30}, {15, 120}, {-15, 120}}};
constexpr double kTArea = 120.0 * 30.0 + 30.0 * 90.0;  // 6300 px^2

// The 8 vertices of the T's outline, counter-clockwise from the bar's
// bottom-left corner: (-60,0), (60,0), (60,30), (15,30), (15,120), (-15,120),
// (-15,30), (-60,30). These (then the centre of mass) are the keypoints.
constexpr std::array<Vec2, 8> kOutline{
    {{-60, 0}, {60, 0}, {60, 30}, {15, 30}, {15, 120}, {-15, 120}, {-15, 30}, {-60, 30}}};
// Centre of mass of the uniform T: y = (3600 * 15 + 2700 * 75) / 6300.
constexpr Vec2 kCentreOfMass{0.0, 256500.0 / 6300.0};
// The original's centre of gravity, which its physics turns the T about: the
// plain mean of the two box centres (0, 15) and (0, 75), not the area-weighted
// kCentreOfMass. pusht.xml puts the T's inertial frame and hinge there.
constexpr Vec2 kCentreOfGravity{0.0, 45.0};

Vec2 ToWorld(const Pose2& pose, Vec2 local);
Vec2 ToLocal(const Pose2& pose, Vec2 world);
// Wraps an angle to [0, 2 pi).
double WrapAngle(double angle);
// Smallest signed difference a - b, in [-pi, pi).
double AngleDifference(double a, double b);

// A convex polygon of at most 8 vertices (a quad clipped by a quad has at most
// 8), counter-clockwise, in a fixed-size array so coverage never allocates.
struct SmallPolygon {
  std::array<Vec2, 8> v;
  int n = 0;
};

// Signed shoelace area (positive counter-clockwise).
double PolygonArea(const SmallPolygon& polygon);
// Intersection of two convex counter-clockwise quads (Sutherland-Hodgman).
SmallPolygon ClipConvexQuads(const std::array<Vec2, 4>& subject, const std::array<Vec2, 4>& clip);
// Exact area of overlap of the T at `a` with the T at `b`, in px^2: the sum
// over the four (box of a, box of b) pairs, since each T's boxes are disjoint.
double TOverlapArea(const Pose2& a, const Pose2& b);
// area(goal T intersect block T) / area(T).
double Coverage(const Pose2& block, const Pose2& goal = kGoalPose);
double RewardFromCoverage(double coverage);  // clip(coverage / 0.95, 0, 1)
bool SuccessFromCoverage(double coverage);   // coverage > 0.95

// Distance from a world point to the T at `pose` (0 inside the T).
double DistanceToT(const Pose2& pose, Vec2 world);
// Whether every outline vertex lies within [margin, 512 - margin]^2.
bool TInsideWorkspace(const Pose2& pose, double margin);

}  // namespace pusht
}  // namespace bcbench
