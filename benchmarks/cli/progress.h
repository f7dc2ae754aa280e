// A progress line for long work (demos, training, suites): count, rate and
// ETA, at most once a second, through spdlog so --log-level silences it.
#pragma once

#include <chrono>
#include <string>

#include <spdlog/spdlog.h>

namespace bcbench {

class Progress {
 public:
  Progress(std::string what, size_t total)
      : what_(std::move(what)), total_(total), start_(Clock::now()), last_(start_) {}

  // Reports `done` units finished; `extra` is appended to the line.
  void Update(size_t done, const std::string& extra = "") {
    const auto now = Clock::now();
    if (done < total_ && now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
    spdlog::info("{} {}/{} ({:.0f}%)  {:.2f}/s  elapsed {:.0f}s  ETA {:.0f}s{}{}", what_, done,
                 total_, 100.0 * static_cast<double>(done) / static_cast<double>(total_), rate,
                 elapsed, eta, extra.empty() ? "" : "  ", extra);
  }

  double Elapsed() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::string what_;
  size_t total_;
  Clock::time_point start_, last_;
};

}  // namespace bcbench
