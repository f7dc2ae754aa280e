// Dropout as keep-masks drawn beforehand from an explicit generator. A
// trainer that splits a batch over threads draws the masks of the whole
// batch first (from its own stream, in a fixed order) and hands each slice
// its rows, so the result is the same however the batch is split, and no
// draw touches LibTorch's global generator.
#pragma once

#include <torch/torch.h>

namespace bcbench {

// An inverted-dropout keep-mask of `shape` from `gen`: 1 / (1 - p) with
// probability 1 - p, else 0 (float32, on gen's device); undefined when p is 0.
torch::Tensor DropoutMask(at::IntArrayRef shape, double p, torch::Generator& gen);
// x * mask (the mask moved to x's device), or x when the mask is undefined.
torch::Tensor ApplyMask(const torch::Tensor& x, const torch::Tensor& mask);
// Rows [first, first + count) of a mask whose first dimension is the batch;
// undefined stays undefined.
torch::Tensor MaskRows(const torch::Tensor& mask, int64_t first, int64_t count);

}  // namespace bcbench
