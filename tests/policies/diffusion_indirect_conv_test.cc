// The indirect convolution kernels (unet_conv_kernels.h) that train the UNet
// on AVX-512 and AVX2 CPUs: the same values and gradients as the im2col GEMM
// they replace, over awkward shapes, and the same bits at any thread count.
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include "policies/diffusion/unet_cpu_ops.h"
#include "policies/torch_runtime.h"

namespace bcbench {
namespace {

using unet_cpu::GemmIsa;

struct ConvCase {
  int64_t batch, length, out_length, stride;
  std::vector<int64_t> offsets;
  int64_t a_channels, b_channels, out_channels;
  std::string Name() const {
    return fmt::format("batch {} length {}->{} stride {} taps {} channels {}+{} -> {}", batch,
                       length, out_length, stride, offsets.size(), a_channels, b_channels,
                       out_channels);
  }
};

std::vector<ConvCase> Cases() {
  const std::vector<int64_t> five = {-2, -1, 0, 1, 2}, three = {-1, 0, 1};
  return {
      {20, 16, 16, 1, five, 64, 0, 64},  // a block conv of the CPU UNet: 320 rows, 3 passes of dW
      {2, 8, 8, 1, five, 64, 32, 128},   // with a skip block read next to x
      {3, 5, 5, 1, five, 13, 0, 20},     // rows, channels and columns off every tile size
      {4, 8, 8, 1, three, 7, 9, 50},     // two odd blocks, a masked column tail past 32
      {1, 4, 4, 1, five, 3, 0, 2},       // taps wider than half the sequence; 2 columns
      {5, 1, 1, 1, five, 6, 0, 17},      // length 1: every tap but the centre reads zeros
      {3, 8, 4, 2, {-1, 0}, 16, 0, 33},  // stride 2: no tap reads the last row of a sequence
      {2, 6, 6, 1, {-1, 0, 1, 2}, 9, 0, 31},  // an uneven tap set
  };
}

struct ConvResult {
  torch::Tensor y, ga, gb, gw;
};

// y = im2col(a, b) w and the gradients of sum(y * upstream), on the path
// `isa` selects (AVX-512 or AVX2: the indirect kernels; BLAS only: the
// im2col GEMM).
ConvResult RunConv(GemmIsa isa, const ConvCase& c, const torch::Tensor& a, const torch::Tensor& b,
                   const torch::Tensor& w, const torch::Tensor& upstream) {
  const GemmIsa previous = unet_cpu::ForceGemmIsaForTesting(isa);
  EXPECT_EQ(unet_cpu::IndirectConvSupported(), isa != GemmIsa::kBlasOnly);
  const auto ad = a.detach().clone().requires_grad_(a.requires_grad());
  const auto bd = b.defined() ? b.detach().clone().requires_grad_() : torch::Tensor();
  const auto wd = w.detach().clone().requires_grad_();
  const auto y = unet_cpu::ConvRows(ad, bd, c.length, c.out_length, c.stride, c.offsets, wd);
  (y * upstream).sum().backward();
  unet_cpu::ForceGemmIsaForTesting(previous);
  return {y.detach(), ad.grad(), bd.defined() ? bd.grad() : torch::Tensor(), wd.grad()};
}

struct ConvInputs {
  torch::Tensor a, b, w, upstream;
};

ConvInputs MakeInputs(const ConvCase& c, uint64_t seed) {
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  const int64_t in = c.a_channels + c.b_channels;
  ConvInputs x;
  x.a = torch::randn({c.batch * c.length, c.a_channels}, gen).requires_grad_();
  if (c.b_channels > 0) x.b = torch::randn({c.batch * c.length, c.b_channels}, gen);
  x.w = torch::randn({static_cast<int64_t>(c.offsets.size()) * in, c.out_channels}, gen);
  x.upstream = torch::randn({c.batch * c.out_length, c.out_channels}, gen);
  return x;
}

std::vector<GemmIsa> IndirectKernels() {
  std::vector<GemmIsa> isas;
  for (GemmIsa isa : {GemmIsa::kAvx512, GemmIsa::kAvx2Fma}) {
    if (unet_cpu::CpuSupports(isa)) isas.push_back(isa);
  }
  return isas;
}

std::string IsaName(GemmIsa isa) { return isa == GemmIsa::kAvx512 ? "AVX-512" : "AVX2"; }

double MaxRelativeError(const torch::Tensor& got, const torch::Tensor& want) {
  const auto g = got.to(torch::kFloat64), w = want.to(torch::kFloat64);
  return ((g - w).abs().max() / (w.abs().max() + 1e-12)).item<double>();
}

TEST(IndirectConv, MatchesTheIm2ColGemmInValueAndEveryGradient) {
  if (IndirectKernels().empty()) {
    GTEST_SKIP() << "no AVX2 or AVX-512 on this CPU: the UNet trains through the im2col GEMM";
  }
  for (const GemmIsa isa : IndirectKernels()) {
    for (const auto& c : Cases()) {
      const std::string name = IsaName(isa) + ", " + c.Name();
      const auto x = MakeInputs(c, 5);
      const auto indirect = RunConv(isa, c, x.a, x.b, x.w, x.upstream);
      const auto gemm = RunConv(GemmIsa::kBlasOnly, c, x.a, x.b, x.w, x.upstream);
      ASSERT_EQ(indirect.y.sizes(), gemm.y.sizes()) << name;
      EXPECT_LT(MaxRelativeError(indirect.y, gemm.y), 1e-5) << name;
      EXPECT_LT(MaxRelativeError(indirect.ga, gemm.ga), 1e-5) << name;
      EXPECT_LT(MaxRelativeError(indirect.gw, gemm.gw), 1e-5) << name;
      if (c.b_channels > 0) {
        EXPECT_LT(MaxRelativeError(indirect.gb, gemm.gb), 1e-5) << name;
      }
      // An input row no tap reads gets exactly zero gradient, not garbage.
      if (c.stride == 2) {
        const auto unread = indirect.ga.view({c.batch, c.length, -1}).select(1, c.length - 1);
        EXPECT_EQ(unread.abs().max().item<float>(), 0.0f) << name;
      }
    }
  }
}

TEST(IndirectConv, AnInputThatNeedsNoGradientGetsNoneAndTheWeightStillDoes) {
  if (IndirectKernels().empty()) GTEST_SKIP() << "no AVX2 or AVX-512 on this CPU";
  const auto c = Cases()[0];
  auto x = MakeInputs(c, 6);
  x.a = x.a.detach();  // the UNet's first conv reads the noisy actions: data, not parameters
  const auto gemm = RunConv(GemmIsa::kBlasOnly, c, x.a, x.b, x.w, x.upstream);
  for (const GemmIsa isa : IndirectKernels()) {
    const auto indirect = RunConv(isa, c, x.a, x.b, x.w, x.upstream);
    EXPECT_FALSE(indirect.ga.defined()) << IsaName(isa);
    ASSERT_TRUE(indirect.gw.defined()) << IsaName(isa);
    EXPECT_LT(MaxRelativeError(indirect.gw, gemm.gw), 1e-5) << IsaName(isa);
  }
}

TEST(IndirectConv, RefusesInputsThatAreNotWholeSequencesOrAWeightOfTheWrongDepth) {
  if (IndirectKernels().empty()) GTEST_SKIP() << "no AVX2 or AVX-512 on this CPU";
  const std::vector<int64_t> three = {-1, 0, 1};
  const auto w = torch::randn({3 * 4, 8});
  EXPECT_THROW(unet_cpu::ConvRows(torch::randn({10, 4}), {}, 4, 4, 1, three, w), c10::Error)
      << "10 rows are not whole sequences of 4";
  EXPECT_THROW(
      unet_cpu::ConvRows(torch::randn({8, 4}), torch::randn({4, 2}), 4, 4, 1, three, w),
      c10::Error)
      << "the second block has other rows";
  EXPECT_THROW(unet_cpu::ConvRows(torch::randn({8, 5}), {}, 4, 4, 1, three, w), c10::Error)
      << "5 channels x 3 taps is not the weight's 12 rows";
  EXPECT_EQ(unet_cpu::ConvRows(torch::randn({8, 4}), {}, 4, 4, 1, three, w).sizes(),
            (std::vector<int64_t>{8, 8}));
}

TEST(IndirectConv, GivesTheSameBitsAtAnyThreadCountAndForAnyBatchSlice) {
  if (IndirectKernels().empty()) GTEST_SKIP() << "no AVX2 or AVX-512 on this CPU";
  ConvCase c = Cases()[1];
  c.batch = 40;  // 320 rows: the weight gradient sums several passes
  const auto x = MakeInputs(c, 7);
  for (const GemmIsa isa : IndirectKernels()) {
    const std::string name = IsaName(isa);
    ConvResult one, two;
    {
      TorchThreadsScope scope(1);
      one = RunConv(isa, c, x.a, x.b, x.w, x.upstream);
    }
    {
      TorchThreadsScope scope(2);
      two = RunConv(isa, c, x.a, x.b, x.w, x.upstream);
    }
    EXPECT_TRUE(torch::equal(one.y, two.y)) << name;
    EXPECT_TRUE(torch::equal(one.ga, two.ga)) << name;
    EXPECT_TRUE(torch::equal(one.gb, two.gb)) << name;
    EXPECT_TRUE(torch::equal(one.gw, two.gw)) << name;
    // A data-parallel slice of the batch computes its rows of y and of the
    // input gradients bit for bit as the whole batch does.
    ConvCase half = c;
    half.batch = 5;
    const int64_t first = 3;
    auto rows = [&](const torch::Tensor& t, int64_t length) {
      return t.narrow(0, first * length, half.batch * length).detach();
    };
    const auto part = RunConv(isa, half, rows(x.a, c.length).requires_grad_(), rows(x.b, c.length),
                              x.w, rows(x.upstream, c.out_length));
    EXPECT_TRUE(torch::equal(part.y, rows(one.y, c.out_length))) << name;
    EXPECT_TRUE(torch::equal(part.ga, rows(one.ga, c.length))) << name;
    EXPECT_TRUE(torch::equal(part.gb, rows(one.gb, c.length))) << name;
  }
}

}  // namespace
}  // namespace bcbench
