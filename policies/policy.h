// The one policy interface (SPEC 5): a batch of observation histories of To
// steps in, an action chunk out that starts at the current step; the runner
// executes Ta of its actions (after the `latency` ones the world has already
// lived through) before asking again (receding horizon). How a method lays
// out its prediction (Diffusion Policy predicts Tp steps that start To - 1
// steps in the past) is the policy's business.
//
// Batched evaluation keeps one *slot* per episode in flight: the policy
// keeps each slot's state (random stream, recurrent state) apart, so an
// episode's actions depend only on its own observations and stream, never on
// which episodes run beside it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bcbench {

// Observations of B environments over the last To steps: (B, To, obs_dim),
// row-major, in env units (policies normalise internally). Row b belongs to
// episode slot slots[b].
struct ObsHistory {
  int batch = 0;
  int steps = 0;  // To
  int dim = 0;
  std::vector<float> values;
  std::vector<int> slots;  // size batch
};

// Actions for B environments over the chunk's steps, the first one for the
// current step: (B, steps, action_dim), env units.
struct ActionChunk {
  int batch = 0;
  int steps = 0;
  int dim = 0;
  std::vector<float> values;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string Name() const = 0;
  virtual int ObsHorizon() const = 0;     // To
  virtual int ChunkSteps() const = 0;     // steps of the chunk Act returns
  virtual int ActionHorizon() const = 0;  // Ta
  // Control steps the world advances while the policy computes: the runner
  // executes the previous chunk's next actions meanwhile (or holds), then
  // starts at index LatencySteps() of the new chunk. Ta + latency <= ChunkSteps.
  virtual int LatencySteps() const { return 0; }
  // Starts an episode in `slot` (0 <= slot < slots): clears that slot's
  // recurrent state and seeds its random stream with `stream_seed`.
  virtual void StartEpisode(int slot, int slots, uint64_t stream_seed) = 0;
  virtual ActionChunk Act(const ObsHistory& obs) = 0;
};

// The stream of one evaluation episode: a hash of the policy seed and the
// episode's seed (SplitMix64 finaliser), the same wherever it runs.
uint64_t EpisodeStreamSeed(uint64_t policy_seed, uint64_t episode_seed);

}  // namespace bcbench
