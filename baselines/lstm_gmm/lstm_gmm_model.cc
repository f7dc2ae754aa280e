#include "baselines/lstm_gmm/lstm_gmm_model.h"

#include <cmath>
#include <string>

namespace bcbench::lstm_gmm {

LstmGmmNetImpl::LstmGmmNetImpl(const LstmGmmConfig& config, int obs_dim, int out_dim)
    : hidden_(config.rnn_hidden),
      modes_(config.num_modes),
      out_dim_(out_dim),
      min_std_(config.min_std) {
  // torch.nn.LSTM's initialisation: every weight and bias U(-1/sqrt(H), 1/sqrt(H)).
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_));
  auto uniform = [bound](std::vector<int64_t> shape) {
    return torch::empty(shape).uniform_(-bound, bound);
  };
  int in = obs_dim;
  for (int l = 0; l < config.rnn_layers; ++l) {
    const std::string s = std::to_string(l);
    Layer layer;
    layer.w_ih = register_parameter("weight_ih_l" + s, uniform({4 * hidden_, in}));
    layer.w_hh = register_parameter("weight_hh_l" + s, uniform({4 * hidden_, hidden_}));
    layer.b_ih = register_parameter("bias_ih_l" + s, uniform({4 * hidden_}));
    layer.b_hh = register_parameter("bias_hh_l" + s, uniform({4 * hidden_}));
    layers_.push_back(layer);
    in = hidden_;
  }
  means_ = register_module("means", torch::nn::Linear(hidden_, modes_ * out_dim));
  scales_ = register_module("scales", torch::nn::Linear(hidden_, modes_ * out_dim));
  logits_ = register_module("logits", torch::nn::Linear(hidden_, modes_));
}

torch::Tensor LstmGmmNetImpl::Run(const torch::Tensor& obs, LstmState& state) {
  const int64_t batch = obs.size(0), steps = obs.size(1);
  const int64_t layers = static_cast<int64_t>(layers_.size());
  if (!state.defined()) {
    state.h = torch::zeros({layers, batch, hidden_}, obs.options());
    state.c = torch::zeros({layers, batch, hidden_}, obs.options());
  }
  std::vector<torch::Tensor> h, c;
  for (int64_t l = 0; l < layers; ++l) {
    h.push_back(state.h[l]);
    c.push_back(state.c[l]);
  }
  torch::Tensor input = obs;  // (B, T, in)
  for (int64_t l = 0; l < layers; ++l) {
    const Layer& p = layers_[static_cast<size_t>(l)];
    // The input's part of every step's gates in one GEMM.
    const auto projected = torch::addmm(p.b_ih, input.reshape({batch * steps, -1}), p.w_ih.t())
                               .reshape({batch, steps, 4 * hidden_});
    std::vector<torch::Tensor> outputs;
    outputs.reserve(static_cast<size_t>(steps));
    for (int64_t t = 0; t < steps; ++t) {
      const auto gates = projected.select(1, t) + torch::addmm(p.b_hh, h[l], p.w_hh.t());
      // One sigmoid over all four gates (the g part goes unused): fewer ops
      // per step, which is what an LSTM of this size spends its time on.
      const auto gate = torch::sigmoid(gates);
      const auto i = gate.narrow(1, 0, hidden_), f = gate.narrow(1, hidden_, hidden_);
      const auto o = gate.narrow(1, 3 * hidden_, hidden_);
      const auto g = torch::tanh(gates.narrow(1, 2 * hidden_, hidden_));
      c[l] = f * c[l] + i * g;
      h[l] = o * torch::tanh(c[l]);
      outputs.push_back(h[l]);
    }
    input = torch::stack(outputs, 1);
  }
  state.h = torch::stack(h);
  state.c = torch::stack(c);
  return input;
}

GaussianMixture LstmGmmNetImpl::Head(const torch::Tensor& features, bool low_noise) {
  auto shape = features.sizes().vec();
  shape.back() = modes_;
  auto component_shape = shape;
  component_shape.push_back(out_dim_);
  GaussianMixture gmm;
  gmm.means = torch::tanh(means_->forward(features)).reshape(component_shape);
  gmm.scales = low_noise ? torch::full_like(gmm.means, 1e-4)
                         : (torch::softplus(scales_->forward(features)) + min_std_)
                               .reshape(component_shape);
  gmm.logits = logits_->forward(features);
  return gmm;
}

}  // namespace bcbench::lstm_gmm
