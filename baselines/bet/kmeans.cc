#include "baselines/bet/kmeans.h"

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace bcbench {
namespace {

// Plain loops in double: exact sums in a fixed order, the same on every
// thread count.
int64_t Nearest(const float* p, const std::vector<double>& centres, int64_t k, int64_t d) {
  int64_t best = 0;
  double best_dist = std::numeric_limits<double>::infinity();
  for (int64_t c = 0; c < k; ++c) {
    double dist = 0;
    for (int64_t j = 0; j < d; ++j) {
      const double diff = static_cast<double>(p[j]) - centres[static_cast<size_t>(c * d + j)];
      dist += diff * diff;
    }
    if (dist < best_dist) {
      best_dist = dist;
      best = c;
    }
  }
  return best;
}

}  // namespace

KMeansResult KMeans(const torch::Tensor& points, int k, int iterations, torch::Generator& gen) {
  if (points.dim() != 2 || points.size(0) < 1 || k < 1) {
    throw std::invalid_argument("KMeans: needs (N >= 1, D) points and k >= 1");
  }
  const auto x = points.to(torch::kCPU, torch::kFloat32).contiguous();
  const int64_t n = x.size(0), d = x.size(1);
  const float* data = x.data_ptr<float>();
  auto random_rows = [&](int64_t count) {
    // Distinct rows while they last (a permutation), then with repeats.
    std::vector<int64_t> rows;
    while (static_cast<int64_t>(rows.size()) < count) {
      const auto perm = torch::randperm(n, gen, torch::kLong);
      const int64_t take = std::min<int64_t>(n, count - static_cast<int64_t>(rows.size()));
      for (int64_t i = 0; i < take; ++i) rows.push_back(perm[i].item<int64_t>());
    }
    return rows;
  };

  std::vector<double> centres(static_cast<size_t>(k * d));
  const auto init = random_rows(k);
  for (int64_t c = 0; c < k; ++c) {
    for (int64_t j = 0; j < d; ++j) {
      centres[static_cast<size_t>(c * d + j)] = data[init[static_cast<size_t>(c)] * d + j];
    }
  }
  KMeansResult result;
  std::vector<int64_t> assignment(static_cast<size_t>(n), -1);
  for (int it = 0; it < iterations; ++it) {
    bool changed = false;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t a = Nearest(data + i * d, centres, k, d);
      changed = changed || a != assignment[static_cast<size_t>(i)];
      assignment[static_cast<size_t>(i)] = a;
    }
    if (!changed) break;
    std::vector<double> sums(static_cast<size_t>(k * d), 0.0);
    std::vector<int64_t> counts(static_cast<size_t>(k), 0);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t a = assignment[static_cast<size_t>(i)];
      ++counts[static_cast<size_t>(a)];
      for (int64_t j = 0; j < d; ++j) sums[static_cast<size_t>(a * d + j)] += data[i * d + j];
    }
    std::vector<int64_t> empty;
    for (int64_t c = 0; c < k; ++c) {
      if (counts[static_cast<size_t>(c)] == 0) {
        empty.push_back(c);
        continue;
      }
      for (int64_t j = 0; j < d; ++j) {
        centres[static_cast<size_t>(c * d + j)] =
            sums[static_cast<size_t>(c * d + j)] / static_cast<double>(counts[static_cast<size_t>(c)]);
      }
    }
    if (!empty.empty()) {
      const auto rows = random_rows(static_cast<int64_t>(empty.size()));
      for (size_t e = 0; e < empty.size(); ++e) {
        for (int64_t j = 0; j < d; ++j) {
          centres[static_cast<size_t>(empty[e] * d + j)] = data[rows[e] * d + j];
        }
      }
      result.reinitialised += static_cast<int64_t>(empty.size());
      // Assignments must be recomputed against the re-seeded bins.
      std::fill(assignment.begin(), assignment.end(), -1);
    }
  }
  result.centres = torch::empty({k, d}, torch::kFloat32);
  float* out = result.centres.data_ptr<float>();
  for (size_t i = 0; i < centres.size(); ++i) out[i] = static_cast<float>(centres[i]);
  return result;
}

torch::Tensor NearestCentre(const torch::Tensor& points, const torch::Tensor& centres) {
  if (points.dim() != 2 || centres.dim() != 2 || points.size(1) != centres.size(1)) {
    throw std::invalid_argument("NearestCentre: points (N, D) and centres (k, D) must share D");
  }
  // (N, k) squared distances; argmin takes the first of equal minima.
  const auto diff = points.unsqueeze(1) - centres.unsqueeze(0);
  return diff.pow(2).sum(-1).argmin(1);
}

}  // namespace bcbench
