// Diffusion Policy's time-series diffusion transformer (DP-T, Chi et al.
// 2023, "TransformerForDiffusion" with time and observation as condition):
// the noisy action chunk is a sequence of Tp tokens that attend causally to
// each other and, by cross-attention, to condition tokens.
//
//   action tokens  Linear(action_dim -> n_emb)(x_k) + learned positions (Tp)
//   cond tokens    [sinusoidal(k) (n_emb); Linear(obs_dim + 1 -> n_emb)(obs_i)
//                  for the To observations] + learned positions (1 + To),
//                  then an MLP encoder n_emb -> 4 n_emb -> Mish -> n_emb
//                  (the original's n_cond_layers = 0)
//   n_layer decoder layers, pre-LayerNorm (PyTorch's TransformerDecoderLayer
//   with norm_first): x += SelfAttn(LN(x)) with a causal mask;
//   x += CrossAttn(LN(x), memory) where action token t sees the step token and
//   the observations 0..t (the original's memory mask t >= s - 1);
//   x += W2 Dropout(GELU(W1 LN(x))) with a 4 n_emb hidden layer
//   LayerNorm, then Linear(n_emb -> action_dim).
//
// Dropout (p_drop_attn on the attention weights, after each attention and in
// and after the feed-forward; p_drop_emb on both embeddings, as the
// original) uses keep-masks drawn for the whole batch beforehand
// (DrawDropoutMasks), so a batch split over threads sees the masks of the
// whole batch. Initialisation as the original: linear weights and both
// position tables normal(0, 0.02), biases 0, LayerNorm 1 and 0.
//
// The last observation feature of each condition token is the classifier-
// free-guidance "null" flag (see diffusion_model.h); the caller zeroes the
// observation of an unconditional row.
#pragma once

#include <vector>

#include <torch/torch.h>

namespace bcbench {

struct TransformerDenoiserOptions {
  int action_dim = 2;
  int cond_dim = 1;      // features per observation token (obs_dim + the null flag)
  int horizon = 16;      // Tp action tokens
  int obs_tokens = 2;    // To
  int n_layer = 8;
  int n_head = 4;
  int n_emb = 256;
  double p_drop_emb = 0.0;
  double p_drop_attn = 0.3;
  // The original's causal_attn: action token t attends to action tokens <= t
  // and to the step and observations 0..t. False: every token sees all.
  bool causal_attn = true;
};

// Keep-masks for one batch (undefined where the probability is 0).
struct TransformerDropout {
  torch::Tensor action_emb, cond_emb;  // (B, Tp, C), (B, 1 + To, C)
  struct Layer {
    torch::Tensor self_attn, self_out;    // (B, h, Tp, Tp), (B, Tp, C)
    torch::Tensor cross_attn, cross_out;  // (B, h, Tp, 1 + To), (B, Tp, C)
    torch::Tensor ff_hidden, ff_out;      // (B, Tp, 4C), (B, Tp, C)
  };
  std::vector<Layer> layers;
  TransformerDropout Rows(int64_t first, int64_t count) const;
};

class TransformerDecoderLayerImpl : public torch::nn::Module {
 public:
  TransformerDecoderLayerImpl(int n_emb, int n_head);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& memory,
                        const torch::Tensor& self_allowed, const torch::Tensor& cross_allowed,
                        const TransformerDropout::Layer* drop);

 private:
  torch::Tensor Attention(torch::nn::Linear& q, torch::nn::Linear& kv, torch::nn::Linear& out,
                          const torch::Tensor& x, const torch::Tensor& source,
                          const torch::Tensor& allowed, const torch::Tensor& keep);
  int n_emb_, n_head_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr}, norm3_{nullptr};
  // Queries, keys + values (one 2C-wide projection) and output, per attention.
  torch::nn::Linear self_q_{nullptr}, self_kv_{nullptr}, self_out_{nullptr};
  torch::nn::Linear cross_q_{nullptr}, cross_kv_{nullptr}, cross_out_{nullptr};
  torch::nn::Linear ff1_{nullptr}, ff2_{nullptr};
};
TORCH_MODULE(TransformerDecoderLayer);

class TransformerDenoiserImpl : public torch::nn::Module {
 public:
  // Initial weights from `init` (a CPU generator).
  TransformerDenoiserImpl(const TransformerDenoiserOptions& options, torch::Generator& init);

  // sample (B, Tp, action_dim), timesteps (B), cond (B, To, cond_dim) ->
  // (B, Tp, action_dim); dropout with `drop` (drawn for this batch) when
  // given and training.
  torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timesteps,
                        const torch::Tensor& cond, const TransformerDropout* drop = nullptr);

  TransformerDropout DrawDropoutMasks(int64_t batch, torch::Generator& gen) const;
  const TransformerDenoiserOptions& options() const { return options_; }
  int64_t ParameterCount() const;

  // The "may attend" masks: (Tp, Tp) causal, (Tp, 1 + To) cross; undefined
  // (everything allowed) without causal_attn.
  torch::Tensor SelfAllowed(torch::Device device) const;
  torch::Tensor CrossAllowed(torch::Device device) const;

 private:
  TransformerDenoiserOptions options_;
  torch::nn::Linear input_emb_{nullptr}, cond_obs_emb_{nullptr};
  torch::Tensor pos_emb_, cond_pos_emb_;
  torch::nn::Linear encoder1_{nullptr}, encoder2_{nullptr};
  std::vector<TransformerDecoderLayer> layers_;
  torch::nn::LayerNorm ln_f_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(TransformerDenoiser);

}  // namespace bcbench
