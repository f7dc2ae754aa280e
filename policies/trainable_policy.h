// A policy the shared Trainer can fit: a network whose parameters the
// optimiser, the EMA and checkpoints see, a loss on normalised batches, and
// the normalisers fitted from the demos. Diffusion Policy and every baseline
// implement this; the runner only sees the Policy part.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "datasets/normalizer.h"
#include "policies/policy.h"

namespace bcbench {

// Settings of the shared training machinery (SPEC 5); each policy's config
// supplies them.
struct TrainOptions {
  int64_t steps = 1000;
  int64_t batch_size = 256;
  double lr = 1e-4;
  double beta1 = 0.95, beta2 = 0.999;
  double weight_decay = 1e-6;
  int64_t warmup_steps = 500;
  double grad_clip = 0.0;       // max global grad norm; 0 = off
  double ema_power = 0.75;      // decay = 1 - (1 + step)^-power ...
  double ema_max_decay = 0.9999;  // ... capped here
  uint64_t seed = 0;
};

// A batch's loss, prepared so that row ranges of it can run on different
// threads: the policy has drawn all of the batch's randomness (the draws Loss
// makes, in the same order), and on_rows(first, count) gives the mean loss
// of rows [first, first + count) with a graph back to the parameters. The
// mean over the batch is the row-weighted mean of any partition's losses.
struct PreparedLoss {
  int64_t rows = 0;
  // False: on_rows only takes the whole batch (the policy's loss does not
  // split by rows, e.g. a batch-level statistic).
  bool splittable = false;
  // Must be safe to call from several threads at once when splittable.
  std::function<torch::Tensor(int64_t first, int64_t count)> on_rows;
};

class TrainablePolicy : public Policy {
 public:
  // The module whose named parameters and buffers are trained and saved.
  virtual torch::nn::Module& Network() = 0;
  // Mean loss on a batch: obs (B, To, Do) and actions (B, Tp, A), both
  // normalised, on the policy's device. Randomness only from `gen`.
  virtual torch::Tensor Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                             torch::Generator& gen) = 0;
  // Loss, prepared for data-parallel training (see PreparedLoss). The
  // default does not split: on_rows(0, B) is Loss.
  virtual PreparedLoss PrepareLoss(const torch::Tensor& obs, const torch::Tensor& actions,
                                   torch::Generator& gen) {
    PreparedLoss prepared;
    prepared.rows = obs.size(0);
    const auto loss = Loss(obs, actions, gen);
    prepared.on_rows = [loss](int64_t, int64_t) { return loss; };
    return prepared;
  }
  virtual TrainOptions GetTrainOptions() const = 0;
  // The full config, for checkpoints and reports.
  virtual nlohmann::json ConfigJson() const = 0;

  virtual void SetNormalizers(Normalizer obs, Normalizer actions) = 0;
  virtual const Normalizer& ObsNormalizer() const = 0;
  virtual const Normalizer& ActionNormalizer() const = 0;
  virtual torch::Device GetDevice() const = 0;
};

}  // namespace bcbench
