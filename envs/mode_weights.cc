#include "envs/mode_weights.h"

#include <cmath>

#include "envs/sampling.h"

namespace bcbench {

void CheckModeWeights(const std::string& env_name, const std::vector<double>& weights,
                      const std::vector<std::string>& mode_names) {
  if (weights.empty()) return;
  std::string names;
  for (const auto& name : mode_names) names += (names.empty() ? "" : ", ") + name;
  const std::string expected = std::to_string(mode_names.size()) +
                               " finite weights >= 0 with a positive sum, one per mode (" +
                               names + ")";
  if (weights.size() != mode_names.size()) {
    throw EnvError(env_name + " expert mode_weights has " + std::to_string(weights.size()) +
                   " values; give " + expected);
  }
  double sum = 0.0;
  for (double w : weights) {
    if (!std::isfinite(w) || w < 0.0) {
      throw EnvError(env_name + " expert mode_weights has a negative or non-finite value; give " +
                     expected);
    }
    sum += w;
  }
  if (sum <= 0.0) throw EnvError(env_name + " expert mode_weights are all 0; give " + expected);
}

std::vector<double> ModeProbabilities(const std::vector<double>& weights, int num_modes) {
  if (weights.empty()) {
    return std::vector<double>(static_cast<size_t>(num_modes), 1.0 / num_modes);
  }
  double sum = 0.0;
  for (double w : weights) sum += w;
  std::vector<double> out;
  out.reserve(weights.size());
  for (double w : weights) out.push_back(w / sum);
  return out;
}

int DrawMode(std::mt19937_64& rng, const std::vector<double>& probabilities) {
  const double u = Uniform01(rng);
  double cumulative = 0.0;
  for (size_t i = 0; i < probabilities.size(); ++i) {
    cumulative += probabilities[i];
    if (u < cumulative) return static_cast<int>(i);
  }
  // Rounding left u above the last cumulative sum: the last mode with weight.
  for (size_t i = probabilities.size(); i-- > 0;) {
    if (probabilities[i] > 0.0) return static_cast<int>(i);
  }
  return 0;
}

}  // namespace bcbench
