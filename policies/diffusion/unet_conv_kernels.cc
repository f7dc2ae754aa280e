#include "policies/diffusion/unet_conv_kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BCBENCH_INDIRECT_CONV 1
#else
#define BCBENCH_INDIRECT_CONV 0
#endif

namespace bcbench::unet_cpu {

int64_t ConvShape::InChannels() const {
  return std::accumulate(channels.begin(), channels.end(), int64_t{0});
}

#if BCBENCH_INDIRECT_CONV
namespace {

// A tile is R rows (or R weight rows) by one panel of columns, held in
// 2 x R vector registers over the whole reduction: AVX-512 tiles are up to
// 8 x 32 (16 accumulators of 32), AVX2 tiles up to 6 x 16 (12 of 16).
// Measured on one Zen 5 core against OpenBLAS 0.3.21 at the CPU UNet's
// shapes (rows 512-2048, 64-512 channels, 5 taps): the AVX-512 forward tile
// 255-267 GFLOP/s, where the Cooperlake kernel's GEMM alone does 224-245 and
// 205-240 with its im2col; weight gradient 190-250 against 210-245.
// OpenBLAS's Haswell kernel, which this machine's environment selects,
// reaches 118-128.
constexpr int kMaxTileRows = 8;
constexpr int64_t kWeightChunk = 128;  // rows per weight-gradient pass: they stay in L1

// c (R rows, `columns` <= panel of them) = sum over segments s of
// rows[r * S + s][0 .. len[s]) times the panel's next len[s] packed rows.
using GemmTileFn = void (*)(int64_t segments, const int64_t* len, const float* const* rows,
                            const float* b, float* c, int64_t ldc, int64_t columns);
// dw rows [c0, c0 + R) of one segment, one panel (`columns` of it valid):
// dw(c0 + r, :) (+)= x[i][c0 + r] g[i][column ..] over the row pairs i in
// [i0, i1) (the rows that read the segment's input; rows that read zeros
// are left out of the lists). `first`: overwrite, else add to dw.
using WeightGradTileFn = void (*)(int64_t i0, int64_t i1, const float* const* x,
                                  const float* const* g, int64_t c0, int64_t column, float* dw,
                                  int64_t ldw, int64_t columns, bool first);

struct KernelSet {
  int64_t panel;  // columns per tile
  int rows;       // rows per forward tile
  int weight_rows;
  GemmTileFn gemm[kMaxTileRows + 1];  // by row count
  WeightGradTileFn weight_grad[kMaxTileRows + 1];

  int64_t Panels(int64_t columns) const { return (columns + panel - 1) / panel; }
};

// --- AVX-512: panels of 32 columns ---

__attribute__((target("avx512f"))) inline __mmask16 Mask16(int64_t n) {
  return static_cast<__mmask16>(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1);
}

template <int R>
__attribute__((target("avx512f"))) void GemmTile512(int64_t segments, const int64_t* len,
                                                    const float* const* rows, const float* b,
                                                    float* c, int64_t ldc, int64_t columns) {
  __m512 acc[R][2];
#pragma GCC unroll 16
  for (auto& row : acc) row[0] = row[1] = _mm512_setzero_ps();
  for (int64_t s = 0; s < segments; ++s) {
    const float* a[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) a[r] = rows[r * segments + s];
    for (int64_t i = 0; i < len[s]; ++i, b += 32) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512 ai = _mm512_set1_ps(a[r][i]);
        acc[r][0] = _mm512_fmadd_ps(ai, b0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(ai, b1, acc[r][1]);
      }
    }
  }
  const __mmask16 lo = Mask16(columns), hi = Mask16(columns - 16);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    _mm512_mask_storeu_ps(c + r * ldc, lo, acc[r][0]);
    _mm512_mask_storeu_ps(c + r * ldc + 16, hi, acc[r][1]);
  }
}

template <int R>
__attribute__((target("avx512f"))) void WeightGradTile512(
    int64_t i0, int64_t i1, const float* const* __restrict x, const float* const* __restrict g,
    int64_t c0, int64_t column, float* dw, int64_t ldw, int64_t columns, bool first) {
  __m512 acc[R][2];
#pragma GCC unroll 16
  for (auto& row : acc) row[0] = row[1] = _mm512_setzero_ps();
  const __mmask16 lo = Mask16(columns), hi = Mask16(columns - 16);
  for (int64_t i = i0; i < i1; ++i) {
    const float* xi = x[i] + c0;
    const float* gi = g[i] + column;
    const __m512 b0 = _mm512_maskz_loadu_ps(lo, gi);
    const __m512 b1 = _mm512_maskz_loadu_ps(hi, gi + 16);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 ai = _mm512_set1_ps(xi[r]);
      acc[r][0] = _mm512_fmadd_ps(ai, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ai, b1, acc[r][1]);
    }
  }
  // Earlier chunks' sum plus this chunk's (the order is fixed either way).
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    __m512 v0 = acc[r][0], v1 = acc[r][1];
    if (!first) {
      v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(lo, dw + r * ldw), v0);
      v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(hi, dw + r * ldw + 16), v1);
    }
    _mm512_mask_storeu_ps(dw + r * ldw, lo, v0);
    _mm512_mask_storeu_ps(dw + r * ldw + 16, hi, v1);
  }
}

constexpr KernelSet kAvx512Kernels = {
    32,
    8,
    8,
    {nullptr, GemmTile512<1>, GemmTile512<2>, GemmTile512<3>, GemmTile512<4>, GemmTile512<5>,
     GemmTile512<6>, GemmTile512<7>, GemmTile512<8>},
    {nullptr, WeightGradTile512<1>, WeightGradTile512<2>, WeightGradTile512<3>,
     WeightGradTile512<4>, WeightGradTile512<5>, WeightGradTile512<6>, WeightGradTile512<7>,
     WeightGradTile512<8>}};

// --- AVX2 + FMA: panels of 16 columns ---

// Lanes below n (of 8) set.
__attribute__((target("avx2,fma"))) inline __m256i Mask8(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int clamped = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(8, n)));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(clamped), lanes);
}

template <int R>
__attribute__((target("avx2,fma"))) void GemmTile256(int64_t segments, const int64_t* len,
                                                     const float* const* rows, const float* b,
                                                     float* c, int64_t ldc, int64_t columns) {
  __m256 acc[R][2];
#pragma GCC unroll 16
  for (auto& row : acc) row[0] = row[1] = _mm256_setzero_ps();
  for (int64_t s = 0; s < segments; ++s) {
    const float* a[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) a[r] = rows[r * segments + s];
    for (int64_t i = 0; i < len[s]; ++i, b += 16) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m256 ai = _mm256_broadcast_ss(a[r] + i);
        acc[r][0] = _mm256_fmadd_ps(ai, b0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(ai, b1, acc[r][1]);
      }
    }
  }
  const __m256i lo = Mask8(columns), hi = Mask8(columns - 8);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    _mm256_maskstore_ps(c + r * ldc, lo, acc[r][0]);
    _mm256_maskstore_ps(c + r * ldc + 8, hi, acc[r][1]);
  }
}

template <int R>
__attribute__((target("avx2,fma"))) void WeightGradTile256(
    int64_t i0, int64_t i1, const float* const* __restrict x, const float* const* __restrict g,
    int64_t c0, int64_t column, float* dw, int64_t ldw, int64_t columns, bool first) {
  __m256 acc[R][2];
#pragma GCC unroll 16
  for (auto& row : acc) row[0] = row[1] = _mm256_setzero_ps();
  const __m256i lo = Mask8(columns), hi = Mask8(columns - 8);
  for (int64_t i = i0; i < i1; ++i) {
    const float* xi = x[i] + c0;
    const float* gi = g[i] + column;
    const __m256 b0 = _mm256_maskload_ps(gi, lo);
    const __m256 b1 = _mm256_maskload_ps(gi + 8, hi);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m256 ai = _mm256_broadcast_ss(xi + r);
      acc[r][0] = _mm256_fmadd_ps(ai, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ai, b1, acc[r][1]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    __m256 v0 = acc[r][0], v1 = acc[r][1];
    if (!first) {
      v0 = _mm256_add_ps(_mm256_maskload_ps(dw + r * ldw, lo), v0);
      v1 = _mm256_add_ps(_mm256_maskload_ps(dw + r * ldw + 8, hi), v1);
    }
    _mm256_maskstore_ps(dw + r * ldw, lo, v0);
    _mm256_maskstore_ps(dw + r * ldw + 8, hi, v1);
  }
}

constexpr KernelSet kAvx2Kernels = {
    16,
    6,
    6,
    {nullptr, GemmTile256<1>, GemmTile256<2>, GemmTile256<3>, GemmTile256<4>, GemmTile256<5>,
     GemmTile256<6>, nullptr, nullptr},
    {nullptr, WeightGradTile256<1>, WeightGradTile256<2>, WeightGradTile256<3>,
     WeightGradTile256<4>, WeightGradTile256<5>, WeightGradTile256<6>, nullptr, nullptr}};

const KernelSet& Kernels(ConvIsa isa) {
  switch (isa) {
    case ConvIsa::kAvx512:
      return kAvx512Kernels;
    case ConvIsa::kAvx2Fma:
      return kAvx2Kernels;
  }
  throw std::invalid_argument("indirect conv: unknown instruction set");
}

// The panels of a (rows, columns) matrix: packed[p][k][i] = b(k, p * panel + i),
// zero past `columns`. fill(p, width, dst) writes panel p's first `width`
// columns of every row (row stride `panel`); the rest are zeroed here.
template <typename Fill>
std::vector<float> PackPanels(const KernelSet& ks, int64_t rows, int64_t columns,
                              const Fill& fill) {
  const int64_t panel = ks.panel;
  std::vector<float> packed(static_cast<size_t>(ks.Panels(columns) * rows * panel), 0.0f);
  // Small weights are packed on one thread: a parallel region costs more.
  const int64_t grain =
      std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(1, rows * panel));
  at::parallel_for(0, ks.Panels(columns), grain, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      fill(p, std::min<int64_t>(panel, columns - p * panel), packed.data() + p * rows * panel);
    }
  });
  return packed;
}

// c (m, columns) = A b, where A's row r is the concatenation of the segments
// rows[r * len.size() + s] of len[s] floats, and `packed` is b in panels.
void IndirectGemm(const KernelSet& ks, int64_t m, const std::vector<int64_t>& len,
                  const std::vector<const float*>& rows, const std::vector<float>& packed,
                  int64_t columns, float* c, int64_t ldc) {
  const auto segments = static_cast<int64_t>(len.size());
  const int64_t depth = std::accumulate(len.begin(), len.end(), int64_t{0});
  const int64_t tiles = (m + ks.rows - 1) / ks.rows;
  const int64_t tile_work = ks.rows * std::max<int64_t>(depth, 1) * columns;
  at::parallel_for(0, tiles, std::max<int64_t>(1, (int64_t{1} << 21) / tile_work),
                   [&](int64_t begin, int64_t end) {
                     for (int64_t p = 0; p < ks.Panels(columns); ++p) {
                       const float* b = packed.data() + p * depth * ks.panel;
                       for (int64_t t = begin; t < end; ++t) {
                         const int64_t r0 = t * ks.rows;
                         const auto r = static_cast<int>(std::min<int64_t>(ks.rows, m - r0));
                         ks.gemm[r](segments, len.data(), rows.data() + r0 * segments, b,
                                    c + r0 * ldc + p * ks.panel, ldc, columns - p * ks.panel);
                       }
                     }
                   });
}

// The forward pointer table: output row (b, m), segment (tap j, block q) at
// [(b * out_length + m) * S + j * blocks + q]; `zeros` where the tap falls
// outside the sequence.
struct ForwardTable {
  std::vector<int64_t> len;
  std::vector<const float*> rows;
  std::vector<float> zeros;
};

ForwardTable MakeForwardTable(const ConvShape& s, const std::vector<const float*>& blocks) {
  if (blocks.size() != s.channels.size()) {
    throw std::invalid_argument("indirect conv: one pointer per input block");
  }
  ForwardTable table;
  const auto nb = static_cast<int64_t>(blocks.size());
  for (int64_t j = 0; j < s.Taps(); ++j)
    table.len.insert(table.len.end(), s.channels.begin(), s.channels.end());
  table.zeros.assign(static_cast<size_t>(*std::max_element(s.channels.begin(), s.channels.end())),
                     0.0f);
  const auto segments = static_cast<int64_t>(table.len.size());
  table.rows.resize(static_cast<size_t>(s.batch * s.out_length * segments));
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t m = 0; m < s.out_length; ++m) {
      const float** row = table.rows.data() + (b * s.out_length + m) * segments;
      for (int64_t j = 0; j < s.Taps(); ++j) {
        const int64_t l = m * s.stride + s.offsets[static_cast<size_t>(j)];
        const bool inside = l >= 0 && l < s.length;
        for (int64_t q = 0; q < nb; ++q) {
          row[j * nb + q] = inside ? blocks[static_cast<size_t>(q)] +
                                         (b * s.length + l) * s.channels[static_cast<size_t>(q)]
                                   : table.zeros.data();
        }
      }
    }
  }
  return table;
}

}  // namespace

void IndirectConvForward(ConvIsa isa, const ConvShape& s, const std::vector<const float*>& blocks,
                         const float* w, float* y) {
  const KernelSet& ks = Kernels(isa);
  const auto table = MakeForwardTable(s, blocks);
  const int64_t n = s.out_channels;
  const int64_t depth = s.Taps() * s.InChannels();
  const auto packed = PackPanels(ks, depth, n, [&](int64_t p, int64_t width, float* dst) {
    for (int64_t k = 0; k < depth; ++k) {
      std::copy_n(w + k * n + p * ks.panel, width, dst + k * ks.panel);
    }
  });
  IndirectGemm(ks, s.batch * s.out_length, table.len, table.rows, packed, n, y, n);
}

void IndirectConvInputGrad(ConvIsa isa, const ConvShape& s, const float* dy, const float* w,
                           size_t q, float* dx) {
  const KernelSet& ks = Kernels(isa);
  // dx row (b, l) = sum over taps j of dy row (b, m) W_jq^T, where
  // m * stride + offsets[j] = l; W_jq is block q's (channels[q], out) slice of tap j.
  const int64_t n = s.out_channels, in = s.InChannels(), cq = s.channels.at(q);
  const int64_t offset_q =
      std::accumulate(s.channels.begin(), s.channels.begin() + static_cast<int64_t>(q), int64_t{0});
  // Packed row (j, o), column c = w[(j * in + offset_q + c) * n + o]: each
  // weight row is read once, contiguously, and scattered down its column.
  const auto packed = PackPanels(ks, s.Taps() * n, cq, [&](int64_t p, int64_t width, float* dst) {
    for (int64_t j = 0; j < s.Taps(); ++j) {
      for (int64_t i = 0; i < width; ++i) {
        const float* src = w + (j * in + offset_q + p * ks.panel + i) * n;
        float* column = dst + j * n * ks.panel + i;
        for (int64_t o = 0; o < n; ++o) column[o * ks.panel] = src[o];
      }
    }
  });
  const std::vector<int64_t> len(static_cast<size_t>(s.Taps()), n);
  const std::vector<float> zeros(static_cast<size_t>(n), 0.0f);
  std::vector<const float*> rows(static_cast<size_t>(s.batch * s.length * s.Taps()));
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t l = 0; l < s.length; ++l) {
      const float** row = rows.data() + (b * s.length + l) * s.Taps();
      for (int64_t j = 0; j < s.Taps(); ++j) {
        const int64_t shifted = l - s.offsets[static_cast<size_t>(j)];
        const bool hit =
            shifted >= 0 && shifted % s.stride == 0 && shifted / s.stride < s.out_length;
        row[j] = hit ? dy + (b * s.out_length + shifted / s.stride) * n : zeros.data();
      }
    }
  }
  IndirectGemm(ks, s.batch * s.length, len, rows, packed, cq, dx, cq);
}

void IndirectConvWeightGrad(ConvIsa isa, const ConvShape& s,
                            const std::vector<const float*>& blocks, const float* dy, float* dw) {
  const KernelSet& ks = Kernels(isa);
  const auto table = MakeForwardTable(s, blocks);
  const auto segments = static_cast<int64_t>(table.len.size());
  const int64_t n = s.out_channels, m = s.batch * s.out_length;
  std::vector<int64_t> first_row(table.len.size());
  std::exclusive_scan(table.len.begin(), table.len.end(), first_row.begin(), int64_t{0});
  // Per segment, the (input row, dy row) pairs of the output rows that read
  // it, in row order.
  std::vector<std::vector<const float*>> xs(table.len.size()), gs(table.len.size());
  for (int64_t seg = 0; seg < segments; ++seg) {
    auto& x = xs[static_cast<size_t>(seg)];
    auto& g = gs[static_cast<size_t>(seg)];
    for (int64_t row = 0; row < m; ++row) {
      const float* in = table.rows[static_cast<size_t>(row * segments + seg)];
      if (in == table.zeros.data()) continue;
      x.push_back(in);
      g.push_back(dy + row * n);
    }
  }
  // Items are (segment, panel) pairs; each runs its rows in order, chunk by
  // chunk, so every sum has one order whatever the threads.
  const int64_t panels = ks.Panels(n);
  // Multiply-adds per item, on average over the blocks.
  const int64_t item_work =
      std::max<int64_t>(1, m * ks.panel * s.InChannels() / static_cast<int64_t>(s.channels.size()));
  at::parallel_for(0, segments * panels, std::max<int64_t>(1, (int64_t{1} << 21) / item_work),
                   [&](int64_t begin, int64_t end) {
                     for (int64_t item = begin; item < end; ++item) {
                       const int64_t seg = item / panels, p = item % panels;
                       const int64_t channels = table.len[static_cast<size_t>(seg)];
                       const auto& x = xs[static_cast<size_t>(seg)];
                       const auto& g = gs[static_cast<size_t>(seg)];
                       const auto pairs = static_cast<int64_t>(x.size());
                       float* out = dw + first_row[static_cast<size_t>(seg)] * n + p * ks.panel;
                       for (int64_t i0 = 0; i0 < std::max<int64_t>(pairs, 1); i0 += kWeightChunk) {
                         const int64_t i1 = std::min(pairs, i0 + kWeightChunk);
                         for (int64_t c0 = 0; c0 < channels; c0 += ks.weight_rows) {
                           const auto r =
                               static_cast<int>(std::min<int64_t>(ks.weight_rows, channels - c0));
                           ks.weight_grad[r](i0, i1, x.data(), g.data(), c0, p * ks.panel,
                                             out + c0 * n, n, n - p * ks.panel, i0 == 0);
                         }
                       }
                     }
                   });
}

TilePanels PackTilePanels(ConvIsa isa, int64_t k, int64_t n, const float* b, int64_t ldb) {
  const KernelSet& ks = Kernels(isa);
  auto data = PackPanels(ks, k, n, [&](int64_t p, int64_t width, float* dst) {
    for (int64_t i = 0; i < k; ++i)
      std::copy_n(b + i * ldb + p * ks.panel, width, dst + i * ks.panel);
  });
  return {isa, k, n, std::move(data)};
}

void TiledGemm(const TilePanels& b, int64_t m, const float* a, int64_t lda, float* c, int64_t ldc) {
  std::vector<const float*> rows(static_cast<size_t>(m));
  for (int64_t r = 0; r < m; ++r) rows[static_cast<size_t>(r)] = a + r * lda;
  IndirectGemm(Kernels(b.isa), m, {b.k}, rows, b.data, b.n, c, ldc);
}

void TiledGemm(ConvIsa isa, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
               const float* b, int64_t ldb, float* c, int64_t ldc) {
  TiledGemm(PackTilePanels(isa, k, n, b, ldb), m, a, lda, c, ldc);
}

#else  // no x86 kernels on this architecture: IndirectConvSupported() is false

void IndirectConvForward(ConvIsa, const ConvShape&, const std::vector<const float*>&, const float*,
                         float*) {
  throw std::logic_error("indirect conv: not built for this architecture");
}
void IndirectConvInputGrad(ConvIsa, const ConvShape&, const float*, const float*, size_t, float*) {
  throw std::logic_error("indirect conv: not built for this architecture");
}
void TiledGemm(ConvIsa, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t,
               float*, int64_t) {
  throw std::logic_error("indirect conv: not built for this architecture");
}
TilePanels PackTilePanels(ConvIsa, int64_t, int64_t, const float*, int64_t) {
  throw std::logic_error("indirect conv: not built for this architecture");
}
void TiledGemm(const TilePanels&, int64_t, const float*, int64_t, float*, int64_t) {
  throw std::logic_error("indirect conv: not built for this architecture");
}
void IndirectConvWeightGrad(ConvIsa, const ConvShape&, const std::vector<const float*>&,
                            const float*, float*) {
  throw std::logic_error("indirect conv: not built for this architecture");
}

#endif

}  // namespace bcbench::unet_cpu
