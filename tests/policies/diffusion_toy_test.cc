// Diffusion Policy on a toy problem it must solve: an action it has to read
// off the observation (a small UNet, a few hundred AdamW steps). The
// multimodal toys of every method are in tests/baselines/multimodal_toys_test.cc.
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/diffusion/diffusion_model.h"

namespace bcbench {
namespace {

using Batch = std::pair<torch::Tensor, torch::Tensor>;  // (obs, actions), normalised

// Both denoisers at toy size: the UNet, or the transformer.
DiffusionConfig ToyConfig(const std::string& denoiser) {
  DiffusionConfig config;
  config.denoiser = denoiser;
  config.down_dims = {32, 64};
  config.step_embed_dim = 32;
  config.n_layer = 2;
  config.n_head = 2;
  config.n_emb = 32;
  config.p_drop_attn = 0;
  config.pred_horizon = 8;
  config.action_horizon = 4;
  config.seed = 1;
  return config;
}

// The minimal loop: AdamW at a toy learning rate, no schedule, no EMA.
void Train(DiffusionModel& model, int steps, const std::function<Batch(torch::Generator&)>& draw) {
  torch::set_num_threads(2);
  torch::optim::AdamW optimizer(model.parameters(),
                                torch::optim::AdamWOptions(1e-3).betas({0.95, 0.999}).weight_decay(1e-6));
  torch::Generator gen = at::detail::createCPUGenerator(model.config().seed + 100);
  const auto start = std::chrono::steady_clock::now();
  double last_loss = 0;
  for (int step = 0; step < steps; ++step) {
    const auto [obs, actions] = draw(gen);
    const auto loss = model.Loss(obs, actions, gen);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    last_loss = loss.item<double>();
  }
  std::printf("trained %d steps in %.2f s, last loss %.4f\n", steps,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
              last_loss);
}

class DiffusionToy : public ::testing::TestWithParam<std::string> {};

TEST_P(DiffusionToy, ActionsFollowTheObservation) {
  const auto config = ToyConfig(GetParam());
  DiffusionModel model(config, 1, 1);
  const auto draw = [&](torch::Generator& gen, int64_t batch) {
    const auto o = torch::rand({batch, 1, 1}, gen) * 1.8 - 0.9;
    return Batch{o.expand({batch, config.obs_horizon, 1}).contiguous(),
                 o.expand({batch, config.pred_horizon, 1}).contiguous()};
  };
  torch::Generator eval_gen = at::detail::createCPUGenerator(8);
  const auto [eval_obs, eval_actions] = draw(eval_gen, 64);
  auto sample_error = [&] {
    torch::Generator gen = at::detail::createCPUGenerator(9);
    return (model.Sample(eval_obs, gen) - eval_actions).abs().mean().item<double>();
  };
  const double untrained = sample_error();
  Train(model, 300, [&](torch::Generator& gen) { return draw(gen, 64); });
  const double trained = sample_error();
  std::printf("mean |action error|: untrained %.3f, trained %.3f\n", untrained, trained);
  EXPECT_LT(trained, 0.1);
  EXPECT_LT(trained, 0.25 * untrained);
}

INSTANTIATE_TEST_SUITE_P(Denoisers, DiffusionToy, ::testing::Values("unet", "transformer"));

}  // namespace
}  // namespace bcbench
