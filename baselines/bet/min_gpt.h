// A minGPT-style causal transformer over a window of continuous inputs
// (BET's state prior): a linear token embedding plus a learned position
// embedding, pre-LayerNorm blocks (causal self-attention, GELU MLP of 4x
// width), a final LayerNorm and a linear head without bias. Weights start
// as minGPT's (normal(0, 0.02) linear weights, zero biases and positions).
//
// Dropout applies masks drawn beforehand for the whole batch from the
// trainer's stream (DrawDropoutMasks), so slices of the batch can run on
// different threads and still see exactly the masks of the whole batch;
// without masks, or in eval mode, there is none.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "policies/nn/dropout_mask.h"

namespace bcbench {

// Keep-masks already scaled by 1 / (1 - p), one per dropout site, with the
// batch as their first dimension; an undefined tensor where p is 0.
struct DropoutMasks {
  torch::Tensor embd;                           // (B, T, C)
  std::vector<torch::Tensor> attn;              // per block (B, heads, T, T)
  std::vector<torch::Tensor> attn_resid;        // per block (B, T, C)
  std::vector<torch::Tensor> mlp_resid;         // per block (B, T, C)
  // The masks of batch rows [first, first + count).
  DropoutMasks Rows(int64_t first, int64_t count) const;
};

struct MinGptOptions {
  int input_dim = 1;
  int output_dim = 1;
  int block_size = 5;  // longest window (learned positions)
  int n_layer = 4;
  int n_head = 4;
  int n_embd = 72;
  double embd_pdrop = 0.1;
  double attn_pdrop = 0.1;
  double resid_pdrop = 0.1;
};

class CausalSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit CausalSelfAttentionImpl(const MinGptOptions& o);
  // x (B, T, C) -> (B, T, C); position t attends to positions <= t only.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attn_mask,
                        const torch::Tensor& resid_mask);

 private:
  int n_head_;
  torch::nn::Linear key_{nullptr}, query_{nullptr}, value_{nullptr}, proj_{nullptr};
};
TORCH_MODULE(CausalSelfAttention);

class GptBlockImpl : public torch::nn::Module {
 public:
  explicit GptBlockImpl(const MinGptOptions& o);
  // masks: this block's (attn, attn_resid, mlp_resid), or undefined tensors.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& attn_mask,
                        const torch::Tensor& attn_resid_mask, const torch::Tensor& mlp_resid_mask);

 private:
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  CausalSelfAttention attn_{nullptr};
  torch::nn::Linear fc_{nullptr}, fc_proj_{nullptr};
};
TORCH_MODULE(GptBlock);

class MinGptImpl : public torch::nn::Module {
 public:
  // Initial weights from `init` (a CPU generator).
  MinGptImpl(const MinGptOptions& o, torch::Generator& init);
  // x (B, T, input_dim), T <= block_size -> (B, T, output_dim); dropout
  // with `masks` (drawn for this batch) when given and training.
  torch::Tensor forward(const torch::Tensor& x, const DropoutMasks* masks = nullptr);
  // Masks for a batch of `batch` windows of `steps` positions, from `gen`
  // in a fixed order.
  DropoutMasks DrawDropoutMasks(int64_t batch, int64_t steps, torch::Generator& gen) const;
  const MinGptOptions& options() const { return options_; }

 private:
  MinGptOptions options_;
  torch::nn::Linear tok_emb_{nullptr};
  torch::Tensor pos_emb_;
  std::vector<GptBlock> blocks_;
  torch::nn::LayerNorm ln_f_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(MinGpt);

}  // namespace bcbench
