// The conditional 1-D UNet: shapes, size, conditioning, and that the
// inference fast path computes the same function as the module.
#include <cmath>
#include <cstdio>
#include <tuple>
#include <utility>
#include <stdexcept>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/diffusion/conditional_unet1d.h"
#include "policies/diffusion/diffusion_model.h"
#include "policies/diffusion/unet_cpu_ops.h"
#include "policies/diffusion/unet_fast_inference.h"

namespace bcbench {
namespace {

ConditionalUnet1D Initialised(ConditionalUnet1D unet, uint64_t seed) {
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  unet->InitParameters(gen);
  // GroupNorm starts as the identity; perturb it so the fast path's
  // normalisation is checked against something other than gamma 1, beta 0.
  torch::NoGradGuard no_grad;
  for (auto& p : unet->parameters()) {
    if (p.dim() == 1) p.add_(torch::randn(p.sizes(), gen) * 0.1);
  }
  return unet;
}

ConditionalUnet1D MakeUnet(const UnetOptions& options, uint64_t seed) {
  return Initialised(ConditionalUnet1D(options), seed);
}

UnetOptions CpuOptions() { return MakeUnetOptions(DiffusionConfig{}, 20, 2); }

TEST(ConditionalUnet1D, KeepsTheChunkShape) {
  auto unet = MakeUnet(CpuOptions(), 1);
  torch::Generator gen = at::detail::createCPUGenerator(2);
  const auto x = torch::randn({3, 16, 2}, gen);
  const auto out = unet->forward(x, torch::tensor({0, 50, 99}), torch::randn({3, 41}, gen));
  EXPECT_EQ(out.sizes(), x.sizes());

  UnetOptions channels = CpuOptions();
  channels.global_cond_dim = 1;
  channels.local_cond_channels = 40;
  auto unet2 = MakeUnet(channels, 1);
  const auto out2 = unet2->forward(x, torch::tensor({0, 50, 99}), torch::zeros({3, 1}),
                                   torch::randn({3, 16, 40}, gen));
  EXPECT_EQ(out2.sizes(), x.sizes());
}

// Chi et al.'s architecture with a 40-d condition (To 2 x 20-d keypoints)
// has 4,559,554 parameters; our null flag adds one FiLM input column
// (2 x width per block: 3,584).
TEST(ConditionalUnet1D, CpuDefaultHasAbout4point56MParameters) {
  UnetOptions exact = CpuOptions();
  exact.global_cond_dim = 40;
  EXPECT_EQ(ConditionalUnet1D(exact)->ParameterCount(), 4559554);
  const int64_t ours = ConditionalUnet1D(CpuOptions())->ParameterCount();
  EXPECT_EQ(ours, 4559554 + 3584);
  std::printf("CPU UNet parameters: %lld; forward %.2f MFLOP per sample\n",
              static_cast<long long>(ours), UnetForwardFlops(CpuOptions(), 16) / 1e6);
  EXPECT_NEAR(UnetForwardFlops(exact, 16) / 1e6, 37.8, 0.3);
}

TEST(ConditionalUnet1D, PaperSizeHasAbout66MParameters) {
  const auto options = MakeUnetOptions(DiffusionConfig::Preset("paper"), 20, 2);
  const int64_t count = ConditionalUnet1D(options)->ParameterCount();
  std::printf("paper UNet parameters: %lld\n", static_cast<long long>(count));
  EXPECT_GT(count, 60'000'000);
  EXPECT_LT(count, 70'000'000);
}

TEST(ConditionalUnet1D, ModelRefusesAHorizonTheUnetCannotHalve) {
  DiffusionConfig config;
  config.pred_horizon = 10;
  config.action_horizon = 8;
  EXPECT_THAT([&] { DiffusionModel(config, 20, 2); },
              ::testing::ThrowsMessage<std::invalid_argument>(::testing::HasSubstr("pred_horizon")));
}

TEST(ConditionalUnet1D, FilmMakesTheOutputDependOnTheObservation) {
  for (const char* mode : {"film", "channels"}) {
    DiffusionConfig config;
    config.cond = mode;
    config.down_dims = {32, 64};
    DiffusionModel model(config, 3, 2);
    torch::Generator gen = at::detail::createCPUGenerator(5);
    const auto x = torch::randn({1, 16, 2}, gen);
    const auto t = torch::tensor({30});
    const auto flag = torch::zeros({1, 1});
    auto run = [&](const torch::Tensor& obs) {
      const auto flat = obs.reshape({1, -1});
      if (config.cond == "film") return model.unet()->forward(x, t, torch::cat({flat, flag}, 1));
      return model.unet()->forward(x, t, flag, flat.unsqueeze(1).expand({1, 16, 6}));
    };
    const auto a = run(torch::zeros({1, 2, 3}));
    const auto b = run(torch::full({1, 2, 3}, 0.5));
    EXPECT_GT((a - b).abs().max().item<float>(), 1e-3) << mode;
    EXPECT_TRUE(torch::equal(a, run(torch::zeros({1, 2, 3})))) << mode;
  }
}

TEST(ConditionalUnet1D, CloneCopiesWeightsIndependently) {
  auto unet = MakeUnet(CpuOptions(), 3);
  auto copy = std::dynamic_pointer_cast<ConditionalUnet1DImpl>(unet->clone());
  ASSERT_TRUE(copy);
  const auto x = torch::randn({2, 16, 2});
  const auto cond = torch::randn({2, 41});
  const auto t = torch::tensor({3, 4});
  EXPECT_TRUE(torch::equal(unet->forward(x, t, cond), copy->forward(x, t, cond)));
  torch::NoGradGuard no_grad;
  copy->parameters()[0].add_(1.0);
  EXPECT_FALSE(torch::equal(unet->forward(x, t, cond), copy->forward(x, t, cond)));
}

// The time-major CPU kernels (the training path) against standard LibTorch
// ops (the path CUDA takes): same outputs, same gradients for every
// parameter and for the inputs.
void ExpectTimeMajorMatchesStandardOps(ConditionalUnet1D unet, int64_t batch, int horizon,
                                       const std::string& label) {
  const auto& o = unet->options();
  torch::Generator gen = at::detail::createCPUGenerator(22);
  const auto x = torch::randn({batch, horizon, o.input_dim}, gen);
  const auto global = torch::randn({batch, o.global_cond_dim}, gen);
  const auto local = o.local_cond_channels > 0
                         ? torch::randn({batch, horizon, o.local_cond_channels}, gen)
                         : torch::Tensor();
  const auto weights = torch::randn({batch, horizon, o.input_dim}, gen);
  const auto t = torch::randint(0, 100, {batch}, gen);
  auto run = [&](bool kernels) {
    unet->SetCpuKernels(kernels);
    unet->zero_grad();
    auto xi = x.clone().requires_grad_(true);
    auto li = local.defined() ? local.clone().requires_grad_(true) : torch::Tensor();
    const auto out = unet->forward(xi, t, global, li);
    (out * weights).sum().backward();
    std::vector<torch::Tensor> grads = {out.detach(), xi.grad()};
    if (li.defined()) grads.push_back(li.grad());
    for (const auto& p : unet->parameters()) grads.push_back(p.grad().clone());
    return grads;
  };
  const auto fast = run(true);
  const auto reference = run(false);
  ASSERT_EQ(fast.size(), reference.size());
  for (size_t i = 0; i < fast.size(); ++i) {
    const double scale = reference[i].abs().max().item<double>();
    EXPECT_LE((fast[i] - reference[i]).abs().max().item<double>(), 1e-4 + 1e-3 * scale)
        << "tensor " << i << " (0: output, 1: input grad, then parameters) of " << label;
  }
}

// The inference fast path against the module's standard ops, and its
// snapshot check.
void ExpectFastPathMatchesTheModule(ConditionalUnet1D unet, int64_t batch, int horizon,
                                    const std::string& label) {
  const auto& o = unet->options();
  unet->SetCpuKernels(false);  // the reference: standard LibTorch ops
  torch::Generator gen = at::detail::createCPUGenerator(12);
  const auto x = torch::randn({batch, horizon, o.input_dim}, gen);
  const auto global = torch::randn({batch, o.global_cond_dim}, gen);
  const auto local = o.local_cond_channels > 0
                         ? torch::randn({batch, horizon, o.local_cond_channels}, gen)
                         : torch::Tensor();
  UnetFastInference fast(*unet, 100);
  fast.SetCondition(global, batch);
  for (int t : {0, 37, 99}) {
    torch::NoGradGuard no_grad;
    const auto expected = unet->forward(x, torch::full({batch}, t, torch::kLong), global, local);
    const auto got = fast.Forward(x, t, local);
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_LT((got - expected).abs().max().item<float>(), 1e-4) << label << ", t " << t;
  }
  EXPECT_TRUE(fast.IsCurrent(*unet));
  {
    torch::NoGradGuard no_grad;
    unet->parameters().back().mul_(1.01);
  }
  EXPECT_FALSE(fast.IsCurrent(*unet)) << label;  // an optimiser step invalidates the snapshot
}

// The architectures every executor is held to the reference on.
struct ExecutorCase {
  std::vector<int> down_dims;
  int kernel;
  int global, local;
  int64_t batch;
  int horizon;
  int step_embed_dim;
  const char* what;
};

std::vector<ExecutorCase> ExecutorCases() {
  return {
      {{32, 64, 128}, 5, 9, 0, 3, 8, 16, "three levels"},
      {{16, 32}, 5, 1, 6, 3, 8, 16, "two levels, observation as channels"},
      {{64, 32}, 5, 5, 0, 3, 8, 16, "narrowing widths"},
      {{64, 128, 256}, 5, 41, 0, 1, 16, 32, "the CPU default, batch 1"},
      {{64, 128, 256}, 5, 41, 0, 5, 16, 32, "the CPU default, batched rows"},
      {{32, 64}, 3, 1, 12, 2, 8, 32, "kernel 3, observation as channels"},
      {{16}, 5, 7, 0, 3, 4, 32, "one level: no resampling"},
      {{64, 32}, 5, 9, 0, 2, 8, 32, "identity residual fed by [x, skip]"},
  };
}

UnetOptions CaseOptions(const ExecutorCase& c) {
  UnetOptions options;
  options.input_dim = 2;
  options.down_dims = c.down_dims;
  options.kernel_size = c.kernel;
  options.global_cond_dim = c.global;
  options.local_cond_channels = c.local;
  options.step_embed_dim = c.step_embed_dim;
  return options;
}

// Every training path this CPU can take: the indirect conv kernels of each
// instruction set it has, and the im2col GEMM of CPUs with neither.
TEST(ConditionalUnet1D, CpuKernelsMatchStandardOpsInValueAndGradient) {
  using unet_cpu::GemmIsa;
  const std::vector<std::pair<GemmIsa, std::string>> paths = {
      {GemmIsa::kAvx512, "indirect AVX-512"},
      {GemmIsa::kAvx2Fma, "indirect AVX2"},
      {GemmIsa::kBlasOnly, "im2col GEMM"}};
  for (const auto& [isa, name] : paths) {
    if (!unet_cpu::CpuSupports(isa)) continue;
    const GemmIsa previous = unet_cpu::ForceGemmIsaForTesting(isa);
    for (const auto& c : ExecutorCases()) {
      ExpectTimeMajorMatchesStandardOps(MakeUnet(CaseOptions(c), 21), c.batch, c.horizon,
                                        name + ", " + c.what);
    }
    unet_cpu::ForceGemmIsaForTesting(previous);
  }
}

TEST(ConditionalUnet1D, ConvWeightsAreStoredTapMajorSoTrainingPacksNothing) {
  auto unet = MakeUnet(CaseOptions(ExecutorCases()[0]), 21);
  int conv_weights = 0;
  for (const auto& item : unet->named_parameters()) {
    const auto& w = item.value();
    // ConvTranspose1d weights (in, out, 4) are packed their own way.
    if (w.dim() != 3 || item.key().find("upsample") != std::string::npos) continue;
    ++conv_weights;
    EXPECT_TRUE(unet_cpu::IsStoredTapMajor(w)) << item.key();
    // The packed matrix is a view of the parameter itself...
    const auto packed = unet_cpu::PackConvWeight(w);
    EXPECT_EQ(packed.data_ptr(), w.data_ptr()) << item.key();
    // ... equal to the copying pack of the same values, and so is its gradient.
    const auto copy = w.detach().contiguous().requires_grad_();
    const auto copied = unet_cpu::PackConvWeight(copy);
    EXPECT_NE(copied.data_ptr(), copy.data_ptr());
    EXPECT_TRUE(torch::equal(packed, copied)) << item.key();
    const auto upstream = torch::randn(packed.sizes());
    const auto grad_view = torch::autograd::grad({packed}, {w}, {upstream})[0];
    const auto grad_copy = torch::autograd::grad({copied}, {copy}, {upstream})[0];
    EXPECT_TRUE(torch::equal(grad_view, grad_copy)) << item.key();
    EXPECT_EQ(grad_view.strides(), w.strides()) << item.key();
  }
  EXPECT_GE(conv_weights, 10);
  // A clone keeps the layout (EMA copies and checkpoints go through clones and copies).
  const auto cloned = std::dynamic_pointer_cast<ConditionalUnet1DImpl>(unet->clone());
  for (const auto& item : cloned->named_parameters()) {
    if (item.key().find("block1.conv.weight") != std::string::npos) {
      EXPECT_TRUE(unet_cpu::IsStoredTapMajor(item.value())) << item.key();
    }
  }
}

TEST(UnetCpuOps, MishMatchesLibTorchToFloatPrecision) {
  const auto x = torch::cat({torch::linspace(-100, 100, 20001), torch::randn({10000}) * 3});
  auto y = torch::empty_like(x);
  unet_cpu::MishForward(x.data_ptr<float>(), y.data_ptr<float>(), x.numel());
  const auto reference = torch::mish(x.to(torch::kFloat64));
  const auto error = (y.to(torch::kFloat64) - reference).abs();
  EXPECT_LT((error / (reference.abs() + 1e-30)).max().item<double>(), 2e-6);
  EXPECT_LT(error.max().item<double>(), 1e-5);
}

TEST(UnetCpuOps, GemmMatchesMatmulForFewAndManyRows) {
  torch::Generator gen = at::detail::createCPUGenerator(3);
  for (const auto& [m, n, k] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 7, 5}, {4, 256, 1280}, {12, 96, 40}, {16, 64, 320}, {6, 2, 64}, {200, 64, 96}}) {
    const auto a = torch::randn({m, k + 3}, gen);  // lda > k
    const auto b = torch::randn({k, n}, gen);
    auto c = torch::full({m, n + 5}, 7.0f);  // ldc > n; the padding must survive
    unet_cpu::Gemm(m, n, k, a.data_ptr<float>(), k + 3, b.data_ptr<float>(), n, c.data_ptr<float>(),
                   n + 5);
    const auto expected = a.narrow(1, 0, k).to(torch::kFloat64).mm(b.to(torch::kFloat64));
    EXPECT_LT((c.narrow(1, 0, n).to(torch::kFloat64) - expected).abs().max().item<double>(),
              1e-4 * std::sqrt(static_cast<double>(k)))
        << m << "x" << n << "x" << k;
    EXPECT_TRUE(torch::all(c.narrow(1, n, 5) == 7.0f).item<bool>());
  }
}

TEST(UnetFastInference, MatchesTheModule) {
  for (const auto& c : ExecutorCases()) {
    ExpectFastPathMatchesTheModule(MakeUnet(CaseOptions(c), 11), c.batch, c.horizon, c.what);
  }
}

// An architecture change made in the plan alone (a third residual block per
// level, a 5-tap downsample) reaches the module and every executor.
UnetPlan ThreeBlocksPerLevel(const UnetOptions& options) {
  auto plan = MakeUnetPlan(options);
  std::vector<UnetStage> stages;
  for (auto stage : plan.stages) {
    if (stage.kind == UnetStageKind::kDownsample) stage.kernel = 5;
    const auto cut = stage.name.rfind("_res2");
    const bool second = cut != std::string::npos && cut + 5 == stage.name.size();
    const int save = stage.skip_save;
    if (second) stage.skip_save = -1;  // the level's output is now the third block's
    stages.push_back(stage);
    if (second) {
      UnetStage third = stage;
      third.name = stage.name.substr(0, cut) + "_res3";
      third.in_channels = stage.out_channels;
      third.skip_save = save;
      stages.push_back(third);
    }
  }
  plan.film_width = 0;
  for (auto& stage : stages) {
    if (stage.kind != UnetStageKind::kResBlock) continue;
    stage.film_offset = plan.film_width;
    plan.film_width += 2 * stage.out_channels;
  }
  plan.stages = stages;
  return plan;
}

TEST(UnetFastInference, EveryExecutorFollowsAnEditedPlan) {
  for (const auto& c : {ExecutorCases()[0], ExecutorCases()[1]}) {
    const auto options = CaseOptions(c);
    const auto plan = ThreeBlocksPerLevel(options);
    ASSERT_NO_THROW(CheckUnetPlan(plan));
    auto unet = Initialised(ConditionalUnet1D(plan), 21);
    EXPECT_EQ(unet->ParameterCount(), plan.ParameterCount());
    EXPECT_GT(unet->ParameterCount(), ConditionalUnet1D(options)->ParameterCount());
    EXPECT_TRUE(std::dynamic_pointer_cast<ConditionalResidualBlock1DImpl>(
        unet->named_children()["down0_res3"]));
    EXPECT_EQ(unet->StageModule<torch::nn::Conv1d>(3)->weight.size(2), 5);  // down0_downsample
    ExpectTimeMajorMatchesStandardOps(unet, c.batch, c.horizon, c.what);
    ExpectFastPathMatchesTheModule(unet, c.batch, c.horizon, c.what);
  }
}

TEST(UnetFastInference, SamplerGivesTheSameChunksOnBothPaths) {
  DiffusionConfig config;
  config.down_dims = {32, 64};
  config.cfg_dropout = 0.1;
  config.guidance_weight = 1.5;
  DiffusionModel model(config, 4, 2);
  const auto obs = torch::randn({3, 2, 4});
  for (const char* sampler : {"ddim", "ddpm"}) {
    model.SetFastInference(true);
    torch::Generator gen1 = at::detail::createCPUGenerator(4);
    const auto fast = model.Sample(obs, gen1);
    model.SetFastInference(false);
    torch::Generator gen2 = at::detail::createCPUGenerator(4);
    const auto slow = model.Sample(obs, gen2);
    EXPECT_LT((fast - slow).abs().max().item<float>(), 1e-3) << sampler;
    config.sampler = "ddpm";
    model = DiffusionModel(config, 4, 2);
  }
}

}  // namespace
}  // namespace bcbench
