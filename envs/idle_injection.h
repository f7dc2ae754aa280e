// The human-like imperfections SPEC 4 asks of every scripted expert: at each
// change of the env's (debounced) phase label, with probability idle_prob, a
// pause of idle_min_steps..idle_max_steps control steps holding the target;
// and Gaussian noise of std `noise` on each emitted target. The draws come from
// the expert's own stream, so a seed gives the same pauses on every platform.
#pragma once

#include <random>
#include <vector>

#include "envs/env.h"

namespace bcbench {

class IdleInjector {
 public:
  // Throws EnvError unless 0 <= idle_min_steps <= idle_max_steps and noise >= 0.
  explicit IdleInjector(const ExpertOptions& options);

  // Starts an episode whose phase label is `phase`.
  void Reset(int phase);
  // Call once per control step with the env's current phase, before acting:
  // true while a pause holds (the expert then repeats its commanded target).
  bool Pausing(int phase, std::mt19937_64& rng);
  // Adds the target noise to each component (nothing when noise is 0).
  void AddNoise(std::vector<double>* target, std::mt19937_64& rng) const;

 private:
  ExpertOptions options_;
  int last_phase_ = 0;
  int steps_left_ = 0;
};

}  // namespace bcbench
