// Comparisons of two methods evaluated on the same episode seeds (SPEC 7):
// each episode of one is paired with the other's episode of the same
// evaluation seed (and training seed), so the seeds' difficulty cancels.
#pragma once

#include <cstdint>
#include <vector>

#include "benchmarks/metrics/episode_rows.h"
#include "benchmarks/metrics/statistics.h"

namespace bcbench {

struct PairedComparison {
  int pairs = 0;
  // Success per pair: both succeeded, only the first, only the second, neither.
  int both = 0;
  int only_first = 0;
  int only_second = 0;
  int neither = 0;
  // Success rate of the first minus the second, with the bootstrap 95%
  // interval of the pairs' differences (same resampling as score_difference).
  Interval success_difference;
  double success_p = 1;  // exact McNemar on only_first vs only_second, two-sided
  // Mean over pairs of max_reward(first) - max_reward(second), with the
  // hierarchical bootstrap 95% interval (training seeds, then pairs within
  // each; plain with one training seed; seed 0, 2000 resamples).
  Interval score_difference;
  double score_p = 1;  // BootstrapPValue of the same resamples, two-sided
};

// Pairs rows by (training seed, evaluation seed). `*_train_seeds` hold one
// training seed per row; empty: all rows come from one training run. Pairs
// are ordered by (training seed, evaluation seed), so the result does not
// depend on the rows' order. Throws std::invalid_argument when the two sets
// of keys differ (naming a seed only one side has), a key repeats within a
// side, or a seed list's size differs from its rows'.
PairedComparison ComparePaired(const std::vector<EpisodeRow>& first,
                               const std::vector<EpisodeRow>& second,
                               const std::vector<int64_t>& first_train_seeds = {},
                               const std::vector<int64_t>& second_train_seeds = {});

}  // namespace bcbench
