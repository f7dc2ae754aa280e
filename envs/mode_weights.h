// The scripted experts' preference over an env's modes
// (ExpertOptions::mode_weights, `bcbench demos --mode-weights`): one check and
// one draw that every expert shares.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "envs/env.h"

namespace bcbench {

// Throws EnvError naming the env and its modes unless `weights` is empty (the
// env's default) or holds one finite, non-negative weight per mode with a
// positive sum.
void CheckModeWeights(const std::string& env_name, const std::vector<double>& weights,
                      const std::vector<std::string>& mode_names);
// `weights` normalised to sum to 1; empty weights give the uniform
// distribution over `num_modes`. The weights must have passed CheckModeWeights.
std::vector<double> ModeProbabilities(const std::vector<double>& weights, int num_modes);
// An index drawn with `probabilities` from one Uniform01 draw (the same on
// every platform).
int DrawMode(std::mt19937_64& rng, const std::vector<double>& probabilities);

}  // namespace bcbench
