// A minGPT-style causal transformer over a window of continuous inputs
// (BET's state prior): a linear token embedding plus a learned position
// embedding, pre-LayerNorm blocks (causal self-attention, GELU MLP of 4x
// width), a final LayerNorm and a linear head without bias. Weights start
// as minGPT's (normal(0, 0.02) linear weights, zero biases and positions).
//
// Dropout draws its masks from the generator forward() is given, so a
// training step's randomness comes only from the trainer's stream; without
// one, or in eval mode, there is none.
#pragma once

#include <torch/torch.h>

namespace bcbench {

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
  torch::Tensor forward(const torch::Tensor& x, torch::Generator* gen);

 private:
  int n_head_;
  double attn_pdrop_, resid_pdrop_;
  torch::nn::Linear key_{nullptr}, query_{nullptr}, value_{nullptr}, proj_{nullptr};
};
TORCH_MODULE(CausalSelfAttention);

class GptBlockImpl : public torch::nn::Module {
 public:
  explicit GptBlockImpl(const MinGptOptions& o);
  torch::Tensor forward(const torch::Tensor& x, torch::Generator* gen);

 private:
  double resid_pdrop_;
  torch::nn::LayerNorm ln1_{nullptr}, ln2_{nullptr};
  CausalSelfAttention attn_{nullptr};
  torch::nn::Linear fc_{nullptr}, fc_proj_{nullptr};
};
TORCH_MODULE(GptBlock);

class MinGptImpl : public torch::nn::Module {
 public:
  // Initial weights from `init` (a CPU generator).
  MinGptImpl(const MinGptOptions& o, torch::Generator& init);
  // x (B, T, input_dim), T <= block_size -> (B, T, output_dim).
  torch::Tensor forward(const torch::Tensor& x, torch::Generator* gen = nullptr);
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

// Inverted dropout with a mask drawn from `gen`: x unchanged when gen is
// null, p is 0 or the module is not training.
torch::Tensor DropoutFrom(const torch::Tensor& x, double p, torch::Generator* gen, bool training);

}  // namespace bcbench
