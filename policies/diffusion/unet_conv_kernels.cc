#include "policies/diffusion/unet_conv_kernels.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <ATen/Parallel.h>

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

// Tiles are kRows rows (or kWeightRows weight rows) by kPanel columns, held
// in 2 x kRows AVX-512 registers over the whole reduction. Measured on one
// Zen 5 core against OpenBLAS 0.3.21's Cooperlake kernel at the CPU UNet's
// shapes (rows 512-2048, 64-512 channels, 5 taps): forward 255-267 GFLOP/s
// against 224-245 for the GEMM alone and 205-240 with its im2col; weight
// gradient 190-250 against 210-245. OpenBLAS's Haswell kernel, which this
// machine's environment selects, reaches 118-128.
constexpr int kPanel = 32;
constexpr int kRows = 8;
constexpr int kWeightRows = 8;
constexpr int64_t kWeightChunk = 128;  // rows per weight-gradient pass: they stay in L1

struct PanelMask {
  __mmask16 lo, hi;
};

PanelMask MaskFor(int64_t columns) {
  auto bits = [](int64_t n) {
    return static_cast<__mmask16>(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1);
  };
  return {bits(columns), bits(columns - 16)};
}

int64_t Panels(int64_t columns) { return (columns + kPanel - 1) / kPanel; }

// packed[p][k][i] = b(k, p * kPanel + i), zero past `columns`.
template <typename Element>
std::vector<float> PackPanels(int64_t rows, int64_t columns, const Element& b) {
  std::vector<float> packed(static_cast<size_t>(Panels(columns) * rows * kPanel));
  at::parallel_for(0, Panels(columns), 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      float* dst = packed.data() + p * rows * kPanel;
      const int64_t width = std::min<int64_t>(kPanel, columns - p * kPanel);
      for (int64_t k = 0; k < rows; ++k, dst += kPanel) {
        for (int64_t i = 0; i < width; ++i) dst[i] = b(k, p * kPanel + i);
        for (int64_t i = width; i < kPanel; ++i) dst[i] = 0.0f;
      }
    }
  });
  return packed;
}

// c (R rows, one panel) = sum over segments s of rows[r * S + s][0 .. len[s]) times
// the panel's next len[s] packed rows.
template <int R>
__attribute__((target("avx512f"))) void GemmTile(int64_t segments, const int64_t* len,
                                                 const float* const* rows, const float* b,
                                                 float* c, int64_t ldc, PanelMask mask) {
  __m512 acc[R][2];
  #pragma GCC unroll 16
  for (auto& row : acc) row[0] = row[1] = _mm512_setzero_ps();
  for (int64_t s = 0; s < segments; ++s) {
    const float* a[R];
    #pragma GCC unroll 16
    for (int r = 0; r < R; ++r) a[r] = rows[r * segments + s];
    for (int64_t i = 0; i < len[s]; ++i, b += kPanel) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
      #pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512 ai = _mm512_set1_ps(a[r][i]);
        acc[r][0] = _mm512_fmadd_ps(ai, b0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(ai, b1, acc[r][1]);
      }
    }
  }
  #pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    _mm512_mask_storeu_ps(c + r * ldc, mask.lo, acc[r][0]);
    _mm512_mask_storeu_ps(c + r * ldc + 16, mask.hi, acc[r][1]);
  }
}

using GemmTileFn = void (*)(int64_t, const int64_t*, const float* const*, const float*, float*,
                            int64_t, PanelMask);
constexpr GemmTileFn kGemmTiles[kRows + 1] = {nullptr,     GemmTile<1>, GemmTile<2>,
                                              GemmTile<3>, GemmTile<4>, GemmTile<5>,
                                              GemmTile<6>, GemmTile<7>, GemmTile<8>};

// c (m, columns) = A b, where A's row r is the concatenation of the segments
// rows[r * len.size() + s] of len[s] floats, and `packed` is b in panels.
void IndirectGemm(int64_t m, const std::vector<int64_t>& len,
                  const std::vector<const float*>& rows, const std::vector<float>& packed,
                  int64_t columns, float* c) {
  const auto segments = static_cast<int64_t>(len.size());
  const int64_t depth = std::accumulate(len.begin(), len.end(), int64_t{0});
  const int64_t tiles = (m + kRows - 1) / kRows;
  const int64_t tile_work = kRows * std::max<int64_t>(depth, 1) * columns;
  at::parallel_for(0, tiles, std::max<int64_t>(1, (int64_t{1} << 21) / tile_work),
                   [&](int64_t begin, int64_t end) {
                     for (int64_t p = 0; p < Panels(columns); ++p) {
                       const float* b = packed.data() + p * depth * kPanel;
                       const PanelMask mask = MaskFor(columns - p * kPanel);
                       for (int64_t t = begin; t < end; ++t) {
                         const int64_t r0 = t * kRows;
                         const auto r = static_cast<int>(std::min<int64_t>(kRows, m - r0));
                         kGemmTiles[r](segments, len.data(), rows.data() + r0 * segments, b,
                                       c + r0 * columns + p * kPanel, columns, mask);
                       }
                     }
                   });
}

// dw rows [c0, c0 + R) of one segment, one panel: dw(c0 + r, :) +=
// x[i][c0 + r] g[i][:] over the row pairs i in [i0, i1) (the rows that read
// the segment's input; rows that read zeros are left out of the lists).
template <int R>
__attribute__((target("avx512f"))) void WeightGradTile(int64_t i0, int64_t i1,
                                                       const float* const* __restrict x,
                                                       const float* const* __restrict g, int64_t c0,
                                                       int64_t column, float* dw, int64_t ldw,
                                                       PanelMask mask, bool first) {
  __m512 acc[R][2];
  #pragma GCC unroll 16
  for (auto& row : acc) row[0] = row[1] = _mm512_setzero_ps();
  // The masks live in registers only if the loop body does not reload them
  // (GCC otherwise keeps the accumulators in memory too): full panels load
  // plainly, and a tail panel's masked lanes read past n only within dy's row.
  const __mmask16 lo_mask = mask.lo, hi_mask = mask.hi;
  for (int64_t i = i0; i < i1; ++i) {
    const float* xi = x[i] + c0;
    const float* gi = g[i] + column;
    const __m512 b0 = _mm512_maskz_loadu_ps(lo_mask, gi);
    const __m512 b1 = _mm512_maskz_loadu_ps(hi_mask, gi + 16);
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
    __m512 lo = acc[r][0], hi = acc[r][1];
    if (!first) {
      lo = _mm512_add_ps(_mm512_maskz_loadu_ps(mask.lo, dw + r * ldw), lo);
      hi = _mm512_add_ps(_mm512_maskz_loadu_ps(mask.hi, dw + r * ldw + 16), hi);
    }
    _mm512_mask_storeu_ps(dw + r * ldw, mask.lo, lo);
    _mm512_mask_storeu_ps(dw + r * ldw + 16, mask.hi, hi);
  }
}

using WeightGradTileFn = void (*)(int64_t, int64_t, const float* const*, const float* const*,
                                  int64_t, int64_t, float*, int64_t, PanelMask, bool);
constexpr WeightGradTileFn kWeightGradTiles[kWeightRows + 1] = {
    nullptr,           WeightGradTile<1>, WeightGradTile<2>, WeightGradTile<3>, WeightGradTile<4>,
    WeightGradTile<5>, WeightGradTile<6>, WeightGradTile<7>, WeightGradTile<8>};

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
  for (int64_t j = 0; j < s.Taps(); ++j) table.len.insert(table.len.end(), s.channels.begin(), s.channels.end());
  table.zeros.assign(static_cast<size_t>(*std::max_element(s.channels.begin(), s.channels.end())), 0.0f);
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

void IndirectConvForward(const ConvShape& s, const std::vector<const float*>& blocks,
                         const float* w, float* y) {
  const auto table = MakeForwardTable(s, blocks);
  const int64_t n = s.out_channels;
  const auto packed = PackPanels(s.Taps() * s.InChannels(), n,
                                 [&](int64_t k, int64_t col) { return w[k * n + col]; });
  IndirectGemm(s.batch * s.out_length, table.len, table.rows, packed, n, y);
}

void IndirectConvInputGrad(const ConvShape& s, const float* dy, const float* w, size_t q,
                           float* dx) {
  // dx row (b, l) = sum over taps j of dy row (b, m) W_jq^T, where
  // m * stride + offsets[j] = l; W_jq is block q's (channels[q], out) slice of tap j.
  const int64_t n = s.out_channels, in = s.InChannels(), cq = s.channels.at(q);
  const int64_t offset_q =
      std::accumulate(s.channels.begin(), s.channels.begin() + static_cast<int64_t>(q), int64_t{0});
  const auto packed = PackPanels(s.Taps() * n, cq, [&](int64_t k, int64_t c) {
    const int64_t j = k / n, o = k % n;
    return w[(j * in + offset_q + c) * n + o];
  });
  const std::vector<int64_t> len(static_cast<size_t>(s.Taps()), n);
  const std::vector<float> zeros(static_cast<size_t>(n), 0.0f);
  std::vector<const float*> rows(static_cast<size_t>(s.batch * s.length * s.Taps()));
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t l = 0; l < s.length; ++l) {
      const float** row = rows.data() + (b * s.length + l) * s.Taps();
      for (int64_t j = 0; j < s.Taps(); ++j) {
        const int64_t shifted = l - s.offsets[static_cast<size_t>(j)];
        const bool hit = shifted >= 0 && shifted % s.stride == 0 && shifted / s.stride < s.out_length;
        row[j] = hit ? dy + (b * s.out_length + shifted / s.stride) * n : zeros.data();
      }
    }
  }
  IndirectGemm(s.batch * s.length, len, rows, packed, cq, dx);
}

void IndirectConvWeightGrad(const ConvShape& s, const std::vector<const float*>& blocks,
                            const float* dy, float* dw) {
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
  const int64_t items = segments * Panels(n);
  at::parallel_for(0, items, 1, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t seg = item / Panels(n), p = item % Panels(n);
      const int64_t channels = table.len[static_cast<size_t>(seg)];
      const auto& x = xs[static_cast<size_t>(seg)];
      const auto& g = gs[static_cast<size_t>(seg)];
      const auto pairs = static_cast<int64_t>(x.size());
      const PanelMask mask = MaskFor(n - p * kPanel);
      float* out = dw + first_row[static_cast<size_t>(seg)] * n + p * kPanel;
      for (int64_t i0 = 0; i0 < std::max<int64_t>(pairs, 1); i0 += kWeightChunk) {
        const int64_t i1 = std::min(pairs, i0 + kWeightChunk);
        for (int64_t c0 = 0; c0 < channels; c0 += kWeightRows) {
          const auto r = static_cast<int>(std::min<int64_t>(kWeightRows, channels - c0));
          kWeightGradTiles[r](i0, i1, x.data(), g.data(), c0, p * kPanel, out + c0 * n, n, mask,
                              i0 == 0);
        }
      }
    }
  });
}

#else  // no AVX-512 kernels on this architecture: IndirectConvSupported() is false

void IndirectConvForward(const ConvShape&, const std::vector<const float*>&, const float*, float*) {
  throw std::logic_error("indirect conv: not built for this architecture");
}
void IndirectConvInputGrad(const ConvShape&, const float*, const float*, size_t, float*) {
  throw std::logic_error("indirect conv: not built for this architecture");
}
void IndirectConvWeightGrad(const ConvShape&, const std::vector<const float*>&, const float*,
                            float*) {
  throw std::logic_error("indirect conv: not built for this architecture");
}

#endif

}  // namespace bcbench::unet_cpu
