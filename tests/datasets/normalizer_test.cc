// Min-max normalisation to [-1, 1], with a shift only for near-constant dimensions.
#include <cmath>

#include <gtest/gtest.h>

#include "datasets/normalizer.h"

namespace bcbench {
namespace {

FloatArray Rows(std::vector<std::vector<float>> rows) {
  FloatArray a;
  for (const auto& r : rows) a.AppendRow(std::vector<double>(r.begin(), r.end()));
  return a;
}

TEST(Normalizer, MapsRangeToMinusOneOne) {
  const FloatArray data = Rows({{0, 10, 5}, {512, 20, 5}, {256, 15, 5}});
  const Normalizer n = Normalizer::Fit({&data});
  FloatArray x = data;
  n.Normalize(x.values.data(), x.rows());
  EXPECT_FLOAT_EQ(x.row(0)[0], -1.0f);
  EXPECT_FLOAT_EQ(x.row(1)[0], 1.0f);
  EXPECT_FLOAT_EQ(x.row(2)[0], 0.0f);
  EXPECT_FLOAT_EQ(x.row(2)[1], 0.0f);
}

TEST(Normalizer, ConstantDimensionIsOnlyShifted) {
  const FloatArray data = Rows({{1, 7.0f}, {2, 7.00001f}});
  const Normalizer n = Normalizer::Fit({&data});
  FloatArray x = Rows({{1.5f, 7.5f}});
  n.Normalize(x.values.data(), 1);
  // Range 1e-5 < 1e-4: value - centre, no scaling (so 0.5 above stays 0.5).
  EXPECT_NEAR(x.row(0)[1], 0.5f - 0.000005f, 1e-5);
  EXPECT_TRUE(std::isfinite(x.row(0)[1]));
}

TEST(Normalizer, UnnormalizeInvertsNormalize) {
  const FloatArray data = Rows({{-3, 100, 0.25f}, {9, 612, 0.25f}, {1, 300, 0.25f}});
  const Normalizer n = Normalizer::Fit({&data});
  FloatArray x = Rows({{-3, 100, 0.25f}, {0.1f, 511.9f, 0.25f}, {8.99f, 613, 0.25f}});
  const FloatArray original = x;
  n.Normalize(x.values.data(), x.rows());
  n.Unnormalize(x.values.data(), x.rows());
  for (size_t i = 0; i < x.values.size(); ++i) {
    // Exact up to float rounding of the stored value (1 ulp).
    EXPECT_NEAR(x.values[i], original.values[i],
                std::abs(original.values[i]) * 1.2e-7f + 1e-7f) << i;
  }
}

TEST(Normalizer, JsonRoundTripKeepsTheMapping) {
  const FloatArray data = Rows({{0, 1}, {4, 1}});
  const Normalizer n = Normalizer::Fit({&data});
  const Normalizer m = Normalizer::FromJson(n.ToJson());
  FloatArray a = Rows({{3, 2}}), b = a;
  n.Normalize(a.values.data(), 1);
  m.Normalize(b.values.data(), 1);
  EXPECT_EQ(a.values, b.values);
  EXPECT_THROW(Normalizer::FromJson(nlohmann::json{{"min", {0}}}), std::invalid_argument);
}

}  // namespace
}  // namespace bcbench
