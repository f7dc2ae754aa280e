// The whole-batch sampler spreads a large batch over the LibTorch threads,
// one slice of rows per thread, each running the whole network. OpenBLAS
// itself rounds differently at different thread counts, so results are
// compared with the same thread count: a rerun gives the same bits, and the
// sliced run agrees with the unsliced one to float rounding. (The per-row
// sampler, DiffusionModel::Sample, is bitwise independent of the thread
// count: diffusion_row_invariance_test.cc.)
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/diffusion/diffusion_model.h"
#include "policies/torch_runtime.h"

namespace bcbench {
namespace {


torch::Tensor Sample(DiffusionModel& model, const torch::Tensor& obs) {
  torch::Generator gen = at::detail::createCPUGenerator(11);
  return model.SampleWholeBatch(obs, gen);
}

DiffusionConfig SmallConfig(double guidance) {
  DiffusionConfig config;
  config.down_dims = {32, 64, 128};
  if (guidance != 0) {
    config.cfg_dropout = 0.1;
    config.guidance_weight = guidance;
  }
  return config;
}

TEST(DiffusionSampler, ASlicedBatchAgreesWithTheWholeBatchAndRepeatsExactly) {
  torch::manual_seed(5);
  const auto obs = torch::rand({40, 2, 20}) * 2 - 1;  // above the slicing threshold (34 rows)
  for (double guidance : {0.0, 2.0}) {
    DiffusionModel model(SmallConfig(guidance), 20, 2);
    TorchThreadsScope two(2);
    const auto sliced = Sample(model, obs);
    EXPECT_TRUE(torch::equal(sliced, Sample(model, obs))) << "guidance " << guidance;
    EXPECT_EQ(model.FastPathSlices(40), 2);
    EXPECT_EQ(model.FastPathSlices(20), 1) << "slices of 10 rows would reach the few-row kernel";
    torch::Tensor whole;  // one thread never slices
    {
      TorchThreadsScope one(1);
      whole = Sample(model, obs);
    }
    EXPECT_LT((whole - sliced).abs().max().item<float>(), 1e-4) << "guidance " << guidance;
  }
}

}  // namespace
}  // namespace bcbench
