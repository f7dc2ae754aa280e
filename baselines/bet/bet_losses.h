// BET's two loss terms: a focal loss on the action's bin and an MSE on the
// offset that the network predicts for that bin only.
#pragma once

#include <torch/torch.h>

namespace bcbench {

// Focal loss (Lin et al. 2017), the mean over rows of -(1 - p_t)^gamma log p_t
// where p_t = softmax(logits)[target]; gamma 0 is cross-entropy.
// logits (N, K), target (N) int64.
torch::Tensor FocalLoss(const torch::Tensor& logits, const torch::Tensor& target, double gamma);

// MSE (mean over rows and action dimensions) between each row's predicted
// offset for its target bin and the true offset; the other bins' offsets
// get no gradient. offsets (N, K, A), target (N) int64, true_offsets (N, A).
torch::Tensor TargetBinOffsetLoss(const torch::Tensor& offsets, const torch::Tensor& target,
                                  const torch::Tensor& true_offsets);

}  // namespace bcbench
