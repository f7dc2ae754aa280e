#include "baselines/ibc/energy_mlp.h"

#include <stdexcept>
#include <string>

namespace bcbench {

EnergyMlpImpl::EnergyMlpImpl(int obs_size, int action_size, const std::vector<int>& hidden_dims,
                             double dropout)
    : obs_size_(obs_size), action_size_(action_size), dropout_(dropout) {
  int in = obs_size + action_size;
  for (int width : hidden_dims) {
    layers_->push_back(torch::nn::Linear(in, width));
    in = width;
  }
  layers_->push_back(torch::nn::Linear(in, 1));
  register_module("layers", layers_);
}

torch::Tensor EnergyMlpImpl::forward(const torch::Tensor& obs, const torch::Tensor& candidates) {
  return Run(obs, candidates, is_training() && dropout_ > 0);
}

torch::Tensor EnergyMlpImpl::Score(const torch::Tensor& obs, const torch::Tensor& candidates) {
  return Run(obs, candidates, false);
}

torch::Tensor EnergyMlpImpl::Run(const torch::Tensor& obs, const torch::Tensor& candidates,
                                 bool dropout) {
  if (obs.dim() != 2 || obs.size(1) != obs_size_ || candidates.dim() != 3 ||
      candidates.size(0) != obs.size(0) || candidates.size(2) != action_size_) {
    throw std::invalid_argument("EnergyMlp: obs " + std::to_string(obs.dim()) +
                                "-D and candidates " + std::to_string(candidates.dim()) +
                                "-D do not fit (B, " + std::to_string(obs_size_) + ") and (B, K, " +
                                std::to_string(action_size_) + ")");
  }
  const int64_t batch = candidates.size(0), k = candidates.size(1);
  // Every candidate of a row is paired with that row's observation.
  auto x = torch::cat({obs.unsqueeze(1).expand({batch, k, obs_size_}), candidates}, 2)
               .reshape({batch * k, obs_size_ + action_size_});
  const size_t last = layers_->size() - 1;
  for (size_t i = 0; i < last; ++i) {
    x = torch::relu(layers_[i]->as<torch::nn::Linear>()->forward(x));
    if (dropout) x = torch::dropout(x, dropout_, /*train=*/true);
  }
  return layers_[last]->as<torch::nn::Linear>()->forward(x).reshape({batch, k});
}

}  // namespace bcbench
