// LibTorch process settings every command shares: intra-op threads (LibTorch
// defaults to 1 on these machines even with more cores) and the device.
#pragma once

#include <string>

namespace bcbench {

// threads <= 0 means all cores. Also makes sure OpenBLAS runs a kernel fit for
// this CPU (EnsureBlasKernel in blas_runtime.h), once per process.
// Returns the count LibTorch reports afterwards.
int ConfigureTorchThreads(int threads);
int TorchThreads();

// Sets LibTorch's thread count for a scope and restores the previous one.
class TorchThreadsScope {
 public:
  explicit TorchThreadsScope(int threads);  // <= 0: keep the current count
  ~TorchThreadsScope();
  TorchThreadsScope(const TorchThreadsScope&) = delete;
  TorchThreadsScope& operator=(const TorchThreadsScope&) = delete;

 private:
  int saved_;
};
// "cpu" or "cuda"; throws std::invalid_argument when cuda is asked for but the
// LibTorch this binary was built against has no CUDA device available.
std::string CheckDevice(const std::string& device);
std::string TorchVersion();

}  // namespace bcbench
