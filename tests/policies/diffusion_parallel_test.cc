// The whole-batch sampler spreads a large batch over the LibTorch threads,
// one slice of rows per thread, each running the whole network. Where the
// fast path's GEMMs are its own kernels (AVX2 or AVX-512) every row's result
// is independent of the rows beside it, so the sliced batch gives the whole
// batch's bits. With BLAS (which rounds differently at different shapes and
// thread counts) a rerun gives the same bits and the sliced run agrees with
// the unsliced one to float rounding. (The per-row sampler,
// DiffusionModel::Sample, is bitwise independent of the thread count:
// diffusion_row_invariance_test.cc.)
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "policies/diffusion/diffusion_model.h"
#include "policies/diffusion/unet_cpu_ops.h"
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
  using unet_cpu::GemmIsa;
  torch::manual_seed(5);
  const auto obs = torch::rand({40, 2, 20}) * 2 - 1;  // above the BLAS slicing threshold (34 rows)
  std::vector<GemmIsa> isas = {GemmIsa::kBlasOnly};
  if (unet_cpu::GemmIsaInUse() != GemmIsa::kBlasOnly) isas.push_back(unet_cpu::GemmIsaInUse());
  for (const GemmIsa isa : isas) {
    const GemmIsa previous = unet_cpu::ForceGemmIsaForTesting(isa);
    const bool own_kernels = isa != GemmIsa::kBlasOnly;
    for (double guidance : {0.0, 2.0}) {
      const std::string what = std::string(own_kernels ? "own kernels" : "BLAS") + ", guidance " +
                               std::to_string(guidance);
      DiffusionModel model(SmallConfig(guidance), 20, 2);
      TorchThreadsScope two(2);
      const auto sliced = Sample(model, obs);
      EXPECT_TRUE(torch::equal(sliced, Sample(model, obs))) << what;
      EXPECT_EQ(model.FastPathSlices(40), 2) << what;
      if (own_kernels) {
        EXPECT_EQ(model.FastPathSlices(20), 2) << what;
      } else {
        EXPECT_EQ(model.FastPathSlices(20), 1)
            << what << ": slices of 10 rows reach the few-row kernel";
      }
      torch::Tensor whole;  // one thread never slices
      {
        TorchThreadsScope one(1);
        whole = Sample(model, obs);
      }
      if (own_kernels) {
        EXPECT_TRUE(torch::equal(whole, sliced)) << what;
      } else {
        EXPECT_LT((whole - sliced).abs().max().item<float>(), 1e-4) << what;
      }
    }
    unet_cpu::ForceGemmIsaForTesting(previous);
  }
}

}  // namespace
}  // namespace bcbench
