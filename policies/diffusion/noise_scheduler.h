// The DDPM forward process and its two reverse samplers, as Diffusion Policy
// uses them (diffusers' DDPMScheduler / DDIMScheduler conventions):
//   q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I),  t = 0 .. T-1,
// with abar_t = prod_{s <= t} (1 - beta_s). The schedule is computed once in
// double precision; per-sample look-ups (training) use float32 tensors moved
// to the data's device, per-step coefficients (sampling, where t is a host
// integer) are host doubles, so a sampling loop never reads back from a GPU.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

namespace bcbench {

enum class PredictionType {
  kEpsilon,  // the network predicts the added noise
  kSample,   // the network predicts x_0 directly
};
PredictionType ParsePredictionType(const std::string& name);  // "epsilon" | "sample"

struct NoiseSchedulerOptions {
  int num_train_timesteps = 100;
  // "squaredcos_cap_v2": Nichol & Dhariwal's cosine schedule,
  //   abar(s) = cos^2((s + 0.008) / 1.008 * pi / 2),
  //   beta_t = min(1 - abar((t + 1) / T) / abar(t / T), 0.999);
  // "linear": betas evenly spaced from 1e-4 to 0.02 (DDPM's range).
  std::string beta_schedule = "squaredcos_cap_v2";
  PredictionType prediction_type = PredictionType::kEpsilon;
  bool clip_sample = true;  // clamp every predicted x_0 to [-clip_range, clip_range]
  double clip_range = 1.0;
  // DDIM's last step goes from t = 0 to "t = -1", which has no abar: true
  // takes abar = 1 there, so the last step returns the (clipped) predicted
  // x_0 itself; false reuses abar_0. Diffusion Policy uses true.
  bool set_alpha_to_one = true;
};

class NoiseScheduler {
 public:
  explicit NoiseScheduler(const NoiseSchedulerOptions& options = {});

  const NoiseSchedulerOptions& options() const { return options_; }
  int NumTrainTimesteps() const { return options_.num_train_timesteps; }
  // (T) float32 on the CPU.
  const torch::Tensor& Betas() const { return betas_; }
  const torch::Tensor& AlphasCumprod() const { return alphas_cumprod_; }
  // Host copies in double, for the per-step arithmetic.
  double Beta(int t) const { return beta_[static_cast<size_t>(t)]; }
  double AlphaCumprod(int t) const { return alpha_cumprod_[static_cast<size_t>(t)]; }

  // x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) noise, per sample: x0 and noise
  // (B, ...), timesteps (B) integer, all on one device.
  torch::Tensor AddNoise(const torch::Tensor& x0, const torch::Tensor& noise,
                         const torch::Tensor& timesteps) const;
  // What the network is trained to output for (x_0, noise).
  torch::Tensor TrainingTarget(const torch::Tensor& x0, const torch::Tensor& noise) const;

  // x_0 implied by a network output at step t (not clipped).
  torch::Tensor PredictOriginal(const torch::Tensor& model_output, int t,
                                const torch::Tensor& sample) const;

  // One ancestral DDPM step t -> t-1: the posterior q(x_{t-1} | x_t, x_0)
  // with x_0 predicted (and clipped), variance "fixed_small"
  //   beta_tilde_t = (1 - abar_{t-1}) / (1 - abar_t) * beta_t.
  // `noise` (shape of sample) is scaled by sqrt(beta_tilde_t) and added for
  // t > 0; an undefined noise gives the posterior mean.
  torch::Tensor DdpmStep(const torch::Tensor& model_output, int t, const torch::Tensor& sample,
                         const torch::Tensor& noise) const;
  // T-1, T-2, ..., 0.
  std::vector<int> DdpmTimesteps() const;

  // The k DDIM timesteps, diffusers' "leading" spacing as Diffusion Policy
  // configures it: ratio = T / k (integer division), [0, ratio, ..., (k-1)
  // ratio] reversed (T = 100, k = 10: 90, 80, ..., 0). The step from t goes
  // to t - ratio.
  std::vector<int> DdimTimesteps(int k) const;
  // One DDIM step t -> prev_t (prev_t < 0: the final step, see
  // set_alpha_to_one). eta = 0 is the deterministic sampler; eta = 1 with the
  // same noise reproduces DdpmStep exactly when prev_t = t - 1 and no x_0 is
  // clipped. The direction term uses the unclipped noise estimate (diffusers'
  // default), the x_0 term the clipped one.
  torch::Tensor DdimStep(const torch::Tensor& model_output, int t, int prev_t,
                         const torch::Tensor& sample, double eta = 0.0,
                         const torch::Tensor& noise = {}) const;

 private:
  double AlphaCumprodPrev(int prev_t) const;
  torch::Tensor Clip(const torch::Tensor& x0) const;

  NoiseSchedulerOptions options_;
  std::vector<double> beta_, alpha_cumprod_;
  torch::Tensor betas_, alphas_cumprod_;
};

}  // namespace bcbench
