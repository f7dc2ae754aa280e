// k-means over action vectors (BET's discretisation): Lloyd's algorithm from
// k distinct random data points; a bin left empty by an assignment step is
// re-initialised to a random data point, as the original (Karpathy's minGPT
// k-means) does. All randomness comes from the generator, so the bins are
// a function of the data and the seed.
#pragma once

#include <cstdint>

#include <torch/torch.h>

namespace bcbench {

struct KMeansResult {
  torch::Tensor centres;        // (k, D) float
  int64_t reinitialised = 0;    // empty bins re-seeded over all iterations
};

// points: (N, D) float, N >= 1. Iterations stop early once no assignment changes.
KMeansResult KMeans(const torch::Tensor& points, int k, int iterations, torch::Generator& gen);

// Index of the nearest centre (squared Euclidean; ties to the lowest index)
// for each row of points (N, D): (N) int64.
torch::Tensor NearestCentre(const torch::Tensor& points, const torch::Tensor& centres);

}  // namespace bcbench
