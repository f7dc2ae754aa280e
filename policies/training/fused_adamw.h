// AdamW's update in one pass per parameter (CPU float32), for the training
// step's tail: LibTorch 1.13's torch::optim::AdamW::step makes about ten
// passes over every parameter-sized tensor (decay, two moment updates, a
// temporary denominator built in three, the update) and the data-parallel
// step one more to sum the slices' gradients. For the CPU UNet (4.6M
// parameters) that tail took 6 ms + 1 ms of a 165 ms step on 2 threads.
//
// The arithmetic is AdamW's (Loshchilov & Hutter; LibTorch's order of
// operations), per element:
//   g = sum of the gradient parts, in order
//   p *= 1 - lr * weight_decay
//   m  = beta1 * m + (1 - beta1) * g
//   v  = beta2 * v + (1 - beta2) * g * g
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// and it reads and writes the optimiser's own state (AdamWParamState: step,
// exp_avg, exp_avg_sq), so checkpoints, resumes and a later
// torch::optim::AdamW::step carry on from it unchanged. Results agree with
// LibTorch's to float rounding (not bit for bit: the fused expression rounds
// fewer times).
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace bcbench {

// Applies one AdamW step to every parameter of `optimizer`'s groups (in
// group order, as param_groups() lists them). grad_parts[i] holds the
// gradient of parameter i as parts to add (undefined parts are skipped; a
// parameter with none is left alone, as LibTorch leaves one without a grad).
// Returns false, changing nothing, when the fused step does not apply: not
// an AdamW, amsgrad on, a parameter that is not a dense CPU float32 tensor
// (contiguous, or a permutation of contiguous memory such as a tap-major
// conv weight), or a part or moment laid out differently from its parameter;
// the caller then sums the parts into .grad and calls optimizer.step().
// Why a step was declined. `expected`: by design (not an AdamW, amsgrad,
// GPU or non-float32 parameters); otherwise the gradients or moments came
// in a layout the step cannot take, which costs speed silently, so the
// trainer warns once.
struct FusedAdamWDecline {
  bool expected = true;
  std::string reason;
};
bool FusedAdamWStep(torch::optim::Optimizer& optimizer,
                    const std::vector<std::vector<torch::Tensor>>& grad_parts,
                    FusedAdamWDecline* decline = nullptr);

}  // namespace bcbench
