#include "policies/torch_runtime.h"

#include "policies/blas_runtime.h"

#include <stdexcept>
#include <thread>

#include <torch/torch.h>
#include <torch/version.h>

namespace bcbench {

int ConfigureTorchThreads(int threads) {
  EnsureBlasKernel();  // before the first GEMM: OpenBLAS may need its kernel re-selected
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  return torch::get_num_threads();
}

int TorchThreads() { return torch::get_num_threads(); }

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
