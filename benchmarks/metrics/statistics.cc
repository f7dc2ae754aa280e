#include "benchmarks/metrics/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <stdexcept>

#include "datasets/sequence_sampler.h"

namespace bcbench {
namespace {

// The percentiles of sorted bootstrap statistics: the value at rank
// floor(q (B - 1)) for q = (1 - confidence) / 2 and its complement.
Interval PercentileInterval(double estimate, std::vector<double> stats, double confidence) {
  std::sort(stats.begin(), stats.end());
  const double tail = (1 - confidence) / 2;
  auto at = [&](double q) {
    const size_t i = static_cast<size_t>(std::floor(q * static_cast<double>(stats.size() - 1)));
    return stats[std::min(i, stats.size() - 1)];
  };
  return {estimate, at(tail), at(1 - tail)};
}

double Normaliser(const std::map<std::string, double>& histogram) {
  double total = 0;
  for (const auto& [name, mass] : histogram) {
    if (mass < 0 || !std::isfinite(mass)) {
      throw std::invalid_argument("histogram bin '" + name + "' has a negative or non-finite mass");
    }
    total += mass;
  }
  return total;
}

// The groups that hold values, their pooled mean and their value count.
struct Pooled {
  std::vector<const std::vector<double>*> groups;
  double mean = 0;
  size_t count = 0;
};

Pooled Pool(const std::vector<std::vector<double>>& groups) {
  Pooled p;
  double sum = 0;
  for (const auto& g : groups) {
    if (g.empty()) continue;
    p.groups.push_back(&g);
    sum += std::accumulate(g.begin(), g.end(), 0.0);
    p.count += g.size();
  }
  if (p.count > 0) p.mean = sum / static_cast<double>(p.count);
  return p;
}

std::vector<double> Resample(const Pooled& pooled, int resamples, uint64_t seed) {
  if (pooled.count == 0) return {};
  const auto& groups = pooled.groups;
  std::vector<double> means(static_cast<size_t>(std::max(resamples, 1)));
  uint64_t state = seed;
  for (auto& mean : means) {
    double sum = 0;
    size_t drawn = 0;
    for (size_t k = 0; k < groups.size(); ++k) {
      const auto& g = groups.size() == 1 ? *groups[0] : *groups[UniformIndex(groups.size(), state)];
      for (size_t i = 0; i < g.size(); ++i) sum += g[UniformIndex(g.size(), state)];
      drawn += g.size();
    }
    mean = sum / static_cast<double>(drawn);
  }
  return means;
}

}  // namespace

Interval WilsonInterval(int successes, int trials, double z) {
  if (trials <= 0) return {0.0, 0.0, 1.0};
  const double n = trials;
  const double p = successes / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  // At 0 and n successes the bounds are exactly 0 and 1; the closed form
  // leaves a rounding residue (2.8e-17) there.
  return {p, successes <= 0 ? 0.0 : std::max(0.0, centre - half),
          successes >= trials ? 1.0 : std::min(1.0, centre + half)};
}

Interval BootstrapMeanInterval(const std::vector<double>& values, int resamples, uint64_t seed,
                               double confidence) {
  return HierarchicalBootstrapMeanInterval({values}, resamples, seed, confidence);
}

std::vector<double> HierarchicalBootstrapMeans(const std::vector<std::vector<double>>& groups,
                                               int resamples, uint64_t seed) {
  return Resample(Pool(groups), resamples, seed);
}

Interval HierarchicalBootstrapMeanInterval(const std::vector<std::vector<double>>& groups,
                                           int resamples, uint64_t seed, double confidence) {
  const Pooled pooled = Pool(groups);
  if (pooled.count == 0) return {};
  return PercentileInterval(pooled.mean, Resample(pooled, resamples, seed), confidence);
}

double BootstrapPValue(const std::vector<double>& resampled_means, double estimate) {
  size_t extreme = 0;
  for (double m : resampled_means) extreme += std::abs(m - estimate) >= std::abs(estimate) ? 1 : 0;
  return (1.0 + static_cast<double>(extreme)) / (1.0 + static_cast<double>(resampled_means.size()));
}

double McNemarExactP(int only_first, int only_second) {
  if (only_first < 0 || only_second < 0) {
    throw std::invalid_argument("McNemar: discordant pair counts must be >= 0");
  }
  const int n = only_first + only_second;
  if (n == 0) return 1.0;
  const int k_max = std::min(only_first, only_second);
  // P(X <= k_max) for X ~ Binomial(n, 1/2), summed in the log domain (C(n, k)
  // overflows a double beyond n ~ 1000): log-sum-exp around the largest term,
  // the one at k_max since k_max <= n / 2.
  auto log_term = [n](int k) {
    return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) -
           n * std::log(2.0);
  };
  const double top = log_term(k_max);
  double scaled = 0;
  for (int k = 0; k <= k_max; ++k) scaled += std::exp(log_term(k) - top);
  return std::min(1.0, 2 * std::exp(top) * scaled);
}

double Entropy(const std::map<std::string, double>& histogram) {
  const double total = Normaliser(histogram);
  if (total <= 0) return 0.0;
  double h = 0;
  for (const auto& [name, mass] : histogram) {
    if (mass > 0) h -= mass / total * std::log(mass / total);
  }
  return h;
}

double JensenShannonDivergence(const std::map<std::string, double>& p,
                               const std::map<std::string, double>& q) {
  const double p_total = Normaliser(p);
  const double q_total = Normaliser(q);
  if (p_total <= 0 || q_total <= 0) {
    throw std::invalid_argument("Jensen-Shannon divergence of a histogram with no mass");
  }
  std::set<std::string> keys;
  for (const auto& [name, mass] : p) keys.insert(name);
  for (const auto& [name, mass] : q) keys.insert(name);
  auto mass_of = [](const std::map<std::string, double>& h, const std::string& key, double total) {
    const auto it = h.find(key);
    return it == h.end() ? 0.0 : it->second / total;
  };
  // JSD = (KL(P || M) + KL(Q || M)) / 2 with M = (P + Q) / 2, in bits.
  double jsd = 0;
  for (const auto& key : keys) {
    const double pk = mass_of(p, key, p_total);
    const double qk = mass_of(q, key, q_total);
    const double mk = (pk + qk) / 2;
    if (pk > 0) jsd += pk * std::log2(pk / mk) / 2;
    if (qk > 0) jsd += qk * std::log2(qk / mk) / 2;
  }
  return std::clamp(jsd, 0.0, 1.0);  // rounding can leave it a hair outside
}

}  // namespace bcbench
