// Random draws for tensors that may live on another device than their
// generator. Every random stream bcbench seeds is a CPU generator (one per
// episode slot or training run), so a CUDA run draws the same numbers as a
// CPU run: draw on the generator's device, then move the result. (LibTorch
// refuses a CPU generator for a CUDA kernel: "Expected a 'cuda' device type
// for generator".)
#pragma once

#include <torch/torch.h>

namespace bcbench {

// Uniform [0, 1) of `shape` with `options` (dtype, device).
torch::Tensor RandOn(at::IntArrayRef shape, torch::Generator& gen,
                     const torch::TensorOptions& options);
// Standard normal of `shape` with `options`.
torch::Tensor RandnOn(at::IntArrayRef shape, torch::Generator& gen,
                      const torch::TensorOptions& options);
// torch::multinomial over the rows of `probs`, drawn on the generator's
// device; the indices come back on `probs`' device.
torch::Tensor MultinomialOn(const torch::Tensor& probs, int64_t samples, bool replacement,
                            torch::Generator& gen);

}  // namespace bcbench
