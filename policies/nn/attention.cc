#include "policies/nn/attention.h"

#include <cmath>
#include <limits>

#include "policies/nn/dropout_mask.h"

namespace bcbench {

torch::Tensor Attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     const torch::Tensor& allowed, const torch::Tensor& keep) {
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  if (allowed.defined()) {
    scores = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
  }
  return torch::matmul(ApplyMask(torch::softmax(scores, -1), keep), v);
}

torch::Tensor CausalMask(int64_t steps, torch::Device device) {
  return torch::ones({steps, steps}, torch::TensorOptions().dtype(torch::kBool).device(device))
      .tril();
}

torch::Tensor SplitHeads(const torch::Tensor& x, int64_t heads) {
  const int64_t b = x.size(0), t = x.size(1), c = x.size(2);
  return x.view({b, t, heads, c / heads}).transpose(1, 2);
}

torch::Tensor MergeHeads(const torch::Tensor& x) {
  const int64_t b = x.size(0), h = x.size(1), t = x.size(2), d = x.size(3);
  return x.transpose(1, 2).contiguous().view({b, t, h * d});
}

}  // namespace bcbench
