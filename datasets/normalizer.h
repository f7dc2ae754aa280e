// Per-dimension min-max normalisation to [-1, 1] (SPEC 5). A dimension whose
// range is below 1e-4 is only shifted (its centre goes to 0), so constant
// inputs neither blow up nor lose their value.
#pragma once

#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

#include "datasets/demo.h"

namespace bcbench {

class Normalizer {
 public:
  static constexpr double kMinRange = 1e-4;

  Normalizer() = default;
  // Fits over the rows of every array (all must share the row size).
  static Normalizer Fit(const std::vector<const FloatArray*>& arrays);
  static Normalizer FromMinMax(std::vector<double> min, std::vector<double> max);

  size_t dim() const { return scale_.size(); }
  const std::vector<double>& min() const { return min_; }
  const std::vector<double>& max() const { return max_; }

  // In place over `rows` rows of dim() values; y = x * scale + offset.
  void Normalize(float* values, size_t rows) const;
  void Unnormalize(float* values, size_t rows) const;

  nlohmann::json ToJson() const;
  static Normalizer FromJson(const nlohmann::json& j);  // throws std::invalid_argument

 private:
  std::vector<double> min_, max_, scale_, offset_;
};

}  // namespace bcbench
