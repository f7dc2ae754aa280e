// Intervals for the numbers the suite reports (SPEC 7): Wilson intervals for
// success rates, percentile-bootstrap intervals for means.
#pragma once

#include <cstdint>
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

// Percentile bootstrap of the mean with `resamples` draws from a seeded,
// platform-stable generator; deterministic for a seed.
Interval BootstrapMeanInterval(const std::vector<double>& values, int resamples = 2000,
                               uint64_t seed = 0, double confidence = 0.95);

}  // namespace bcbench
