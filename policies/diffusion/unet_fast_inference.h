// An inference-only CPU path through a ConditionalUnet1D that gives the
// module's outputs (float rounding apart) at a fraction of its small-batch
// cost. At batch 1 the module spends most of its time per operator
// (dispatch, allocation, autograd bookkeeping, weight re-packing), not in
// arithmetic; here, with the kernels of unet_cpu_ops.h and no LibTorch op
// inside Forward:
// - activations stay time-major (B, L, C), the layout of the action chunk,
//   so a convolution is one GEMM of contiguous row copies (im2col of whole
//   rows) against weights packed once; at a few rows the GEMM is a
//   register-tiled AVX-512 or AVX2 kernel (BLAS would re-pack the weights
//   per call), at more rows the same kind of tiles over column panels that
//   are also packed once (unet_cpu::GemmWeight), with the same bits per row;
// - bias, GroupNorm, Mish, FiLM and the residual add are one pass per block;
// - FiLM is linear in Mish(cond) = [Mish(step embedding), Mish(obs)]: the
//   step part is tabulated for every timestep at construction and the
//   observation part computed once per chunk (SetCondition), leaving one
//   vector add per denoising step;
// - skip concatenation never materialises: the im2col rows read both parts.
// The path snapshots the weights: IsCurrent() says whether the module's
// parameters are still the ones it packed (storage and version counters).
//
// The packed weights are read-only after construction; everything a call
// writes lives in a UnetFastWorkspace, so threads may evaluate at once, each
// with its own workspace. Within one evaluation a sample's result depends
// only on its own inputs and the batch size B of that evaluation (the GEMMs
// see B * length rows); at a fixed B it is the same on every thread.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include <torch/torch.h>

#include "policies/diffusion/conditional_unet1d.h"
#include "policies/diffusion/unet_cpu_ops.h"

namespace bcbench {

// Scratch and per-chunk condition of one evaluation (see SetCondition),
// grown on demand and reused; one per concurrently evaluating thread.
class UnetFastWorkspace {
 private:
  friend class UnetFastInference;
  int64_t batch_ = 0;
  std::vector<float> obs_film_;  // (B, film_width), per chunk
  std::vector<float> col_, h_, r_, film_, act_a_, act_b_;
  std::vector<std::vector<float>> skips_;
};

class UnetFastInference {
 public:
  // Packs the weights of a float32 CPU UNet and tabulates the step part of
  // FiLM for timesteps 0 .. num_timesteps-1.
  UnetFastInference(ConditionalUnet1DImpl& unet, int num_timesteps);

  bool IsCurrent(const ConditionalUnet1DImpl& unet) const;

  // The observation part of FiLM for the coming calls with `workspace`:
  // (B, global_cond_dim) (ignored, may be undefined, when global_cond_dim is
  // 0). Fixes B.
  void SetCondition(const torch::Tensor& global_cond, int64_t batch,
                    UnetFastWorkspace& workspace) const;
  // sample (B, Tp, input_dim) float32 CPU; local_cond (B, Tp, channels) or
  // undefined; all rows at timestep t. Returns (B, Tp, input_dim).
  torch::Tensor Forward(const torch::Tensor& sample, int t, const torch::Tensor& local_cond,
                        UnetFastWorkspace& workspace) const;

  // The same with a workspace of its own (one thread at a time).
  void SetCondition(const torch::Tensor& global_cond, int64_t batch) {
    SetCondition(global_cond, batch, own_);
  }
  torch::Tensor Forward(const torch::Tensor& sample, int t, const torch::Tensor& local_cond = {}) {
    return Forward(sample, t, local_cond, own_);
  }

 private:
  struct Conv {  // out(rows, out) = im2col(rows, taps * in) * w(taps * in, out) + bias
    int in = 0, out = 0, taps = 0;
    unet_cpu::GemmWeight w;  // (taps * in, out), tap-major
    std::vector<float> bias;
  };
  struct Norm {
    int groups = 0;
    std::vector<float> gamma, beta;
  };
  struct ResBlock {
    Conv conv1, conv2, residual;  // residual.out == 0: identity
    Norm norm1, norm2;
    int film_offset = 0;  // where this block's (scale, bias) start in the FiLM vector
  };
  struct ConvBlock {  // conv -> GroupNorm -> Mish
    Conv conv;
    Norm norm;
  };
  struct Upsample {  // ConvTranspose1d(k4, s2, p1) as two 2-tap convs
    Conv even, odd;
  };
  // One per plan stage: kResBlock ResBlock, kFinalBlock ConvBlock,
  // kDownsample and kFinalConv Conv, kUpsample Upsample.
  using Stage = std::variant<ResBlock, ConvBlock, Conv, Upsample>;

  // Where a conv reads its input rows from: one or two channel blocks (x and
  // a skip), each (B * length, channels).
  struct Source {
    const float* data;
    int channels;
  };

  static Conv PackConv(const torch::nn::Conv1dImpl& conv);
  static Norm PackNorm(const torch::nn::GroupNormImpl& norm);
  static ResBlock PackResBlock(const ConditionalResidualBlock1DImpl& block, int film_offset);
  static Upsample PackUpsample(const torch::nn::ConvTranspose1dImpl& upsample);

  // Builds rows (b, m) = [src at m * stride + offset for offset in offsets] (zero
  // outside [0, length)) in ws.col_, returns the row width.
  static int Im2Col(UnetFastWorkspace& ws, const std::vector<Source>& sources, int length,
                    int out_length, int stride, const std::vector<int>& offsets);
  void RunResBlock(UnetFastWorkspace& ws, const ResBlock& block, const std::vector<Source>& input,
                   int length, float* output) const;
  // output (rows x conv.out, row stride ldc) = col (rows x lda) * conv.w + conv.bias.
  static void ConvRows(const Conv& conv, int rows, const float* col, int lda, float* output,
                       int ldc);
  // output = Mish(GroupNorm(h + bias)) * film_scale + film_bias (film when
  // film_offset >= 0), + residual (rows x channels, when not null).
  void NormMish(const UnetFastWorkspace& ws, const float* h, const Conv& conv, const Norm& norm,
                int length, int film_offset, const float* residual, float* output) const;

  UnetPlan plan_;
  int num_timesteps_;
  std::vector<Stage> stages_;  // parallel to plan_.stages
  std::vector<float> step_film_;  // (num_timesteps, film_width): Linear(Mish(step emb)) + bias
  torch::Tensor obs_film_weight_;  // (global_cond_dim, film_width)

  std::vector<std::pair<const void*, int64_t>> snapshot_;  // (storage, version) per parameter
  UnetFastWorkspace own_;
};

}  // namespace bcbench
