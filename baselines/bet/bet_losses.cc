#include "baselines/bet/bet_losses.h"

namespace bcbench {

torch::Tensor FocalLoss(const torch::Tensor& logits, const torch::Tensor& target, double gamma) {
  const auto log_pt = torch::log_softmax(logits, -1).gather(1, target.view({-1, 1})).view(-1);
  const auto pt = log_pt.exp();
  return (-(1.0 - pt).pow(gamma) * log_pt).mean();
}

torch::Tensor TargetBinOffsetLoss(const torch::Tensor& offsets, const torch::Tensor& target,
                                  const torch::Tensor& true_offsets) {
  const auto rows = torch::arange(offsets.size(0), target.options());
  const auto selected = offsets.index({rows, target});  // (N, A)
  return torch::mse_loss(selected, true_offsets);
}

}  // namespace bcbench
