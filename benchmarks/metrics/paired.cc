#include "benchmarks/metrics/paired.h"

#include <map>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace bcbench {
namespace {

using PairKey = std::pair<int64_t, uint64_t>;  // (training seed, evaluation seed)

std::map<PairKey, const EpisodeRow*> ByKey(const std::vector<EpisodeRow>& rows,
                                           const std::vector<int64_t>& train_seeds,
                                           const char* side) {
  if (!train_seeds.empty() && train_seeds.size() != rows.size()) {
    throw std::invalid_argument(fmt::format("paired comparison: {} training seeds for the {} "
                                            "method's {} rows; pass one per row or none",
                                            train_seeds.size(), side, rows.size()));
  }
  std::map<PairKey, const EpisodeRow*> keyed;
  for (size_t k = 0; k < rows.size(); ++k) {
    const PairKey key{train_seeds.empty() ? 0 : train_seeds[k], rows[k].seed};
    if (!keyed.emplace(key, &rows[k]).second) {
      throw std::invalid_argument(fmt::format(
          "paired comparison: the {} method has two episodes with training seed {} and evaluation "
          "seed {}; pass the training seed of each row",
          side, key.first, key.second));
    }
  }
  return keyed;
}

// The first key of `a` that `b` lacks, as text for an error.
std::string MissingKey(const std::map<PairKey, const EpisodeRow*>& a,
                       const std::map<PairKey, const EpisodeRow*>& b) {
  for (const auto& [key, row] : a) {
    if (!b.count(key)) {
      return fmt::format("training seed {}, evaluation seed {}", key.first, key.second);
    }
  }
  return "";
}

}  // namespace

PairedComparison ComparePaired(const std::vector<EpisodeRow>& first,
                               const std::vector<EpisodeRow>& second,
                               const std::vector<int64_t>& first_train_seeds,
                               const std::vector<int64_t>& second_train_seeds) {
  const auto a = ByKey(first, first_train_seeds, "first");
  const auto b = ByKey(second, second_train_seeds, "second");
  if (const std::string only_a = MissingKey(a, b); !only_a.empty()) {
    throw std::invalid_argument("paired comparison: the methods were evaluated on different seeds; "
                                "only the first has " + only_a);
  }
  if (const std::string only_b = MissingKey(b, a); !only_b.empty()) {
    throw std::invalid_argument("paired comparison: the methods were evaluated on different seeds; "
                                "only the second has " + only_b);
  }
  PairedComparison c;
  // Differences grouped by training seed, for the hierarchical bootstrap.
  std::map<int64_t, std::vector<double>> success_diffs, score_diffs;
  for (const auto& [key, first_row] : a) {
    const EpisodeRow& x = *first_row;
    const EpisodeRow& y = *b.at(key);
    ++c.pairs;
    if (x.success && y.success) ++c.both;
    if (x.success && !y.success) ++c.only_first;
    if (!x.success && y.success) ++c.only_second;
    if (!x.success && !y.success) ++c.neither;
    success_diffs[key.first].push_back((x.success ? 1.0 : 0.0) - (y.success ? 1.0 : 0.0));
    score_diffs[key.first].push_back(x.max_reward - y.max_reward);
  }
  auto groups = [](std::map<int64_t, std::vector<double>>& by_seed) {
    std::vector<std::vector<double>> g;
    for (auto& [seed, values] : by_seed) g.push_back(std::move(values));
    return g;
  };
  const auto success_groups = groups(success_diffs);
  const auto score_groups = groups(score_diffs);
  c.success_difference = HierarchicalBootstrapMeanInterval(success_groups);
  c.success_p = McNemarExactP(c.only_first, c.only_second);
  c.score_difference = HierarchicalBootstrapMeanInterval(score_groups);
  c.score_p = c.pairs == 0 ? 1.0
                           : BootstrapPValue(HierarchicalBootstrapMeans(score_groups),
                                             c.score_difference.estimate);
  return c;
}

}  // namespace bcbench
