#include "envs/pusht_reference.h"

#include <algorithm>
#include <cmath>

#include "envs/mujoco_handles.h"
#include "envs/pusht/pusht_expert.h"

namespace bcbench::testing {

namespace {

// Largest displacement of the T's outline vertices between two poses, px.
double LargestVertexMotion(const pusht::Pose2& a, const pusht::Pose2& b) {
  double out = 0.0;
  for (const pusht::Vec2& v : pusht::kOutline) {
    const pusht::Vec2 p = pusht::ToWorld(a, v), q = pusht::ToWorld(b, v);
    out = std::max(out, std::hypot(p.x - q.x, p.y - q.y));
  }
  return out;
}

}  // namespace

ChipmunkPushT::State MuJoCoState(const PushTPhysics& physics, const mjData* d) {
  return {physics.BlockPose(d), physics.BlockVelocity(d), physics.AgentPosition(d),
          physics.AgentVelocity(d)};
}

void SetMuJoCoState(const PushTPhysics& physics, mjData* d, const ChipmunkPushT::State& state) {
  physics.SetBlockPose(d, state.block);
  physics.SetBlockVelocity(d, state.block_velocity);
  physics.SetAgentPosition(d, state.agent);
  physics.SetAgentVelocity(d, state.agent_velocity);
}

ReferenceEpisode RecordExpertEpisode(uint64_t seed) {
  PushTEnv env({});
  PushTExpert expert(env, {});
  ReferenceEpisode out;
  out.seed = seed;
  PushTEnv::RandomStart(seed, &out.start_agent, &out.start_block);
  env.Reset(seed);
  expert.Reset(seed);
  StepResult result;
  do {
    out.states.push_back(MuJoCoState(env.Physics(), env.Data()));
    result = env.Step(expert.Act());
    const std::vector<double> target = env.CommandedTarget();
    out.targets.push_back({target[0], target[1]});
  } while (!result.done);
  out.success = result.success;
  return out;
}

void CompareOneStep(const ReferenceEpisode& episode, OneStepErrors* errors) {
  PushTEnv env({});
  const mjModel* m = env.Model();
  const PushTPhysics& physics = env.Physics();
  MjDataPtr d = MakeData(m);
  ChipmunkPushT chipmunk;
  for (size_t t = 0; t < episode.states.size(); ++t) {
    const ChipmunkPushT::State& state = episode.states[t];
    const double target[2] = {episode.targets[t].x, episode.targets[t].y};
    chipmunk.SetState(state);
    chipmunk.ControlStep(target);
    const pusht::Pose2 reference = chipmunk.BlockPose();
    mj_resetData(m, d.get());
    SetMuJoCoState(physics, d.get(), state);
    physics.ControlStep(m, d.get(), target, env.Substeps());
    const pusht::Pose2 ours = physics.BlockPose(d.get());
    ++errors->steps;
    if (LargestVertexMotion(state.block, reference) <= 1.0) continue;
    errors->px.push_back(std::hypot(ours.x - reference.x, ours.y - reference.y));
    errors->deg.push_back(std::abs(pusht::AngleDifference(ours.angle, reference.angle)) * 180.0 /
                          pusht::kPi);
  }
}

bool ReplaySucceedsInChipmunk(const ReferenceEpisode& episode) {
  ChipmunkPushT chipmunk;
  chipmunk.ResetTo(episode.start_block, episode.start_agent);
  for (const pusht::Vec2& target : episode.targets) {
    const double t[2] = {target.x, target.y};
    chipmunk.ControlStep(t);
    if (pusht::SuccessFromCoverage(pusht::Coverage(chipmunk.BlockPose()))) return true;
  }
  return false;
}

double Quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t low = static_cast<size_t>(std::floor(position));
  const size_t high = std::min(values.size() - 1, low + 1);
  const double w = position - static_cast<double>(low);
  return values[low] * (1.0 - w) + values[high] * w;
}

}  // namespace bcbench::testing
