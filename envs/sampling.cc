#include "envs/sampling.h"

#include <cmath>

namespace bcbench {

double Uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
}

double UniformIn(std::mt19937_64& rng, double low, double high) {
  return low + (high - low) * Uniform01(rng);
}

double StandardNormal(std::mt19937_64& rng) {
  const double u1 = 1.0 - Uniform01(rng);  // (0, 1]: log is finite
  const double u2 = Uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * 3.14159265358979323846 * u2);
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

LegacyNumpyRandom::LegacyNumpyRandom(uint64_t seed)
    : mt_(static_cast<uint32_t>(seed ^ (seed >> 32))) {}

int64_t LegacyNumpyRandom::RandInt(int64_t low, int64_t high) {
  const uint64_t range = static_cast<uint64_t>(high - low - 1);  // inclusive span
  if (high - low <= 1) return low;
  uint64_t mask = range;
  for (int shift = 1; shift < 64; shift <<= 1) mask |= mask >> shift;
  uint64_t value = 0;
  do {
    value = static_cast<uint64_t>(mt_()) & mask;
  } while (value > range);
  return low + static_cast<int64_t>(value);
}

double LegacyNumpyRandom::RandomSample() {
  const uint32_t a = mt_() >> 5;
  const uint32_t b = mt_() >> 6;
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

double LegacyNumpyRandom::Randn() {
  if (has_gauss_) {
    has_gauss_ = false;
    return gauss_;
  }
  double x1 = 0.0, x2 = 0.0, r2 = 0.0;
  do {
    x1 = 2.0 * RandomSample() - 1.0;
    x2 = 2.0 * RandomSample() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

}  // namespace bcbench
