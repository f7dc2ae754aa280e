// Diffusion Policy's denoiser: a 1-D UNet over the action chunk's time axis
// (Janner et al.'s temporal UNet with FiLM, as in Chi et al.).
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
// Two implementations of the same forward: float32 CPU tensors go through
// time-major kernels (unet_cpu_ops.h: im2col + one GEMM per convolution,
// one fused GroupNorm/Mish/FiLM/residual pass per block, with their own
// backward); anything else (CUDA, double) through standard LibTorch ops on
// channels-first tensors. Parameters are the same modules either way.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace bcbench {

struct UnetOptions {
  int input_dim = 2;             // action dimensions (channels in and out)
  int global_cond_dim = 0;       // features appended to the step embedding, FiLM-ed
  int local_cond_channels = 0;   // features given as extra input channels, (B, Tp, C)
  std::vector<int> down_dims = {64, 128, 256};
  int kernel_size = 5;
  int n_groups = 8;
  int step_embed_dim = 128;

  int CondDim() const { return step_embed_dim + global_cond_dim; }
};

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

class ConditionalUnet1DImpl : public torch::nn::Cloneable<ConditionalUnet1DImpl> {
 public:
  explicit ConditionalUnet1DImpl(const UnetOptions& options);
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

  const UnetOptions& options() const { return options_; }
  int64_t ParameterCount() const;

  // The modules, in forward order, for the inference fast path.
  struct Level {
    ConditionalResidualBlock1D res1{nullptr}, res2{nullptr};
    torch::nn::Conv1d downsample{nullptr};         // null at the last down level
    torch::nn::ConvTranspose1d upsample{nullptr};  // up levels
  };
  const std::vector<Level>& DownLevels() const { return down_; }
  const std::vector<ConditionalResidualBlock1D>& MidBlocks() const { return mid_; }
  const std::vector<Level>& UpLevels() const { return up_; }
  const torch::nn::Linear& StepLinear1() const { return step_linear1_; }
  const torch::nn::Linear& StepLinear2() const { return step_linear2_; }
  const Conv1dBlock& FinalBlock() const { return final_block_; }
  const torch::nn::Conv1d& FinalConv() const { return final_conv_; }

 private:
  // cond: Mish([step embedding, global]) (B, CondDim()).
  torch::Tensor ForwardStandard(torch::Tensor x, const torch::Tensor& local_cond,
                                const torch::Tensor& cond);
  torch::Tensor ForwardTimeMajor(const torch::Tensor& sample, const torch::Tensor& local_cond,
                                 const torch::Tensor& cond);

  UnetOptions options_;
  bool cpu_kernels_ = true;
  torch::nn::Linear step_linear1_{nullptr}, step_linear2_{nullptr};
  std::vector<Level> down_, up_;
  std::vector<ConditionalResidualBlock1D> mid_;
  Conv1dBlock final_block_{nullptr};
  torch::nn::Conv1d final_conv_{nullptr};
};
TORCH_MODULE(ConditionalUnet1D);

// Sinusoidal embedding of (B) timesteps: [sin(t f_i), cos(t f_i)] with
// f_i = 10000^(-i / (half - 1)), i < half = dim / 2. (B, dim).
torch::Tensor SinusoidalEmbedding(const torch::Tensor& timesteps, int dim);

// Multiply-adds x 2 of the convolutions and linears of one forward pass of
// one sample of horizon Tp (GroupNorm, Mish and additions not counted).
double UnetForwardFlops(const UnetOptions& options, int horizon);

}  // namespace bcbench
