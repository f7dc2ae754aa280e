// OpenBLAS must run a kernel fit for the CPU (issue: Debian's 0.3.21 picks
// its generic "Prescott" kernel on CPUs its model table does not know).
#include "policies/blas_runtime.h"

#include <dlfcn.h>

#include <cstdlib>
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace bcbench {
namespace {

using VoidFn = void (*)();

// Re-runs OpenBLAS's start-up selection with OPENBLAS_CORETYPE = `core`
// (unset when empty), leaving the variable as it was before.
class OpenBlasCoreOverride {
 public:
  OpenBlasCoreOverride() {
    if (const char* v = std::getenv("OPENBLAS_CORETYPE")) saved_ = std::string(v);
  }
  ~OpenBlasCoreOverride() {
    Select(saved_.value_or(""));
    if (saved_) setenv("OPENBLAS_CORETYPE", saved_->c_str(), 1);
  }
  OpenBlasCoreOverride(const OpenBlasCoreOverride&) = delete;
  OpenBlasCoreOverride& operator=(const OpenBlasCoreOverride&) = delete;

  static void Select(const std::string& core) {
    const auto quit = reinterpret_cast<VoidFn>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit"));
    const auto init = reinterpret_cast<VoidFn>(dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init"));
    ASSERT_NE(quit, nullptr);
    ASSERT_NE(init, nullptr);
    if (core.empty()) {
      unsetenv("OPENBLAS_CORETYPE");
    } else {
      setenv("OPENBLAS_CORETYPE", core.c_str(), 1);
    }
    quit();
    init();
  }

 private:
  std::optional<std::string> saved_;
};

void SkipUnlessOpenBlasOnAvx2(const BlasKernel& k) {
  if (!k.openblas) GTEST_SKIP() << "LibTorch's BLAS here is not OpenBLAS: nothing to check";
  if (k.cpu_simd != "avx2" && k.cpu_simd != "avx512") {
    GTEST_SKIP() << "this CPU has no AVX2 (" << k.cpu_simd << "): the generic kernel is its best";
  }
  if (dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init") == nullptr) {
    GTEST_SKIP() << "OpenBLAS without DYNAMIC_ARCH: its kernel is fixed at build time";
  }
}

// Largest |torch::mm - float64 reference| over shapes the UNet uses.
double WorstGemmError() {
  torch::manual_seed(3);
  double worst = 0;
  for (const auto& s : std::vector<std::array<int64_t, 3>>{{7, 320, 64}, {512, 1280, 256}}) {
    const auto a = torch::rand({s[0], s[1]}) - 0.5;
    const auto b = torch::rand({s[1], s[2]}) - 0.5;
    const auto ref = torch::mm(a.to(torch::kFloat64), b.to(torch::kFloat64));
    worst = std::max(worst, (torch::mm(a, b).to(torch::kFloat64) - ref).abs().max().item<double>());
  }
  return worst;
}

TEST(BlasRuntime, ThisProcessRunsNoGenericKernelOnACpuWithAvx2) {
  const BlasKernel& k = EnsureBlasKernel();
  SkipUnlessOpenBlasOnAvx2(k);
  EXPECT_FALSE(k.generic) << DescribeBlasKernel(k);
  EXPECT_NE(k.core, "Prescott") << DescribeBlasKernel(k);
}

TEST(BlasRuntime, AGenericStartUpChoiceIsReselectedByCpuFeatures) {
  SkipUnlessOpenBlasOnAvx2(EnsureBlasKernel());
  OpenBlasCoreOverride restore;
  // The state the bug leaves: Prescott chosen, no OPENBLAS_CORETYPE set.
  OpenBlasCoreOverride::Select("Prescott");
  unsetenv("OPENBLAS_CORETYPE");
  ASSERT_TRUE(InspectBlasKernel().generic);

  const BlasKernel k = InspectAndRepairBlasKernel();
  EXPECT_TRUE(k.repaired) << DescribeBlasKernel(k);
  EXPECT_EQ(k.detected_core, "Prescott");
  EXPECT_FALSE(k.generic) << DescribeBlasKernel(k);
  EXPECT_EQ(std::getenv("OPENBLAS_CORETYPE"), nullptr) << "the repair must not leave its marker";
  EXPECT_LT(WorstGemmError(), 1e-3) << "the re-selected kernel computes wrong products";
}

TEST(BlasRuntime, ACoreTheUserForcedIsKeptAndWarnedAbout) {
  SkipUnlessOpenBlasOnAvx2(EnsureBlasKernel());
  OpenBlasCoreOverride restore;
  OpenBlasCoreOverride::Select("Prescott");  // leaves OPENBLAS_CORETYPE=Prescott set
  const BlasKernel k = InspectAndRepairBlasKernel();
  EXPECT_FALSE(k.repaired);
  EXPECT_EQ(k.core, "Prescott");
  EXPECT_EQ(k.forced_by_env, "Prescott");
  EXPECT_TRUE(k.generic);
  EXPECT_TRUE(WarnIfGenericBlas(k));
  EXPECT_NE(DescribeBlasKernel(k).find("forced by OPENBLAS_CORETYPE=Prescott"), std::string::npos);
}

TEST(BlasRuntime, AKernelWithAvx2IsNotFlagged) {
  SkipUnlessOpenBlasOnAvx2(EnsureBlasKernel());
  OpenBlasCoreOverride restore;
  OpenBlasCoreOverride::Select("Haswell");
  const BlasKernel k = InspectAndRepairBlasKernel();
  EXPECT_EQ(k.core, "Haswell");
  EXPECT_FALSE(k.generic);
  EXPECT_FALSE(k.repaired);
  EXPECT_FALSE(WarnIfGenericBlas(k));
  EXPECT_LT(WorstGemmError(), 1e-3);
}

}  // namespace
}  // namespace bcbench
