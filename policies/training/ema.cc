#include "policies/training/ema.h"

#include <algorithm>
#include <cmath>

namespace bcbench {

std::vector<std::pair<std::string, torch::Tensor>> NamedState(const torch::nn::Module& network) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : network.named_parameters(true)) out.emplace_back("param." + p.key(), p.value());
  for (const auto& b : network.named_buffers(true)) out.emplace_back("buffer." + b.key(), b.value());
  return out;
}

EmaWeights::EmaWeights(torch::nn::Module& network, double power, double max_decay)
    : network_(network), power_(power), max_decay_(max_decay) {
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : NamedState(network)) {
    names_.push_back(name);
    averaged_.push_back(tensor.detach().clone());
  }
}

double EmaWeights::Decay(int64_t step, double power, double max_decay) {
  const double decay = 1.0 - std::pow(1.0 + static_cast<double>(step), -power);
  return std::clamp(decay, 0.0, max_decay);
}

std::vector<torch::Tensor> EmaWeights::Live() const {
  std::vector<torch::Tensor> live;
  for (const auto& [name, tensor] : NamedState(network_)) live.push_back(tensor);
  return live;
}

void EmaWeights::Update(int64_t step) {
  torch::NoGradGuard no_grad;
  const double decay = Decay(step, power_, max_decay_);
  const auto live = Live();
  for (size_t i = 0; i < live.size(); ++i) {
    if (!averaged_[i].is_floating_point()) {
      averaged_[i].copy_(live[i]);
    } else {
      averaged_[i].mul_(decay).add_(live[i].detach(), 1.0 - decay);
    }
  }
}

void EmaWeights::Swap() {
  torch::NoGradGuard no_grad;
  const auto live = Live();
  for (size_t i = 0; i < live.size(); ++i) {
    auto tmp = live[i].detach().clone();
    live[i].detach().copy_(averaged_[i]);
    averaged_[i].copy_(tmp);
  }
}

}  // namespace bcbench
