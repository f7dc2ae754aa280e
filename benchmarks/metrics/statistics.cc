#include "benchmarks/metrics/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "datasets/sequence_sampler.h"

namespace bcbench {

Interval WilsonInterval(int successes, int trials, double z) {
  if (trials <= 0) return {0.0, 0.0, 1.0};
  const double n = trials;
  const double p = successes / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {p, std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Interval BootstrapMeanInterval(const std::vector<double>& values, int resamples, uint64_t seed,
                               double confidence) {
  if (values.empty()) return {};
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
  std::vector<double> means(static_cast<size_t>(resamples));
  uint64_t state = seed;
  for (auto& m : means) {
    double sum = 0;
    for (size_t i = 0; i < values.size(); ++i) sum += values[UniformIndex(values.size(), state)];
    m = sum / values.size();
  }
  std::sort(means.begin(), means.end());
  const double tail = (1 - confidence) / 2;
  auto at = [&](double q) {
    const size_t i = static_cast<size_t>(std::floor(q * (means.size() - 1)));
    return means[std::min(i, means.size() - 1)];
  };
  return {mean, at(tail), at(1 - tail)};
}

}  // namespace bcbench
