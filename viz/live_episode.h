// An episode that advances one control step at a time, from one of three
// sources: the scripted expert, a trained policy (through the runner's
// EpisodeStepper, so it acts exactly as in `bcbench eval`), or a recorded
// demo replayed from its stored states. `bcbench render` runs one to the end
// and draws its frames; `bcbench view` steps one per frame, live.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "envs/env.h"

namespace bcbench {

struct LiveEpisodeSpec {
  // The env: required for the expert; with a checkpoint or a replay it comes
  // from them and, if given, must match.
  std::string env_name;
  std::vector<std::pair<std::string, std::string>> env_options;  // key=value over the defaults
  std::string checkpoint;  // a policy (run folder or checkpoint.pt); empty: none
  std::string replay;      // a demo file; empty: none
  uint64_t policy_seed = 0;
  std::string device = "cpu";
  // Policies: how many samples of each decision's chunk to draw (the first
  // is the one executed; the others come from their own random streams, so
  // a stochastic policy shows its spread). 1: only the executed one.
  int chunk_samples = 1;
};

// The predicted action chunks of the current decision, as world points
// (Env::TargetWorldPoint of the commanded target each action leads to).
struct ChunkDrawing {
  std::vector<std::vector<std::array<double, 3>>> samples;  // [0] is executed
  int executed_first = 0;  // index range of the executed actions in samples[0]
  int executed_count = 0;
  bool empty() const { return samples.empty(); }
};

class LiveEpisode {
 public:
  virtual ~LiveEpisode() = default;
  // Starts episode `index`: the seed of the expert's or policy's episode, or
  // the demo number of a replay (data/demo_<index>). Throws
  // std::invalid_argument for a replay index the file does not hold.
  virtual void Start(uint64_t index) = 0;
  virtual bool Done() const = 0;
  // One control step (no-op once done).
  virtual void Step() = 0;
  virtual Env& env() = 0;
  // What the overlay calls the source: "expert", "replay F demo_k",
  // "<policy> (<checkpoint>)".
  virtual std::string Label() const = 0;
  // What `index` means for this source, for messages: "seed" or "demo".
  virtual std::string IndexName() const { return "seed"; }
  // The chunks of the current decision; empty for the expert and replays.
  virtual ChunkDrawing Chunks() const { return {}; }
};

// Throws EnvError, DemoFileError, CheckpointError or std::invalid_argument
// for input the user can fix, each naming the fix.
std::unique_ptr<LiveEpisode> MakeLiveEpisode(const LiveEpisodeSpec& spec);

}  // namespace bcbench
