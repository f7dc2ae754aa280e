#include "baselines/ibc/info_nce.h"

namespace bcbench {

torch::Tensor InfoNceLoss(const torch::Tensor& energies, double temperature) {
  const auto log_probs = torch::log_softmax(-energies / temperature, /*dim=*/1);
  return -log_probs.select(1, 0).mean();
}

}  // namespace bcbench
