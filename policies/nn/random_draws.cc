#include "policies/nn/random_draws.h"

namespace bcbench {

torch::Tensor RandOn(at::IntArrayRef shape, torch::Generator& gen,
                     const torch::TensorOptions& options) {
  return torch::rand(shape, gen, options.device(gen.device())).to(options.device());
}

torch::Tensor RandnOn(at::IntArrayRef shape, torch::Generator& gen,
                      const torch::TensorOptions& options) {
  return torch::randn(shape, gen, options.device(gen.device())).to(options.device());
}

torch::Tensor MultinomialOn(const torch::Tensor& probs, int64_t samples, bool replacement,
                            torch::Generator& gen) {
  return torch::multinomial(probs.to(gen.device()), samples, replacement, gen)
      .to(probs.device());
}

}  // namespace bcbench
