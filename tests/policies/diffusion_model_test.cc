// DiffusionModel: the loss's randomness and condition dropout, and the
// sampler against a hand-written DDIM / DDPM loop over the UNet.
#include <functional>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/diffusion/diffusion_model.h"

namespace bcbench {
namespace {

DiffusionConfig SmallConfig() {
  DiffusionConfig config;
  config.down_dims = {16, 32};
  config.step_embed_dim = 16;
  config.pred_horizon = 8;
  config.action_horizon = 4;
  return config;
}

torch::Tensor LossWithSeed(DiffusionModel& model, const torch::Tensor& obs,
                           const torch::Tensor& actions, uint64_t seed) {
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  return model.Loss(obs, actions, gen);
}

TEST(DiffusionModel, LossDependsOnlyOnTheGeneratorsDraws) {
  DiffusionModel model(SmallConfig(), 3, 2);
  const auto obs = torch::rand({4, 2, 3}) * 2 - 1;
  const auto actions = torch::rand({4, 8, 2}) * 2 - 1;
  const double a = LossWithSeed(model, obs, actions, 1).item<double>();
  EXPECT_EQ(a, LossWithSeed(model, obs, actions, 1).item<double>());
  EXPECT_NE(a, LossWithSeed(model, obs, actions, 2).item<double>());
  EXPECT_TRUE(LossWithSeed(model, obs, actions, 1).requires_grad());
}

TEST(DiffusionModel, FullConditionDropoutNeverSeesTheObservation) {
  for (const char* cond : {"film", "channels"}) {
    auto config = SmallConfig();
    config.cond = cond;
    config.cfg_dropout = 1.0;
    DiffusionModel dropped(config, 3, 2);
    config.cfg_dropout = 0.0;
    DiffusionModel kept(config, 3, 2);  // same seed: same weights
    const auto actions = torch::rand({4, 8, 2}) * 2 - 1;
    const auto obs_a = torch::rand({4, 2, 3});
    const auto obs_b = -torch::rand({4, 2, 3});
    EXPECT_EQ(LossWithSeed(dropped, obs_a, actions, 5).item<double>(),
              LossWithSeed(dropped, obs_b, actions, 5).item<double>())
        << cond;
    EXPECT_NE(LossWithSeed(kept, obs_a, actions, 5).item<double>(),
              LossWithSeed(kept, obs_b, actions, 5).item<double>())
        << cond;
  }
}

TEST(DiffusionModel, RejectsObservationsOfTheWrongShape) {
  DiffusionModel model(SmallConfig(), 3, 2);
  torch::Generator gen = at::detail::createCPUGenerator(0);
  EXPECT_THROW(model.Sample(torch::zeros({1, 3, 3}), gen), c10::Error);  // To = 2
  EXPECT_THROW(model.Loss(torch::zeros({2, 2, 3}), torch::zeros({2, 4, 2}), gen), c10::Error);
}

// The sampler written out by hand from the UNet and the scheduler: noise
// first, then per step the conditioned and unconditional outputs combined
// with the guidance weight, DDPM's fresh noise drawn after each output.
// `noise` draws (B, Tp, A).
torch::Tensor ReferenceSample(DiffusionModel& model, const torch::Tensor& obs,
                              const std::function<torch::Tensor()>& noise) {
  torch::NoGradGuard no_grad;
  const auto& c = model.config();
  const auto& scheduler = model.scheduler();
  const int64_t batch = obs.size(0);
  auto x = noise();
  const auto flat = obs.reshape({batch, -1});
  const auto cond = torch::cat({flat, torch::zeros({batch, 1})}, 1);
  const auto uncond = torch::cat({torch::zeros_like(flat), torch::ones({batch, 1})}, 1);
  auto output = [&](int t) {
    const auto steps = torch::full({batch}, t, torch::kLong);
    const auto conditioned = model.unet()->forward(x, steps, cond);
    if (c.guidance_weight == 0) return conditioned;
    const auto unconditional = model.unet()->forward(x, steps, uncond);
    return (1 + c.guidance_weight) * conditioned - c.guidance_weight * unconditional;
  };
  if (c.sampler == "ddim") {
    const int ratio = c.num_train_timesteps / c.inference_steps;
    for (int t : scheduler.DdimTimesteps(c.inference_steps)) {
      x = scheduler.DdimStep(output(t), t, t - ratio, x);
    }
  } else {
    for (int t = c.num_train_timesteps - 1; t >= 0; --t) {
      const auto out = output(t);
      x = scheduler.DdpmStep(out, t, x, t > 0 ? noise() : torch::Tensor());
    }
  }
  return x;
}

TEST(DiffusionModel, SampleIsTheDdimOrDdpmLoopWithGuidance) {
  struct Case {
    const char* sampler;
    double guidance;
  };
  for (const auto& c : {Case{"ddim", 0.0}, Case{"ddim", 2.0}, Case{"ddpm", 0.0}, Case{"ddpm", 1.0}}) {
    auto config = SmallConfig();
    config.sampler = c.sampler;
    config.cfg_dropout = 0.1;
    config.guidance_weight = c.guidance;
    config.inference_steps = 5;
    DiffusionModel model(config, 3, 2);
    const auto obs = torch::rand({3, 2, 3}) * 2 - 1;
    const std::string label = std::string(c.sampler) + " w = " + std::to_string(c.guidance);

    // One generator per row: each row's noise is a (1, Tp, A) draw from its own.
    std::vector<torch::Generator> gens;
    for (uint64_t seed : {11, 12, 13}) gens.push_back(at::detail::createCPUGenerator(seed));
    const auto sampled = model.Sample(obs, gens);
    EXPECT_EQ(sampled.sizes(), (std::vector<int64_t>{3, 8, 2}));
    EXPECT_FALSE(sampled.is_inference());  // callers may modify it in place
    EXPECT_LE(sampled.abs().max().item<float>(), 1.0f + 1e-5f);  // clip_sample
    std::vector<torch::Generator> reference_gens;
    for (uint64_t seed : {11, 12, 13}) {
      reference_gens.push_back(at::detail::createCPUGenerator(seed));
    }
    const auto per_row = ReferenceSample(model, obs, [&] {
      std::vector<torch::Tensor> rows;
      for (auto& gen : reference_gens) rows.push_back(torch::randn({1, 8, 2}, gen));
      return torch::cat(rows);
    });
    EXPECT_LT((sampled - per_row).abs().max().item<float>(), 1e-3) << label;

    // The whole-batch sampler: one generator draws the batch's noise.
    torch::Generator gen = at::detail::createCPUGenerator(11);
    const auto whole = model.SampleWholeBatch(obs, gen);
    torch::Generator reference_gen = at::detail::createCPUGenerator(11);
    const auto expected =
        ReferenceSample(model, obs, [&] { return torch::randn({3, 8, 2}, reference_gen); });
    EXPECT_LT((whole - expected).abs().max().item<float>(), 1e-3) << label;
  }
}

}  // namespace
}  // namespace bcbench
