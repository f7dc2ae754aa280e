// Diffusion Policy's denoiser: a 1-D UNet over the action chunk's time axis
// (Janner et al.'s temporal UNet with FiLM, as in Chi et al.). The layers
// MakeUnetPlan (unet_plan.cc) lists:
//
//   input (B, Tp, action) -> channels (B, action [+ local], Tp)
//   down: per level two conditional residual blocks, then Conv1d(k3, s2)
//         (not after the last level), keeping each level's output as a skip
//   mid:  two conditional residual blocks at the deepest width
//   up:   per level (deepest first, the first level's skip unused) cat(x,
//         skip) -> two residual blocks -> ConvTranspose1d(k4, s2)
//   out:  Conv1dBlock + 1x1 Conv1d back to `action` channels, (B, Tp, action)
//
// Conditional residual block: Conv1dBlock -> FiLM -> Conv1dBlock, plus the
// input (through a 1x1 conv when widths differ). Conv1dBlock = Conv1d(k,
// same padding) -> GroupNorm -> Mish. FiLM: Linear(Mish(cond)) gives, per
// channel, scale (first half) and bias (second half): h = scale * h + bias.
// cond = [step embedding, global condition], the step embedding being
// sinusoidal(t) -> Linear(d, 4d) -> Mish -> Linear(4d, d).
//
// The layers, in forward order, are one list (unet_plan.h) that the module
// registers and every executor walks: standard LibTorch ops on channels-first
// tensors (CUDA, double; the reference), time-major kernels for float32 CPU
// tensors (unet_cpu_ops.h: im2col + one GEMM per convolution, one fused
// GroupNorm/Mish/FiLM/residual pass per block, with their own backward), and
// the inference fast path (unet_fast_inference.h). Parameters are the same
// modules for all.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include <torch/torch.h>

#include "policies/diffusion/unet_plan.h"

namespace bcbench {

// Conv1d(k, same padding) -> GroupNorm -> Mish.
class Conv1dBlockImpl : public torch::nn::Cloneable<Conv1dBlockImpl> {
 public:
  Conv1dBlockImpl(int in_channels, int out_channels, int kernel_size, int n_groups);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv1d conv{nullptr};
  torch::nn::GroupNorm norm{nullptr};

 private:
  int in_channels_, out_channels_, kernel_size_, n_groups_;
};
TORCH_MODULE(Conv1dBlock);

class ConditionalResidualBlock1DImpl
    : public torch::nn::Cloneable<ConditionalResidualBlock1DImpl> {
 public:
  ConditionalResidualBlock1DImpl(int in_channels, int out_channels, int cond_dim,
                                 int kernel_size, int n_groups);
  void reset() override;
  // x (B, in, L), cond (B, cond_dim) -> (B, out, L).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cond);

  int in_channels() const { return in_channels_; }
  int out_channels() const { return out_channels_; }

  Conv1dBlock block1{nullptr}, block2{nullptr};
  torch::nn::Linear film{nullptr};       // cond_dim -> 2 * out (scale, bias)
  torch::nn::Conv1d residual{nullptr};  // 1x1; null when in == out

 private:
  int in_channels_, out_channels_, cond_dim_, kernel_size_, n_groups_;
};
TORCH_MODULE(ConditionalResidualBlock1D);

// The module of a plan stage, by kind: kResBlock ConditionalResidualBlock1D,
// kFinalBlock Conv1dBlock, kDownsample and kFinalConv Conv1d, kUpsample
// ConvTranspose1d.
using UnetStageModule = std::variant<ConditionalResidualBlock1D, Conv1dBlock, torch::nn::Conv1d,
                                     torch::nn::ConvTranspose1d>;

class ConditionalUnet1DImpl : public torch::nn::Cloneable<ConditionalUnet1DImpl> {
 public:
  explicit ConditionalUnet1DImpl(const UnetOptions& options);
  // A plan MakeUnetPlan would not build (checked with CheckUnetPlan): lets
  // tests hold the executors to an architecture the options cannot name.
  explicit ConditionalUnet1DImpl(UnetPlan plan);
  void reset() override;

  // sample (B, Tp, input_dim); timesteps (B) integer or float; global_cond
  // (B, global_cond_dim), undefined when that is 0; local_cond (B, Tp,
  // local_cond_channels), undefined when that is 0. Returns (B, Tp, input_dim).
  torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timesteps,
                        const torch::Tensor& global_cond,
                        const torch::Tensor& local_cond = {});
  // Off: float32 CPU tensors take the standard-op path too (tests compare
  // the two; the default is on).
  void SetCpuKernels(bool enabled) { cpu_kernels_ = enabled; }

  // sinusoidal(t) -> Linear -> Mish -> Linear: (B) -> (B, step_embed_dim).
  torch::Tensor StepEmbedding(const torch::Tensor& timesteps);
  // PyTorch's default initialisation (U(+-1/sqrt(fan_in)) for conv and linear
  // weights and biases, GroupNorm 1 and 0), drawn from `gen` so construction
  // does not touch the global generator.
  void InitParameters(torch::Generator& gen);

  const UnetOptions& options() const { return plan_.options; }
  const UnetPlan& plan() const { return plan_; }
  int64_t ParameterCount() const;

  // The module of plan().stages[i]; M must be the type its kind names above
  // (std::bad_variant_access otherwise).
  template <typename M>
  const M& StageModule(size_t i) const {
    return std::get<M>(stage_modules_.at(i));
  }

 private:
  // cond: Mish([step embedding, global]) (B, CondDim()).
  torch::Tensor ForwardStandard(const torch::Tensor& sample, const torch::Tensor& local_cond,
                                const torch::Tensor& cond);
  torch::Tensor ForwardTimeMajor(const torch::Tensor& sample, const torch::Tensor& local_cond,
                                 const torch::Tensor& cond);

  UnetPlan plan_;
  bool cpu_kernels_ = true;
  torch::nn::Linear step_linear1_{nullptr}, step_linear2_{nullptr};
  std::vector<UnetStageModule> stage_modules_;  // parallel to plan_.stages
};
TORCH_MODULE(ConditionalUnet1D);

// Sinusoidal embedding of (B) timesteps: [sin(t f_i), cos(t f_i)] with
// f_i = 10000^(-i / (half - 1)), i < half = dim / 2. (B, dim).
torch::Tensor SinusoidalEmbedding(const torch::Tensor& timesteps, int dim);

// MakeUnetPlan(options).ForwardFlops(horizon): multiply-adds x 2 of the
// convolutions and linears of one forward pass of one sample of horizon Tp
// (GroupNorm, Mish and additions not counted).
double UnetForwardFlops(const UnetOptions& options, int horizon);

}  // namespace bcbench
