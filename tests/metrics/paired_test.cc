// Two methods compared episode by episode on the same evaluation seeds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "benchmarks/metrics/paired.h"

namespace bcbench {
namespace {

using ::testing::HasSubstr;

EpisodeRow Row(uint64_t seed, bool success, double max_reward) {
  EpisodeRow r;
  r.seed = seed;
  r.success = success;
  r.max_reward = max_reward;
  return r;
}

// 14 seeds: both succeed on 3, only the first on 8, only the second on 2,
// neither on 1. The first's score is always the second's + 0.25.
void Build(std::vector<EpisodeRow>& first, std::vector<EpisodeRow>& second) {
  const int both = 3, only_first = 8, only_second = 2, neither = 1;
  uint64_t seed = 100;
  auto add = [&](int n, bool a, bool b) {
    for (int k = 0; k < n; ++k, ++seed) {
      const double base = 0.125 * static_cast<double>(seed % 4);
      first.push_back(Row(seed, a, base + 0.25));
      second.push_back(Row(seed, b, base));
    }
  };
  add(both, true, true);
  add(only_first, true, false);
  add(only_second, false, true);
  add(neither, false, false);
}

TEST(ComparePaired, McNemarOnTheDiscordantPairsAndTheMeanDifferences) {
  std::vector<EpisodeRow> a, b;
  Build(a, b);
  std::reverse(b.begin(), b.end());  // pairing is by seed, not by position
  const PairedComparison c = ComparePaired(a, b);
  EXPECT_EQ(c.pairs, 14);
  EXPECT_EQ(c.both, 3);
  EXPECT_EQ(c.only_first, 8);
  EXPECT_EQ(c.only_second, 2);
  EXPECT_EQ(c.neither, 1);
  // 11/14 - 5/14; McNemar on 8 vs 2: 2 (1 + 10 + 45) / 1024.
  EXPECT_DOUBLE_EQ(c.success_difference.estimate, 6.0 / 14);
  EXPECT_LT(c.success_difference.low, 6.0 / 14);
  EXPECT_GT(c.success_difference.high, 6.0 / 14);
  EXPECT_NEAR(c.success_p, 0.109375, 1e-12);
  // Every pair differs by exactly 0.25: every resample's mean is 0.25, and
  // none is as far from it as 0.25 is from 0: p = 1 / (2000 + 1).
  EXPECT_EQ(c.score_difference.estimate, 0.25);
  EXPECT_EQ(c.score_difference.low, 0.25);
  EXPECT_EQ(c.score_difference.high, 0.25);
  EXPECT_DOUBLE_EQ(c.score_p, 1.0 / 2001);
  // Swapping the methods flips the signs, not the p-values.
  const PairedComparison swapped = ComparePaired(b, a);
  EXPECT_EQ(swapped.only_first, 2);
  EXPECT_EQ(swapped.score_difference.estimate, -0.25);
  EXPECT_NEAR(swapped.success_p, 0.109375, 1e-12);
}

TEST(ComparePaired, EqualMethodsShowNoDifference) {
  std::vector<EpisodeRow> a, b;
  Build(a, b);
  const PairedComparison c = ComparePaired(a, a);
  EXPECT_EQ(c.only_first + c.only_second, 0);
  EXPECT_EQ(c.success_p, 1.0);
  EXPECT_EQ(c.score_difference.estimate, 0.0);
  EXPECT_EQ(c.score_p, 1.0);
}

TEST(ComparePaired, MixedScoreDifferencesGiveAnIntervalAroundTheirMean) {
  // Differences +1, -1, +1, +1 (mean 0.5): a resample's mean lies in
  // [-1, 1] and takes -1 with p = 1/256 < 2.5%, so -1 is not the low end.
  std::vector<EpisodeRow> a = {Row(1, false, 1), Row(2, false, 0), Row(3, false, 1), Row(4, false, 1)};
  std::vector<EpisodeRow> b = {Row(1, false, 0), Row(2, false, 1), Row(3, false, 0), Row(4, false, 0)};
  const PairedComparison c = ComparePaired(a, b);
  EXPECT_DOUBLE_EQ(c.score_difference.estimate, 0.5);
  EXPECT_GE(c.score_difference.low, -0.5);
  EXPECT_LT(c.score_difference.low, 0.5);
  EXPECT_EQ(c.score_difference.high, 1.0);  // all four +1 with p = 81/256
  EXPECT_GT(c.score_p, 0.05);
  EXPECT_LE(c.score_p, 1.0);
}

TEST(ComparePaired, RefusesDifferentSeedSets) {
  std::vector<EpisodeRow> a, b;
  Build(a, b);
  b.back().seed = 999;
  try {
    ComparePaired(a, b);
    FAIL() << "different seed sets were compared";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("different seeds"));
    EXPECT_THAT(e.what(), HasSubstr("evaluation seed 113"));
  }
  b.pop_back();
  a.pop_back();
  b.pop_back();  // the second now lacks a seed the first has
  EXPECT_THROW(ComparePaired(a, b), std::invalid_argument);
}

TEST(ComparePaired, PairsByTrainingSeedAndEvaluationSeed) {
  // Two training seeds evaluated on the same two episode seeds: without the
  // training seeds the evaluation seeds repeat and cannot be paired.
  std::vector<EpisodeRow> a = {Row(1, true, 1), Row(2, true, 1), Row(1, false, 0), Row(2, true, 1)};
  std::vector<EpisodeRow> b = {Row(2, false, 0), Row(1, false, 0), Row(2, true, 1), Row(1, true, 1)};
  EXPECT_THROW(ComparePaired(a, b), std::invalid_argument);
  // a: train 0 seeds 1, 2 succeed; train 1 seed 1 fails, seed 2 succeeds.
  // b: train 0 seed 2 fails, seed 1 fails; train 1 seed 2 and seed 1 succeed.
  const PairedComparison c = ComparePaired(a, b, {0, 0, 1, 1}, {0, 0, 1, 1});
  EXPECT_EQ(c.pairs, 4);
  EXPECT_EQ(c.only_first, 2);   // train 0, seeds 1 and 2
  EXPECT_EQ(c.both, 1);         // train 1, seed 2
  EXPECT_EQ(c.only_second, 1);  // train 1, seed 1
  EXPECT_NEAR(c.success_p, 1.0, 1e-12);  // 2 (1 + 3) / 8 = 1
  EXPECT_THROW(ComparePaired(a, b, {0, 0, 1}, {0, 0, 1, 1}), std::invalid_argument);
}

}  // namespace
}  // namespace bcbench
