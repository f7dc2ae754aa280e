#include "envs/idle_injection.h"

#include <cmath>

#include "envs/sampling.h"

namespace bcbench {

IdleInjector::IdleInjector(const ExpertOptions& options) : options_(options) {
  if (options_.idle_min_steps < 0 || options_.idle_max_steps < options_.idle_min_steps) {
    throw EnvError("expert idle steps must satisfy 0 <= idle_min_steps <= idle_max_steps");
  }
  if (!(options_.noise >= 0.0) || !std::isfinite(options_.noise)) {
    throw EnvError("expert noise must be a finite standard deviation >= 0");
  }
}

void IdleInjector::Reset(int phase) {
  last_phase_ = phase;
  steps_left_ = 0;
}

bool IdleInjector::Pausing(int phase, std::mt19937_64& rng) {
  if (phase != last_phase_) {
    last_phase_ = phase;
    if (options_.idle_prob > 0.0 && Uniform01(rng) < options_.idle_prob) {
      const int span = options_.idle_max_steps - options_.idle_min_steps + 1;
      steps_left_ = options_.idle_min_steps + static_cast<int>(rng() % static_cast<unsigned>(span));
    }
  }
  if (steps_left_ <= 0) return false;
  --steps_left_;
  return true;
}

void IdleInjector::AddNoise(std::vector<double>* target, std::mt19937_64& rng) const {
  if (options_.noise <= 0.0) return;
  for (double& v : *target) v += options_.noise * StandardNormal(rng);
}

}  // namespace bcbench
