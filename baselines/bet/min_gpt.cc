#include "baselines/bet/min_gpt.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace bcbench {

torch::Tensor DropoutFrom(const torch::Tensor& x, double p, torch::Generator* gen, bool training) {
  if (gen == nullptr || p <= 0.0 || !training) return x;
  const auto keep = torch::rand(x.sizes(), *gen, x.options()).ge(p).to(x.dtype());
  return x * keep / (1.0 - p);
}

CausalSelfAttentionImpl::CausalSelfAttentionImpl(const MinGptOptions& o)
    : n_head_(o.n_head), attn_pdrop_(o.attn_pdrop), resid_pdrop_(o.resid_pdrop) {
  key_ = register_module("key", torch::nn::Linear(o.n_embd, o.n_embd));
  query_ = register_module("query", torch::nn::Linear(o.n_embd, o.n_embd));
  value_ = register_module("value", torch::nn::Linear(o.n_embd, o.n_embd));
  proj_ = register_module("proj", torch::nn::Linear(o.n_embd, o.n_embd));
}

torch::Tensor CausalSelfAttentionImpl::forward(const torch::Tensor& x, torch::Generator* gen) {
  const int64_t b = x.size(0), t = x.size(1), c = x.size(2), hs = c / n_head_;
  auto heads = [&](const torch::Tensor& y) { return y.view({b, t, n_head_, hs}).transpose(1, 2); };
  const auto k = heads(key_->forward(x)), q = heads(query_->forward(x)),
             v = heads(value_->forward(x));  // (B, nh, T, hs)
  auto att = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hs));
  const auto future = torch::ones({t, t}, torch::TensorOptions().dtype(torch::kBool).device(x.device()))
                          .triu(1);
  att = torch::softmax(att.masked_fill(future, -std::numeric_limits<float>::infinity()), -1);
  att = DropoutFrom(att, attn_pdrop_, gen, is_training());
  const auto y = torch::matmul(att, v).transpose(1, 2).contiguous().view({b, t, c});
  return DropoutFrom(proj_->forward(y), resid_pdrop_, gen, is_training());
}

GptBlockImpl::GptBlockImpl(const MinGptOptions& o) : resid_pdrop_(o.resid_pdrop) {
  ln1_ = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.n_embd})));
  attn_ = register_module("attn", CausalSelfAttention(o));
  ln2_ = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.n_embd})));
  fc_ = register_module("fc", torch::nn::Linear(o.n_embd, 4 * o.n_embd));
  fc_proj_ = register_module("fc_proj", torch::nn::Linear(4 * o.n_embd, o.n_embd));
}

torch::Tensor GptBlockImpl::forward(const torch::Tensor& x, torch::Generator* gen) {
  auto h = x + attn_->forward(ln1_->forward(x), gen);
  const auto mlp = fc_proj_->forward(torch::gelu(fc_->forward(ln2_->forward(h))));
  return h + DropoutFrom(mlp, resid_pdrop_, gen, is_training());
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

torch::Tensor MinGptImpl::forward(const torch::Tensor& x, torch::Generator* gen) {
  if (x.dim() != 3 || x.size(2) != options_.input_dim || x.size(1) > options_.block_size) {
    throw std::invalid_argument("MinGpt: input must be (B, T <= " +
                                std::to_string(options_.block_size) + ", " +
                                std::to_string(options_.input_dim) + ")");
  }
  auto h = DropoutFrom(tok_emb_->forward(x) + pos_emb_.narrow(1, 0, x.size(1)), options_.embd_pdrop, gen,
                       is_training());
  for (auto& block : blocks_) h = block->forward(h, gen);
  return head_->forward(ln_f_->forward(h));
}

}  // namespace bcbench
