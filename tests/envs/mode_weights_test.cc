// The experts' shared mode-weight check and draw.
#include "envs/mode_weights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace bcbench {
namespace {

TEST(ModeWeights, ChecksOneFiniteNonNegativeWeightPerModeWithAPositiveSum) {
  const std::vector<std::string> modes = {"a", "b", "c"};
  EXPECT_NO_THROW(CheckModeWeights("env", {}, modes));
  EXPECT_NO_THROW(CheckModeWeights("env", {0.7, 0.2, 0.1}, modes));
  EXPECT_NO_THROW(CheckModeWeights("env", {0.0, 3.0, 0.0}, modes));
  try {
    CheckModeWeights("env", {1.0, 2.0}, modes);
    FAIL() << "two weights for three modes accepted";
  } catch (const EnvError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("env expert mode_weights has 2 values"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(a, b, c)"), std::string::npos) << msg;
  }
  EXPECT_THROW(CheckModeWeights("env", {1.0, -0.1, 1.0}, modes), EnvError);
  EXPECT_THROW(CheckModeWeights("env", {1.0, INFINITY, 1.0}, modes), EnvError);
  EXPECT_THROW(CheckModeWeights("env", {0.0, 0.0, 0.0}, modes), EnvError);
}

TEST(ModeWeights, ProbabilitiesAreNormalisedAndUniformByDefault) {
  EXPECT_EQ(ModeProbabilities({}, 4), (std::vector<double>(4, 0.25)));
  const auto p = ModeProbabilities({7.0, 2.0, 1.0}, 3);
  EXPECT_DOUBLE_EQ(p[0], 0.7);
  EXPECT_DOUBLE_EQ(p[1], 0.2);
  EXPECT_DOUBLE_EQ(p[2], 0.1);
}

TEST(ModeWeights, DrawsFollowTheProbabilities) {
  std::mt19937_64 rng(5);
  const std::vector<double> p = {0.7, 0.2, 0.1, 0.0};
  std::vector<int> count(4, 0);
  const int n = 40000;
  for (int i = 0; i < n; ++i) ++count[DrawMode(rng, p)];
  // 5 binomial standard deviations: at most 0.012 for n = 40000.
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(static_cast<double>(count[k]) / n, p[k], 5.0 * std::sqrt(p[k] * (1 - p[k]) / n))
        << "mode " << k;
  }
  EXPECT_EQ(count[3], 0);  // a zero weight is never drawn
}

}  // namespace
}  // namespace bcbench
