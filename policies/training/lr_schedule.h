// Learning rate over training: linear warm-up from 0 to the base rate over
// `warmup` steps, then a half cosine down to 0 at `total` steps (SPEC 5).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace bcbench {

inline double CosineWithWarmup(int64_t step, int64_t total, int64_t warmup, double base_lr) {
  if (warmup > 0 && step < warmup) return base_lr * static_cast<double>(step) / warmup;
  const double span = std::max<int64_t>(1, total - warmup);
  const double progress = std::clamp(static_cast<double>(step - warmup) / span, 0.0, 1.0);
  return base_lr * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace bcbench
