#include "datasets/demo.h"

#include <functional>
#include <numeric>

namespace bcbench {

FloatArray::FloatArray(std::vector<size_t> shape_in, std::vector<float> values_in)
    : shape(std::move(shape_in)), values(std::move(values_in)) {
  const size_t expected =
      std::accumulate(shape.begin(), shape.end(), size_t{1}, std::multiplies<size_t>());
  if (expected != values.size()) {
    throw std::invalid_argument("FloatArray: shape holds " + std::to_string(expected) +
                                " values but " + std::to_string(values.size()) + " given");
  }
}

FloatArray FloatArray::Zeros(std::vector<size_t> shape_in) {
  const size_t count =
      std::accumulate(shape_in.begin(), shape_in.end(), size_t{1}, std::multiplies<size_t>());
  return FloatArray(std::move(shape_in), std::vector<float>(count, 0.0f));
}

size_t FloatArray::row_size() const {
  if (shape.empty()) return 0;
  return std::accumulate(shape.begin() + 1, shape.end(), size_t{1}, std::multiplies<size_t>());
}

void FloatArray::AppendRow(const std::vector<double>& row_values) {
  if (shape.empty()) shape = {0, row_values.size()};
  if (shape.size() != 2 || row_values.size() != shape[1]) {
    throw std::invalid_argument("FloatArray::AppendRow: row of " +
                                std::to_string(row_values.size()) + " values, expected " +
                                std::to_string(row_size()));
  }
  for (double v : row_values) values.push_back(static_cast<float>(v));
  ++shape[0];
}

}  // namespace bcbench
