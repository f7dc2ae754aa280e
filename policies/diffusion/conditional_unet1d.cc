#include "policies/diffusion/conditional_unet1d.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "policies/diffusion/unet_cpu_ops.h"

namespace bcbench {

// --- Conv1dBlock ---

Conv1dBlockImpl::Conv1dBlockImpl(int in_channels, int out_channels, int kernel_size,
                                 int n_groups)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_size_(kernel_size),
      n_groups_(n_groups) {
  reset();
}

void Conv1dBlockImpl::reset() {
  conv = register_module(
      "conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(in_channels_, out_channels_, kernel_size_)
                                    .padding(kernel_size_ / 2)));
  unet_cpu::StoreTapMajor(conv->weight);
  norm = register_module("norm",
                         torch::nn::GroupNorm(torch::nn::GroupNormOptions(n_groups_, out_channels_)));
}

torch::Tensor Conv1dBlockImpl::forward(const torch::Tensor& x) {
  return torch::mish(norm(conv(x)));
}

// --- ConditionalResidualBlock1D ---

ConditionalResidualBlock1DImpl::ConditionalResidualBlock1DImpl(int in_channels,
                                                               int out_channels, int cond_dim,
                                                               int kernel_size, int n_groups)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      cond_dim_(cond_dim),
      kernel_size_(kernel_size),
      n_groups_(n_groups) {
  reset();
}

void ConditionalResidualBlock1DImpl::reset() {
  block1 = register_module("block1",
                           Conv1dBlock(in_channels_, out_channels_, kernel_size_, n_groups_));
  block2 = register_module("block2",
                           Conv1dBlock(out_channels_, out_channels_, kernel_size_, n_groups_));
  film = register_module("film", torch::nn::Linear(cond_dim_, 2 * out_channels_));
  residual = nullptr;
  if (in_channels_ != out_channels_) {
    residual = register_module(
        "residual", torch::nn::Conv1d(torch::nn::Conv1dOptions(in_channels_, out_channels_, 1)));
    unet_cpu::StoreTapMajor(residual->weight);
  }
}

torch::Tensor ConditionalResidualBlock1DImpl::forward(const torch::Tensor& x,
                                                      const torch::Tensor& cond) {
  // `cond` arrives already through Mish: the paper's per-block
  // Sequential(Mish, Linear) applies the same Mish to the same vector in
  // every block, so the UNet does it once.
  auto h = block1(x);
  const auto embed = film(cond).unsqueeze(-1);  // (B, 2 out, 1)
  const auto scale = embed.narrow(1, 0, out_channels_);
  const auto bias = embed.narrow(1, out_channels_, out_channels_);
  h = block2(torch::addcmul(bias, scale, h));
  return h + (residual ? residual(x) : x);
}

// --- ConditionalUnet1D ---

ConditionalUnet1DImpl::ConditionalUnet1DImpl(const UnetOptions& options)
    : plan_(MakeUnetPlan(options)) {
  reset();
}

ConditionalUnet1DImpl::ConditionalUnet1DImpl(UnetPlan plan) : plan_(std::move(plan)) {
  CheckUnetPlan(plan_);
  reset();
}

void ConditionalUnet1DImpl::reset() {
  const int d = plan_.options.step_embed_dim;
  step_linear1_ = register_module("step_linear1", torch::nn::Linear(d, plan_.step_hidden_dim));
  step_linear2_ = register_module("step_linear2", torch::nn::Linear(plan_.step_hidden_dim, d));
  const int groups = plan_.options.n_groups;
  stage_modules_.clear();
  for (const auto& s : plan_.stages) {
    const int in = s.InputChannels(), out = s.out_channels;
    switch (s.kind) {
      case UnetStageKind::kResBlock:
        stage_modules_.emplace_back(register_module(
            s.name, ConditionalResidualBlock1D(in, out, plan_.cond_dim, s.kernel, groups)));
        break;
      case UnetStageKind::kDownsample:
      case UnetStageKind::kFinalConv: {
        auto options = torch::nn::Conv1dOptions(in, out, s.kernel);
        if (s.kind == UnetStageKind::kDownsample) options.stride(2).padding(s.kernel / 2);
        auto conv = register_module(s.name, torch::nn::Conv1d(options));
        unet_cpu::StoreTapMajor(conv->weight);
        stage_modules_.emplace_back(conv);
        break;
      }
      case UnetStageKind::kUpsample:
        stage_modules_.emplace_back(register_module(
            s.name, torch::nn::ConvTranspose1d(
                        torch::nn::ConvTranspose1dOptions(in, out, s.kernel).stride(2).padding(1))));
        break;
      case UnetStageKind::kFinalBlock:
        stage_modules_.emplace_back(
            register_module(s.name, Conv1dBlock(in, out, s.kernel, groups)));
        break;
    }
  }
}

torch::Tensor SinusoidalEmbedding(const torch::Tensor& timesteps, int dim) {
  const int half = dim / 2;
  const auto options = timesteps.options().dtype(torch::kFloat32);
  const auto frequencies =
      torch::exp(torch::arange(half, options) * (-std::log(10000.0) / (half - 1)));
  const auto angles = timesteps.to(torch::kFloat32).unsqueeze(1) * frequencies.unsqueeze(0);
  return torch::cat({angles.sin(), angles.cos()}, 1);
}

torch::Tensor ConditionalUnet1DImpl::StepEmbedding(const torch::Tensor& timesteps) {
  return step_linear2_(
      torch::mish(step_linear1_(SinusoidalEmbedding(timesteps, options().step_embed_dim))));
}

torch::Tensor ConditionalUnet1DImpl::forward(const torch::Tensor& sample,
                                             const torch::Tensor& timesteps,
                                             const torch::Tensor& global_cond,
                                             const torch::Tensor& local_cond) {
  const auto& o = options();
  TORCH_CHECK(sample.dim() == 3 && sample.size(2) == o.input_dim,
              "UNet: sample must be (B, Tp, ", o.input_dim, ")");
  TORCH_CHECK(sample.size(1) % plan_.HorizonMultiple() == 0,
              "UNet: Tp must be divisible by ", plan_.HorizonMultiple(), " (2^(levels-1))");
  TORCH_CHECK(timesteps.dim() == 1 && timesteps.size(0) == sample.size(0),
              "UNet: timesteps must be (B)");
  if (o.local_cond_channels > 0) {
    TORCH_CHECK(local_cond.defined() && local_cond.dim() == 3 &&
                    local_cond.size(0) == sample.size(0) && local_cond.size(1) == sample.size(1) &&
                    local_cond.size(2) == o.local_cond_channels,
                "UNet: local_cond must be (B, Tp, ", o.local_cond_channels, ")");
  }
  auto cond = StepEmbedding(timesteps);
  if (o.global_cond_dim > 0) {
    TORCH_CHECK(global_cond.defined() && global_cond.dim() == 2 &&
                    global_cond.size(0) == sample.size(0) &&
                    global_cond.size(1) == o.global_cond_dim,
                "UNet: global_cond must be (B, ", o.global_cond_dim, ")");
    cond = torch::cat({cond, global_cond}, 1);
  }
  // The FiLM layers' shared input activation: the paper's per-block
  // Sequential(Mish, Linear) applies the same Mish to the same vector in
  // every block, so it is done once here.
  cond = torch::mish(cond);
  const bool time_major = cpu_kernels_ && sample.device().is_cpu() &&
                          sample.scalar_type() == torch::kFloat32;
  if (time_major) return ForwardTimeMajor(sample, local_cond, cond);
  return ForwardStandard(sample, local_cond, cond);
}

torch::Tensor ConditionalUnet1DImpl::ForwardStandard(const torch::Tensor& sample,
                                                     const torch::Tensor& local_cond,
                                                     const torch::Tensor& cond) {
  auto x = sample.transpose(1, 2);
  std::vector<torch::Tensor> skips(static_cast<size_t>(plan_.skip_slots));
  for (size_t i = 0; i < plan_.stages.size(); ++i) {
    const auto& stage = plan_.stages[i];
    switch (stage.kind) {
      case UnetStageKind::kResBlock: {
        auto input = x;
        if (stage.extra == UnetExtraInput::kLocalCond) {
          input = torch::cat({x, local_cond.transpose(1, 2)}, 1);
        } else if (stage.extra == UnetExtraInput::kSkip) {
          input = torch::cat({x, skips[stage.skip_read]}, 1);
        }
        x = StageModule<ConditionalResidualBlock1D>(i).ptr()->forward(input, cond);
        break;
      }
      case UnetStageKind::kDownsample:
      case UnetStageKind::kFinalConv:
        x = StageModule<torch::nn::Conv1d>(i).ptr()->forward(x);
        break;
      case UnetStageKind::kUpsample:
        x = StageModule<torch::nn::ConvTranspose1d>(i).ptr()->forward(x);
        break;
      case UnetStageKind::kFinalBlock:
        x = StageModule<Conv1dBlock>(i).ptr()->forward(x);
        break;
    }
    if (stage.skip_save >= 0) skips[stage.skip_save] = x;
  }
  return x.transpose(1, 2);
}

namespace {

namespace op = unet_cpu;

std::vector<int64_t> SameOffsets(int64_t kernel) {
  std::vector<int64_t> offsets;
  for (int64_t j = 0; j < kernel; ++j) offsets.push_back(j - kernel / 2);
  return offsets;
}

// Conv1d weight (out, in, k) as the (k * in, out) matrix im2col rows multiply.
torch::Tensor PackedWeight(const torch::nn::Conv1d& conv) { return op::PackConvWeight(conv->weight); }

// Conv1dBlock on time-major rows: im2col -> GEMM -> fused epilogue.
torch::Tensor ConvBlockRows(Conv1dBlock block, const torch::Tensor& x,
                            const torch::Tensor& skip, int64_t length, const torch::Tensor& film,
                            const torch::Tensor& residual) {
  const auto& conv = block->conv;
  const auto h = op::ConvRows(x, skip, length, length, 1, SameOffsets(conv->weight.size(2)),
                              PackedWeight(conv));
  return op::Epilogue(h, conv->bias, block->norm->weight, block->norm->bias, film, residual,
                      block->norm->options.num_groups(), length);
}

torch::Tensor ResBlockRows(ConditionalResidualBlock1D block, const torch::Tensor& x,
                           const torch::Tensor& skip, const torch::Tensor& cond, int64_t length) {
  const auto film = block->film(cond);  // (B, 2 out): [scale, shift]
  const auto h = ConvBlockRows(block->block1, x, skip, length, film, torch::Tensor());
  torch::Tensor residual;
  if (block->residual) {
    // 1x1 conv of [x, skip] = x W_x + skip W_skip: no concatenation.
    const auto& w = block->residual->weight;
    const auto weight = w.reshape({w.size(0), w.size(1)}).t();  // (in, out)
    residual = torch::addmm(block->residual->bias, x, weight.narrow(0, 0, x.size(1)));
    if (skip.defined()) residual = torch::addmm(residual, skip, weight.narrow(0, x.size(1), skip.size(1)));
  } else {
    residual = skip.defined() ? torch::cat({x, skip}, 1) : x;
  }
  return ConvBlockRows(block->block2, h, torch::Tensor(), length, torch::Tensor(), residual);
}

}  // namespace

torch::Tensor ConditionalUnet1DImpl::ForwardTimeMajor(const torch::Tensor& sample,
                                                      const torch::Tensor& local_cond,
                                                      const torch::Tensor& cond) {
  const auto& o = options();
  const int64_t batch = sample.size(0);
  const int horizon = static_cast<int>(sample.size(1));
  auto x = sample.reshape({batch * horizon, o.input_dim});
  std::vector<torch::Tensor> skips(static_cast<size_t>(plan_.skip_slots));
  for (size_t i = 0; i < plan_.stages.size(); ++i) {
    const auto& stage = plan_.stages[i];
    const int64_t length = stage.InLength(horizon);
    switch (stage.kind) {
      case UnetStageKind::kResBlock: {
        torch::Tensor extra;  // read by the im2col rows next to x: never concatenated
        if (stage.extra == UnetExtraInput::kLocalCond) {
          extra = local_cond.reshape({batch * horizon, o.local_cond_channels});
        } else if (stage.extra == UnetExtraInput::kSkip) {
          extra = skips[stage.skip_read];
        }
        x = ResBlockRows(StageModule<ConditionalResidualBlock1D>(i), x, extra, cond, length);
        break;
      }
      case UnetStageKind::kDownsample: {
        const auto& conv = StageModule<torch::nn::Conv1d>(i);
        const auto col = op::Im2Col(x, torch::Tensor(), length, length / 2, 2,
                                    SameOffsets(conv->weight.size(2)));
        x = torch::addmm(conv->bias, col, PackedWeight(conv));
        break;
      }
      case UnetStageKind::kUpsample: {
        // ConvTranspose1d(k4, s2, p1), weight (in, out, 4): output 2m is
        // x[m-1] W3 + x[m] W1, output 2m+1 is x[m] W2 + x[m+1] W0. One GEMM
        // over taps (-1, 0, +1) gives both as [even | odd] halves of a row,
        // which is the interleaved (2L, out) layout once viewed with half
        // the width.
        const auto& upsample = StageModule<torch::nn::ConvTranspose1d>(i);
        const auto& w = upsample->weight;
        const auto zero = torch::zeros({w.size(0), w.size(1)}, w.options());
        auto tap = [&](int64_t j) { return w.select(2, j); };
        const auto weight =
            torch::cat({torch::cat({tap(3), zero}, 1), torch::cat({tap(1), tap(2)}, 1),
                        torch::cat({zero, tap(0)}, 1)},
                       0);
        const auto bias = torch::cat({upsample->bias, upsample->bias});
        x = (op::ConvRows(x, torch::Tensor(), length, length, 1, {-1, 0, 1}, weight) + bias)
                .view({batch * length * 2, w.size(1)});
        break;
      }
      case UnetStageKind::kFinalBlock:
        x = ConvBlockRows(StageModule<Conv1dBlock>(i), x, torch::Tensor(), length,
                          torch::Tensor(), torch::Tensor());
        break;
      case UnetStageKind::kFinalConv: {
        const auto& w = StageModule<torch::nn::Conv1d>(i)->weight;
        x = torch::addmm(StageModule<torch::nn::Conv1d>(i)->bias, x,
                         w.reshape({w.size(0), w.size(1)}).t());
        break;
      }
    }
    if (stage.skip_save >= 0) skips[stage.skip_save] = x;
  }
  return x.view({batch, horizon, o.input_dim});
}

void ConditionalUnet1DImpl::InitParameters(torch::Generator& gen) {
  torch::NoGradGuard no_grad;
  const auto params = named_parameters();
  auto fan_in = [](const torch::Tensor& weight) {
    return static_cast<double>(weight.numel() / weight.size(0));
  };
  for (const auto& item : params) {
    const std::string& name = item.key();
    auto p = item.value();
    const bool is_bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
    const auto& weight = is_bias ? params[name.substr(0, name.size() - 4) + "weight"] : p;
    if (weight.dim() >= 2) {
      // PyTorch computes fan_in from dimension 1 for ConvTranspose too (its
      // weight is (in, out, k)), so numel / size(0) matches it in all cases.
      const double bound = 1.0 / std::sqrt(fan_in(weight));
      // Drawn in logical order whatever the storage (a tap-major weight
      // filled in place would take its draws in memory order).
      p.copy_(torch::empty(p.sizes(), p.options()).uniform_(-bound, bound, gen));
    } else if (is_bias) {
      p.zero_();  // GroupNorm shift
    } else {
      p.fill_(1.0);  // GroupNorm scale
    }
  }
}

int64_t ConditionalUnet1DImpl::ParameterCount() const {
  int64_t count = 0;
  for (const auto& p : parameters()) count += p.numel();
  return count;
}

double UnetForwardFlops(const UnetOptions& options, int horizon) {
  return MakeUnetPlan(options).ForwardFlops(horizon);
}

}  // namespace bcbench
