// IBC's training objective: InfoNCE over one positive and N counter-examples
// per row. With logits -E / temperature, the loss is the cross-entropy of
// the positive: E_0 / T + log sum_j exp(-E_j / T), averaged over rows.
#pragma once

#include <torch/torch.h>

namespace bcbench {

// energies (B, 1 + N) with the positive in column 0 -> the mean loss.
torch::Tensor InfoNceLoss(const torch::Tensor& energies, double temperature);

}  // namespace bcbench
