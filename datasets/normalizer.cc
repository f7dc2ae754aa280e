#include "datasets/normalizer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace bcbench {

Normalizer Normalizer::Fit(const std::vector<const FloatArray*>& arrays) {
  if (arrays.empty()) throw std::invalid_argument("Normalizer::Fit: no data");
  const size_t dim = arrays.front()->row_size();
  std::vector<double> lo(dim, std::numeric_limits<double>::infinity());
  std::vector<double> hi(dim, -std::numeric_limits<double>::infinity());
  size_t rows = 0;
  for (const FloatArray* a : arrays) {
    if (a->row_size() != dim) {
      throw std::invalid_argument("Normalizer::Fit: rows of " + std::to_string(a->row_size()) +
                                  " values, expected " + std::to_string(dim));
    }
    for (size_t t = 0; t < a->rows(); ++t) {
      for (size_t d = 0; d < dim; ++d) {
        lo[d] = std::min(lo[d], static_cast<double>(a->row(t)[d]));
        hi[d] = std::max(hi[d], static_cast<double>(a->row(t)[d]));
      }
    }
    rows += a->rows();
  }
  if (rows == 0) throw std::invalid_argument("Normalizer::Fit: no rows");
  return FromMinMax(std::move(lo), std::move(hi));
}

Normalizer Normalizer::FromMinMax(std::vector<double> min, std::vector<double> max) {
  if (min.size() != max.size()) throw std::invalid_argument("Normalizer: min/max sizes differ");
  Normalizer n;
  n.min_ = std::move(min);
  n.max_ = std::move(max);
  const size_t dim = n.min_.size();
  n.scale_.resize(dim);
  n.offset_.resize(dim);
  for (size_t d = 0; d < dim; ++d) {
    if (!std::isfinite(n.min_[d]) || !std::isfinite(n.max_[d]) || n.max_[d] < n.min_[d]) {
      throw std::invalid_argument("Normalizer: dimension " + std::to_string(d) +
                                  " has an invalid range");
    }
    const double range = n.max_[d] - n.min_[d];
    if (range < kMinRange) {
      n.scale_[d] = 1.0;
      n.offset_[d] = -0.5 * (n.min_[d] + n.max_[d]);
    } else {
      n.scale_[d] = 2.0 / range;
      n.offset_[d] = -1.0 - n.min_[d] * n.scale_[d];
    }
  }
  return n;
}

void Normalizer::Normalize(float* values, size_t rows) const {
  const size_t dim = this->dim();
  for (size_t t = 0; t < rows; ++t) {
    for (size_t d = 0; d < dim; ++d) {
      float& v = values[t * dim + d];
      v = static_cast<float>(v * scale_[d] + offset_[d]);
    }
  }
}

void Normalizer::Unnormalize(float* values, size_t rows) const {
  const size_t dim = this->dim();
  for (size_t t = 0; t < rows; ++t) {
    for (size_t d = 0; d < dim; ++d) {
      float& v = values[t * dim + d];
      v = static_cast<float>((v - offset_[d]) / scale_[d]);
    }
  }
}

nlohmann::json Normalizer::ToJson() const { return {{"min", min_}, {"max", max_}}; }

Normalizer Normalizer::FromJson(const nlohmann::json& j) {
  try {
    return FromMinMax(j.at("min").get<std::vector<double>>(), j.at("max").get<std::vector<double>>());
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("normalizer: ") + e.what());
  }
}

}  // namespace bcbench
