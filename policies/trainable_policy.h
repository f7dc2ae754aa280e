// A policy the shared Trainer can fit: a network whose parameters the
// optimiser, the EMA and checkpoints see, a loss on normalised training
// windows, its training settings, and a hook that fits things on the
// training data before the first step (normalisers for every policy; BET's
// k-means). Diffusion Policy and every baseline implement this; the runner
// only sees the Policy part.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "datasets/normalizer.h"
#include "datasets/sequence_sampler.h"
#include "policies/policy.h"
#include "policies/training/train_config.h"

namespace bcbench {

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

// The training demos as the fit hook sees them (env units).
struct TrainingData {
  std::vector<const FloatArray*> obs;      // per demo (N, obs_dim)
  std::vector<const FloatArray*> actions;  // per demo (N, A)
};

// One optimiser parameter group.
struct ParameterGroup {
  std::vector<torch::Tensor> params;
  bool decay = true;  // weight decay applies
};

class TrainablePolicy : public Policy {
 public:
  // The module whose named parameters and buffers are trained and saved.
  virtual torch::nn::Module& Network() = 0;
  // The training windows: To observations and `pred` actions from the same
  // start step (SequenceSampler), and Ta for the end padding.
  virtual Horizons TrainingWindow() const = 0;
  // Mean loss on a batch: obs (B, To, Do) and actions (B, pred, A), both
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
  // Optimiser, schedule, EMA, clipping and batch, from the policy's config.
  virtual const TrainingConfig& Training() const = 0;
  // The seed of initialisation, batches and training noise.
  virtual uint64_t Seed() const = 0;
  // The full config, for checkpoints and reports.
  virtual nlohmann::json ConfigJson() const = 0;
  // Parameter groups for the optimiser. The default: one decayed group, or
  // with Training().decay_all false, parameters of dimension < 2 (biases,
  // norm scales) and those named "*embedding*"/"*pos_emb*" undecayed.
  virtual std::vector<ParameterGroup> ParameterGroups();
  // Fits what must come from the training data before the first step. The
  // default fits the min-max normalisers; overrides call it too.
  virtual void Fit(const TrainingData& data) {
    SetNormalizers(Normalizer::Fit(data.obs), Normalizer::Fit(data.actions));
  }

  virtual void SetNormalizers(Normalizer obs, Normalizer actions) = 0;
  virtual const Normalizer& ObsNormalizer() const = 0;
  virtual const Normalizer& ActionNormalizer() const = 0;
  virtual torch::Device GetDevice() const = 0;
};

}  // namespace bcbench
