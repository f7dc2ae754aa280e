// The GEMM kernels under the sampler compute every element as one FMA chain
// over k, whatever the rows beside it and on AVX2 as on AVX-512.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/diffusion/unet_cpu_ops.h"

namespace bcbench {
namespace {

using unet_cpu::GemmIsa;

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

TEST(UnetCpuOps, FewRowGemmIsOneFmaChainPerElementOnAvx2AndAvx512) {
  const auto isas = SupportedFewRowKernels();
  if (isas.empty()) GTEST_SKIP() << "no AVX2+FMA on this CPU: Gemm always calls BLAS";
  torch::Generator gen = at::detail::createCPUGenerator(8);
  int checked = 0;
  for (int64_t m : {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 31, 64}) {
    for (int64_t n : {1, 2, 7, 8, 15, 16, 17, 33, 64, 100, 256}) {
      for (int64_t k : {1, 5, 64, 320}) {
        if (m * n * k > 400000 && !(m == 64 && n == 256)) continue;  // keeps it quick
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
  const int64_t n = 100, k = 77;
  const auto a = torch::randn({64, k}, gen);
  const auto b = torch::randn({k, n}, gen);
  for (GemmIsa isa : SupportedFewRowKernels()) {
    const auto whole = GemmWith(isa, 64, n, k, a, b);
    for (int64_t m : {1, 3, 6, 13, 40}) {
      for (int64_t first : {int64_t{0}, 64 - m}) {
        const auto part = GemmWith(isa, m, n, k, a.narrow(0, first, m).contiguous(), b);
        EXPECT_TRUE(torch::equal(part, whole.narrow(0, first, m)))
            << "rows " << first << ".." << first + m;
      }
    }
  }
}

TEST(UnetCpuOps, ForcingAKernelTheCpuLacksThrows) {
  EXPECT_NO_THROW(unet_cpu::ForceGemmIsaForTesting(unet_cpu::GemmIsaInUse()));
  if (!unet_cpu::CpuSupports(GemmIsa::kAvx512)) {
    EXPECT_THROW(unet_cpu::ForceGemmIsaForTesting(GemmIsa::kAvx512), std::invalid_argument);
  }
}

}  // namespace
}  // namespace bcbench
