// Random numbers for env resets and scripted experts that are the same on every
// platform (std::uniform_real_distribution and std::normal_distribution are
// not specified bit for bit).
#pragma once

#include <cstdint>
#include <random>

namespace bcbench {

// Uniform double in [0, 1) from the top 53 bits of one 64-bit draw.
double Uniform01(std::mt19937_64& rng);
// Uniform double in [low, high).
double UniformIn(std::mt19937_64& rng, double low, double high);
// Standard normal by Box-Muller from two Uniform01 draws.
double StandardNormal(std::mt19937_64& rng);
// SplitMix64's output function: spreads a seed (xor a per-user tag) over all
// 64 bits, so that an env and its expert seeded from the same episode seed
// draw from unrelated streams.
uint64_t SplitMix64(uint64_t x);

// numpy's legacy generator, np.random.RandomState(seed), for the draws the
// original Push-T makes in its reset: a 32-bit Mersenne Twister seeded by
// init_genrand(seed) (std::mt19937 does the same), randint by masked rejection
// on 32-bit draws, random_sample as (a >> 5, b >> 6) over 2^53, randn by the
// polar method with the second value kept for the next call. Written from
// numpy's published algorithm (no numpy on the build machine); it reproduces
// numpy's widely quoted seed-0 values (tests/envs/sampling_test.cc), the
// whole reset sequence was not compared with numpy. Seeds above 2^32 - 1
// (numpy rejects them) are folded to 32 bits by xor of their halves.
class LegacyNumpyRandom {
 public:
  explicit LegacyNumpyRandom(uint64_t seed);
  // Integer in [low, high), as RandomState.randint(low, high).
  int64_t RandInt(int64_t low, int64_t high);
  // [0, 1), as RandomState.random_sample().
  double RandomSample();
  // Standard normal, as RandomState.randn().
  double Randn();

 private:
  std::mt19937 mt_;
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

}  // namespace bcbench
