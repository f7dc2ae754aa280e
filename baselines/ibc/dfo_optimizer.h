// IBC's derivative-free optimiser (Florence et al. 2021, Alg. 1) for one
// observation: M uniform samples in the bounds, then per round: resample M
// candidates with probabilities softmax(-E / temperature), add Gaussian
// noise (std = noise_scale x the bounds' range, multiplied by noise_shrink
// after each round) and clip to the bounds; the answer is the candidate of
// lowest energy after the last round (the original's greedy policy), or,
// with sample_final, one drawn with probabilities softmax(-E / temperature)
// (the original's stochastic policy, which keeps every mode). The energy is any function of the
// candidates, so the optimiser is tested apart from the network.
#pragma once

#include <functional>

#include <torch/torch.h>

namespace bcbench {

struct DfoSettings {
  int samples = 1024;      // M
  int iterations = 3;
  double noise_scale = 0.33;
  double noise_shrink = 0.5;
  double temperature = 1.0;
  double low = -1.0;       // the bounds, the same in every dimension
  double high = 1.0;
  // false: the candidate of lowest energy; true: one drawn from softmax(-E / temperature).
  bool sample_final = false;
};

// candidates (M, D) -> energies (M).
using EnergyFunction = std::function<torch::Tensor(const torch::Tensor& candidates)>;

struct DfoResult {
  torch::Tensor best;        // (D), the chosen final candidate
  torch::Tensor candidates;  // (M, D) after the last round
  torch::Tensor energies;    // (M) of those candidates
};

// Every draw comes from `gen`, in a fixed order, so the result depends only
// on the energy, the settings and the generator's state.
DfoResult DfoMinimize(const EnergyFunction& energy, int64_t dim, const DfoSettings& settings,
                      torch::Generator& gen,
                      const torch::TensorOptions& options = torch::TensorOptions());

}  // namespace bcbench
