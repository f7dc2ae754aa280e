// Diffusion Policy's model: the UNet denoiser, the noise schedule, how the
// observation conditions the network, the training loss and the sampler. It
// works on normalised tensors only (normalisation, chunk execution and
// training schedules live with the policy and the trainer).
//
// Conditioning. The flattened To observations (To * obs_dim features) either
// join the FiLM condition (cond = film) or are broadcast over the Tp axis as
// extra input channels (cond = channels). A "null" flag is always the last
// FiLM feature: 0 for a conditioned pass, 1 for the unconditional one, whose
// observation features are also zeroed. A fixed flag (not a learned null
// vector) keeps "no observation" distinct from a real observation that
// normalises to 0, and keeps the architecture independent of cfg_dropout.
//
// Randomness comes only from the torch::Generator passed in; draws are made
// on that generator's device and moved to the data's, so a CPU generator
// gives the same numbers for CPU and CUDA data.
#pragma once

#include <memory>
#include <vector>

#include <torch/torch.h>

#include "policies/diffusion/conditional_unet1d.h"
#include "policies/trainable_policy.h"
#include "policies/diffusion/diffusion_config.h"
#include "policies/diffusion/noise_scheduler.h"

namespace bcbench {

class UnetFastInference;

class DiffusionModel {
 public:
  // Validates the config; initialises the UNet from config.seed.
  DiffusionModel(const DiffusionConfig& config, int obs_dim, int action_dim);
  ~DiffusionModel();
  DiffusionModel(DiffusionModel&&) noexcept;
  DiffusionModel& operator=(DiffusionModel&&) noexcept;

  const DiffusionConfig& config() const { return config_; }
  int obs_dim() const { return obs_dim_; }
  int action_dim() const { return action_dim_; }
  ConditionalUnet1D& unet() { return unet_; }
  const ConditionalUnet1D& unet() const { return unet_; }
  const NoiseScheduler& scheduler() const { return scheduler_; }
  std::vector<torch::Tensor> parameters() const { return unet_->parameters(); }
  torch::Device device() const;
  void to(torch::Device device);

  // Denoising loss for one batch: norm_obs (B, To, obs_dim), norm_actions
  // (B, Tp, action_dim), both normalised. Draws noise, timesteps and (with
  // cfg_dropout > 0) which samples lose their observation from `gen`.
  // Returns the mean squared error to the noise (or to x_0 for
  // prediction_type = sample), a scalar with grad.
  torch::Tensor Loss(const torch::Tensor& norm_obs, const torch::Tensor& norm_actions,
                     torch::Generator& gen);
  // The same loss with its randomness (noise, timesteps, condition dropout)
  // drawn for the whole batch, evaluable on row ranges from several threads
  // (rows are independent in the UNet). Loss = PrepareLoss(...).on_rows(0, B).
  PreparedLoss PrepareLoss(const torch::Tensor& norm_obs, const torch::Tensor& norm_actions,
                           torch::Generator& gen);

  // (B, Tp, action_dim) normalised actions for norm_obs (B, To, obs_dim):
  // DDIM with config.inference_steps steps or DDPM with all training steps,
  // starting from noise drawn from `gen`. With guidance_weight w != 0 the
  // conditioned and unconditional passes run as one batch of 2B and combine
  // as (1 + w) out_cond - w out_uncond (for prediction_type = sample the
  // same combination of x0 predictions). Runs without autograd. On the CPU in
  // float32 it uses UnetFastInference (same outputs within float rounding),
  // rebuilt when a weight has changed since the last call. With several
  // LibTorch threads and a batch big enough that every layer's GEMM goes to
  // BLAS anyway, the rows are split into one slice per thread and each
  // slice runs the whole network on its own thread (one fork/join per
  // network evaluation instead of one per operator); rows are independent,
  // so the numbers do not depend on the thread count. Not thread-safe.
  torch::Tensor Sample(const torch::Tensor& norm_obs, torch::Generator& gen);

  // How many slices a fast-path evaluation of `rows` rows runs in at the
  // current thread count (1: unsplit).
  int FastPathSlices(int64_t rows) const;

  // Off forces the module path (used by tests and for comparison).
  void SetFastInference(bool enabled) { fast_inference_enabled_ = enabled; }

 private:
  struct Condition {
    torch::Tensor global;  // (B, global_cond_dim)
    torch::Tensor local;   // (B, Tp, local channels) or undefined
  };
  // null_flag (B, 1) in {0, 1}; rows with 1 get zeroed observation features.
  Condition MakeCondition(const torch::Tensor& norm_obs, const torch::Tensor& null_flag) const;
  void CheckShapes(const torch::Tensor& norm_obs, const torch::Tensor* norm_actions) const;
  bool UseFastPath(const torch::Tensor& like) const;
  // The fast path for worker `slice` (0 when unsplit), current with the weights.
  UnetFastInference& FastPath(size_t slice = 0);

  DiffusionConfig config_;
  int obs_dim_, action_dim_;
  NoiseScheduler scheduler_;
  ConditionalUnet1D unet_{nullptr};
  bool fast_inference_enabled_ = true;
  // One per worker slice; each rebuilt whenever a weight changes.
  std::vector<std::unique_ptr<UnetFastInference>> fast_;
};

// The UNet options a config and data shapes imply (shared with the fast path
// and the perf measurements).
UnetOptions MakeUnetOptions(const DiffusionConfig& config, int obs_dim, int action_dim);

// Random draws on the generator's device, then moved to `like`'s device.
torch::Tensor RandnLike(const torch::Tensor& like, torch::Generator& gen);

}  // namespace bcbench
