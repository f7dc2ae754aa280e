// The statistics under the cell metrics: histogram distances, the
// hierarchical bootstrap, McNemar's exact test. Expected values are worked
// out by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "benchmarks/metrics/statistics.h"

namespace bcbench {
namespace {

TEST(JensenShannonDivergence, OneModeAgainstAnEvenSplitIsPoint311Bits) {
  // M = {a: .75, b: .25}; KL(P||M) = log2(4/3) = 0.415037;
  // KL(Q||M) = .5 log2(2/3) + .5 log2(2) = 0.207519; JSD = their mean.
  EXPECT_NEAR(JensenShannonDivergence({{"a", 1}}, {{"a", .5}, {"b", .5}}), 0.311278, 1e-6);
}

TEST(JensenShannonDivergence, IsZeroForEqualAndOneForDisjointHistograms) {
  // Counts are normalised first: {2, 1} is {2/3, 1/3}.
  EXPECT_NEAR(JensenShannonDivergence({{"l", 2}, {"r", 1}}, {{"l", 2.0 / 3}, {"r", 1.0 / 3}}), 0,
              1e-12);
  EXPECT_DOUBLE_EQ(JensenShannonDivergence({{"l", 5}}, {{"r", 1}}), 1.0);
  // {2/3, 1/3} vs {1/2, 1/2}: M = {7/12, 5/12};
  // (2/3 log2(8/7) + 1/3 log2(4/5) + 1/2 log2(6/7) + 1/2 log2(6/5)) / 2.
  EXPECT_NEAR(JensenShannonDivergence({{"l", 2}, {"r", 1}}, {{"l", 1}, {"r", 1}}), 0.0207208,
              1e-7);
  EXPECT_THROW(JensenShannonDivergence({}, {{"l", 1}}), std::invalid_argument);
  EXPECT_THROW(JensenShannonDivergence({{"l", -1}}, {{"l", 1}}), std::invalid_argument);
}

TEST(Entropy, OfThreeToOneIsTheBinaryEntropyOfAQuarter) {
  // -(.75 ln .75 + .25 ln .25) = 0.562335 nats = 0.811278 bits.
  EXPECT_NEAR(Entropy({{"left", 3}, {"right", 1}}), 0.562335, 1e-6);
  EXPECT_NEAR(Entropy({{"left", 3}, {"right", 1}}) / std::log(2.0), 0.811278, 1e-6);
  EXPECT_NEAR(Entropy({{"a", 1}, {"b", 1}, {"c", 1}}), std::log(3.0), 1e-12);
  EXPECT_EQ(Entropy({{"a", 4}, {"b", 0}}), 0.0);
  EXPECT_EQ(Entropy({}), 0.0);
}

TEST(McNemarExactP, EightAgainstTwoDiscordantPairsGivesPoint109) {
  // n = 10: 2 (1 + 10 + 45) / 1024 = 0.109375.
  EXPECT_NEAR(McNemarExactP(8, 2), 0.109375, 1e-12);
  EXPECT_NEAR(McNemarExactP(2, 8), 0.109375, 1e-12);
  // n = 5, none the other way: 2 / 32.
  EXPECT_NEAR(McNemarExactP(0, 5), 0.0625, 1e-12);
  // Balanced: 2 (1 + 6 + 15 + 20) / 64 > 1, capped.
  EXPECT_EQ(McNemarExactP(3, 3), 1.0);
  EXPECT_EQ(McNemarExactP(0, 0), 1.0);
  // 40 pairs, 30 vs 10: 2 sum_{k<=10} C(40, k) / 2^40 = 0.00222143 (exact
  // integer sum); beyond a double's C(n, k) range: 600 vs 400, 2.72846e-10.
  EXPECT_NEAR(McNemarExactP(30, 10), 0.0022214337732, 1e-12);
  EXPECT_NEAR(McNemarExactP(600, 400) / 2.7284641560660e-10, 1.0, 1e-9);
  EXPECT_THROW(McNemarExactP(-1, 2), std::invalid_argument);
}

TEST(HierarchicalBootstrap, WithOneGroupItIsThePlainBootstrap) {
  std::vector<double> v;
  for (int i = 0; i < 40; ++i) v.push_back((i * 7) % 11 / 10.0);
  const Interval plain = BootstrapMeanInterval(v, 500, 9);
  const Interval one = HierarchicalBootstrapMeanInterval({v}, 500, 9);
  EXPECT_EQ(plain.estimate, one.estimate);
  EXPECT_EQ(plain.low, one.low);
  EXPECT_EQ(plain.high, one.high);
  EXPECT_LT(one.low, one.high);
}

TEST(HierarchicalBootstrap, ResamplesTrainingSeedsSoSeedToSeedSpreadWidensTheInterval) {
  // One seed always fails, the other always succeeds. A resample draws two
  // seeds: both the failing one (p = 1/4, mean 0), both the other (1/4,
  // mean 1) or one each (1/2, mean 0.5); a 2.5% tail sits inside each 1/4
  // mass, so the interval is [0, 1]. The plain bootstrap of the six pooled
  // values gives mean 0 only with p = 1/64 < 2.5%, so its low end is >= 1/6.
  const std::vector<double> fail = {0, 0, 0}, pass = {1, 1, 1};
  const Interval h = HierarchicalBootstrapMeanInterval({fail, pass});
  EXPECT_DOUBLE_EQ(h.estimate, 0.5);
  EXPECT_EQ(h.low, 0.0);
  EXPECT_EQ(h.high, 1.0);
  const Interval pooled = BootstrapMeanInterval({0, 0, 0, 1, 1, 1});
  EXPECT_GE(pooled.low, 1.0 / 6 - 1e-12);
  EXPECT_LE(pooled.high, 5.0 / 6 + 1e-12);
  // Deterministic, and empty groups do not count.
  const Interval again = HierarchicalBootstrapMeanInterval({fail, {}, pass});
  EXPECT_EQ(again.low, h.low);
  EXPECT_EQ(again.high, h.high);
  EXPECT_EQ(HierarchicalBootstrapMeans({{}, {}}).size(), 0u);
}

TEST(HierarchicalBootstrap, PooledMeanWeighsSeedsByTheirEpisodes) {
  // (0 + 1 + 1 + 1) / 4, not the mean of the seed means (0 + 1) / 2.
  EXPECT_DOUBLE_EQ(HierarchicalBootstrapMeanInterval({{0}, {1, 1, 1}}).estimate, 0.75);
}

TEST(BootstrapPValue, CountsResamplesAsFarFromTheEstimateAsTheEstimateIsFromZero) {
  // estimate 1: |m - 1| >= 1 for m = 0 and m = 2.5, not for 1.2 or 0.5:
  // (1 + 2) / (1 + 4).
  EXPECT_DOUBLE_EQ(BootstrapPValue({0, 2.5, 1.2, 0.5}, 1.0), 0.6);
  // A difference of exactly 0 is never significant.
  EXPECT_DOUBLE_EQ(BootstrapPValue({-1, 1}, 0.0), 1.0);
}

}  // namespace
}  // namespace bcbench
