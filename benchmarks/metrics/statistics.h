// The statistics behind the numbers the suite reports (SPEC 7): Wilson
// intervals for success rates, percentile-bootstrap intervals for means
// (plain, and hierarchical over training seeds), the exact McNemar test for
// paired success, and the distances between mode histograms.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bcbench {

struct Interval {
  double estimate = 0;
  double low = 0;
  double high = 0;
};

// Wilson score interval for `successes` out of `trials` at confidence given by
// z (1.96 for 95%). trials == 0 gives [0, 1] around 0.
Interval WilsonInterval(int successes, int trials, double z = 1.959963984540054);

// The resamples every bootstrap takes unless told otherwise.
inline constexpr int kBootstrapResamples = 2000;

// Percentile bootstrap of the mean with `resamples` draws from a seeded,
// platform-stable generator; deterministic for a seed. Equal to
// HierarchicalBootstrapMeanInterval({values}, ...).
Interval BootstrapMeanInterval(const std::vector<double>& values,
                               int resamples = kBootstrapResamples, uint64_t seed = 0,
                               double confidence = 0.95);

// Two-level percentile bootstrap of the pooled mean of grouped values (the
// groups are training seeds, the values their episodes). Each resample draws
// as many groups as there are, with replacement, then within each drawn group
// as many values as it has, with replacement, and takes the mean of all drawn
// values. With one group the group draw is skipped, so the numbers are the
// plain bootstrap's for the same seed. The estimate is the mean of all values.
// Empty groups are ignored; no value at all gives {0, 0, 0}.
Interval HierarchicalBootstrapMeanInterval(const std::vector<std::vector<double>>& groups,
                                           int resamples = kBootstrapResamples,
                                           uint64_t seed = 0, double confidence = 0.95);
// The resampled means behind it, in draw order (`resamples` of them; empty
// when there is no value).
std::vector<double> HierarchicalBootstrapMeans(const std::vector<std::vector<double>>& groups,
                                               int resamples = kBootstrapResamples,
                                               uint64_t seed = 0);
// Two-sided bootstrap p-value for "the mean is 0", from the resampled means
// shifted to the null: (1 + #{|mean_b - estimate| >= |estimate|}) / (B + 1).
double BootstrapPValue(const std::vector<double>& resampled_means, double estimate);

// Exact two-sided McNemar test: the discordant pairs, `only_first` (the first
// method succeeded, the second failed) and `only_second`, are Binomial(n, 1/2)
// under equal success rates, n = only_first + only_second; the p-value is
// min(1, 2 P(X <= min(only_first, only_second))). n = 0 gives 1.
double McNemarExactP(int only_first, int only_second);

// Shannon entropy (natural log) of a histogram of counts or fractions, which
// need not be normalised; 0 for an empty or all-zero histogram.
double Entropy(const std::map<std::string, double>& histogram);

// Jensen-Shannon divergence in bits, in [0, 1], between two histograms (each
// normalised to sum 1 first; a key missing from one has mass 0 there).
// Throws std::invalid_argument when either histogram has no mass.
double JensenShannonDivergence(const std::map<std::string, double>& p,
                               const std::map<std::string, double>& q);

}  // namespace bcbench
