#include "baselines/bet/min_gpt.h"

#include <stdexcept>
#include <string>

#include "policies/nn/attention.h"

namespace bcbench {

DropoutMasks DropoutMasks::Rows(int64_t first, int64_t count) const {
  auto rows = [&](const torch::Tensor& t) { return MaskRows(t, first, count); };
  DropoutMasks out;
  out.embd = rows(embd);
  for (const auto& t : attn) out.attn.push_back(rows(t));
  for (const auto& t : attn_resid) out.attn_resid.push_back(rows(t));
  for (const auto& t : mlp_resid) out.mlp_resid.push_back(rows(t));
  return out;
}

CausalSelfAttentionImpl::CausalSelfAttentionImpl(const MinGptOptions& o)
    : n_head_(o.n_head) {
  key_ = register_module("key", torch::nn::Linear(o.n_embd, o.n_embd));
  query_ = register_module("query", torch::nn::Linear(o.n_embd, o.n_embd));
  value_ = register_module("value", torch::nn::Linear(o.n_embd, o.n_embd));
  proj_ = register_module("proj", torch::nn::Linear(o.n_embd, o.n_embd));
}

torch::Tensor CausalSelfAttentionImpl::forward(const torch::Tensor& x,
                                               const torch::Tensor& attn_mask,
                                               const torch::Tensor& resid_mask) {
  const auto k = SplitHeads(key_->forward(x), n_head_), q = SplitHeads(query_->forward(x), n_head_),
             v = SplitHeads(value_->forward(x), n_head_);  // (B, nh, T, hs)
  const auto y = MergeHeads(Attend(q, k, v, CausalMask(x.size(1), x.device()), attn_mask));
  return ApplyMask(proj_->forward(y), resid_mask);
}

GptBlockImpl::GptBlockImpl(const MinGptOptions& o) {
  ln1_ = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.n_embd})));
  attn_ = register_module("attn", CausalSelfAttention(o));
  ln2_ = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.n_embd})));
  fc_ = register_module("fc", torch::nn::Linear(o.n_embd, 4 * o.n_embd));
  fc_proj_ = register_module("fc_proj", torch::nn::Linear(4 * o.n_embd, o.n_embd));
}

torch::Tensor GptBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& attn_mask,
                                    const torch::Tensor& attn_resid_mask,
                                    const torch::Tensor& mlp_resid_mask) {
  const auto h = x + attn_->forward(ln1_->forward(x), attn_mask, attn_resid_mask);
  const auto mlp = fc_proj_->forward(torch::gelu(fc_->forward(ln2_->forward(h))));
  return h + ApplyMask(mlp, mlp_resid_mask);
}

MinGptImpl::MinGptImpl(const MinGptOptions& o, torch::Generator& init) : options_(o) {
  if (o.n_embd % o.n_head != 0) {
    throw std::invalid_argument("MinGpt: n_head " + std::to_string(o.n_head) +
                                " does not divide n_embd " + std::to_string(o.n_embd));
  }
  tok_emb_ = register_module("tok_emb", torch::nn::Linear(o.input_dim, o.n_embd));
  pos_emb_ = register_parameter("pos_emb", torch::zeros({1, o.block_size, o.n_embd}));
  for (int i = 0; i < o.n_layer; ++i) {
    blocks_.push_back(register_module("block" + std::to_string(i), GptBlock(o)));
  }
  ln_f_ = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.n_embd})));
  head_ = register_module("head",
                          torch::nn::Linear(torch::nn::LinearOptions(o.n_embd, o.output_dim).bias(false)));
  // minGPT's initialisation, in the order modules() lists them.
  torch::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::Linear>()) {
      linear->weight.normal_(0.0, 0.02, init);
      if (linear->bias.defined()) linear->bias.zero_();
    }
  }
}

DropoutMasks MinGptImpl::DrawDropoutMasks(int64_t batch, int64_t steps,
                                          torch::Generator& gen) const {
  const auto& o = options_;
  DropoutMasks m;
  m.embd = DropoutMask({batch, steps, o.n_embd}, o.embd_pdrop, gen);
  for (int i = 0; i < o.n_layer; ++i) {
    m.attn.push_back(DropoutMask({batch, o.n_head, steps, steps}, o.attn_pdrop, gen));
    m.attn_resid.push_back(DropoutMask({batch, steps, o.n_embd}, o.resid_pdrop, gen));
    m.mlp_resid.push_back(DropoutMask({batch, steps, o.n_embd}, o.resid_pdrop, gen));
  }
  return m;
}

torch::Tensor MinGptImpl::forward(const torch::Tensor& x, const DropoutMasks* masks) {
  if (x.dim() != 3 || x.size(2) != options_.input_dim || x.size(1) > options_.block_size) {
    throw std::invalid_argument("MinGpt: input must be (B, T <= " +
                                std::to_string(options_.block_size) + ", " +
                                std::to_string(options_.input_dim) + ")");
  }
  const bool drop = masks != nullptr && is_training();
  const torch::Tensor none;
  auto h = ApplyMask(tok_emb_->forward(x) + pos_emb_.narrow(1, 0, x.size(1)),
                     drop ? masks->embd : none);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    h = blocks_[i]->forward(h, drop ? masks->attn[i] : none, drop ? masks->attn_resid[i] : none,
                            drop ? masks->mlp_resid[i] : none);
  }
  return head_->forward(ln_f_->forward(h));
}

}  // namespace bcbench
