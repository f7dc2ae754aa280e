#include "policies/diffusion/diffusion_policy.h"

#include <stdexcept>

namespace bcbench {

DiffusionPolicy::DiffusionPolicy(const DiffusionConfig& config, int obs_dim, int action_dim,
                                 torch::Device device)
    : model_(config, obs_dim, action_dim),
      device_(device),
      sample_gen_(at::make_generator<at::CPUGeneratorImpl>(config.seed)) {
  model_.to(device);
}

void DiffusionPolicy::Reset(uint64_t seed) {
  sample_gen_ = at::make_generator<at::CPUGeneratorImpl>(seed);
}

void DiffusionPolicy::SetNormalizers(Normalizer obs, Normalizer actions) {
  if (static_cast<int>(obs.dim()) != model_.obs_dim() ||
      static_cast<int>(actions.dim()) != model_.action_dim()) {
    throw std::invalid_argument("normalizer dimensions do not match the policy's obs/action dims");
  }
  obs_norm_ = std::move(obs);
  action_norm_ = std::move(actions);
}

TrainOptions DiffusionPolicy::GetTrainOptions() const {
  const DiffusionConfig& c = model_.config();
  TrainOptions t;
  t.steps = c.train_steps;
  t.batch_size = c.batch_size;
  t.lr = c.lr;
  t.beta1 = c.betas.at(0);
  t.beta2 = c.betas.at(1);
  t.weight_decay = c.weight_decay;
  t.warmup_steps = c.warmup_steps;
  t.grad_clip = c.grad_clip;
  t.ema_power = c.ema_power;
  t.ema_max_decay = c.ema_max_decay;
  t.seed = c.seed;
  return t;
}

ActionChunk DiffusionPolicy::Act(const ObsHistory& obs) {
  if (obs.steps != ObsHorizon() || obs.dim != model_.obs_dim()) {
    throw std::invalid_argument("observation history of " + std::to_string(obs.steps) + " x " +
                                std::to_string(obs.dim) + ", the policy needs " +
                                std::to_string(ObsHorizon()) + " x " +
                                std::to_string(model_.obs_dim()));
  }
  std::vector<float> values = obs.values;
  obs_norm_.Normalize(values.data(), static_cast<size_t>(obs.batch) * obs.steps);
  torch::NoGradGuard no_grad;
  const auto input = torch::from_blob(values.data(), {obs.batch, obs.steps, obs.dim},
                                      torch::kFloat32).to(device_);
  const auto sampled = model_.Sample(input, sample_gen_).to(torch::kCPU).contiguous();
  ActionChunk chunk;
  chunk.batch = obs.batch;
  chunk.steps = PredHorizon();
  chunk.dim = model_.action_dim();
  chunk.values.assign(sampled.data_ptr<float>(), sampled.data_ptr<float>() + sampled.numel());
  action_norm_.Unnormalize(chunk.values.data(), static_cast<size_t>(chunk.batch) * chunk.steps);
  return chunk;
}

}  // namespace bcbench
