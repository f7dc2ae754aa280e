// Data-parallel optimiser steps (policies/training/trainer.h): a batch cut
// into one slice per thread must give the step the whole batch gives, to
// float rounding, and repeat bit for bit at the same thread count.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/diffusion/diffusion_model.h"
#include "policies/torch_runtime.h"
#include "policies/training/fused_adamw.h"
#include "policies/training/trainer.h"

namespace bcbench {
namespace {


struct StepResult {
  double loss = 0;
  std::vector<torch::Tensor> weights;
};

// Three optimiser steps from the same initial weights and data.
StepResult ThreeSteps(int threads, bool whole_batch) {
  TorchThreadsScope scope(threads);
  DiffusionConfig config;
  config.down_dims = {32, 64, 128};
  config.cfg_dropout = 0.1;
  DiffusionModel model(config, 20, 2);
  torch::optim::AdamW optimizer(model.unet()->parameters(), torch::optim::AdamWOptions(1e-3));
  torch::Generator data = at::detail::createCPUGenerator(7);
  const auto obs = torch::rand({96, 2, 20}, data) * 2 - 1;
  const auto actions = torch::rand({96, 16, 2}, data) * 2 - 1;
  torch::Generator gen = at::detail::createCPUGenerator(8);
  StepResult out;
  for (int step = 0; step < 3; ++step) {
    PreparedLoss loss = model.PrepareLoss(obs, actions, gen);
    if (whole_batch) loss.splittable = false;
    if (step == 0) {
      EXPECT_EQ(DataParallelSlices(loss), whole_batch ? 1 : std::min(threads, 3));
    }
    out.loss = OptimizerStep(optimizer, loss, 1.0).item<double>();
  }
  for (const auto& p : model.unet()->parameters()) out.weights.push_back(p.detach().clone());
  return out;
}

double MaxDifference(const StepResult& a, const StepResult& b) {
  double worst = 0;
  for (size_t i = 0; i < a.weights.size(); ++i) {
    worst = std::max(worst, (a.weights[i] - b.weights[i]).abs().max().item<double>());
  }
  return worst;
}

// One step's summed gradients (SGD with lr 0 leaves them in .grad).
std::vector<torch::Tensor> FirstGradients(int threads, bool whole_batch) {
  TorchThreadsScope scope(threads);
  DiffusionConfig config;
  config.down_dims = {32, 64, 128};
  config.cfg_dropout = 0.1;
  DiffusionModel model(config, 20, 2);
  torch::optim::SGD optimizer(model.unet()->parameters(), torch::optim::SGDOptions(0.0));
  torch::Generator data = at::detail::createCPUGenerator(7);
  const auto obs = torch::rand({96, 2, 20}, data) * 2 - 1;
  const auto actions = torch::rand({96, 16, 2}, data) * 2 - 1;
  torch::Generator gen = at::detail::createCPUGenerator(8);
  PreparedLoss loss = model.PrepareLoss(obs, actions, gen);
  if (whole_batch) loss.splittable = false;
  OptimizerStep(optimizer, loss, 0.0);
  std::vector<torch::Tensor> grads;
  for (const auto& p : model.unet()->parameters()) grads.push_back(p.grad().clone());
  return grads;
}

TEST(DataParallelTraining, SlicedStepsMatchWholeBatchStepsAndRepeatExactly) {
  // The gradients: the same sums in another order, so equal to float rounding
  // (measured: at most 2.5e-6 of a parameter's largest gradient, on the im2col
  // GEMM and on the indirect conv kernels alike).
  const auto whole_grads = FirstGradients(2, /*whole_batch=*/true);
  const auto sliced_grads = FirstGradients(2, /*whole_batch=*/false);
  ASSERT_EQ(whole_grads.size(), sliced_grads.size());
  for (size_t i = 0; i < whole_grads.size(); ++i) {
    const double scale = whole_grads[i].abs().max().item<double>();
    EXPECT_LE((sliced_grads[i] - whole_grads[i]).abs().max().item<double>(), 2e-5 * scale + 1e-12)
        << "parameter " << i;
  }
  const StepResult whole = ThreeSteps(2, /*whole_batch=*/true);
  const StepResult sliced = ThreeSteps(2, /*whole_batch=*/false);
  const StepResult again = ThreeSteps(2, /*whole_batch=*/false);
  EXPECT_NEAR(sliced.loss, whole.loss, 1e-5);
  // AdamW moves every weight by about lr per step: 3e-3 in three steps. It
  // divides each gradient by its own running size, so where a gradient is
  // near zero a rounding difference can move that weight by a good part of
  // lr (seen: 1.6e-4 in one tensor); the others stayed under 4e-5.
  EXPECT_LT(MaxDifference(sliced, whole), 5e-4);
  EXPECT_EQ(MaxDifference(sliced, again), 0.0) << "a rerun at the same thread count differs";
}

TEST(DataParallelTraining, TheUnetsGradientsTakeTheFusedOptimiserStep) {
  // Every UNet parameter (tap-major conv weights, 1x1 convs, the transposed
  // conv, linears, norms) with the gradients autograd really gives it: the
  // fused AdamW must accept them all, or training silently falls back to
  // LibTorch's slower step.
  TorchThreadsScope scope(2);
  DiffusionConfig config;
  config.down_dims = {32, 64, 128};
  DiffusionModel model(config, 20, 2);
  const auto params = model.unet()->parameters();
  torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(1e-3));
  torch::Generator gen = at::detail::createCPUGenerator(9);
  const auto obs = torch::rand({48, 2, 20}, gen) * 2 - 1;
  const auto actions = torch::rand({48, 16, 2}, gen) * 2 - 1;
  const PreparedLoss loss = model.PrepareLoss(obs, actions, gen);
  std::vector<std::vector<torch::Tensor>> parts;
  for (int64_t first : {0, 24}) {
    const auto grads = torch::autograd::grad({loss.on_rows(first, 24)}, params, {}, false, false,
                                             /*allow_unused=*/true);
    for (size_t j = 0; j < grads.size(); ++j) {
      if (first == 0) parts.emplace_back();
      parts[j].push_back(grads[j]);
    }
  }
  const auto before = params[0].detach().clone();
  EXPECT_TRUE(FusedAdamWStep(optimizer, parts));
  EXPECT_GT((params[0] - before).abs().max().item<double>(), 0.0);
}

TEST(DataParallelTraining, SmallBatchesAndOneThreadDoNotSlice) {
  TorchThreadsScope two(2);
  PreparedLoss loss;
  loss.splittable = true;
  loss.rows = 2 * kMinRowsPerSlice - 1;
  EXPECT_EQ(DataParallelSlices(loss), 1);
  loss.rows = 256;
  EXPECT_EQ(DataParallelSlices(loss), 2);
  loss.splittable = false;
  EXPECT_EQ(DataParallelSlices(loss), 1);
  TorchThreadsScope one(1);
  loss.splittable = true;
  EXPECT_EQ(DataParallelSlices(loss), 1);
}

}  // namespace
}  // namespace bcbench
