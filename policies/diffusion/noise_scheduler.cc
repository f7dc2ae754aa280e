#include "policies/diffusion/noise_scheduler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace bcbench {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Nichol & Dhariwal's cosine abar(s), s in [0, 1], before normalisation.
double CosineAlphaBar(double s) {
  const double c = std::cos((s + 0.008) / 1.008 * kPi / 2);
  return c * c;
}

std::vector<double> MakeBetas(const std::string& schedule, int steps) {
  std::vector<double> betas(static_cast<size_t>(steps));
  if (schedule == "squaredcos_cap_v2") {
    for (int t = 0; t < steps; ++t) {
      const double ratio = CosineAlphaBar(static_cast<double>(t + 1) / steps) /
                           CosineAlphaBar(static_cast<double>(t) / steps);
      // The cap keeps the last step (abar -> 0) from being a pure-noise
      // division by zero.
      betas[static_cast<size_t>(t)] = std::min(1.0 - ratio, 0.999);
    }
  } else if (schedule == "linear") {
    for (int t = 0; t < steps; ++t) {
      const double u = steps > 1 ? static_cast<double>(t) / (steps - 1) : 0.0;
      betas[static_cast<size_t>(t)] = 1e-4 + u * (0.02 - 1e-4);
    }
  } else {
    throw std::invalid_argument("noise scheduler: unknown beta_schedule '" + schedule +
                                "'; valid: squaredcos_cap_v2, linear");
  }
  return betas;
}

torch::Tensor ToFloatTensor(const std::vector<double>& values) {
  return torch::tensor(values, torch::kFloat64).to(torch::kFloat32);
}

// (B) -> (B, 1, 1, ...) so a per-sample coefficient broadcasts over `like`.
torch::Tensor PerSample(const torch::Tensor& coefficient, const torch::Tensor& like) {
  std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
  shape[0] = like.size(0);
  return coefficient.reshape(shape);
}

}  // namespace

PredictionType ParsePredictionType(const std::string& name) {
  if (name == "epsilon") return PredictionType::kEpsilon;
  if (name == "sample") return PredictionType::kSample;
  throw std::invalid_argument("prediction_type '" + name + "' is unknown; valid: epsilon, sample");
}

NoiseScheduler::NoiseScheduler(const NoiseSchedulerOptions& options) : options_(options) {
  if (options_.num_train_timesteps < 1) {
    throw std::invalid_argument("noise scheduler: num_train_timesteps must be >= 1");
  }
  beta_ = MakeBetas(options_.beta_schedule, options_.num_train_timesteps);
  alpha_cumprod_.resize(beta_.size());
  double product = 1.0;
  for (size_t t = 0; t < beta_.size(); ++t) {
    product *= 1.0 - beta_[t];
    alpha_cumprod_[t] = product;
  }
  betas_ = ToFloatTensor(beta_);
  alphas_cumprod_ = ToFloatTensor(alpha_cumprod_);
}

torch::Tensor NoiseScheduler::AddNoise(const torch::Tensor& x0, const torch::Tensor& noise,
                                       const torch::Tensor& timesteps) const {
  TORCH_CHECK(x0.sizes() == noise.sizes(), "AddNoise: x0 and noise shapes differ");
  TORCH_CHECK(timesteps.dim() == 1 && timesteps.size(0) == x0.size(0),
              "AddNoise: timesteps must be (B)");
  // The 100-entry table follows the data (a no-op on the CPU).
  const auto abar = alphas_cumprod_.to(x0.device(), x0.scalar_type())
                        .index_select(0, timesteps.to(x0.device(), torch::kLong));
  return PerSample(abar.sqrt(), x0) * x0 + PerSample((1 - abar).sqrt(), x0) * noise;
}

torch::Tensor NoiseScheduler::TrainingTarget(const torch::Tensor& x0,
                                             const torch::Tensor& noise) const {
  return options_.prediction_type == PredictionType::kEpsilon ? noise : x0;
}

torch::Tensor NoiseScheduler::PredictOriginal(const torch::Tensor& model_output, int t,
                                              const torch::Tensor& sample) const {
  if (options_.prediction_type == PredictionType::kSample) return model_output;
  const double abar = AlphaCumprod(t);
  return (sample - std::sqrt(1 - abar) * model_output) * (1 / std::sqrt(abar));
}

torch::Tensor NoiseScheduler::Clip(const torch::Tensor& x0) const {
  return options_.clip_sample ? x0.clamp(-options_.clip_range, options_.clip_range) : x0;
}

double NoiseScheduler::AlphaCumprodPrev(int prev_t) const {
  if (prev_t >= 0) return AlphaCumprod(prev_t);
  return options_.set_alpha_to_one ? 1.0 : AlphaCumprod(0);
}

torch::Tensor NoiseScheduler::DdpmStep(const torch::Tensor& model_output, int t,
                                       const torch::Tensor& sample,
                                       const torch::Tensor& noise) const {
  TORCH_CHECK(t >= 0 && t < NumTrainTimesteps(), "DdpmStep: t out of range");
  const double abar = AlphaCumprod(t);
  const double abar_prev = t > 0 ? AlphaCumprod(t - 1) : 1.0;
  const double alpha = abar / abar_prev;  // this step's 1 - beta_t
  const double beta = 1 - alpha;
  const auto x0 = Clip(PredictOriginal(model_output, t, sample));
  // Posterior mean of q(x_{t-1} | x_t, x_0) (Ho et al. eq. 7).
  const double x0_coefficient = std::sqrt(abar_prev) * beta / (1 - abar);
  const double xt_coefficient = std::sqrt(alpha) * (1 - abar_prev) / (1 - abar);
  auto previous = x0 * x0_coefficient + sample * xt_coefficient;
  if (t > 0 && noise.defined()) {
    const double variance = std::max((1 - abar_prev) / (1 - abar) * beta, 1e-20);
    previous = previous + noise * std::sqrt(variance);
  }
  return previous;
}

std::vector<int> NoiseScheduler::DdpmTimesteps() const {
  std::vector<int> steps;
  for (int t = NumTrainTimesteps() - 1; t >= 0; --t) steps.push_back(t);
  return steps;
}

std::vector<int> NoiseScheduler::DdimTimesteps(int k) const {
  if (k < 1 || k > NumTrainTimesteps()) {
    throw std::invalid_argument("DDIM steps " + std::to_string(k) + " outside [1, " +
                                std::to_string(NumTrainTimesteps()) + "]");
  }
  const int ratio = NumTrainTimesteps() / k;
  std::vector<int> steps;
  for (int i = k - 1; i >= 0; --i) steps.push_back(i * ratio);
  return steps;
}

torch::Tensor NoiseScheduler::DdimStep(const torch::Tensor& model_output, int t, int prev_t,
                                       const torch::Tensor& sample, double eta,
                                       const torch::Tensor& noise) const {
  TORCH_CHECK(t >= 0 && t < NumTrainTimesteps() && prev_t < t, "DdimStep: bad (t, prev_t)");
  const double abar = AlphaCumprod(t);
  const double abar_prev = AlphaCumprodPrev(prev_t);
  torch::Tensor x0, epsilon;
  if (options_.prediction_type == PredictionType::kEpsilon) {
    epsilon = model_output;
    x0 = (sample - std::sqrt(1 - abar) * model_output) * (1 / std::sqrt(abar));
  } else {
    x0 = model_output;
    epsilon = (sample - std::sqrt(abar) * model_output) * (1 / std::sqrt(1 - abar));
  }
  x0 = Clip(x0);
  // Song et al. eq. 16: sigma = eta * sqrt((1 - abar_prev) / (1 - abar)) * sqrt(1 - abar / abar_prev).
  const double sigma =
      eta * std::sqrt((1 - abar_prev) / (1 - abar) * (1 - abar / abar_prev));
  const double direction = std::sqrt(std::max(1 - abar_prev - sigma * sigma, 0.0));
  auto previous = x0 * std::sqrt(abar_prev) + epsilon * direction;
  if (sigma > 0 && noise.defined()) previous = previous + noise * sigma;
  return previous;
}

}  // namespace bcbench
