// The shared samplers: numpy's legacy RandomState reproduced for the draws the
// original Push-T's reset makes.
#include "envs/sampling.h"

#include <gtest/gtest.h>

#include <vector>

namespace bcbench {
namespace {

// numpy's widely quoted seed-0 values: np.random.seed(0), then randn() is
// 1.764052345967664, rand() is 0.5488135039273248, randint(10, size=5) is
// [5, 0, 3, 3, 7].
TEST(LegacyNumpyRandom, ReproducesNumpysSeedZeroDraws) {
  EXPECT_DOUBLE_EQ(LegacyNumpyRandom(0).Randn(), 1.764052345967664);
  EXPECT_DOUBLE_EQ(LegacyNumpyRandom(0).RandomSample(), 0.5488135039273248);
  LegacyNumpyRandom rng(0);
  std::vector<int64_t> ints;
  for (int i = 0; i < 5; ++i) ints.push_back(rng.RandInt(0, 10));
  EXPECT_EQ(ints, (std::vector<int64_t>{5, 0, 3, 3, 7}));
}

TEST(LegacyNumpyRandom, RandIntStaysInItsHalfOpenRange) {
  LegacyNumpyRandom rng(7);
  for (int i = 0; i < 10000; ++i) {
    const int64_t v = rng.RandInt(50, 450);
    ASSERT_GE(v, 50);
    ASSERT_LT(v, 450);
  }
}

TEST(Sampling, Uniform01IsInTheUnitIntervalAndSeedDetermined) {
  std::mt19937_64 a(3), b(3);
  for (int i = 0; i < 1000; ++i) {
    const double u = Uniform01(a);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ASSERT_EQ(u, Uniform01(b));
  }
}

}  // namespace
}  // namespace bcbench
