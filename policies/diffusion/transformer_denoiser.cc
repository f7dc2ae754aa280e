#include "policies/diffusion/transformer_denoiser.h"

#include <stdexcept>
#include <string>

#include "policies/diffusion/conditional_unet1d.h"
#include "policies/nn/attention.h"
#include "policies/nn/dropout_mask.h"

namespace bcbench {
namespace {

torch::nn::LayerNorm MakeLayerNorm(int n) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({n}));
}

const torch::Tensor kNone;

}  // namespace

TransformerDropout TransformerDropout::Rows(int64_t first, int64_t count) const {
  TransformerDropout out;
  out.action_emb = MaskRows(action_emb, first, count);
  out.cond_emb = MaskRows(cond_emb, first, count);
  for (const auto& l : layers) {
    out.layers.push_back({MaskRows(l.self_attn, first, count), MaskRows(l.self_out, first, count),
                          MaskRows(l.cross_attn, first, count), MaskRows(l.cross_out, first, count),
                          MaskRows(l.ff_hidden, first, count), MaskRows(l.ff_out, first, count)});
  }
  return out;
}

TransformerDecoderLayerImpl::TransformerDecoderLayerImpl(int n_emb, int n_head)
    : n_emb_(n_emb), n_head_(n_head) {
  norm1_ = register_module("norm1", MakeLayerNorm(n_emb));
  norm2_ = register_module("norm2", MakeLayerNorm(n_emb));
  norm3_ = register_module("norm3", MakeLayerNorm(n_emb));
  self_q_ = register_module("self_q", torch::nn::Linear(n_emb, n_emb));
  self_kv_ = register_module("self_kv", torch::nn::Linear(n_emb, 2 * n_emb));
  self_out_ = register_module("self_out", torch::nn::Linear(n_emb, n_emb));
  cross_q_ = register_module("cross_q", torch::nn::Linear(n_emb, n_emb));
  cross_kv_ = register_module("cross_kv", torch::nn::Linear(n_emb, 2 * n_emb));
  cross_out_ = register_module("cross_out", torch::nn::Linear(n_emb, n_emb));
  ff1_ = register_module("ff1", torch::nn::Linear(n_emb, 4 * n_emb));
  ff2_ = register_module("ff2", torch::nn::Linear(4 * n_emb, n_emb));
}

torch::Tensor TransformerDecoderLayerImpl::Attention(torch::nn::Linear& q, torch::nn::Linear& kv,
                                                     torch::nn::Linear& out,
                                                     const torch::Tensor& x,
                                                     const torch::Tensor& source,
                                                     const torch::Tensor& allowed,
                                                     const torch::Tensor& keep) {
  const auto keys_values = kv->forward(source).chunk(2, -1);
  const auto heads = Attend(SplitHeads(q->forward(x), n_head_),
                            SplitHeads(keys_values[0].contiguous(), n_head_),
                            SplitHeads(keys_values[1].contiguous(), n_head_), allowed, keep);
  return out->forward(MergeHeads(heads));
}

torch::Tensor TransformerDecoderLayerImpl::forward(const torch::Tensor& x,
                                                   const torch::Tensor& memory,
                                                   const torch::Tensor& self_allowed,
                                                   const torch::Tensor& cross_allowed,
                                                   const TransformerDropout::Layer* drop) {
  auto h = norm1_->forward(x);
  auto y = x + ApplyMask(Attention(self_q_, self_kv_, self_out_, h, h, self_allowed,
                                   drop ? drop->self_attn : kNone),
                         drop ? drop->self_out : kNone);
  h = norm2_->forward(y);
  y = y + ApplyMask(Attention(cross_q_, cross_kv_, cross_out_, h, memory, cross_allowed,
                              drop ? drop->cross_attn : kNone),
                    drop ? drop->cross_out : kNone);
  const auto hidden =
      ApplyMask(torch::gelu(ff1_->forward(norm3_->forward(y))), drop ? drop->ff_hidden : kNone);
  return y + ApplyMask(ff2_->forward(hidden), drop ? drop->ff_out : kNone);
}

TransformerDenoiserImpl::TransformerDenoiserImpl(const TransformerDenoiserOptions& o,
                                                 torch::Generator& init)
    : options_(o) {
  if (o.n_emb % o.n_head != 0 || o.n_emb % 2 != 0) {
    throw std::invalid_argument("transformer denoiser: n_head " + std::to_string(o.n_head) +
                                " must divide n_emb " + std::to_string(o.n_emb) +
                                ", and n_emb must be even");
  }
  input_emb_ = register_module("input_emb", torch::nn::Linear(o.action_dim, o.n_emb));
  cond_obs_emb_ = register_module("cond_obs_emb", torch::nn::Linear(o.cond_dim, o.n_emb));
  pos_emb_ = register_parameter("pos_emb", torch::zeros({1, o.horizon, o.n_emb}));
  cond_pos_emb_ = register_parameter("cond_pos_emb", torch::zeros({1, 1 + o.obs_tokens, o.n_emb}));
  encoder1_ = register_module("encoder1", torch::nn::Linear(o.n_emb, 4 * o.n_emb));
  encoder2_ = register_module("encoder2", torch::nn::Linear(4 * o.n_emb, o.n_emb));
  for (int i = 0; i < o.n_layer; ++i) {
    layers_.push_back(
        register_module("layer" + std::to_string(i), TransformerDecoderLayer(o.n_emb, o.n_head)));
  }
  ln_f_ = register_module("ln_f", MakeLayerNorm(o.n_emb));
  head_ = register_module("head", torch::nn::Linear(o.n_emb, o.action_dim));

  // The original's initialisation, drawn in the order modules() lists them.
  torch::NoGradGuard no_grad;
  pos_emb_.normal_(0.0, 0.02, init);
  cond_pos_emb_.normal_(0.0, 0.02, init);
  for (auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::Linear>()) {
      linear->weight.normal_(0.0, 0.02, init);
      linear->bias.zero_();
    }
  }
}

torch::Tensor TransformerDenoiserImpl::SelfAllowed(torch::Device device) const {
  if (!options_.causal_attn) return {};
  return CausalMask(options_.horizon, device);
}

torch::Tensor TransformerDenoiserImpl::CrossAllowed(torch::Device device) const {
  // Condition token s is the step (s = 0) or observation s - 1; action token
  // t sees it where t >= s - 1.
  if (!options_.causal_attn) return {};
  const auto opts = torch::TensorOptions().dtype(torch::kLong).device(device);
  const auto t = torch::arange(options_.horizon, opts).unsqueeze(1);
  const auto s = torch::arange(1 + options_.obs_tokens, opts).unsqueeze(0);
  return t.ge(s - 1);
}

TransformerDropout TransformerDenoiserImpl::DrawDropoutMasks(int64_t batch,
                                                             torch::Generator& gen) const {
  const auto& o = options_;
  const int64_t tp = o.horizon, tc = 1 + o.obs_tokens, c = o.n_emb, h = o.n_head;
  TransformerDropout d;
  d.action_emb = DropoutMask({batch, tp, c}, o.p_drop_emb, gen);
  d.cond_emb = DropoutMask({batch, tc, c}, o.p_drop_emb, gen);
  for (int i = 0; i < o.n_layer; ++i) {
    TransformerDropout::Layer l;
    l.self_attn = DropoutMask({batch, h, tp, tp}, o.p_drop_attn, gen);
    l.self_out = DropoutMask({batch, tp, c}, o.p_drop_attn, gen);
    l.cross_attn = DropoutMask({batch, h, tp, tc}, o.p_drop_attn, gen);
    l.cross_out = DropoutMask({batch, tp, c}, o.p_drop_attn, gen);
    l.ff_hidden = DropoutMask({batch, tp, 4 * c}, o.p_drop_attn, gen);
    l.ff_out = DropoutMask({batch, tp, c}, o.p_drop_attn, gen);
    d.layers.push_back(std::move(l));
  }
  return d;
}

torch::Tensor TransformerDenoiserImpl::forward(const torch::Tensor& sample,
                                               const torch::Tensor& timesteps,
                                               const torch::Tensor& cond,
                                               const TransformerDropout* drop) {
  const auto& o = options_;
  TORCH_CHECK(sample.dim() == 3 && sample.size(1) == o.horizon && sample.size(2) == o.action_dim,
              "transformer denoiser: sample must be (B, ", o.horizon, ", ", o.action_dim,
              "), got ", sample.sizes());
  TORCH_CHECK(timesteps.dim() == 1 && timesteps.size(0) == sample.size(0),
              "transformer denoiser: timesteps must be (B)");
  TORCH_CHECK(cond.dim() == 3 && cond.size(0) == sample.size(0) &&
                  cond.size(1) == o.obs_tokens && cond.size(2) == o.cond_dim,
              "transformer denoiser: cond must be (B, ", o.obs_tokens, ", ", o.cond_dim,
              "), got ", cond.sizes());
  if (drop != nullptr && !is_training()) drop = nullptr;
  const auto step_token = SinusoidalEmbedding(timesteps, o.n_emb).unsqueeze(1);  // (B, 1, C)
  auto memory = torch::cat({step_token, cond_obs_emb_->forward(cond)}, 1) + cond_pos_emb_;
  memory = ApplyMask(memory, drop ? drop->cond_emb : kNone);
  memory = encoder2_->forward(torch::mish(encoder1_->forward(memory)));
  auto x = ApplyMask(input_emb_->forward(sample) + pos_emb_, drop ? drop->action_emb : kNone);
  const auto self_allowed = SelfAllowed(sample.device());
  const auto cross_allowed = CrossAllowed(sample.device());
  for (size_t i = 0; i < layers_.size(); ++i) {
    x = layers_[i]->forward(x, memory, self_allowed, cross_allowed,
                            drop ? &drop->layers[i] : nullptr);
  }
  return head_->forward(ln_f_->forward(x));
}

int64_t TransformerDenoiserImpl::ParameterCount() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace bcbench
