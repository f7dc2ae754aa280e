#include "envs/pusht/pusht_expert.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "envs/sampling.h"

namespace bcbench {

namespace {

using pusht::Pose2;
using pusht::Vec2;

constexpr double kRadius = pusht::kAgentRadius;
constexpr double kGap = 1.5;              // px between disc and face when a push starts
constexpr double kApproachClearance = 8;  // px beyond the radius: where the approach ends
constexpr double kCornerClearance = 14;   // px beyond the radius: path corners
constexpr double kSegmentClearance = 3;   // px beyond the radius: path segments
constexpr double kMaxTargetStep = PushTEnv::kMaxDelta;  // per axis: plans fit delta mode
constexpr int kMaxTransitSteps = 40;
constexpr int kMaxPushSteps = 10;
constexpr int kFullSimulations = 4;  // screened candidates simulated in full
// Push directions relative to the face's inward normal: straight, and turned
// 23 deg either way. Contacts are frictionless (as the original's), so a
// turned push still pushes along the normal while the disc slides along the
// face, carrying the contact point and so the torque with it.
constexpr double kTurns[] = {-0.4, 0.0, 0.4};
constexpr int kCounterClockwise = 0;
constexpr int kClockwise = 1;
constexpr int kAnyWay = -1;

Vec2 Add(Vec2 a, Vec2 b) { return {a.x + b.x, a.y + b.y}; }
Vec2 Sub(Vec2 a, Vec2 b) { return {a.x - b.x, a.y - b.y}; }
Vec2 Scale(Vec2 a, double s) { return {a.x * s, a.y * s}; }
double Norm(Vec2 a) { return std::hypot(a.x, a.y); }
Vec2 Rotate(Vec2 a, double angle) {
  const double c = std::cos(angle), s = std::sin(angle);
  return {c * a.x - s * a.y, s * a.x + c * a.y};
}
Vec2 RotateVector(const Pose2& pose, Vec2 local) { return Rotate(local, pose.angle); }

Vec2 ClampToWorkspace(Vec2 p) {
  return {std::clamp(p.x, 0.0, pusht::kWorkspaceSize), std::clamp(p.y, 0.0, pusht::kWorkspaceSize)};
}
bool InWorkspace(Vec2 p) {
  return p.x >= 0.0 && p.x <= pusht::kWorkspaceSize && p.y >= 0.0 && p.y <= pusht::kWorkspaceSize;
}

// Whether segment a-b meets the open box [lo, hi] (Liang-Barsky).
bool SegmentHitsBox(Vec2 a, Vec2 b, Vec2 lo, Vec2 hi) {
  double t0 = 0.0, t1 = 1.0;
  const double d[2] = {b.x - a.x, b.y - a.y};
  const double p[2] = {a.x, a.y};
  const double l[2] = {lo.x, lo.y};
  const double h[2] = {hi.x, hi.y};
  for (int k = 0; k < 2; ++k) {
    if (std::abs(d[k]) < 1e-12) {
      if (p[k] <= l[k] || p[k] >= h[k]) return false;
      continue;
    }
    double ta = (l[k] - p[k]) / d[k];
    double tb = (h[k] - p[k]) / d[k];
    if (ta > tb) std::swap(ta, tb);
    t0 = std::max(t0, ta);
    t1 = std::min(t1, tb);
    if (t0 >= t1) return false;
  }
  return true;
}

// Whether a block-frame segment keeps `clearance` from the T.
bool SegmentClear(Vec2 a, Vec2 b, double clearance) {
  const double q = clearance;
  return !SegmentHitsBox(a, b, {-60 - q, -q}, {60 + q, 30 + q}) &&
         !SegmentHitsBox(a, b, {-15 - q, 30 - q}, {15 + q, 120 + q});
}

double LocalDistanceToT(Vec2 local) { return pusht::DistanceToT({0.0, 0.0, 0.0}, local); }

// Pushes a block-frame point out along the distance gradient until it is at
// least `clearance` from the T.
Vec2 EscapePoint(Vec2 p, double clearance) {
  for (int i = 0; i < 12 && LocalDistanceToT(p) < clearance; ++i) {
    // Numerical gradient of the distance (exact enough and robust at corners).
    const double e = 0.5;
    Vec2 g{LocalDistanceToT({p.x + e, p.y}) - LocalDistanceToT({p.x - e, p.y}),
           LocalDistanceToT({p.x, p.y + e}) - LocalDistanceToT({p.x, p.y - e})};
    double n = Norm(g);
    if (n < 1e-9) {  // inside the T: leave away from the centre of mass
      g = Sub(p, pusht::kCentreOfMass);
      n = Norm(g);
      if (n < 1e-9) g = {0.0, -1.0}, n = 1.0;
    }
    p = Add(p, Scale(g, (clearance + 1.0 - LocalDistanceToT(p)) / n));
  }
  return p;
}

}  // namespace

PushTExpert::PushTExpert(PushTEnv& env, const ExpertOptions& options)
    : env_(env), options_(options), scratch_(MakeData(env.Model())), idle_(options) {
  if (!options_.mode_weights.empty()) {
    if (options_.mode_weights.size() != 2) {
      throw EnvError("pusht expert mode_weights must have 2 values (left, right), got " +
                     std::to_string(options_.mode_weights.size()));
    }
    double sum = 0.0;
    for (double w : options_.mode_weights) {
      if (!(w >= 0.0) || !std::isfinite(w)) {
        throw EnvError("pusht expert mode_weights must be finite and >= 0");
      }
      sum += w;
    }
    if (sum <= 0.0) throw EnvError("pusht expert mode_weights must not all be 0");
  }
  // Push sites along the outline, where the disc fits: not within a radius of
  // the inner corners between the bar's top and the stem.
  const auto add = [this](double x, double y, double nx, double ny) {
    sites_.push_back({{x, y}, {nx, ny}});
  };
  for (double x = -55.0; x <= 55.0 + 1e-9; x += 11.0) add(x, 0.0, 0.0, -1.0);  // bar bottom
  for (double y : {6.0, 15.0, 24.0}) {
    add(60.0, y, 1.0, 0.0);  // bar ends
    add(-60.0, y, -1.0, 0.0);
  }
  for (double x : {38.0, 47.0, 56.0}) {
    add(x, 30.0, 0.0, 1.0);  // bar top, beside the stem
    add(-x, 30.0, 0.0, 1.0);
  }
  for (double y : {50.0, 67.0, 84.0, 101.0, 117.0}) {
    add(15.0, y, 1.0, 0.0);  // stem sides
    add(-15.0, y, -1.0, 0.0);
  }
  for (double x : {-11.0, 0.0, 11.0}) add(x, 120.0, 0.0, 1.0);  // stem tip
  Reset(0);
}

void PushTExpert::Reset(uint64_t seed) {
  rng_.seed(SplitMix64(seed ^ 0x7075736874ull));  // own stream, not the env's
  plan_targets_.clear();
  plan_poses_.clear();
  plan_index_ = 0;
  idle_.Reset(env_.Phase());
}

double PushTExpert::PoseError(const Pose2& block) {
  double sum = 0.0;
  for (const Vec2& v : pusht::kOutline) {
    const Vec2 a = pusht::ToWorld(block, v);
    const Vec2 b = pusht::ToWorld(pusht::kGoalPose, v);
    sum += (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y);
  }
  return std::sqrt(sum / pusht::kOutline.size());
}

// Fast far from the goal, slow and precise close to it.
double PushTExpert::PushSpeed(double cost) const { return std::clamp(0.25 * cost, 1.5, 20.0); }

double PushTExpert::PlanCost(const Pose2& block) {
  return PoseError(block) + 50.0 * (1.0 - pusht::Coverage(block));
}

void PushTExpert::LoadScratchFromEnv() {
  const mjModel* m = env_.Model();
  const mjData* src = env_.Data();
  mjData* d = scratch_.get();
  // Everything a substep reads: with these equal, the scratch copy evolves
  // exactly as the env would (the stack and derived quantities are recomputed).
  d->time = src->time;
  std::copy(src->qpos, src->qpos + m->nq, d->qpos);
  std::copy(src->qvel, src->qvel + m->nv, d->qvel);
  std::copy(src->qacc_warmstart, src->qacc_warmstart + m->nv, d->qacc_warmstart);
}

bool PushTExpert::PlanPath(Vec2 start_local, Vec2 goal_local, int turning, std::vector<Vec2>* path,
                           double* length) const {
  const double seg = kRadius + kSegmentClearance;
  const double corner = kRadius + kCornerClearance;
  // Nodes: start (moved clear of the T if it is too close), goal, then the
  // corners of the inflated T's convex hull in counter-clockwise order.
  std::vector<Vec2> nodes = {EscapePoint(start_local, seg + 0.5),
                             goal_local,
                             {-60 - corner, -corner},
                             {60 + corner, -corner},
                             {60 + corner, 30 + corner},
                             {15 + corner, 120 + corner},
                             {-15 - corner, 120 + corner},
                             {-60 - corner, 30 + corner}};
  const int n = static_cast<int>(nodes.size());
  const int corners = n - 2;
  // Between corners only hull edges, and for a given turning only one way
  // round: every path then goes around the T one way, and the two turnings
  // are the two topologically different ways.
  const auto allowed = [&](int u, int v) {
    if (u < 2 || v < 2 || turning < 0) return true;
    const int next =
        turning == kCounterClockwise ? (u - 2 + 1) % corners : (u - 2 + corners - 1) % corners;
    return v - 2 == next;
  };
  std::vector<double> dist(n, std::numeric_limits<double>::infinity());
  std::vector<int> prev(n, -1);
  std::vector<bool> done(n, false);
  dist[0] = 0.0;
  for (int iter = 0; iter < n; ++iter) {
    int u = -1;
    for (int i = 0; i < n; ++i) {
      if (!done[i] && (u < 0 || dist[i] < dist[u])) u = i;
    }
    if (u < 0 || !std::isfinite(dist[u])) break;
    done[u] = true;
    if (u == 1) break;
    for (int v = 1; v < n; ++v) {
      if (done[v] || !allowed(u, v)) continue;
      const double w = Norm(Sub(nodes[v], nodes[u]));
      if (dist[u] + w < dist[v] && SegmentClear(nodes[u], nodes[v], seg)) {
        dist[v] = dist[u] + w;
        prev[v] = u;
      }
    }
  }
  if (!std::isfinite(dist[1])) return false;
  path->clear();
  for (int v = 1; v >= 0; v = prev[v]) path->push_back(nodes[v]);
  std::reverse(path->begin(), path->end());
  *length = dist[1] + Norm(Sub(nodes[0], start_local));
  return true;
}

std::vector<PushTExpert::Candidate> PushTExpert::Screen(const Pose2& block, double cost) {
  const mjModel* m = env_.Model();
  const PushTPhysics& physics = env_.Physics();
  const Vec2 agent_local = pusht::ToLocal(block, env_.AgentPosition());
  const double speed = PushSpeed(cost);
  const int max_steps = std::min(
      kMaxPushSteps, static_cast<int>(std::ceil(std::min(150.0, 2.0 * cost + 15.0) / speed)));
  std::vector<Candidate> out;
  std::vector<Vec2> path;
  for (int s = 0; s < static_cast<int>(sites_.size()); ++s) {
    const Site& site = sites_[s];
    const Vec2 start_local = Add(site.point, Scale(site.normal, kRadius + kGap));
    const Vec2 approach_local = Add(site.point, Scale(site.normal, kRadius + kApproachClearance));
    const Vec2 start = pusht::ToWorld(block, start_local);
    if (!InWorkspace(start) || !InWorkspace(pusht::ToWorld(block, approach_local))) continue;
    if (LocalDistanceToT(approach_local) < kRadius + kSegmentClearance + 0.5) continue;
    double length = 0.0;
    if (!PlanPath(agent_local, approach_local, kAnyWay, &path, &length)) continue;
    const double transit_steps = 2.0 + length / 35.0;
    for (double turn : kTurns) {
      const Vec2 dir = RotateVector(block, Rotate(Scale(site.normal, -1.0), turn));
      LoadScratchFromEnv();
      physics.SetAgentPosition(scratch_.get(), start);
      double best_rate = -1e300;
      int best_k = 0;
      double best_cost = cost;
      double previous = cost;
      for (int k = 1; k <= max_steps + 1; ++k) {
        const Vec2 target =
            ClampToWorkspace(Add(start, Scale(dir, speed * std::min(k, max_steps))));
        const double t[2] = {target.x, target.y};
        physics.ControlStep(m, scratch_.get(), t, env_.Substeps());
        const double c = PlanCost(physics.BlockPose(scratch_.get()));
        // The agent lags its target by about two steps' worth of travel, and
        // stopping it then pushes about one more step: the pose after step k
        // stands for a push whose target stopped at step k - 1.
        if (k >= 2) {
          const double rate = (cost - c) / (transit_steps + k + 1.0);
          if (rate > best_rate) best_rate = rate, best_k = k - 1, best_cost = c;
        }
        if (c > best_cost + 4.0 && c > previous && k > best_k + 3) break;
        previous = c;
      }
      if (best_k > 0) out.push_back({s, turn, best_k, best_rate, length});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Candidate& a, const Candidate& b) { return a.rate > b.rate; });
  return out;
}

void PushTExpert::SaveScratch(ScratchSnapshot* snapshot) const {
  const mjModel* m = env_.Model();
  const mjData* d = scratch_.get();
  snapshot->values.clear();
  snapshot->values.push_back(d->time);
  snapshot->values.insert(snapshot->values.end(), d->qpos, d->qpos + m->nq);
  snapshot->values.insert(snapshot->values.end(), d->qvel, d->qvel + m->nv);
  snapshot->values.insert(snapshot->values.end(), d->qacc_warmstart, d->qacc_warmstart + m->nv);
}

void PushTExpert::RestoreScratch(const ScratchSnapshot& snapshot) {
  const mjModel* m = env_.Model();
  mjData* d = scratch_.get();
  const double* v = snapshot.values.data();
  d->time = *v++;
  std::copy_n(v, m->nq, d->qpos);
  v += m->nq;
  std::copy_n(v, m->nv, d->qvel);
  v += m->nv;
  std::copy_n(v, m->nv, d->qacc_warmstart);
}

PushTExpert::Rollout PushTExpert::Simulate(const Candidate& candidate,
                                           const std::vector<Vec2>& path_local, const Pose2& block,
                                           double cost) {
  const mjModel* m = env_.Model();
  const PushTPhysics& physics = env_.Physics();
  mjData* d = scratch_.get();
  LoadScratchFromEnv();
  const Site& site = sites_[candidate.site];
  const Vec2 start = pusht::ToWorld(block, Add(site.point, Scale(site.normal, kRadius + kGap)));
  const Vec2 dir = RotateVector(block, Rotate(Scale(site.normal, -1.0), candidate.turn));
  const double speed = PushSpeed(cost);

  std::vector<Vec2> waypoints;
  for (const Vec2& p : path_local) waypoints.push_back(ClampToWorkspace(pusht::ToWorld(block, p)));
  waypoints.push_back(start);

  Rollout out;
  const std::vector<double> commanded = env_.CommandedTarget();
  Vec2 previous{commanded[0], commanded[1]};
  bool touched_in_transit = false;
  bool stop = false;
  int mode = env_.Mode();
  // One control step of the rollout `r`, with the planner's target rules.
  const auto step = [&](Rollout& r, Vec2 wanted) {
    Vec2 target{std::clamp(wanted.x, previous.x - kMaxTargetStep, previous.x + kMaxTargetStep),
                std::clamp(wanted.y, previous.y - kMaxTargetStep, previous.y + kMaxTargetStep)};
    target = ClampToWorkspace(target);
    const double t[2] = {target.x, target.y};
    const bool touched = physics.ControlStep(m, d, t, env_.Substeps());
    previous = target;
    const Pose2 pose = physics.BlockPose(d);
    r.targets.push_back(target);
    r.poses.push_back(pose);
    if (mode < 0) {
      mode = PushTEnv::ModeFromState(pose, physics.AgentPosition(d));
      r.mode = mode;
    }
    if (pusht::SuccessFromCoverage(pusht::Coverage(pose))) r.success = true, stop = true;
    return touched;
  };

  // Travel: chase a carrot that runs ahead of the agent along the path. The
  // target then moves every step (a held target would read as an idle action
  // in delta mode); the lead shrinks towards the end so that the agent
  // arrives slowly, and the carrot cuts corners by at most 0.35 x the lead,
  // which the corners' clearance absorbs.
  std::vector<double> arc(waypoints.size(), 0.0);
  for (size_t i = 1; i < waypoints.size(); ++i) {
    arc[i] = arc[i - 1] + Norm(Sub(waypoints[i], waypoints[i - 1]));
  }
  const double total = arc.back();
  double progress = 0.0;
  size_t segment = 0;
  int transit = 0;
  for (; transit < kMaxTransitSteps && !stop; ++transit) {
    const Vec2 agent = physics.AgentPosition(d);
    if (Norm(Sub(agent, start)) < 5.0) break;
    // Progress = the agent's projection on the current or a later segment.
    double best_distance = 1e300;
    for (size_t i = segment; i + 1 < waypoints.size() && i <= segment + 2; ++i) {
      const Vec2 a = waypoints[i];
      const Vec2 e = Sub(waypoints[i + 1], a);
      const double len2 = e.x * e.x + e.y * e.y;
      const double t =
          len2 > 0.0 ? std::clamp(((agent.x - a.x) * e.x + (agent.y - a.y) * e.y) / len2, 0.0, 1.0)
                     : 0.0;
      const double distance = Norm(Sub(agent, Add(a, Scale(e, t))));
      if (distance < best_distance) {
        best_distance = distance;
        progress = std::max(progress, arc[i] + t * std::sqrt(len2));
        segment = std::max(segment, i);
      }
    }
    const double lead = std::clamp(0.6 * (total - progress), 15.0, 60.0);
    const double wanted = std::min(total, progress + lead);
    size_t i = 0;
    while (i + 2 < waypoints.size() && arc[i + 1] < wanted) ++i;
    const double len = arc[i + 1] - arc[i];
    const double t = len > 0.0 ? (wanted - arc[i]) / len : 1.0;
    const Vec2 carrot = Add(waypoints[i], Scale(Sub(waypoints[i + 1], waypoints[i]), t));
    touched_in_transit = step(out, carrot) || touched_in_transit;
  }
  if (transit >= kMaxTransitSteps) return out;  // score stays -inf
  const auto score = [&](const Rollout& r) {
    const int steps = static_cast<int>(r.targets.size());
    if (r.success) return 1e6 - steps;
    double value = (cost - PlanCost(r.poses.back())) / (steps + 2.0);
    if (touched_in_transit) value -= 0.5 * std::abs(value) + 0.1;
    return value;
  };
  if (stop) {
    out.score = score(out);
    return out;
  }
  // Push, then pull back one step so that the block comes to rest. The push
  // length is tried around the screening's choice from the state the travel
  // really ends in (the agent still moving a little), which matters for the
  // last, millimetre-sized pushes.
  ScratchSnapshot arrival;
  SaveScratch(&arrival);
  const int mode_at_arrival = mode;
  const Vec2 previous_at_arrival = previous;
  Rollout best;
  for (int k = std::max(1, candidate.push_steps - 1); k <= candidate.push_steps + 2; ++k) {
    RestoreScratch(arrival);
    mode = mode_at_arrival;
    previous = previous_at_arrival;
    stop = false;
    Rollout r = out;
    for (int j = 1; j <= k && !stop; ++j) step(r, Add(start, Scale(dir, speed * j)));
    if (!stop) step(r, Sub(physics.AgentPosition(d), Scale(dir, 15.0)));
    r.score = score(r);
    if (r.score > best.score) best = std::move(r);
  }
  return best;
}

void PushTExpert::Replan() {
  plan_targets_.clear();
  plan_poses_.clear();
  plan_index_ = 0;
  const Pose2 block = env_.BlockPose();
  const double error = PlanCost(block);
  const Vec2 agent_local = pusht::ToLocal(block, env_.AgentPosition());

  const std::vector<Candidate> candidates = Screen(block, error);
  std::vector<Rollout> rollouts;
  std::vector<Vec2> path;
  std::vector<Vec2> previous_path;
  const int keep = std::min(kFullSimulations, static_cast<int>(candidates.size()));
  for (int c = 0; c < keep; ++c) {
    const Site& site = sites_[candidates[c].site];
    const Vec2 approach = Add(site.point, Scale(site.normal, kRadius + kApproachClearance));
    previous_path.clear();
    for (int turning : {kCounterClockwise, kClockwise}) {
      double length = 0.0;
      if (!PlanPath(agent_local, approach, turning, &path, &length)) continue;
      if (path.size() == previous_path.size() &&
          std::equal(path.begin(), path.end(), previous_path.begin(),
                     [](Vec2 a, Vec2 b) { return a.x == b.x && a.y == b.y; })) {
        continue;  // both sides gave the same (direct) way
      }
      previous_path = path;
      Rollout r = Simulate(candidates[c], path, block, error);
      if (!r.targets.empty() && r.score > -1e299) rollouts.push_back(std::move(r));
    }
  }

  if (rollouts.empty()) {
    // Nothing reachable: step back from the block and try again next step.
    const Vec2 away = pusht::ToWorld(block, EscapePoint(agent_local, kRadius + 25.0));
    plan_targets_.push_back(ClampToWorkspace(away));
    plan_poses_.push_back(block);
    return;
  }

  int best = 0;
  for (int i = 1; i < static_cast<int>(rollouts.size()); ++i) {
    if (rollouts[i].score > rollouts[best].score) best = i;
  }
  // Multimodality: while the episode's side is open, a plan on the other side
  // that is nearly as good is taken with the mode weights' odds.
  if (env_.Mode() < 0 && rollouts[best].mode >= 0) {
    const int other_mode = 1 - rollouts[best].mode;
    int other = -1;
    for (int i = 0; i < static_cast<int>(rollouts.size()); ++i) {
      if (rollouts[i].mode == other_mode &&
          (other < 0 || rollouts[i].score > rollouts[other].score)) {
        other = i;
      }
    }
    const double best_score = rollouts[best].score;
    const bool near_tie = other >= 0 &&
                          rollouts[other].score >= best_score - 0.2 * std::abs(best_score) &&
                          !rollouts[best].success && !rollouts[other].success;
    if (near_tie) {
      double w_best = 1.0, w_other = 1.0;
      if (!options_.mode_weights.empty()) {
        w_best = options_.mode_weights[rollouts[best].mode];
        w_other = options_.mode_weights[other_mode];
      }
      if (Uniform01(rng_) * (w_best + w_other) >= w_best) best = other;
    }
  }
  plan_targets_ = std::move(rollouts[best].targets);
  plan_poses_ = std::move(rollouts[best].poses);
}

std::vector<double> PushTExpert::Act() {
  const std::vector<double> commanded = env_.CommandedTarget();
  std::vector<double> target = commanded;
  if (idle_.Pausing(env_.Phase(), rng_)) {
    // A pause: repeat the commanded target; the plan is stale afterwards.
    plan_targets_.clear();
    plan_index_ = 0;
  } else {
    // Re-plan when the plan is used up or the world left it (noise, pauses).
    bool stale = plan_index_ >= plan_targets_.size();
    if (!stale && plan_index_ > 0) {
      const Pose2 expected = plan_poses_[plan_index_ - 1];
      const Pose2 actual = env_.BlockPose();
      // Noisy targets make the world drift from the plan by design; only a
      // drift well beyond the noise is worth a new plan.
      const double tolerance = 2.0 + options_.noise;
      stale = std::hypot(actual.x - expected.x, actual.y - expected.y) > tolerance ||
              std::abs(pusht::AngleDifference(actual.angle, expected.angle)) > 0.015 * tolerance;
    }
    if (stale) Replan();
    const Vec2 planned = plan_targets_[plan_index_++];
    target = {planned.x, planned.y};
    idle_.AddNoise(&target, rng_);
  }
  if (env_.GetActionMode() == ActionMode::kDelta) {
    return {target[0] - commanded[0], target[1] - commanded[1]};
  }
  return target;
}

}  // namespace bcbench
