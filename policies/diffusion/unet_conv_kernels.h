// Convolutions over time-major rows without an im2col matrix (indirect
// convolution): each output row keeps a table of pointers, one per (tap,
// input block), to the input row it reads or to a row of zeros, and an
// AVX-512 or AVX2 register-tiled kernel multiplies those rows by the packed
// weight directly. The training step's three products of a conv all run this way:
//   forward        y  = im2col(x) W
//   input grad     dx = the same kernel over dy's rows and W's transpose
//   weight grad    dW = im2col(x)^T dy, tap by tap from the pointer table
// With BLAS each of them also wrote, zeroed, packed or gathered an im2col
// sized matrix (taps times the size of the activations); here only the
// weights are packed.
//
// Every output element is one fused multiply-add chain in a fixed order
// (taps and blocks in order; for dW, rows in order, summed 128 rows at a
// time), whatever the thread count or the rows' place in a tile, so results
// do not depend on threads. AVX2 and AVX-512 results differ in rounding.
// Callers check IndirectConvSupported() (unet_cpu_ops.h) first and pass the
// instruction set the CPU has.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bcbench::unet_cpu {

enum class ConvIsa { kAvx512, kAvx2Fma };

struct ConvShape {
  int64_t batch = 0;
  int64_t length = 0;      // input rows per sequence
  int64_t out_length = 0;  // output rows per sequence
  int64_t stride = 1;
  std::vector<int64_t> offsets;   // output row m, tap j reads input row m * stride + offsets[j]
  std::vector<int64_t> channels;  // per input block (the blocks are concatenated channel-wise)
  int64_t out_channels = 0;

  int64_t InChannels() const;
  int64_t Taps() const { return static_cast<int64_t>(offsets.size()); }
};

// y (batch * out_length, out_channels) = im2col(blocks) w, where w is the
// row-major (taps * InChannels(), out_channels) tap-major weight matrix and
// block q is row-major (batch * length, channels[q]).
void IndirectConvForward(ConvIsa isa, const ConvShape& shape,
                         const std::vector<const float*>& blocks, const float* w, float* y);

// The gradient of block q, dx (batch * length, channels[q]), from
// dy (batch * out_length, out_channels).
void IndirectConvInputGrad(ConvIsa isa, const ConvShape& shape, const float* dy, const float* w,
                           size_t q, float* dx);

// dw (taps * InChannels(), out_channels) = im2col(blocks)^T dy.
void IndirectConvWeightGrad(ConvIsa isa, const ConvShape& shape,
                            const std::vector<const float*>& blocks, const float* dy, float* dw);

// c (m, n; row stride ldc) = a (m, k; row stride lda) b (k, n; row stride
// ldb) with the same tiles: each element one FMA chain over k from 0, like
// unet_cpu::Gemm's few-row kernel, so a row of c depends on that row of a
// alone, whatever m, and AVX2 and AVX-512 give the same bits.
void TiledGemm(ConvIsa isa, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
               const float* b, int64_t ldb, float* c, int64_t ldc);

// b (k, n; row stride ldb) in the column panels the tiles read, packed once
// for many products with the same b (the inference path's weights): the
// TiledGemm above packs b on every call.
struct TilePanels {
  ConvIsa isa = ConvIsa::kAvx512;
  int64_t k = 0, n = 0;
  std::vector<float> data;
};
TilePanels PackTilePanels(ConvIsa isa, int64_t k, int64_t n, const float* b, int64_t ldb);
// c (m, b.n) = a (m, b.k) b, the same bits as TiledGemm with b unpacked.
void TiledGemm(const TilePanels& b, int64_t m, const float* a, int64_t lda, float* c, int64_t ldc);

}  // namespace bcbench::unet_cpu
