#include "envs/pusht/pusht_geometry.h"

#include <algorithm>
#include <cmath>

namespace bcbench {
namespace pusht {

Vec2 ToWorld(const Pose2& pose, Vec2 local) {
  const double c = std::cos(pose.angle);
  const double s = std::sin(pose.angle);
  return {pose.x + c * local.x - s * local.y, pose.y + s * local.x + c * local.y};
}

Vec2 ToLocal(const Pose2& pose, Vec2 world) {
  const double c = std::cos(pose.angle);
  const double s = std::sin(pose.angle);
  const double dx = world.x - pose.x;
  const double dy = world.y - pose.y;
  return {c * dx + s * dy, -s * dx + c * dy};
}

double WrapAngle(double angle) {
  double wrapped = std::fmod(angle, 2.0 * kPi);
  if (wrapped < 0.0) wrapped += 2.0 * kPi;
  // fmod of a tiny negative number plus 2 pi can round up to exactly 2 pi.
  if (wrapped >= 2.0 * kPi) wrapped = 0.0;
  return wrapped;
}

double AngleDifference(double a, double b) {
  double d = std::fmod(a - b + kPi, 2.0 * kPi);
  if (d < 0.0) d += 2.0 * kPi;
  return d - kPi;
}

double PolygonArea(const SmallPolygon& polygon) {
  double twice = 0.0;
  for (int i = 0; i < polygon.n; ++i) {
    const Vec2& p = polygon.v[i];
    const Vec2& q = polygon.v[(i + 1) % polygon.n];
    twice += p.x * q.y - q.x * p.y;
  }
  return 0.5 * twice;
}

namespace {

// > 0 when p lies left of the directed edge a -> b (inside for a CCW clip).
double Side(Vec2 a, Vec2 b, Vec2 p) {
  return (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
}

Vec2 Lerp(Vec2 p, Vec2 q, double t) { return {p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)}; }

std::array<Vec2, 4> Transformed(const Pose2& pose, const std::array<Vec2, 4>& local) {
  return {ToWorld(pose, local[0]), ToWorld(pose, local[1]), ToWorld(pose, local[2]),
          ToWorld(pose, local[3])};
}

// Distance from p to the segment a-b.
double SegmentDistance(Vec2 p, Vec2 a, Vec2 b) {
  const double ex = b.x - a.x;
  const double ey = b.y - a.y;
  const double len2 = ex * ex + ey * ey;
  double t = len2 > 0.0 ? ((p.x - a.x) * ex + (p.y - a.y) * ey) / len2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(p.x - (a.x + t * ex), p.y - (a.y + t * ey));
}

bool InsideBox(Vec2 local, const std::array<Vec2, 4>& box) {
  return local.x >= box[0].x && local.x <= box[2].x && local.y >= box[0].y && local.y <= box[2].y;
}

}  // namespace

SmallPolygon ClipConvexQuads(const std::array<Vec2, 4>& subject, const std::array<Vec2, 4>& clip) {
  SmallPolygon out;
  out.n = 4;
  for (int i = 0; i < 4; ++i) out.v[i] = subject[i];
  // Clip against each edge of `clip` in turn; every edge of a convex polygon
  // adds at most one vertex, so 4 + 4 = 8 always fits.
  for (int e = 0; e < 4 && out.n > 0; ++e) {
    const Vec2 a = clip[e];
    const Vec2 b = clip[(e + 1) % 4];
    SmallPolygon in = out;
    out.n = 0;
    for (int i = 0; i < in.n; ++i) {
      const Vec2 p = in.v[i];
      const Vec2 q = in.v[(i + 1) % in.n];
      const double sp = Side(a, b, p);
      const double sq = Side(a, b, q);
      if (sp >= 0.0) out.v[out.n++] = p;
      if ((sp >= 0.0) != (sq >= 0.0)) out.v[out.n++] = Lerp(p, q, sp / (sp - sq));
      if (out.n >= 8) break;
    }
  }
  return out;
}

double TOverlapArea(const Pose2& a, const Pose2& b) {
  const std::array<std::array<Vec2, 4>, 2> boxes_a = {Transformed(a, kBarCorners),
                                                      Transformed(a, kStemCorners)};
  const std::array<std::array<Vec2, 4>, 2> boxes_b = {Transformed(b, kBarCorners),
                                                      Transformed(b, kStemCorners)};
  double area = 0.0;
  for (const auto& box_a : boxes_a) {
    for (const auto& box_b : boxes_b) {
      const SmallPolygon overlap = ClipConvexQuads(box_a, box_b);
      if (overlap.n >= 3) area += PolygonArea(overlap);
    }
  }
  return area;
}

double Coverage(const Pose2& block, const Pose2& goal) {
  return std::clamp(TOverlapArea(block, goal) / kTArea, 0.0, 1.0);
}

double RewardFromCoverage(double coverage) {
  return std::clamp(coverage / kSuccessCoverage, 0.0, 1.0);
}

bool SuccessFromCoverage(double coverage) { return coverage > kSuccessCoverage; }

double DistanceToT(const Pose2& pose, Vec2 world) {
  const Vec2 local = ToLocal(pose, world);
  if (InsideBox(local, kBarCorners) || InsideBox(local, kStemCorners)) return 0.0;
  double best = 1e300;
  for (size_t i = 0; i < kOutline.size(); ++i) {
    best = std::min(best, SegmentDistance(local, kOutline[i], kOutline[(i + 1) % kOutline.size()]));
  }
  return best;
}

bool TInsideWorkspace(const Pose2& pose, double margin) {
  for (const Vec2& vertex : kOutline) {
    const Vec2 w = ToWorld(pose, vertex);
    if (w.x < margin || w.x > kWorkspaceSize - margin || w.y < margin ||
        w.y > kWorkspaceSize - margin) {
      return false;
    }
  }
  return true;
}

}  // namespace pusht
}  // namespace bcbench
