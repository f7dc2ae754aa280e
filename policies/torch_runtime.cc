#include "policies/torch_runtime.h"

#include "policies/blas_runtime.h"

#include <malloc.h>

#include <stdexcept>
#include <thread>

#include <torch/torch.h>
#include <torch/version.h>

namespace bcbench {

int ConfigureTorchThreads(int threads) {
  EnsureBlasKernel();  // before the first GEMM: OpenBLAS may need its kernel re-selected
  // A training step frees and re-allocates the same large activation
  // buffers (4-20 MB) every step. glibc serves blocks that size with mmap
  // and unmaps them on free, so each step page-faulted (and zeroed) them
  // back in; keeping them in the heap avoids that.
  static const bool malloc_tuned = [] {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)malloc_tuned;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  return torch::get_num_threads();
}

int TorchThreads() { return torch::get_num_threads(); }

TorchThreadsScope::TorchThreadsScope(int threads) : saved_(torch::get_num_threads()) {
  if (threads > 0) torch::set_num_threads(threads);
}

TorchThreadsScope::~TorchThreadsScope() { torch::set_num_threads(saved_); }

std::string CheckDevice(const std::string& device) {
  if (device == "cpu") return device;
  if (device == "cuda") {
    if (!torch::cuda::is_available()) {
      throw std::invalid_argument(
          "--device cuda: no CUDA device available to this LibTorch build; use --device cpu or "
          "build against a CUDA LibTorch (see README)");
    }
    return device;
  }
  throw std::invalid_argument("--device must be cpu or cuda, not '" + device + "'");
}

std::string TorchVersion() { return TORCH_VERSION; }

}  // namespace bcbench
