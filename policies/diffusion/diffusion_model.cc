#include "policies/diffusion/diffusion_model.h"

#include <stdexcept>
#include <string>

#include <ATen/CPUGeneratorImpl.h>

#include "policies/diffusion/unet_fast_inference.h"

namespace bcbench {
namespace {

NoiseSchedulerOptions MakeSchedulerOptions(const DiffusionConfig& config) {
  NoiseSchedulerOptions o;
  o.num_train_timesteps = config.num_train_timesteps;
  o.beta_schedule = config.beta_schedule;
  o.prediction_type = ParsePredictionType(config.prediction_type);
  o.clip_sample = config.clip_sample;
  return o;
}

const DiffusionConfig& Validated(const DiffusionConfig& config) {
  config.Validate();
  return config;
}

}  // namespace

UnetOptions MakeUnetOptions(const DiffusionConfig& config, int obs_dim, int action_dim) {
  UnetOptions o;
  o.input_dim = action_dim;
  const int obs_features = config.obs_horizon * obs_dim;
  if (config.cond == "film") {
    o.global_cond_dim = obs_features + 1;  // + the null flag
  } else {
    o.global_cond_dim = 1;
    o.local_cond_channels = obs_features;
  }
  o.down_dims = config.down_dims;
  o.kernel_size = config.kernel_size;
  o.n_groups = config.n_groups;
  o.step_embed_dim = config.step_embed_dim;
  return o;
}

torch::Tensor RandnLike(const torch::Tensor& like, torch::Generator& gen) {
  return torch::randn(like.sizes(), gen, like.options().device(gen.device())).to(like.device());
}

DiffusionModel::DiffusionModel(const DiffusionConfig& config, int obs_dim, int action_dim)
    : config_(Validated(config)),
      obs_dim_(obs_dim),
      action_dim_(action_dim),
      scheduler_(MakeSchedulerOptions(config)) {
  if (obs_dim < 1 || action_dim < 1) {
    throw std::invalid_argument("DiffusionModel: obs_dim and action_dim must be >= 1 (got " +
                                std::to_string(obs_dim) + ", " + std::to_string(action_dim) + ")");
  }
  unet_ = ConditionalUnet1D(MakeUnetOptions(config_, obs_dim, action_dim));
  torch::Generator gen = at::detail::createCPUGenerator(config_.seed);
  unet_->InitParameters(gen);
}

DiffusionModel::~DiffusionModel() = default;
DiffusionModel::DiffusionModel(DiffusionModel&&) noexcept = default;
DiffusionModel& DiffusionModel::operator=(DiffusionModel&&) noexcept = default;

torch::Device DiffusionModel::device() const { return unet_->parameters().front().device(); }

void DiffusionModel::to(torch::Device device) {
  unet_->to(device);
  fast_.reset();
}

void DiffusionModel::CheckShapes(const torch::Tensor& norm_obs,
                                 const torch::Tensor* norm_actions) const {
  TORCH_CHECK(norm_obs.dim() == 3 && norm_obs.size(1) == config_.obs_horizon &&
                  norm_obs.size(2) == obs_dim_,
              "DiffusionModel: observations must be (B, ", config_.obs_horizon, ", ", obs_dim_,
              "), got ", norm_obs.sizes());
  if (norm_actions != nullptr) {
    TORCH_CHECK(norm_actions->dim() == 3 && norm_actions->size(0) == norm_obs.size(0) &&
                    norm_actions->size(1) == config_.pred_horizon &&
                    norm_actions->size(2) == action_dim_,
                "DiffusionModel: actions must be (B, ", config_.pred_horizon, ", ", action_dim_,
                "), got ", norm_actions->sizes());
  }
}

DiffusionModel::Condition DiffusionModel::MakeCondition(const torch::Tensor& norm_obs,
                                                        const torch::Tensor& null_flag) const {
  const int64_t batch = norm_obs.size(0);
  const auto obs = norm_obs.reshape({batch, -1}) * (1 - null_flag);
  if (config_.cond == "film") return {torch::cat({obs, null_flag}, 1), {}};
  return {null_flag, obs.unsqueeze(1).expand({batch, config_.pred_horizon, obs.size(1)})};
}

torch::Tensor DiffusionModel::Loss(const torch::Tensor& norm_obs,
                                   const torch::Tensor& norm_actions, torch::Generator& gen) {
  CheckShapes(norm_obs, &norm_actions);
  const int64_t batch = norm_actions.size(0);
  const auto on_gen = torch::TensorOptions().device(gen.device());
  const auto noise = RandnLike(norm_actions, gen);
  const auto timesteps =
      torch::randint(0, scheduler_.NumTrainTimesteps(), {batch}, gen, on_gen.dtype(torch::kLong))
          .to(norm_actions.device());
  const auto noisy = scheduler_.AddNoise(norm_actions, noise, timesteps);
  torch::Tensor null_flag;
  if (config_.cfg_dropout > 0) {
    null_flag = (torch::rand({batch, 1}, gen, on_gen) < config_.cfg_dropout)
                    .to(norm_actions.device(), norm_actions.scalar_type());
  } else {
    null_flag = torch::zeros({batch, 1}, norm_actions.options());
  }
  const auto cond = MakeCondition(norm_obs, null_flag);
  const auto prediction = unet_->forward(noisy, timesteps, cond.global, cond.local);
  return torch::mse_loss(prediction, scheduler_.TrainingTarget(norm_actions, noise));
}

bool DiffusionModel::UseFastPath(const torch::Tensor& like) const {
  return fast_inference_enabled_ && like.device().is_cpu() &&
         like.scalar_type() == torch::kFloat32 && device().is_cpu();
}

UnetFastInference& DiffusionModel::FastPath() {
  if (!fast_ || !fast_->IsCurrent(*unet_)) {
    fast_ = std::make_unique<UnetFastInference>(*unet_, scheduler_.NumTrainTimesteps());
  }
  return *fast_;
}

torch::Tensor DiffusionModel::Sample(const torch::Tensor& norm_obs, torch::Generator& gen) {
  CheckShapes(norm_obs, nullptr);
  torch::Tensor x;
  {
    c10::InferenceMode inference;
    const int64_t batch = norm_obs.size(0);
    const double w = config_.guidance_weight;
    const bool guided = w != 0;
    // Guidance runs the conditioned and the unconditional rows as one batch.
    const int64_t rows = guided ? 2 * batch : batch;
    const auto options = norm_obs.options();
    const auto null_flag =
        guided ? torch::cat({torch::zeros({batch, 1}, options), torch::ones({batch, 1}, options)})
               : torch::zeros({batch, 1}, options);
    const auto cond = MakeCondition(guided ? torch::cat({norm_obs, norm_obs}) : norm_obs, null_flag);

    x = RandnLike(torch::empty({batch, config_.pred_horizon, action_dim_}, options), gen);
    const bool fast = UseFastPath(x);
    if (fast) FastPath().SetCondition(cond.global, rows);
    auto denoise = [&](const torch::Tensor& sample, int t) {
      const auto input = guided ? torch::cat({sample, sample}) : sample;
      auto out = fast ? fast_->Forward(input, t, cond.local)
                      : unet_->forward(input, torch::full({rows}, t, options.dtype(torch::kLong)),
                                       cond.global, cond.local);
      if (guided) {
        const auto parts = out.chunk(2);
        out = parts[0] * (1 + w) - parts[1] * w;
      }
      return out;
    };

    if (config_.sampler == "ddpm") {
      for (int t : scheduler_.DdpmTimesteps()) {
        const auto out = denoise(x, t);
        x = scheduler_.DdpmStep(out, t, x, t > 0 ? RandnLike(x, gen) : torch::Tensor());
      }
    } else {
      const int ratio = scheduler_.NumTrainTimesteps() / config_.inference_steps;
      for (int t : scheduler_.DdimTimesteps(config_.inference_steps)) {
        x = scheduler_.DdimStep(denoise(x, t), t, t - ratio, x);
      }
    }
  }
  // A normal (not inference-mode) tensor, so callers may modify it in place.
  return x.clone();
}

}  // namespace bcbench
