// Exponential moving average of a network's weights (SPEC 5):
// decay = min(1 - (1 + step)^-power, max_decay), so early steps track the raw
// weights closely and later ones average over ~1/(1 - max_decay) steps.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace bcbench {

class EmaWeights {
 public:
  EmaWeights(torch::nn::Module& network, double power, double max_decay);

  static double Decay(int64_t step, double power, double max_decay);
  // Blends the network's current floating-point parameters and buffers in.
  void Update(int64_t step);
  // Swaps the averaged weights into the network (and back on the second call).
  void Swap();
  // Names and tensors, in the network's named_parameters + named_buffers order.
  const std::vector<std::string>& names() const { return names_; }
  std::vector<torch::Tensor>& tensors() { return averaged_; }

 private:
  std::vector<torch::Tensor> Live() const;
  torch::nn::Module& network_;
  double power_, max_decay_;
  std::vector<std::string> names_;
  std::vector<torch::Tensor> averaged_;
};

// A network's parameters then buffers with names, in a stable order.
std::vector<std::pair<std::string, torch::Tensor>> NamedState(const torch::nn::Module& network);

}  // namespace bcbench
