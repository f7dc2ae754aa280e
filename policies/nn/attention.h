// Scaled dot-product attention over split heads, the one home of the
// arithmetic that BET's minGPT and Diffusion Policy's transformer share.
#pragma once

#include <torch/torch.h>

namespace bcbench {

// q (B, heads, T, d), k and v (B, heads, S, d) -> (B, heads, T, d):
// softmax(q k^T / sqrt(d)) v, where query t may attend to key s only where
// allowed[t][s] (allowed: (T, S) bool; undefined = everything allowed).
// Every query needs at least one allowed key. `keep` (B, heads, T, S), an
// inverted-dropout keep-mask of the attention weights (dropout_mask.h), or
// undefined.
torch::Tensor Attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                     const torch::Tensor& allowed, const torch::Tensor& keep);

// (T, T) lower-triangular "may attend" mask: position t sees positions <= t.
torch::Tensor CausalMask(int64_t steps, torch::Device device);

// (B, T, heads * d) -> (B, heads, T, d) and back.
torch::Tensor SplitHeads(const torch::Tensor& x, int64_t heads);
torch::Tensor MergeHeads(const torch::Tensor& x);

}  // namespace bcbench
