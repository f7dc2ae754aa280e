// CPU kernels for the 1-D UNet in time-major layout: an activation of B
// sequences of length L with C channels is a row-major (B * L, C) matrix,
// the layout of the action chunk itself. In that layout a convolution is
// one large GEMM over im2col rows (contiguous row copies), which BLAS runs
// near its peak, or, on AVX-512 CPUs, the same product without the im2col
// matrix (ConvRows, unet_conv_kernels.h); and bias + GroupNorm + Mish +
// FiLM + residual add is one pass over the rows. The module's training path (with autograd) and the
// inference fast path both use these; CUDA tensors never get here.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <torch/torch.h>

#include "policies/diffusion/unet_conv_kernels.h"

namespace bcbench::unet_cpu {

// One block of input channels for Im2Col: rows (B * length, channels) with
// row stride `channels`.
struct RowBlock {
  const float* data;
  int64_t channels;
};

// col row (b, m) = for each offset o: [block 0 row (b, m * stride + o), block
// 1 row ..., ...], zero where m * stride + o falls outside [0, length).
// col is (B * out_length, offsets.size() * sum(channels)).
void Im2ColForward(const std::vector<RowBlock>& blocks, int64_t batch, int64_t length,
                   int64_t out_length, int64_t stride, const std::vector<int64_t>& offsets,
                   float* col);

// Everything the fused block epilogue reads:
//   out = Mish(GroupNorm(h + conv_bias; gamma, beta)) [* scale + shift] [+ residual]
// with per-sample (scale, shift) = film row b = [scale (C), shift (C)].
struct EpilogueArgs {
  const float* h = nullptr;  // (B * length, C), the conv output before its bias
  const float* conv_bias = nullptr;  // C
  const float* gamma = nullptr;      // C
  const float* beta = nullptr;       // C
  const float* film = nullptr;       // row b at film + b * film_stride, or null
  int64_t film_stride = 0;           // 0: 2C (rows of exactly [scale, shift])
  const float* residual = nullptr;   // (B * length, C) or null
  int64_t batch = 0, length = 0, channels = 0, groups = 1;
};
// mean and rstd (B, groups) are written when not null (training keeps them).
void EpilogueForward(const EpilogueArgs& args, float* out, float* mean, float* rstd);

// Gradients of EpilogueForward. grad_h (B * length, C); the per-sample
// parameter gradients (B, C) are summed over the batch by the caller;
// grad_film (B, 2C) only when args.film. The residual's gradient is grad_out.
struct EpilogueGrads {
  float* h = nullptr;
  float* conv_bias = nullptr;  // (B, C)
  float* gamma = nullptr;      // (B, C)
  float* beta = nullptr;       // (B, C)
  float* film = nullptr;       // (B, 2C)
};
void EpilogueBackward(const EpilogueArgs& args, const float* mean, const float* rstd,
                      const float* grad_out, const EpilogueGrads& grads);

// y = Mish(x) elementwise (the same vectorised formula as the epilogue).
void MishForward(const float* x, float* y, int64_t n);

// Row-major C (m x n) = A (m x k) * B (k x n), overwriting C. Few rows (a
// batch-1 forward has 4 to 16) take a register-blocked kernel that streams
// B once: BLAS would first copy ("pack") all of B, which at so few rows
// costs as much as the arithmetic. More rows go to TiledGemm's packed tiles
// (unet_conv_kernels.h) where the CPU has AVX2 or AVX-512, else to BLAS.
//
// The few-row kernel computes every element of C the same way whatever its
// place in the tiling and whichever instruction set runs it: one fused
// multiply-add chain over k in order, from 0 (c = fma(a_i, b_i, c) for
// i = 0 .. k-1). So a row's result does not depend on the other rows nor on
// m, n or the tile it fell in, and AVX2 and AVX-512 machines agree bitwise.
// TiledGemm keeps that promise at any m; BLAS gives no such promise (its
// blocking depends on the shape).
constexpr int64_t kFewRowsGemmMaxRows = 64;  // Gemm's few-row kernel takes m <= this
void Gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
          int64_t ldb, float* c, int64_t ldc);

// A B matrix (k, n) that many GEMMs read, such as an inference path's conv
// weight: kept row-major for the few-row kernel and BLAS and, where the tiled
// kernels run, also in their panels, packed once at construction (Gemm above
// packs B on every call of more than kFewRowsGemmMaxRows rows, which at
// evaluation's row counts cost a sixth of the time).
class GemmWeight {
 public:
  GemmWeight() = default;
  GemmWeight(int64_t k, int64_t n, std::vector<float> row_major);
  int64_t k() const { return k_; }
  int64_t n() const { return n_; }
  const float* data() const { return b_.data(); }
  // The panels when they were packed for `isa`, else null.
  const TilePanels* Panels(ConvIsa isa) const;

 private:
  int64_t k_ = 0, n_ = 0;
  std::vector<float> b_;
  std::optional<TilePanels> panels_;  // for the kernels in use at construction
};
// C (m x b.n(), row stride ldc) = A (m x b.k(), row stride lda) * b: the same
// kernels and bits as Gemm with b unpacked.
void Gemm(int64_t m, const float* a, int64_t lda, const GemmWeight& b, float* c, int64_t ldc);

// Which few-row kernel Gemm runs: AVX-512 where the CPU has avx512f, else
// AVX2 with FMA where it has both, else none (every Gemm goes to BLAS).
enum class GemmIsa { kBlasOnly, kAvx2Fma, kAvx512 };
GemmIsa GemmIsaInUse();
bool CpuSupports(GemmIsa isa);
// Tests only: makes Gemm use `isa` from now on (process-wide), so the AVX2
// kernel can be checked on an AVX-512 machine. Throws std::invalid_argument
// when this CPU cannot run it. Returns the one in use before.
GemmIsa ForceGemmIsaForTesting(GemmIsa isa);

// --- Autograd wrappers (float32 CPU tensors) ---

// Im2Col of one block or of [a, b] (b may be undefined), with gradients.
torch::Tensor Im2Col(const torch::Tensor& a, const torch::Tensor& b, int64_t length,
                     int64_t out_length, int64_t stride, const std::vector<int64_t>& offsets);

// im2col(a, b) w, as torch::mm(Im2Col(a, b, ...), w) computes it, with
// gradients for a, b and w (the (taps * in, out) matrix PackConvWeight
// gives). Where IndirectConvSupported(), the indirect kernels of
// unet_conv_kernels.h compute it and its gradients without an im2col matrix;
// elsewhere it is that im2col GEMM.
torch::Tensor ConvRows(const torch::Tensor& a, const torch::Tensor& b, int64_t length,
                       int64_t out_length, int64_t stride, const std::vector<int64_t>& offsets,
                       const torch::Tensor& w);
// True where the indirect convolution kernels run: the AVX-512 or the AVX2
// kernels are in use (GemmIsaInUse(); tests switch with ForceGemmIsaForTesting).
// The choice is fixed by the CPU, never by timing, so a run's numbers repeat.
bool IndirectConvSupported();

// A Conv1d weight (out, in, taps) as the (taps * in, out) matrix that
// tap-major im2col rows multiply, with gradients. A weight stored tap-major
// (StoreTapMajor) gives a view: no copy forward, none for its gradient.
// Any other weight is copied by a blocked transpose (the generic permute copy
// LibTorch does costs ~6 ms per forward of the CPU UNet).
torch::Tensor PackConvWeight(const torch::Tensor& weight);

// Re-stores a Conv1d weight parameter (out, in, taps) so that its memory is
// the (taps, in, out) matrix PackConvWeight needs, keeping its shape, values
// and identity (the module and any optimiser see the same tensor). Training
// then packs nothing per step and per data-parallel slice, and the weight's
// gradient arrives in that layout too. Every LibTorch op still reads it as
// (out, in, taps); checkpoints store it with its strides.
void StoreTapMajor(torch::Tensor& weight);
bool IsStoredTapMajor(const torch::Tensor& weight);

// The fused epilogue with gradients; film and residual may be undefined.
torch::Tensor Epilogue(const torch::Tensor& h, const torch::Tensor& conv_bias,
                       const torch::Tensor& gamma, const torch::Tensor& beta,
                       const torch::Tensor& film, const torch::Tensor& residual, int64_t groups,
                       int64_t length);

}  // namespace bcbench::unet_cpu
