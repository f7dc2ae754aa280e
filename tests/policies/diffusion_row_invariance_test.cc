// Every evaluation episode has its own random stream, and its numbers do not
// depend on the batch: on the CPU fast path, a row sampled with generator g
// is bitwise the same alone, in a batch of ten, in either half of that batch,
// at one or two LibTorch threads, and with the AVX2 or the AVX-512 GEMM.
// The GEMM kernels underneath compute every element as one FMA chain over k.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/diffusion/diffusion_model.h"
#include "policies/diffusion/unet_cpu_ops.h"
#include "policies/torch_runtime.h"

namespace bcbench {
namespace {

using unet_cpu::GemmIsa;

std::vector<torch::Generator> Generators(const std::vector<uint64_t>& seeds) {
  std::vector<torch::Generator> gens;
  for (uint64_t seed : seeds) gens.push_back(at::detail::createCPUGenerator(seed));
  return gens;
}

std::vector<uint64_t> Seeds(uint64_t first, int count) {
  std::vector<uint64_t> seeds;
  for (int i = 0; i < count; ++i) seeds.push_back(first + static_cast<uint64_t>(i));
  return seeds;
}

torch::Tensor SampleRows(DiffusionModel& model, const torch::Tensor& obs,
                         const std::vector<uint64_t>& seeds) {
  auto gens = Generators(seeds);
  return model.Sample(obs, gens);
}

struct SamplerCase {
  std::string name;
  DiffusionConfig config;
};

// The CPU network (levels of 16, 8 and 4 steps: whole GEMM tiles) and one
// whose levels of 12 and 6 steps leave tail rows in every GEMM, each with
// DDIM and DDPM, without and with guidance. Clipping is off so that no
// difference hides behind a clamp.
std::vector<SamplerCase> SamplerCases() {
  DiffusionConfig cpu;
  cpu.clip_sample = false;
  DiffusionConfig tails = cpu;
  tails.pred_horizon = 12;
  tails.action_horizon = 8;
  tails.down_dims = {24, 48};
  tails.n_groups = 4;
  tails.step_embed_dim = 32;
  std::vector<SamplerCase> cases;
  for (const auto& [name, base] : {std::make_tuple("cpu", cpu), std::make_tuple("tails", tails)}) {
    for (const char* sampler : {"ddim", "ddpm"}) {
      for (double guidance : {0.0, 2.0}) {
        DiffusionConfig config = base;
        config.sampler = sampler;
        if (config.sampler == "ddpm") config.num_train_timesteps = 20;  // keeps the test short
        if (guidance != 0) {
          config.cfg_dropout = 0.1;
          config.guidance_weight = guidance;
        }
        cases.push_back({std::string(name) + " " + sampler + " w=" + std::to_string(guidance),
                         config});
      }
    }
  }
  return cases;
}

constexpr int kObsDim = 5;
constexpr int kActionDim = 2;

TEST(DiffusionRowInvariance, ARowIsTheSameAloneInABatchOfTenInEitherHalfAndAtAnyThreadCount) {
  torch::manual_seed(3);
  const auto obs = torch::rand({10, 2, kObsDim}) * 2 - 1;
  const auto seeds = Seeds(100000, 10);
  for (const auto& c : SamplerCases()) {
    DiffusionModel model(c.config, kObsDim, kActionDim);
    torch::Tensor reference;  // the batch of ten at one thread
    for (int threads : {1, 2}) {
      TorchThreadsScope scope(threads);
      const std::string label = c.name + ", " + std::to_string(threads) + " thread(s)";
      const auto batch = SampleRows(model, obs, seeds);
      if (!reference.defined()) reference = batch;
      EXPECT_TRUE(torch::equal(batch, reference)) << label << ": thread count changed the rows";

      const std::vector<uint64_t> first(seeds.begin(), seeds.begin() + 5);
      const std::vector<uint64_t> second(seeds.begin() + 5, seeds.end());
      const auto halves = torch::cat({SampleRows(model, obs.narrow(0, 0, 5), first),
                                      SampleRows(model, obs.narrow(0, 5, 5), second)});
      EXPECT_TRUE(torch::equal(halves, reference)) << label << ": two batches of five";

      const auto reversed = torch::arange(9, -1, -1);
      const std::vector<uint64_t> reversed_seeds(seeds.rbegin(), seeds.rend());
      EXPECT_TRUE(torch::equal(SampleRows(model, obs.index_select(0, reversed), reversed_seeds),
                               reference.index_select(0, reversed)))
          << label << ": the rows in the opposite order";

      for (int64_t b = 0; b < 10; ++b) {
        EXPECT_TRUE(torch::equal(SampleRows(model, obs.narrow(0, b, 1), {seeds[static_cast<size_t>(b)]}),
                                 reference.narrow(0, b, 1)))
            << label << ": row " << b << " alone";
      }
    }
  }
}

TEST(DiffusionRowInvariance, ARowFollowsItsOwnSeedAndNoOtherRows) {
  torch::manual_seed(4);
  const auto obs = torch::rand({4, 2, kObsDim}) * 2 - 1;
  for (const auto& c : SamplerCases()) {
    DiffusionModel model(c.config, kObsDim, kActionDim);
    TorchThreadsScope two(2);
    const auto base = SampleRows(model, obs, {7, 8, 9, 10});
    const auto changed = SampleRows(model, obs, {7, 8, 99, 10});
    EXPECT_FALSE(torch::equal(changed[2], base[2])) << c.name << ": a new seed, a new row";
    for (int64_t b : {0, 1, 3}) {
      EXPECT_TRUE(torch::equal(changed[b], base[b])) << c.name << ": row " << b;
    }
    // Another row's observation does not reach a row either.
    auto other_obs = obs.clone();
    other_obs[1] += 0.5;
    const auto moved = SampleRows(model, other_obs, {7, 8, 9, 10});
    EXPECT_FALSE(torch::equal(moved[1], base[1])) << c.name;
    EXPECT_TRUE(torch::equal(moved[0], base[0]) && torch::equal(moved[2], base[2]) &&
                torch::equal(moved[3], base[3]))
        << c.name;
  }
}

// The module path draws the same per-row noise but runs the batch through
// the network together: the same rows to float rounding.
TEST(DiffusionRowInvariance, TheFastPathAgreesWithTheModulePathRowByRow) {
  torch::manual_seed(5);
  const auto obs = torch::rand({3, 2, kObsDim}) * 2 - 1;
  for (const auto& c : SamplerCases()) {
    DiffusionModel model(c.config, kObsDim, kActionDim);
    const auto fast = SampleRows(model, obs, {21, 22, 23});
    model.SetFastInference(false);
    const auto module = SampleRows(model, obs, {21, 22, 23});
    // 1e-3 as in the clipped sampler tests, relative to the unclipped scale.
    const float scale = 1 + module.abs().max().item<float>();
    EXPECT_LT((fast - module).abs().max().item<float>(), 1e-3 * scale) << c.name;
  }
}

TEST(DiffusionRowInvariance, OneGeneratorForOneRowIsThatRowsGenerator) {
  DiffusionConfig config = SamplerCases()[1].config;  // cpu, DDIM, guided
  DiffusionModel model(config, kObsDim, kActionDim);
  const auto obs = torch::rand({1, 2, kObsDim}) * 2 - 1;
  torch::Generator gen = at::detail::createCPUGenerator(100007);
  const auto one = model.Sample(obs, gen);
  EXPECT_TRUE(torch::equal(one, SampleRows(model, obs, {100007})));
  torch::Generator again = at::detail::createCPUGenerator(100007);
  EXPECT_TRUE(torch::equal(one, model.SampleWholeBatch(obs, again)))
      << "a batch of one runs the same kernels on both samplers";
}

TEST(DiffusionRowInvariance, ABatchWithOneGeneratorGivesEachRowAStreamOfItsOwn) {
  DiffusionModel model(SamplerCases()[2].config, kObsDim, kActionDim);  // cpu, DDPM
  const auto obs = torch::zeros({2, 2, kObsDim});
  torch::Generator gen = at::detail::createCPUGenerator(1);
  const auto rows = model.Sample(obs, gen);
  EXPECT_FALSE(torch::equal(rows[0], rows[1])) << "same observation, different noise";
  torch::Generator same = at::detail::createCPUGenerator(1);
  EXPECT_TRUE(torch::equal(rows, model.Sample(obs, same)));
}

TEST(DiffusionRowInvariance, RejectsGeneratorsThatAreNotOnePerRow) {
  DiffusionModel model(SamplerCases()[0].config, kObsDim, kActionDim);
  const auto obs = torch::zeros({3, 2, kObsDim});
  auto two = Generators({1, 2});
  EXPECT_THROW(model.Sample(obs, two), std::invalid_argument);
  auto shared = Generators({1, 2});
  shared.push_back(shared[0]);  // the same generator twice
  EXPECT_THROW(model.Sample(obs, shared), std::invalid_argument);
}

// The whole sampler with the AVX2 GEMM forced on an AVX-512 machine: the same
// bits, so AVX2-only machines (AMD EPYC CI) reproduce AVX-512 rows.
TEST(DiffusionRowInvariance, TheAvx2GemmSamplesTheSameRowsAsTheAvx512Gemm) {
  if (!unet_cpu::CpuSupports(GemmIsa::kAvx512)) GTEST_SKIP() << "no AVX-512 on this CPU";
  torch::manual_seed(6);
  const auto obs = torch::rand({7, 2, kObsDim}) * 2 - 1;  // 7 x 16 rows: past the few-row kernel
  for (const auto& c : SamplerCases()) {
    if (c.config.sampler == "ddpm") continue;  // DDIM covers the network
    DiffusionModel model(c.config, kObsDim, kActionDim);
    const auto avx512 = SampleRows(model, obs, {31, 32, 33, 34, 35, 36, 37});
    const GemmIsa previous = unet_cpu::ForceGemmIsaForTesting(GemmIsa::kAvx2Fma);
    const auto avx2 = SampleRows(model, obs, {31, 32, 33, 34, 35, 36, 37});
    unet_cpu::ForceGemmIsaForTesting(previous);
    EXPECT_TRUE(torch::equal(avx2, avx512)) << c.name;
  }
}

// --- The few-row GEMM ---

// Row-major C = A B computed as the kernels promise: per element, an FMA
// chain over k from 0 (std::fma rounds once, like the vector FMA).
std::vector<float> FmaChainReference(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                                     const float* b, int64_t ldb) {
  std::vector<float> c(static_cast<size_t>(m * n));
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (int64_t i = 0; i < k; ++i) acc = std::fma(a[r * lda + i], b[i * ldb + j], acc);
      c[static_cast<size_t>(r * n + j)] = acc;
    }
  }
  return c;
}

std::vector<GemmIsa> SupportedFewRowKernels() {
  std::vector<GemmIsa> isas;
  for (GemmIsa isa : {GemmIsa::kAvx512, GemmIsa::kAvx2Fma}) {
    if (unet_cpu::CpuSupports(isa)) isas.push_back(isa);
  }
  return isas;
}

// C (m x n, row stride n + 5, padding 7) under the given kernel.
torch::Tensor GemmWith(GemmIsa isa, int64_t m, int64_t n, int64_t k, const torch::Tensor& a,
                       const torch::Tensor& b) {
  auto c = torch::full({m, n + 5}, 7.0f);
  const GemmIsa previous = unet_cpu::ForceGemmIsaForTesting(isa);
  unet_cpu::Gemm(m, n, k, a.data_ptr<float>(), a.size(1), b.data_ptr<float>(), n,
                 c.data_ptr<float>(), n + 5);
  unet_cpu::ForceGemmIsaForTesting(previous);
  return c;
}

// Up to kFewRowsGemmMaxRows rows Gemm runs the few-row kernel, above it
// TiledGemm's packed tiles: both must be the same chain, element by element.
TEST(UnetCpuOps, GemmIsOneFmaChainPerElementOnAvx2AndAvx512AtAnyRowCount) {
  const auto isas = SupportedFewRowKernels();
  if (isas.empty()) GTEST_SKIP() << "no AVX2+FMA on this CPU: Gemm always calls BLAS";
  torch::Generator gen = at::detail::createCPUGenerator(8);
  int checked = 0;
  for (int64_t m : {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 31, 64, 65, 71, 203}) {
    for (int64_t n : {1, 2, 7, 8, 15, 16, 17, 33, 64, 100, 256}) {
      for (int64_t k : {1, 5, 64, 320}) {
        if (m * n * k > 400000 && !(m >= 64 && n == 256)) continue;  // keeps it quick
        const auto a = torch::randn({m, k + 3}, gen);  // lda > k
        const auto b = torch::randn({k, n}, gen);
        const auto chain = FmaChainReference(m, n, k, a.data_ptr<float>(), k + 3,
                                             b.data_ptr<float>(), n);
        const auto expected = torch::from_blob(const_cast<float*>(chain.data()), {m, n});
        const auto exact = a.narrow(1, 0, k).to(torch::kFloat64).mm(b.to(torch::kFloat64));
        for (GemmIsa isa : isas) {
          const auto c = GemmWith(isa, m, n, k, a, b);
          const std::string label = std::string(isa == GemmIsa::kAvx512 ? "AVX-512 " : "AVX2 ") +
                                    std::to_string(m) + "x" + std::to_string(n) + "x" +
                                    std::to_string(k);
          EXPECT_TRUE(torch::equal(c.narrow(1, 0, n), expected)) << label;
          EXPECT_LT((c.narrow(1, 0, n).to(torch::kFloat64) - exact).abs().max().item<double>(),
                    1e-5 * std::sqrt(static_cast<double>(k)) *
                        (1 + exact.abs().max().item<double>()))
              << label;
          EXPECT_TRUE(torch::all(c.narrow(1, n, 5) == 7.0f).item<bool>()) << label << " padding";
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(UnetCpuOps, AGemmRowDoesNotDependOnTheRowsBesideIt) {
  if (SupportedFewRowKernels().empty()) GTEST_SKIP() << "no few-row kernel on this CPU";
  torch::Generator gen = at::detail::createCPUGenerator(9);
  const int64_t n = 100, k = 77, rows = 300;  // the whole runs TiledGemm, the parts both kernels
  const auto a = torch::randn({rows, k}, gen);
  const auto b = torch::randn({k, n}, gen);
  for (GemmIsa isa : SupportedFewRowKernels()) {
    const auto whole = GemmWith(isa, rows, n, k, a, b);
    for (int64_t m : {1, 3, 6, 13, 40, 64, 65, 130}) {
      for (int64_t first : {int64_t{0}, rows - m, int64_t{37}}) {
        const auto part = GemmWith(isa, m, n, k, a.narrow(0, first, m).contiguous(), b);
        EXPECT_TRUE(torch::equal(part, whole.narrow(0, first, m)))
            << "rows " << first << ".." << first + m;
      }
    }
  }
}

// GemmWeight packs the tiles' panels once; Gemm with it must give the bits of
// Gemm with the plain matrix, at every row count (few-row kernel, tiles) and
// also when the kernels in use changed after the packing (BLAS forced: the
// panels must be ignored).
TEST(UnetCpuOps, AWeightPackedOnceGivesTheBitsOfPackingOnEveryCall) {
  std::vector<GemmIsa> isas = SupportedFewRowKernels();
  isas.push_back(GemmIsa::kBlasOnly);
  torch::Generator gen = at::detail::createCPUGenerator(10);
  int checked = 0;
  for (int64_t m : {1, 16, 64, 65, 200, 801}) {
    for (int64_t n : {7, 64, 100}) {
      const int64_t k = 5 * 48;
      const auto a = torch::randn({m, k + 3}, gen);
      const auto b = torch::randn({k, n}, gen);
      for (GemmIsa packed_for : isas) {
        const GemmIsa previous = unet_cpu::ForceGemmIsaForTesting(packed_for);
        const unet_cpu::GemmWeight weight(
            k, n, std::vector<float>(b.data_ptr<float>(), b.data_ptr<float>() + k * n));
        unet_cpu::ForceGemmIsaForTesting(previous);
        for (GemmIsa run_with : isas) {
          const auto expected = GemmWith(run_with, m, n, k, a, b);
          auto c = torch::full({m, n + 5}, 7.0f);
          const GemmIsa before = unet_cpu::ForceGemmIsaForTesting(run_with);
          unet_cpu::Gemm(m, a.data_ptr<float>(), k + 3, weight, c.data_ptr<float>(), n + 5);
          unet_cpu::ForceGemmIsaForTesting(before);
          EXPECT_TRUE(torch::equal(c, expected))
              << m << "x" << n << "x" << k << " packed for " << static_cast<int>(packed_for)
              << ", run with " << static_cast<int>(run_with);
          ++checked;
        }
      }
    }
  }
  EXPECT_GE(checked, 18);
}

TEST(UnetCpuOps, ForcingAKernelTheCpuLacksThrows) {
  EXPECT_NO_THROW(unet_cpu::ForceGemmIsaForTesting(unet_cpu::GemmIsaInUse()));
  if (!unet_cpu::CpuSupports(GemmIsa::kAvx512)) {
    EXPECT_THROW(unet_cpu::ForceGemmIsaForTesting(GemmIsa::kAvx512), std::invalid_argument);
  }
}

}  // namespace
}  // namespace bcbench
