#include "policies/diffusion/unet_cpu_ops.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <dlfcn.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define BCBENCH_X86 1
#else
#define BCBENCH_X86 0
#endif

#include <ATen/Parallel.h>

#include "policies/diffusion/unet_conv_kernels.h"

// The row loops below vectorise only if the compiler may evaluate both arms
// of a select (e.g. the Mish division above the identity threshold) without
// honouring FP traps; LibTorch's own kernels are built the same way.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

// On x86-64 the row kernels are compiled for AVX-512, for AVX2+FMA and for
// the baseline, and the loader picks one for the CPU it runs on.
#if BCBENCH_X86 && defined(__GNUC__) && !defined(__clang__)
#define BCBENCH_ROW_KERNEL \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define BCBENCH_ROW_KERNEL
#endif

namespace bcbench::unet_cpu {
namespace {

// --- Mish without libm ---
// e^x by range reduction (x = n ln2 + f, |f| <= ln2 / 2) and a degree-6
// polynomial: branch-free, so the row loops vectorise. Measured on one core
// of the 2-core dev machine: LibTorch 1.13's torch::mish 8.8 ns per element,
// MishForward 0.5; relative error < 1e-6 against double precision.
inline float FastExp(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  const float t = x * 1.44269504088896341f;
  const float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest (1.5 * 2^23)
  const float y = (t - n) * 0.693147180559945309f;
  const float p =
      1.0f +
      y * (1.0f + y * (0.5f + y * (1.0f / 6 + y * (1.0f / 24 + y * (1.0f / 120 + y * (1.0f / 720))))));
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

// mish(y) = y tanh(softplus(y)) = y q / (q + 2) with q = e^y (e^y + 2);
// mish'(y) = q / (q + 2) + 4 y e^y (1 + e^y) / (q + 2)^2. Above 20 both are
// the identity's to float precision (and q would overflow).
inline float Mish(float y) {
  const float e = FastExp(y < 20.0f ? y : 20.0f);
  const float q = e * (e + 2.0f);
  return y > 20.0f ? y : y * q / (q + 2.0f);
}

struct MishValueGrad {
  float value, grad;
};

inline MishValueGrad MishWithGrad(float y) {
  const float e = FastExp(y < 20.0f ? y : 20.0f);
  const float q = e * (e + 2.0f);
  const float inv = 1.0f / (q + 2.0f);
  const float tanh_softplus = q * inv;
  const bool identity = y > 20.0f;
  return {identity ? y : y * tanh_softplus,
          identity ? 1.0f : tanh_softplus + 4.0f * y * e * (1.0f + e) * inv * inv};
}

// Below this many floats per task, threads cost more than they save.
int64_t Grain(int64_t floats_per_item) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, floats_per_item));
}

constexpr double kNormEps = 1e-5;  // torch::nn::GroupNorm's default

int64_t FilmStride(const EpilogueArgs& p) {
  return p.film_stride > 0 ? p.film_stride : 2 * p.channels;
}

// Per-sample GroupNorm statistics of v = h + conv_bias over (length, group
// channels), and the per-channel affine that applies the normalisation:
// GroupNorm(v) * gamma + beta = h * a + k.
struct SampleNorm {
  std::vector<float> sum, channel_mean, channel_rstd, a, k;
  std::vector<double> group_mean, group_rstd;

  // Per-thread scratch, reused across calls (a batch-1 forward makes ~30).
  static SampleNorm& For(const EpilogueArgs& p) {
    thread_local SampleNorm norm;
    for (auto* v : {&norm.sum, &norm.channel_mean, &norm.channel_rstd, &norm.a, &norm.k}) {
      v->resize(static_cast<size_t>(p.channels));
    }
    norm.group_mean.resize(static_cast<size_t>(p.groups));
    norm.group_rstd.resize(static_cast<size_t>(p.groups));
    return norm;
  }

  void Compute(const EpilogueArgs& p, const float* hb) {
    const int64_t C = p.channels, L = p.length, group_size = C / p.groups;
    const double count = static_cast<double>(L * group_size);
    std::fill(sum.begin(), sum.end(), 0.0f);
    for (int64_t l = 0; l < L; ++l) {
      const float* row = hb + l * C;
      for (int64_t c = 0; c < C; ++c) sum[c] += row[c];
    }
    for (int64_t g = 0; g < p.groups; ++g) {
      double total = 0;
      for (int64_t c = g * group_size; c < (g + 1) * group_size; ++c) {
        total += sum[c] + static_cast<double>(L) * p.conv_bias[c];
      }
      group_mean[g] = total / count;
      for (int64_t c = g * group_size; c < (g + 1) * group_size; ++c) {
        channel_mean[c] = static_cast<float>(group_mean[g] - p.conv_bias[c]);  // in h units
      }
    }
    // Second pass over the (cache-resident) sample for a stable variance.
    std::fill(sum.begin(), sum.end(), 0.0f);
    for (int64_t l = 0; l < L; ++l) {
      const float* row = hb + l * C;
      for (int64_t c = 0; c < C; ++c) {
        const float d = row[c] - channel_mean[c];
        sum[c] += d * d;
      }
    }
    for (int64_t g = 0; g < p.groups; ++g) {
      double squares = 0;
      for (int64_t c = g * group_size; c < (g + 1) * group_size; ++c) squares += sum[c];
      group_rstd[g] = 1.0 / std::sqrt(squares / count + kNormEps);
      for (int64_t c = g * group_size; c < (g + 1) * group_size; ++c) {
        channel_rstd[c] = static_cast<float>(group_rstd[g]);
        a[c] = static_cast<float>(group_rstd[g] * p.gamma[c]);
        k[c] = static_cast<float>(p.beta[c] - channel_mean[c] * group_rstd[g] * p.gamma[c]);
      }
    }
  }

  // From saved statistics (backward).
  void Restore(const EpilogueArgs& p, const float* mean, const float* rstd) {
    const int64_t C = p.channels, group_size = C / p.groups;
    for (int64_t g = 0; g < p.groups; ++g) {
      group_mean[g] = mean[g];
      group_rstd[g] = rstd[g];
      for (int64_t c = g * group_size; c < (g + 1) * group_size; ++c) {
        channel_mean[c] = static_cast<float>(group_mean[g] - p.conv_bias[c]);
        channel_rstd[c] = rstd[g];
        a[c] = rstd[g] * p.gamma[c];
        k[c] = p.beta[c] - channel_mean[c] * rstd[g] * p.gamma[c];
      }
    }
  }
};

// One row of the forward epilogue. h and y may be the same row (the fast
// path normalises in place; each element is read before it is written), so
// only the other operands are restrict.
template <bool kFilm, bool kResidual>
BCBENCH_ROW_KERNEL void EpilogueRow(int64_t C, const float* h, float* y, const float* __restrict__ a,
                 const float* __restrict__ k, const float* __restrict__ scale,
                 const float* __restrict__ shift, const float* __restrict__ r) {
  for (int64_t c = 0; c < C; ++c) {
    float v = Mish(h[c] * a[c] + k[c]);
    if constexpr (kFilm) v = v * scale[c] + shift[c];
    if constexpr (kResidual) v += r[c];
    y[c] = v;
  }
}

template <bool kFilm, bool kResidual>
void EpilogueRows(const EpilogueArgs& p, const SampleNorm& norm, const float* hb, const float* film,
                  const float* residual, float* out) {
  const int64_t C = p.channels;
  for (int64_t l = 0; l < p.length; ++l) {
    EpilogueRow<kFilm, kResidual>(C, hb + l * C, out + l * C, norm.a.data(), norm.k.data(), film,
                                  kFilm ? film + C : nullptr,
                                  kResidual ? residual + l * C : nullptr);
  }
}

// Backward pass 1 over one row: back through FiLM and Mish to the
// normalised value x_hat. Row kernels take restrict parameters so the
// compiler knows the gradient buffers alias nothing it reads (restrict on
// locals is not enough for it) and vectorises them.
template <bool kFilm>
BCBENCH_ROW_KERNEL void BackwardRowToXhat(int64_t C, const float* __restrict__ h, const float* __restrict__ g,
                       float* __restrict__ gh, const float* __restrict__ a,
                       const float* __restrict__ k, const float* __restrict__ mean,
                       const float* __restrict__ rstd, const float* __restrict__ gamma,
                       const float* __restrict__ scale, float* __restrict__ d_scale,
                       float* __restrict__ d_shift, float* __restrict__ d_gamma,
                       float* __restrict__ d_beta, float* __restrict__ dxhat_sum,
                       float* __restrict__ dxhat_xhat_sum) {
  for (int64_t c = 0; c < C; ++c) {
    const auto mish = MishWithGrad(h[c] * a[c] + k[c]);
    float d = g[c];
    if constexpr (kFilm) {
      d_scale[c] += d * mish.value;
      d_shift[c] += d;
      d *= scale[c];
    }
    const float dy = d * mish.grad;
    const float xhat = (h[c] - mean[c]) * rstd[c];
    d_gamma[c] += dy * xhat;
    d_beta[c] += dy;
    const float dx = dy * gamma[c];
    dxhat_sum[c] += dx;
    dxhat_xhat_sum[c] += dx * xhat;
    gh[c] = dx;
  }
}

// Backward pass 2 over one row: dh = rstd (dx_hat - mean(dx_hat) - x_hat
// mean(dx_hat x_hat)), the means (over the group) given per channel.
BCBENCH_ROW_KERNEL void BackwardRowToInput(int64_t C, const float* __restrict__ h, float* __restrict__ gh,
                        const float* __restrict__ mean, const float* __restrict__ rstd,
                        const float* __restrict__ dxhat_mean,
                        const float* __restrict__ dxhat_xhat_mean, float* __restrict__ d_bias) {
  for (int64_t c = 0; c < C; ++c) {
    const float xhat = (h[c] - mean[c]) * rstd[c];
    const float dh = rstd[c] * (gh[c] - dxhat_mean[c] - xhat * dxhat_xhat_mean[c]);
    gh[c] = dh;
    d_bias[c] += dh;
  }
}

template <bool kFilm>
void EpilogueBackwardSample(const EpilogueArgs& p, const SampleNorm& norm, int64_t b,
                            const float* grad_out, const EpilogueGrads& grads,
                            std::vector<float>& dxhat_stat, std::vector<float>& dxhat_xhat_stat) {
  const int64_t C = p.channels, L = p.length, group_size = C / p.groups;
  const float* scale = kFilm ? p.film + b * FilmStride(p) : nullptr;
  float* d_scale = kFilm ? grads.film + b * 2 * C : nullptr;
  float* d_shift = kFilm ? d_scale + C : nullptr;
  float* d_gamma = grads.gamma + b * C;
  float* d_beta = grads.beta + b * C;
  float* d_bias = grads.conv_bias + b * C;
  float* s1 = dxhat_stat.data();
  float* s2 = dxhat_xhat_stat.data();
  std::fill(s1, s1 + C, 0.0f);
  std::fill(s2, s2 + C, 0.0f);
  std::fill(d_gamma, d_gamma + C, 0.0f);
  std::fill(d_beta, d_beta + C, 0.0f);
  std::fill(d_bias, d_bias + C, 0.0f);
  if constexpr (kFilm) {
    std::fill(d_scale, d_scale + 2 * C, 0.0f);
  }
  // Pass 1: gradients of gamma, beta, scale, shift; dL/dx_hat kept in grad_h.
  for (int64_t l = 0; l < L; ++l) {
    const int64_t row = (b * L + l) * C;
    BackwardRowToXhat<kFilm>(C, p.h + row, grad_out + row, grads.h + row, norm.a.data(),
                             norm.k.data(), norm.channel_mean.data(), norm.channel_rstd.data(),
                             p.gamma, scale, d_scale, d_shift, d_gamma, d_beta, s1, s2);
  }
  // Group means of dx_hat and dx_hat x_hat, spread back per channel.
  const double count = static_cast<double>(L * group_size);
  for (int64_t gr = 0; gr < p.groups; ++gr) {
    double t1 = 0, t2 = 0;
    for (int64_t c = gr * group_size; c < (gr + 1) * group_size; ++c) {
      t1 += s1[c];
      t2 += s2[c];
    }
    for (int64_t c = gr * group_size; c < (gr + 1) * group_size; ++c) {
      s1[c] = static_cast<float>(t1 / count);
      s2[c] = static_cast<float>(t2 / count);
    }
  }
  // Pass 2: through the normalisation.
  for (int64_t l = 0; l < L; ++l) {
    const int64_t row = (b * L + l) * C;
    BackwardRowToInput(C, p.h + row, grads.h + row, norm.channel_mean.data(),
                       norm.channel_rstd.data(), s1, s2, d_bias);
  }
}

// --- GEMM ---

// LibTorch's CPU build calls the Fortran sgemm_ of the system BLAS (OpenBLAS
// here), which it has already loaded; its own wrapper is not exported. We
// look the symbol up in the process instead of linking a BLAS ourselves, and
// fall back to torch::mm where there is none (a LibTorch with MKL inside).
using SgemmFn = void (*)(const char*, const char*, const int*, const int*, const int*,
                         const float*, const float*, const int*, const float*, const int*,
                         const float*, float*, const int*);

SgemmFn Sgemm() {
  static const SgemmFn fn = reinterpret_cast<SgemmFn>(dlsym(RTLD_DEFAULT, "sgemm_"));
  return fn;
}

#if BCBENCH_X86
// Few-row GEMM tiles: a tile of C stays in registers over all of k while
// each row of B is read once. Every element is one FMA chain over k from 0,
// whatever the tile (full, column tail under a mask, row remainder) and the
// vector width, so all tiles, and the AVX2 and AVX-512 kernels, give the
// same bits. Measured on one Zen 5 core: AVX-512 8 x 32 tiles ~220 GFLOP/s
// at 8-16 rows, 4 x 64 ~130-215 at 4 rows, where OpenBLAS reaches 40-80 (it
// packs all of B first) and auto-vectorised C++ 80-185.

// kRows x kVectors vectors of 16 columns; with kTail the last vector holds
// only the columns in `tail` (the others are neither read nor written).
template <int kRows, int kVectors, bool kTail>
__attribute__((target("avx512f"))) void TileAvx512(int64_t k, const float* a, int64_t lda,
                                                   const float* b, int64_t ldb, float* c,
                                                   int64_t ldc, __mmask16 tail) {
  constexpr int kLast = kVectors - 1;
  __m512 acc[kRows][kVectors];
  for (auto& row : acc) {
    for (auto& v : row) v = _mm512_setzero_ps();
  }
  for (int64_t i = 0; i < k; ++i) {
    const float* bi = b + i * ldb;
    __m512 bv[kVectors];
    for (int j = 0; j < kVectors; ++j) {
      bv[j] = kTail && j == kLast ? _mm512_maskz_loadu_ps(tail, bi + 16 * j)
                                  : _mm512_loadu_ps(bi + 16 * j);
    }
    for (int r = 0; r < kRows; ++r) {
      const __m512 ai = _mm512_set1_ps(a[r * lda + i]);
      for (int j = 0; j < kVectors; ++j) acc[r][j] = _mm512_fmadd_ps(ai, bv[j], acc[r][j]);
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int j = 0; j < kVectors; ++j) {
      if (kTail && j == kLast) {
        _mm512_mask_storeu_ps(c + r * ldc + 16 * j, tail, acc[r][j]);
      } else {
        _mm512_storeu_ps(c + r * ldc + 16 * j, acc[r][j]);
      }
    }
  }
}

// kRows rows of C, all n columns: kVectors-wide tiles, then 16 columns at
// a time, the last under a mask.
template <int kRows, int kVectors>
__attribute__((target("avx512f"))) void RowsAvx512(int64_t n, int64_t k, const float* a,
                                                   int64_t lda, const float* b, int64_t ldb,
                                                   float* c, int64_t ldc) {
  int64_t col = 0;
  for (; col + 16 * kVectors <= n; col += 16 * kVectors) {
    TileAvx512<kRows, kVectors, false>(k, a, lda, b + col, ldb, c + col, ldc, 0);
  }
  for (; col + 16 <= n; col += 16) {
    TileAvx512<kRows, 1, false>(k, a, lda, b + col, ldb, c + col, ldc, 0);
  }
  if (col < n) {
    const auto tail = static_cast<__mmask16>((1u << (n - col)) - 1);
    TileAvx512<kRows, 1, true>(k, a, lda, b + col, ldb, c + col, ldc, tail);
  }
}

// The same with 256-bit registers (16 of them): 4 x 16 tiles keep 8
// accumulators, enough to cover the FMA latency on two ports.
template <int kRows, int kVectors, bool kTail>
__attribute__((target("avx2,fma"))) void TileAvx2(int64_t k, const float* a, int64_t lda,
                                                  const float* b, int64_t ldb, float* c,
                                                  int64_t ldc, __m256i tail) {
  constexpr int kLast = kVectors - 1;
  __m256 acc[kRows][kVectors];
  for (auto& row : acc) {
    for (auto& v : row) v = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < k; ++i) {
    const float* bi = b + i * ldb;
    __m256 bv[kVectors];
    for (int j = 0; j < kVectors; ++j) {
      bv[j] = kTail && j == kLast ? _mm256_maskload_ps(bi + 8 * j, tail)
                                  : _mm256_loadu_ps(bi + 8 * j);
    }
    for (int r = 0; r < kRows; ++r) {
      const __m256 ai = _mm256_broadcast_ss(a + r * lda + i);
      for (int j = 0; j < kVectors; ++j) acc[r][j] = _mm256_fmadd_ps(ai, bv[j], acc[r][j]);
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int j = 0; j < kVectors; ++j) {
      if (kTail && j == kLast) {
        _mm256_maskstore_ps(c + r * ldc + 8 * j, tail, acc[r][j]);
      } else {
        _mm256_storeu_ps(c + r * ldc + 8 * j, acc[r][j]);
      }
    }
  }
}

template <int kRows, int kVectors>
__attribute__((target("avx2,fma"))) void RowsAvx2(int64_t n, int64_t k, const float* a,
                                                  int64_t lda, const float* b, int64_t ldb,
                                                  float* c, int64_t ldc) {
  int64_t col = 0;
  for (; col + 8 * kVectors <= n; col += 8 * kVectors) {
    TileAvx2<kRows, kVectors, false>(k, a, lda, b + col, ldb, c + col, ldc, __m256i{});
  }
  for (; col + 8 <= n; col += 8) {
    TileAvx2<kRows, 1, false>(k, a, lda, b + col, ldb, c + col, ldc, __m256i{});
  }
  if (col < n) {
    // Lanes below n - col get an all-ones mask word (their sign bit set).
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i tail =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n - col)), lanes);
    TileAvx2<kRows, 1, true>(k, a, lda, b + col, ldb, c + col, ldc, tail);
  }
}

// Row blocks of kBig rows, then one of kSmall rows, then the last rows one
// at a time; each block runs the row kernel `Rows<rows, vectors>`.
using RowKernel = void (*)(int64_t, int64_t, const float*, int64_t, const float*, int64_t, float*,
                           int64_t);

void SmallGemm(const RowKernel big, int64_t big_rows, const RowKernel small, int64_t small_rows,
               const RowKernel single, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
               const float* b, int64_t ldb, float* c, int64_t ldc) {
  int64_t row = 0;
  for (; row + big_rows <= m; row += big_rows)
    big(n, k, a + row * lda, lda, b, ldb, c + row * ldc, ldc);
  for (; row + small_rows <= m; row += small_rows) {
    small(n, k, a + row * lda, lda, b, ldb, c + row * ldc, ldc);
  }
  for (; row < m; ++row) single(n, k, a + row * lda, lda, b, ldb, c + row * ldc, ldc);
}

void SmallGemmAvx512(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                     const float* b, int64_t ldb, float* c, int64_t ldc) {
  SmallGemm(RowsAvx512<8, 2>, 8, RowsAvx512<4, 4>, 4, RowsAvx512<1, 4>, m, n, k, a, lda, b, ldb,
            c, ldc);
}

void SmallGemmAvx2(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                   int64_t ldb, float* c, int64_t ldc) {
  SmallGemm(RowsAvx2<4, 2>, 4, RowsAvx2<2, 4>, 2, RowsAvx2<1, 4>, m, n, k, a, lda, b, ldb, c,
            ldc);
}

GemmIsa DetectGemmIsa() {
  if (__builtin_cpu_supports("avx512f")) return GemmIsa::kAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return GemmIsa::kAvx2Fma;
  return GemmIsa::kBlasOnly;
}
#else
GemmIsa DetectGemmIsa() { return GemmIsa::kBlasOnly; }
#endif  // BCBENCH_X86

std::atomic<GemmIsa>& GemmIsaSetting() {
  static std::atomic<GemmIsa> isa{DetectGemmIsa()};
  return isa;
}

}  // namespace

GemmIsa GemmIsaInUse() { return GemmIsaSetting().load(std::memory_order_relaxed); }

bool CpuSupports(GemmIsa isa) {
  switch (isa) {
    case GemmIsa::kBlasOnly:
      return true;
    case GemmIsa::kAvx2Fma:
      return DetectGemmIsa() != GemmIsa::kBlasOnly;  // every AVX-512 CPU has AVX2 and FMA
    case GemmIsa::kAvx512:
      return DetectGemmIsa() == GemmIsa::kAvx512;
  }
  return false;
}

GemmIsa ForceGemmIsaForTesting(GemmIsa isa) {
  if (!CpuSupports(isa)) {
    throw std::invalid_argument("ForceGemmIsaForTesting: this CPU cannot run the requested kernel");
  }
  return GemmIsaSetting().exchange(isa);
}

namespace {

// The tiled kernels' instruction set when Gemm runs them (more than
// kFewRowsGemmMaxRows rows on an AVX2 or AVX-512 CPU), else none.
std::optional<ConvIsa> TiledIsaInUse() {
  switch (GemmIsaInUse()) {
    case GemmIsa::kAvx512:
      return ConvIsa::kAvx512;
    case GemmIsa::kAvx2Fma:
      return ConvIsa::kAvx2Fma;
    case GemmIsa::kBlasOnly:
      break;
  }
  return std::nullopt;
}

}  // namespace

GemmWeight::GemmWeight(int64_t k, int64_t n, std::vector<float> row_major)
    : k_(k), n_(n), b_(std::move(row_major)) {
  if (static_cast<int64_t>(b_.size()) != k * n) {
    throw std::invalid_argument("GemmWeight: the matrix does not have k * n elements");
  }
  if (const auto isa = TiledIsaInUse()) panels_ = PackTilePanels(*isa, k, n, b_.data(), n);
}

const TilePanels* GemmWeight::Panels(ConvIsa isa) const {
  return panels_ && panels_->isa == isa ? &*panels_ : nullptr;
}

void Gemm(int64_t m, const float* a, int64_t lda, const GemmWeight& b, float* c, int64_t ldc) {
  if (m > kFewRowsGemmMaxRows && b.n() > 0) {
    // A test may have switched the kernels since b was packed: then b's
    // panels do not apply and the plain Gemm packs them again.
    if (const auto isa = TiledIsaInUse()) {
      if (const TilePanels* panels = b.Panels(*isa)) {
        TiledGemm(*panels, m, a, lda, c, ldc);
        return;
      }
    }
  }
  Gemm(m, b.n(), b.k(), a, lda, b.data(), b.n(), c, ldc);
}

void Gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
          int64_t ldb, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
#if BCBENCH_X86
  if (m <= kFewRowsGemmMaxRows) {
    switch (GemmIsaInUse()) {
      case GemmIsa::kAvx512:
        SmallGemmAvx512(m, n, k, a, lda, b, ldb, c, ldc);
        return;
      case GemmIsa::kAvx2Fma:
        SmallGemmAvx2(m, n, k, a, lda, b, ldb, c, ldc);
        return;
      case GemmIsa::kBlasOnly:
        break;
    }
  } else if (GemmIsaInUse() != GemmIsa::kBlasOnly) {
    // More rows: packed tiles with the same per-element chain, so a row's
    // result still depends on that row alone.
    TiledGemm(*TiledIsaInUse(), m, n, k, a, lda, b, ldb, c, ldc);
    return;
  }
#endif
  if (const SgemmFn fn = Sgemm()) {
    // Column-major BLAS sees the transposes: C^T = B^T A^T.
    const int mi = static_cast<int>(m), ni = static_cast<int>(n), ki = static_cast<int>(k);
    const int lda_i = static_cast<int>(lda), ldb_i = static_cast<int>(ldb);
    const int ldc_i = static_cast<int>(ldc);
    const float alpha = 1.0f, beta = 0.0f;
    fn("N", "N", &ni, &mi, &ki, &alpha, b, &ldb_i, a, &lda_i, &beta, c, &ldc_i);
    return;
  }
  const auto A = torch::from_blob(const_cast<float*>(a), {m, k}, {lda, 1});
  const auto B = torch::from_blob(const_cast<float*>(b), {k, n}, {ldb, 1});
  torch::from_blob(c, {m, n}, {ldc, 1}).copy_(A.mm(B));
}

BCBENCH_ROW_KERNEL void MishForward(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = Mish(x[i]);
}

void Im2ColForward(const std::vector<RowBlock>& blocks, int64_t batch, int64_t length,
                   int64_t out_length, int64_t stride, const std::vector<int64_t>& offsets,
                   float* col) {
  int64_t channels = 0;
  for (const auto& block : blocks) channels += block.channels;
  const int64_t width = static_cast<int64_t>(offsets.size()) * channels;
  at::parallel_for(0, batch, Grain(out_length * width), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      float* dst = col + b * out_length * width;
      for (int64_t m = 0; m < out_length; ++m) {
        for (int64_t offset : offsets) {
          const int64_t l = m * stride + offset;
          const bool inside = l >= 0 && l < length;
          for (const auto& block : blocks) {
            const size_t bytes = sizeof(float) * static_cast<size_t>(block.channels);
            if (inside) {
              std::memcpy(dst, block.data + (b * length + l) * block.channels, bytes);
            } else {
              std::memset(dst, 0, bytes);
            }
            dst += block.channels;
          }
        }
      }
    }
  });
}

void EpilogueForward(const EpilogueArgs& p, float* out, float* mean, float* rstd) {
  const int64_t C = p.channels, L = p.length;
  at::parallel_for(0, p.batch, Grain(L * C), [&](int64_t begin, int64_t end) {
    SampleNorm& norm = SampleNorm::For(p);
    for (int64_t b = begin; b < end; ++b) {
      const float* hb = p.h + b * L * C;
      norm.Compute(p, hb);
      if (mean != nullptr) {
        for (int64_t g = 0; g < p.groups; ++g) {
          mean[b * p.groups + g] = static_cast<float>(norm.group_mean[g]);
          rstd[b * p.groups + g] = static_cast<float>(norm.group_rstd[g]);
        }
      }
      const float* film = p.film != nullptr ? p.film + b * FilmStride(p) : nullptr;
      const float* residual = p.residual != nullptr ? p.residual + b * L * C : nullptr;
      float* ob = out + b * L * C;
      if (film != nullptr && residual != nullptr) {
        EpilogueRows<true, true>(p, norm, hb, film, residual, ob);
      } else if (film != nullptr) {
        EpilogueRows<true, false>(p, norm, hb, film, residual, ob);
      } else if (residual != nullptr) {
        EpilogueRows<false, true>(p, norm, hb, film, residual, ob);
      } else {
        EpilogueRows<false, false>(p, norm, hb, film, residual, ob);
      }
    }
  });
}

void EpilogueBackward(const EpilogueArgs& p, const float* mean, const float* rstd,
                      const float* grad_out, const EpilogueGrads& grads) {
  at::parallel_for(0, p.batch, Grain(p.length * p.channels), [&](int64_t begin, int64_t end) {
    SampleNorm& norm = SampleNorm::For(p);
    std::vector<float> dxhat_sum(static_cast<size_t>(p.channels));
    std::vector<float> dxhat_xhat_sum(dxhat_sum.size());
    for (int64_t b = begin; b < end; ++b) {
      norm.Restore(p, mean + b * p.groups, rstd + b * p.groups);
      if (p.film != nullptr) {
        EpilogueBackwardSample<true>(p, norm, b, grad_out, grads, dxhat_sum, dxhat_xhat_sum);
      } else {
        EpilogueBackwardSample<false>(p, norm, b, grad_out, grads, dxhat_sum, dxhat_xhat_sum);
      }
    }
  });
}

// --- Autograd ---

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Custom functions in this LibTorch cannot take undefined tensors: an
// optional input travels as an empty tensor and is absent inside.
torch::Tensor Optional(const torch::Tensor& t, const torch::Tensor& like) {
  return t.defined() ? t.contiguous() : torch::empty({0}, like.options());
}
bool Present(const torch::Tensor& t) { return t.defined() && t.numel() > 0; }
torch::Tensor OrUndefined(const torch::Tensor& t) { return Present(t) ? t : torch::Tensor(); }

void CheckCpuFloat(const torch::Tensor& t, const char* what) {
  TORCH_CHECK(!t.defined() || (t.device().is_cpu() && t.scalar_type() == torch::kFloat32 &&
                               t.is_contiguous()),
              "unet_cpu: ", what, " must be a contiguous float32 CPU tensor");
}

BCBENCH_ROW_KERNEL void AddRow(int64_t n, const float* __restrict__ src, float* __restrict__ dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

class Im2ColFunction : public torch::autograd::Function<Im2ColFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& a,
                               const torch::Tensor& optional_b, int64_t length, int64_t out_length,
                               int64_t stride, const std::vector<int64_t>& offsets) {
    const auto b = OrUndefined(optional_b);
    CheckCpuFloat(a, "im2col input");
    CheckCpuFloat(b, "im2col input");
    const int64_t batch = a.size(0) / length;
    std::vector<RowBlock> blocks = {{a.data_ptr<float>(), a.size(1)}};
    if (b.defined()) blocks.push_back({b.data_ptr<float>(), b.size(1)});
    const int64_t channels = a.size(1) + (b.defined() ? b.size(1) : 0);
    auto col = torch::empty({batch * out_length, static_cast<int64_t>(offsets.size()) * channels},
                            a.options());
    Im2ColForward(blocks, batch, length, out_length, stride, offsets, col.data_ptr<float>());
    ctx->saved_data["length"] = length;
    ctx->saved_data["out_length"] = out_length;
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["offsets"] = offsets;
    ctx->saved_data["a_channels"] = a.size(1);
    ctx->saved_data["b_channels"] = b.defined() ? b.size(1) : int64_t{0};
    return col;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto grad_col = grad_outputs[0].contiguous();
    const int64_t length = ctx->saved_data["length"].toInt();
    const int64_t out_length = ctx->saved_data["out_length"].toInt();
    const int64_t stride = ctx->saved_data["stride"].toInt();
    const auto offsets = ctx->saved_data["offsets"].toIntVector();
    const int64_t ca = ctx->saved_data["a_channels"].toInt();
    const int64_t cb = ctx->saved_data["b_channels"].toInt();
    const int64_t batch = grad_col.size(0) / out_length;
    auto ga = torch::empty({batch * length, ca}, grad_col.options());
    auto gb = cb > 0 ? torch::empty({batch * length, cb}, grad_col.options()) : torch::Tensor();
    const int64_t taps = static_cast<int64_t>(offsets.size());
    const int64_t width = taps * (ca + cb);
    const float* src = grad_col.data_ptr<float>();
    float* da = ga.data_ptr<float>();
    float* db = cb > 0 ? gb.data_ptr<float>() : nullptr;
    // Gather rather than scatter: input row l sums the tap blocks of the
    // col rows m with m * stride + offset = l, so each gradient row is
    // written once (no zero fill, no read-modify-write per tap).
    at::parallel_for(0, batch, Grain(out_length * width), [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        for (int64_t l = 0; l < length; ++l) {
          float* ra = da + (b * length + l) * ca;
          float* rb = db != nullptr ? db + (b * length + l) * cb : nullptr;
          bool first = true;
          for (int64_t j = 0; j < taps; ++j) {
            const int64_t shifted = l - offsets[static_cast<size_t>(j)];
            if (shifted < 0 || shifted % stride != 0 || shifted / stride >= out_length) continue;
            const float* block = src + (b * out_length + shifted / stride) * width + j * (ca + cb);
            if (first) {
              std::memcpy(ra, block, sizeof(float) * static_cast<size_t>(ca));
              if (rb != nullptr) std::memcpy(rb, block + ca, sizeof(float) * static_cast<size_t>(cb));
              first = false;
            } else {
              AddRow(ca, block, ra);
              if (rb != nullptr) AddRow(cb, block + ca, rb);
            }
          }
          if (first) {  // no tap reads this row (stride > 1 can skip rows)
            std::fill(ra, ra + ca, 0.0f);
            if (rb != nullptr) std::fill(rb, rb + cb, 0.0f);
          }
        }
      }
    });
    return {ga, gb, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

EpilogueArgs MakeArgs(const torch::Tensor& h, const torch::Tensor& conv_bias,
                      const torch::Tensor& gamma, const torch::Tensor& beta,
                      const torch::Tensor& film, const torch::Tensor& residual, int64_t groups,
                      int64_t length) {
  EpilogueArgs p;
  p.h = h.data_ptr<float>();
  p.conv_bias = conv_bias.data_ptr<float>();
  p.gamma = gamma.data_ptr<float>();
  p.beta = beta.data_ptr<float>();
  p.film = film.defined() ? film.data_ptr<float>() : nullptr;
  p.residual = residual.defined() ? residual.data_ptr<float>() : nullptr;
  p.channels = h.size(1);
  p.length = length;
  p.batch = h.size(0) / length;
  p.groups = groups;
  return p;
}

class EpilogueFunction : public torch::autograd::Function<EpilogueFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& h,
                               const torch::Tensor& conv_bias, const torch::Tensor& gamma,
                               const torch::Tensor& beta, const torch::Tensor& optional_film,
                               const torch::Tensor& optional_residual, int64_t groups,
                               int64_t length) {
    const auto film = OrUndefined(optional_film);
    const auto residual = OrUndefined(optional_residual);
    for (const auto* t : {&h, &conv_bias, &gamma, &beta, &film, &residual}) {
      CheckCpuFloat(*t, "epilogue input");
    }
    const auto p = MakeArgs(h, conv_bias, gamma, beta, film, residual, groups, length);
    TORCH_CHECK(p.channels % groups == 0 && h.size(0) % length == 0, "epilogue: bad shape");
    auto out = torch::empty_like(h);
    auto mean = torch::empty({p.batch, groups}, h.options());
    auto rstd = torch::empty({p.batch, groups}, h.options());
    EpilogueForward(p, out.data_ptr<float>(), mean.data_ptr<float>(), rstd.data_ptr<float>());
    ctx->save_for_backward({h, conv_bias, gamma, beta, film, mean, rstd});
    ctx->saved_data["groups"] = groups;
    ctx->saved_data["length"] = length;
    ctx->saved_data["residual"] = residual.defined();
    return out;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& h = saved[0];
    const auto film = OrUndefined(saved[4]);
    const auto& mean = saved[5];
    const auto& rstd = saved[6];
    const int64_t groups = ctx->saved_data["groups"].toInt();
    const int64_t length = ctx->saved_data["length"].toInt();
    const auto grad_out = grad_outputs[0].contiguous();
    const auto p = MakeArgs(h, saved[1], saved[2], saved[3], film, torch::Tensor(), groups, length);
    auto grad_h = torch::empty_like(h);
    auto per_sample = torch::empty({3, p.batch, p.channels}, h.options());
    auto grad_film = film.defined() ? torch::empty_like(film) : torch::Tensor();
    EpilogueGrads grads;
    grads.h = grad_h.data_ptr<float>();
    grads.conv_bias = per_sample[0].data_ptr<float>();
    grads.gamma = per_sample[1].data_ptr<float>();
    grads.beta = per_sample[2].data_ptr<float>();
    grads.film = film.defined() ? grad_film.data_ptr<float>() : nullptr;
    EpilogueBackward(p, mean.data_ptr<float>(), rstd.data_ptr<float>(), grad_out.data_ptr<float>(),
                     grads);
    const auto sums = per_sample.sum(1);
    const bool residual = ctx->saved_data["residual"].toBool();
    return {grad_h,   sums[0],   sums[1], sums[2], grad_film, residual ? grad_out : torch::Tensor(),
            torch::Tensor(), torch::Tensor()};
  }
};

// im2col(a, b) w by the indirect kernels; a, b, w are saved, not the im2col.
class ConvRowsFunction : public torch::autograd::Function<ConvRowsFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& a,
                               const torch::Tensor& optional_b, const torch::Tensor& w,
                               int64_t length, int64_t out_length, int64_t stride,
                               const std::vector<int64_t>& offsets) {
    const auto b = OrUndefined(optional_b);
    CheckCpuFloat(a, "conv input");
    CheckCpuFloat(b, "conv input");
    CheckCpuFloat(w, "conv weight");
    TORCH_CHECK(a.dim() == 2 && w.dim() == 2 && length > 0 && a.size(0) % length == 0 &&
                    (!b.defined() || (b.dim() == 2 && b.size(0) == a.size(0))),
                "unet_cpu: conv inputs must be (B * length, channels) row blocks");
    const auto shape = Shape(a, b, w, length, out_length, stride, offsets);
    TORCH_CHECK(w.size(0) == shape.Taps() * shape.InChannels(),
                "unet_cpu: conv weight must be (taps * in, out)");
    auto y = torch::empty({shape.batch * out_length, w.size(1)}, a.options());
    IndirectConvForward(Isa(), shape, Blocks(a, b), w.data_ptr<float>(), y.data_ptr<float>());
    ctx->save_for_backward({a, optional_b, w});
    ctx->saved_data["length"] = length;
    ctx->saved_data["out_length"] = out_length;
    ctx->saved_data["stride"] = stride;
    ctx->saved_data["offsets"] = offsets;
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& a = saved[0];
    const auto b = OrUndefined(saved[1]);
    const auto& w = saved[2];
    const auto dy = grad_outputs[0].contiguous();
    const auto shape = Shape(a, b, w, ctx->saved_data["length"].toInt(),
                             ctx->saved_data["out_length"].toInt(),
                             ctx->saved_data["stride"].toInt(),
                             ctx->saved_data["offsets"].toIntVector());
    torch::Tensor ga, gb, gw;
    if (ctx->needs_input_grad(0)) {
      ga = torch::empty_like(a);
      IndirectConvInputGrad(Isa(), shape, dy.data_ptr<float>(), w.data_ptr<float>(), 0,
                            ga.data_ptr<float>());
    }
    if (b.defined() && ctx->needs_input_grad(1)) {
      gb = torch::empty_like(b);
      IndirectConvInputGrad(Isa(), shape, dy.data_ptr<float>(), w.data_ptr<float>(), 1,
                            gb.data_ptr<float>());
    }
    if (ctx->needs_input_grad(2)) {
      gw = torch::empty_like(w);
      IndirectConvWeightGrad(Isa(), shape, Blocks(a, b), dy.data_ptr<float>(),
                             gw.data_ptr<float>());
    }
    return {ga, gb, gw, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }

 private:
  static ConvIsa Isa() { return *TiledIsaInUse(); }
  static ConvShape Shape(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& w,
                         int64_t length, int64_t out_length, int64_t stride,
                         const std::vector<int64_t>& offsets) {
    ConvShape shape;
    shape.batch = a.size(0) / length;
    shape.length = length;
    shape.out_length = out_length;
    shape.stride = stride;
    shape.offsets = offsets;
    shape.channels = {a.size(1)};
    if (b.defined()) shape.channels.push_back(b.size(1));
    shape.out_channels = w.size(1);
    return shape;
  }
  static std::vector<const float*> Blocks(const torch::Tensor& a, const torch::Tensor& b) {
    std::vector<const float*> blocks = {a.data_ptr<float>()};
    if (b.defined()) blocks.push_back(b.data_ptr<float>());
    return blocks;
  }
};

// packed[(j * in + c) * out + o] = weight[(o * in + c) * taps + j], and back.
template <bool kPack>
void RepackWeight(const float* src, float* dst, int64_t out, int64_t in, int64_t taps) {
  at::parallel_for(0, in, std::max<int64_t>(1, 65536 / (out * taps)), [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      for (int64_t o = 0; o < out; ++o) {
        for (int64_t j = 0; j < taps; ++j) {
          const int64_t natural = (o * in + c) * taps + j;
          const int64_t packed = (j * in + c) * out + o;
          if constexpr (kPack) {
            dst[packed] = src[natural];
          } else {
            dst[natural] = src[packed];
          }
        }
      }
    }
  });
}

class PackWeightFunction : public torch::autograd::Function<PackWeightFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& weight) {
    CheckCpuFloat(weight, "conv weight");
    const int64_t out = weight.size(0), in = weight.size(1), taps = weight.size(2);
    auto packed = torch::empty({taps * in, out}, weight.options());
    RepackWeight<true>(weight.data_ptr<float>(), packed.data_ptr<float>(), out, in, taps);
    ctx->saved_data["shape"] = weight.sizes().vec();
    return packed;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto shape = ctx->saved_data["shape"].toIntVector();
    const auto grad = grad_outputs[0].contiguous();
    auto natural = torch::empty(shape, grad.options());
    RepackWeight<false>(grad.data_ptr<float>(), natural.data_ptr<float>(), shape[0], shape[1],
                        shape[2]);
    return {natural};
  }
};

}  // namespace

bool IsStoredTapMajor(const torch::Tensor& weight) {
  return weight.dim() == 3 && weight.permute({2, 1, 0}).is_contiguous();
}

void StoreTapMajor(torch::Tensor& weight) {
  TORCH_CHECK(weight.dim() == 3, "StoreTapMajor: a Conv1d weight (out, in, taps) is 3-D");
  if (IsStoredTapMajor(weight)) return;
  torch::NoGradGuard no_grad;
  weight.set_data(weight.permute({2, 1, 0}).contiguous().permute({2, 1, 0}));
}

torch::Tensor PackConvWeight(const torch::Tensor& weight) {
  if (IsStoredTapMajor(weight)) {
    return weight.permute({2, 1, 0}).reshape({weight.size(2) * weight.size(1), weight.size(0)});
  }
  return PackWeightFunction::apply(weight.contiguous());
}

torch::Tensor Im2Col(const torch::Tensor& a, const torch::Tensor& b, int64_t length,
                     int64_t out_length, int64_t stride, const std::vector<int64_t>& offsets) {
  return Im2ColFunction::apply(a.contiguous(), Optional(b, a), length, out_length, stride,
                               offsets);
}

bool IndirectConvSupported() { return TiledIsaInUse().has_value(); }

torch::Tensor ConvRows(const torch::Tensor& a, const torch::Tensor& b, int64_t length,
                       int64_t out_length, int64_t stride, const std::vector<int64_t>& offsets,
                       const torch::Tensor& w) {
  if (IndirectConvSupported() && a.device().is_cpu() && a.scalar_type() == torch::kFloat32) {
    return ConvRowsFunction::apply(a.contiguous(), Optional(b, a), w.contiguous(), length,
                                   out_length, stride, offsets);
  }
  return torch::mm(Im2Col(a, b, length, out_length, stride, offsets), w);
}

torch::Tensor Epilogue(const torch::Tensor& h, const torch::Tensor& conv_bias,
                       const torch::Tensor& gamma, const torch::Tensor& beta,
                       const torch::Tensor& film, const torch::Tensor& residual, int64_t groups,
                       int64_t length) {
  return EpilogueFunction::apply(h.contiguous(), conv_bias.contiguous(), gamma.contiguous(),
                                 beta.contiguous(), Optional(film, h), Optional(residual, h),
                                 groups, length);
}

}  // namespace bcbench::unet_cpu
