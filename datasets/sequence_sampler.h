// Training windows over demos (SPEC 5): To observations and Tp actions that
// start at the same step. Episode starts are padded with the first frame
// (To - 1 windows begin before step 0) and ends with the last (the final
// window may run Ta - 1 steps past the end), as Diffusion Policy samples.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "datasets/demo.h"

namespace bcbench {

class DemoFile;

// One demo's per-step arrays as training sees them: the obs keys
// concatenated per step (in the order asked for) and the actions.
struct Episode {
  std::string name;
  FloatArray obs;      // (N, obs_dim)
  FloatArray actions;  // (N, A)
};

struct Horizons {
  int obs = 2;     // To
  int pred = 16;   // Tp
  int action = 8;  // Ta
};

// Loads `names` from `file`, concatenating `obs_keys` per step.
std::vector<Episode> LoadEpisodes(const DemoFile& file, const std::vector<std::string>& names,
                                  const std::vector<std::string>& obs_keys);

struct DemoSplit {
  std::vector<std::string> train;
  std::vector<std::string> valid;
  std::string source;  // "mask" or "ratio"
};
// mask/train (and mask/valid, else the rest) when the file has them, else a
// seeded shuffle that holds out `valid_ratio` of the demos (at least one when
// there are two or more and the ratio is positive).
DemoSplit SplitDemos(const std::vector<std::string>& names,
                     const std::map<std::string, std::vector<std::string>>& masks,
                     double valid_ratio, uint64_t seed);

class SequenceSampler {
 public:
  struct Window {
    size_t episode;
    long start;  // step of the window's first frame; negative inside the start padding
  };

  SequenceSampler(const std::vector<Episode>& episodes, Horizons horizons);

  size_t size() const { return windows_.size(); }
  const Window& window(size_t i) const { return windows_[i]; }
  size_t obs_dim() const { return obs_dim_; }
  size_t action_dim() const { return action_dim_; }
  const Horizons& horizons() const { return horizons_; }

  // Writes window i: obs (To x obs_dim) and actions (Tp x A), row-major.
  void Fill(size_t i, float* obs_out, float* actions_out) const;
  // A deterministic permutation of all windows for (seed, epoch).
  std::vector<size_t> Shuffled(uint64_t seed, uint64_t epoch) const;

 private:
  const std::vector<Episode>& episodes_;
  Horizons horizons_;
  size_t obs_dim_ = 0;
  size_t action_dim_ = 0;
  std::vector<Window> windows_;
};

// Platform-stable helpers built on std::mt19937_64 (whose output the standard
// fixes, unlike the distributions').
uint64_t UniformIndex(uint64_t bound, uint64_t& state);  // [0, bound), splitmix-style
void SeededShuffle(std::vector<size_t>& items, uint64_t seed);

}  // namespace bcbench
