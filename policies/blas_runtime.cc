#include "policies/blas_runtime.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace bcbench {
namespace {

// OpenBLAS's entry points, looked up in the running process: LibTorch links
// whatever libblas.so.3 the system selected, so OpenBLAS may not be there.
template <typename F>
F Symbol(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}
using NameFn = char* (*)();
using VoidFn = void (*)();

std::string CpuSimd() {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  // libgcc's checks include the OS's register-state support (XCR0), as OpenBLAS's do.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return "avx512";
  if (__builtin_cpu_supports("avx2")) return "avx2";
  if (__builtin_cpu_supports("avx")) return "avx";
  return "sse";
#else
  return "";  // not x86: OpenBLAS's x86 kernel names do not apply
#endif
}

// OpenBLAS x86-64 cores with AVX2 (or wider) GEMM kernels.
bool HasAvx2Kernels(const std::string& core) {
  static const std::set<std::string> kCores = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                               "SapphireRapids"};
  return kCores.count(core) > 0;
}

// A name no OpenBLAS core has: gotoblas_dynamic_init then selects by CPU features.
constexpr const char* kSelectByFeatures = "bcbench-select-by-cpu-features";

}  // namespace

BlasKernel InspectBlasKernel() {
  BlasKernel k;
  const auto corename = Symbol<NameFn>("openblas_get_corename");
  const auto config = Symbol<NameFn>("openblas_get_config");
  k.cpu_simd = CpuSimd();
  if (const char* forced = std::getenv("OPENBLAS_CORETYPE")) k.forced_by_env = forced;
  if (corename == nullptr || config == nullptr) return k;
  k.openblas = true;
  k.config = config();
  k.core = corename();
  k.detected_core = k.core;
  const bool wide_cpu = k.cpu_simd == "avx2" || k.cpu_simd == "avx512";
  k.generic = wide_cpu && !HasAvx2Kernels(k.core);
  return k;
}

BlasKernel InspectAndRepairBlasKernel() {
  BlasKernel k = InspectBlasKernel();
  if (!k.generic || !k.forced_by_env.empty()) return k;  // fine, or the user's explicit choice
  const auto quit = Symbol<VoidFn>("gotoblas_dynamic_quit");
  const auto init = Symbol<VoidFn>("gotoblas_dynamic_init");
  if (quit == nullptr || init == nullptr) return k;  // not a DYNAMIC_ARCH build: nothing to redo
  // Re-run OpenBLAS's own core selection through its feature test. It reads
  // OPENBLAS_CORETYPE only inside this call, so the variable is set around it.
  setenv("OPENBLAS_CORETYPE", kSelectByFeatures, 1);
  quit();
  init();
  unsetenv("OPENBLAS_CORETYPE");
  BlasKernel after = InspectBlasKernel();
  after.detected_core = k.core;
  after.repaired = after.core != k.core;
  return after;
}

const BlasKernel& EnsureBlasKernel() {
  static std::once_flag once;
  static BlasKernel kernel;
  std::call_once(once, [] {
    kernel = InspectAndRepairBlasKernel();
    if (kernel.repaired) {
      spdlog::info("OpenBLAS had picked its generic '{}' kernel on this {} CPU; re-selected by CPU "
                   "features: now '{}'",
                   kernel.detected_core, kernel.cpu_simd, kernel.core);
    }
  });
  return kernel;
}

std::string DescribeBlasKernel(const BlasKernel& k) {
  if (!k.openblas) return fmt::format("not OpenBLAS (CPU {})", k.cpu_simd);
  std::string version = k.config.substr(0, k.config.find(' ', k.config.find(' ') + 1));
  std::string text = fmt::format("{} ({}, CPU {}", k.core, version, k.cpu_simd);
  if (!k.forced_by_env.empty()) text += ", forced by OPENBLAS_CORETYPE=" + k.forced_by_env;
  if (k.repaired) text += ", re-selected from the start-up choice " + k.detected_core;
  return text + ")";
}

bool WarnIfGenericBlas(const BlasKernel& k) {
  if (!k.generic) return false;
  spdlog::warn("!!! BLAS runs OpenBLAS's generic '{}' kernel on a CPU with {} !!!", k.core,
               k.cpu_simd);
  spdlog::warn("!!! every GEMM (training, evaluation) runs several times slower than this "
               "machine can !!!");
  if (!k.forced_by_env.empty()) {
    spdlog::warn("!!! OPENBLAS_CORETYPE={} forces it: unset it (or name a core such as Haswell "
                 "or SkylakeX) and rerun !!!",
                 k.forced_by_env);
  } else {
    spdlog::warn("!!! re-selecting by CPU features did not help ({}); set OPENBLAS_CORETYPE to "
                 "Haswell (AVX2) or SkylakeX (AVX-512) and rerun !!!",
                 k.config);
  }
  return true;
}

}  // namespace bcbench
