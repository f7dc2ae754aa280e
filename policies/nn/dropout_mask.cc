#include "policies/nn/dropout_mask.h"

namespace bcbench {

torch::Tensor DropoutMask(at::IntArrayRef shape, double p, torch::Generator& gen) {
  if (p <= 0.0) return {};
  return torch::rand(shape, gen, torch::TensorOptions().dtype(torch::kFloat32).device(gen.device()))
             .ge(p)
             .to(torch::kFloat32) /
         (1.0 - p);
}

torch::Tensor ApplyMask(const torch::Tensor& x, const torch::Tensor& mask) {
  return mask.defined() ? x * mask.to(x.device()) : x;
}

torch::Tensor MaskRows(const torch::Tensor& mask, int64_t first, int64_t count) {
  return mask.defined() ? mask.narrow(0, first, count) : mask;
}

}  // namespace bcbench
