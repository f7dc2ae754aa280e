// The shared training loop (SPEC 5): the optimiser (AdamW or Adam, with the
// policy's parameter groups), LR schedule, gradient clipping and EMA that
// the policy's TrainingConfig names, periodic validation and evaluation,
// atomic checkpoints and exact resume (weights, EMA, optimiser and RNG).
// Every trainable policy goes through it.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "datasets/sequence_sampler.h"
#include "policies/trainable_policy.h"
#include "policies/training/train_config.h"

namespace bcbench {

struct TrainerSettings {
  std::string out_dir;             // checkpoint.pt and train_log.csv go here
  RunConfig run;                   // steps, cadences
  int64_t stop_after = -1;         // stop (as if killed) after this step; tests use it
  nlohmann::json header;           // env, data, obs keys... stored in checkpoints
  // Rollouts with the EMA weights; returns {"success": x, "score": y, ...}.
  std::function<nlohmann::json(TrainablePolicy&)> evaluate;
};

struct TrainResult {
  int64_t start_step = 0;  // > 0 when resumed
  int64_t end_step = 0;
  double first_loss = 0;   // mean over the first logging interval of this run
  double last_loss = 0;    // mean over the last logging interval
  // The last one, with the EMA weights; none without a valid split.
  std::optional<double> valid_loss;
  double seconds = 0;
  double samples_per_s = 0;
};

// Trains `policy` on windows of `train` (validation on `valid` when it has
// windows). Resumes from out_dir/checkpoint.pt when it exists. The policy
// must already be fitted (TrainablePolicy::Fit).
TrainResult Train(TrainablePolicy& policy, const SequenceSampler& train,
                  const SequenceSampler* valid, const TrainerSettings& settings);

// One optimiser step on a prepared batch loss; returns the batch's mean loss
// (detached). Gradients are dropped rather than zeroed (LibTorch 1.13's
// zero_grad() zeroes, so backward would add into zeros; dropped, it hands
// its buffers over), then computed, clipped to the global norm when
// grad_clip > 0, and applied.
// Data-parallel on the CPU: with several LibTorch threads and a splittable
// loss of at least 2 x kMinRowsPerSlice rows, the rows are cut into one slice
// per thread and each slice's forward and backward run on their own thread
// with single-threaded kernels: one OpenMP fork/join per step instead of one
// per operator. On a quiet 2-core machine it runs at the unsliced step's
// rate (measured 1650 vs 1640 samples/s for the CPU UNet). The slices'
// gradients are summed in slice order, so a step is deterministic for a
// given thread count. An AdamW over CPU float32 parameters takes the fused
// step (fused_adamw.h), which sums the slices' parts as it updates (with
// grad_clip > 0 they are summed and clipped first); other optimisers get
// the sum in .grad and their own step(). The trainer and the throughput
// benchmark both step through here.
torch::Tensor OptimizerStep(torch::optim::Optimizer& optimizer, const PreparedLoss& loss,
                            double grad_clip);
constexpr int64_t kMinRowsPerSlice = 32;
// How many slices OptimizerStep cuts `rows` into at the current thread count.
int DataParallelSlices(const PreparedLoss& loss);

// Validation loss: mean loss over (up to) `max_windows` evenly spread windows
// with a fixed noise seed, so it is comparable across steps; none when
// `valid` has no window.
// The optimiser `training` names over the policy's parameter groups.
std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(TrainablePolicy& policy);

std::optional<double> ValidationLoss(TrainablePolicy& policy, const SequenceSampler& valid,
                                     int64_t batch_size, int64_t max_windows = 2048);

}  // namespace bcbench
