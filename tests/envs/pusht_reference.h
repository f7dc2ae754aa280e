// The comparison of the MuJoCo Push-T with the Chipmunk replica of the
// original (issue 7): expert episodes recorded in MuJoCo, then
//  - one control step from each recorded state in both engines, and
//  - open-loop replay of each whole episode's targets under Chipmunk.
#pragma once

#include <cstdint>
#include <vector>

#include "envs/chipmunk_pusht.h"
#include "envs/pusht/pusht_env.h"

namespace bcbench::testing {

// One expert episode as the comparison needs it: the start as drawn (before
// the settling step both engines run), and per control step the full state
// before the action and the absolute target the env applied.
struct ReferenceEpisode {
  uint64_t seed = 0;
  pusht::Pose2 start_block;
  pusht::Vec2 start_agent;
  std::vector<ChipmunkPushT::State> states;
  std::vector<pusht::Vec2> targets;
  bool success = false;
};

// Runs the scripted expert (default options) on `seed` in the MuJoCo env.
ReferenceEpisode RecordExpertEpisode(uint64_t seed);

// The env's full dynamic state in the replica's terms, and back (on any
// mjData of the env's model).
ChipmunkPushT::State MuJoCoState(const PushTPhysics& physics, const mjData* d);
void SetMuJoCoState(const PushTPhysics& physics, mjData* d, const ChipmunkPushT::State& state);

struct OneStepErrors {
  std::vector<double> px;   // block position error per compared step
  std::vector<double> deg;  // block angle error per compared step
  int steps = 0;            // steps seen, compared or not
};
// One control step from every recorded state, in both engines from the same
// state and target, compared over the steps where the T moves (in Chipmunk)
// by more than 1 px at some outline vertex.
void CompareOneStep(const ReferenceEpisode& episode, OneStepErrors* errors);

// Whether the episode's targets, replayed open loop from its start under
// Chipmunk, reach success (coverage > 0.95) at some step.
bool ReplaySucceedsInChipmunk(const ReferenceEpisode& episode);

// The q-quantile (linear interpolation) of `values`; 0 when empty.
double Quantile(std::vector<double> values, double q);

}  // namespace bcbench::testing
