// The one policy interface (SPEC 5): a batch of observation histories of To
// steps in, an action chunk of Tp steps out, of which the runner executes Ta
// (after dropping `latency` steps) before asking again (receding horizon).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bcbench {

// Observations of B environments over the last To steps: (B, To, obs_dim),
// row-major, in env units (policies normalise internally).
struct ObsHistory {
  int batch = 0;
  int steps = 0;  // To
  int dim = 0;
  std::vector<float> values;
};

// Actions for B environments over Tp steps: (B, Tp, action_dim), env units.
struct ActionChunk {
  int batch = 0;
  int steps = 0;  // Tp
  int dim = 0;
  std::vector<float> values;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string Name() const = 0;
  virtual int ObsHorizon() const = 0;     // To
  virtual int PredHorizon() const = 0;    // Tp
  virtual int ActionHorizon() const = 0;  // Ta
  virtual int LatencySteps() const { return 0; }
  // Called between episodes (clears recurrent state, reseeds sampling).
  virtual void Reset(uint64_t seed) = 0;
  virtual ActionChunk Act(const ObsHistory& obs) = 0;
};

}  // namespace bcbench
