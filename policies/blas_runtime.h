// Which BLAS kernel LibTorch's GEMMs really run on, and a repair for the
// case where OpenBLAS picked its generic one on a CPU with AVX2 or AVX-512.
//
// Why a repair is needed: OpenBLAS's DYNAMIC_ARCH build (Debian's
// libopenblas0-* 0.3.21) chooses its kernels once, in a library constructor,
// from a table of CPU family/model numbers. A CPU that table does not know
// lands in a branch that returns the generic SSE3 "Prescott" kernel instead
// of falling through to the feature test that follows (in 0.3.21 the Intel
// family-6 switch falls through into the family-15 case, which returns
// Prescott; newer Intel server parts such as model 0xCF take that path).
// That costs 5-8x on every GEMM. OpenBLAS 0.3.21 also has a selection by
// CPU features (AVX-512 BF16 -> Cooperlake, AVX-512 -> SkylakeX, AVX2 ->
// Haswell, AVX -> Sandybridge), which it uses when OPENBLAS_CORETYPE names no
// core it knows. The repair re-runs OpenBLAS's own initialisation through
// that path (its exported gotoblas_dynamic_quit/gotoblas_dynamic_init), so
// the choice stays OpenBLAS's, made from the CPU's features; bcbench keeps
// no table of CPUs. A user who sets OPENBLAS_CORETYPE keeps that choice.
#pragma once

#include <string>

namespace bcbench {

struct BlasKernel {
  bool openblas = false;       // false: some other BLAS (MKL, reference); nothing to check
  std::string config;          // openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ..."
  std::string core;            // the kernel now in use, e.g. "Haswell", "SkylakeX", "Prescott"
  std::string cpu_simd;        // the widest vector ISA the CPU and OS offer: avx512, avx2, avx, sse
  std::string forced_by_env;   // OPENBLAS_CORETYPE as the user set it ("" when unset)
  std::string detected_core;   // what OpenBLAS picked at start-up, before any repair
  bool repaired = false;       // the start-up choice was generic and was re-selected
  // The core has no AVX2 kernels although the CPU has AVX2 (or AVX-512):
  // GEMMs run several times below the machine's rate.
  bool generic = false;
};

// Checks the kernel OpenBLAS chose and, if it is generic on a CPU with AVX2
// and the user did not force a core, re-selects it by CPU features. Runs
// once per process (later calls return the first result); call it before
// the first GEMM. ConfigureTorchThreads calls it.
const BlasKernel& EnsureBlasKernel();

// The check and repair without the once-per-process cache (tests drive it).
BlasKernel InspectAndRepairBlasKernel();

// Reads the state without changing anything.
BlasKernel InspectBlasKernel();

// One line for logs and tables: "Haswell (OpenBLAS 0.3.21, CPU avx512, forced by
// OPENBLAS_CORETYPE=Haswell)".
std::string DescribeBlasKernel(const BlasKernel& kernel);

// Logs a loud warning (several lines, with the fix) when kernel.generic.
// Returns whether it warned.
bool WarnIfGenericBlas(const BlasKernel& kernel);

}  // namespace bcbench
