// IBC's energy model: an MLP that scores (observation, action) pairs with
// one scalar, low for actions the demos take. The input is the flattened
// normalised To observations concatenated with a normalised action vector
// (a chunk of steps flattened into one vector).
#pragma once

#include <vector>

#include <torch/torch.h>

namespace bcbench {

class EnergyMlpImpl : public torch::nn::Module {
 public:
  EnergyMlpImpl(int obs_size, int action_size, const std::vector<int>& hidden_dims,
                double dropout);

  // Energies of K candidate actions per row: obs (B, obs_size) and
  // candidates (B, K, action_size) -> (B, K). Dropout only in training mode.
  torch::Tensor forward(const torch::Tensor& obs, const torch::Tensor& candidates);
  // The same scores without dropout whatever the mode (inference).
  torch::Tensor Score(const torch::Tensor& obs, const torch::Tensor& candidates);

  int obs_size() const { return obs_size_; }
  int action_size() const { return action_size_; }

 private:
  torch::Tensor Run(const torch::Tensor& obs, const torch::Tensor& candidates, bool dropout);

  int obs_size_;
  int action_size_;
  double dropout_;
  torch::nn::ModuleList layers_;  // Linear per hidden layer, then the Linear to one energy
};
TORCH_MODULE(EnergyMlp);

}  // namespace bcbench
