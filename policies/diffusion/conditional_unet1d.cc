#include "policies/diffusion/conditional_unet1d.h"

#include <cmath>
#include <stdexcept>
#include <string>

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

ConditionalUnet1DImpl::ConditionalUnet1DImpl(const UnetOptions& options) : options_(options) {
  if (options_.down_dims.empty()) throw std::invalid_argument("UNet: down_dims is empty");
  if (options_.step_embed_dim < 4 || options_.step_embed_dim % 2 != 0) {
    throw std::invalid_argument("UNet: step_embed_dim must be even and >= 4");
  }
  for (int d : options_.down_dims) {
    if (d < 1 || d % options_.n_groups != 0) {
      throw std::invalid_argument("UNet: every down_dims width must be a multiple of n_groups");
    }
  }
  reset();
}

void ConditionalUnet1DImpl::reset() {
  const auto& o = options_;
  const int d = o.step_embed_dim;
  step_linear1_ = register_module("step_linear1", torch::nn::Linear(d, 4 * d));
  step_linear2_ = register_module("step_linear2", torch::nn::Linear(4 * d, d));

  const int cond_dim = o.CondDim();
  std::vector<int> dims = {o.input_dim + o.local_cond_channels};
  dims.insert(dims.end(), o.down_dims.begin(), o.down_dims.end());
  const int levels = static_cast<int>(o.down_dims.size());
  auto res_block = [&](int in, int out) {
    return ConditionalResidualBlock1D(in, out, cond_dim, o.kernel_size, o.n_groups);
  };

  down_.clear();
  for (int i = 0; i < levels; ++i) {
    const std::string name = "down" + std::to_string(i);
    Level level;
    level.res1 = register_module(name + "_res1", res_block(dims[i], dims[i + 1]));
    level.res2 = register_module(name + "_res2", res_block(dims[i + 1], dims[i + 1]));
    if (i < levels - 1) {
      level.downsample = register_module(
          name + "_downsample",
          torch::nn::Conv1d(
              torch::nn::Conv1dOptions(dims[i + 1], dims[i + 1], 3).stride(2).padding(1)));
    }
    down_.push_back(level);
  }

  mid_.clear();
  for (int i = 1; i <= 2; ++i) {
    mid_.push_back(register_module("mid" + std::to_string(i), res_block(dims[levels], dims[levels])));
  }

  up_.clear();
  for (int i = levels - 1, n = 0; i >= 1; --i, ++n) {
    const std::string name = "up" + std::to_string(n);
    Level level;
    level.res1 = register_module(name + "_res1", res_block(2 * dims[i + 1], dims[i]));
    level.res2 = register_module(name + "_res2", res_block(dims[i], dims[i]));
    level.upsample = register_module(
        name + "_upsample",
        torch::nn::ConvTranspose1d(
            torch::nn::ConvTranspose1dOptions(dims[i], dims[i], 4).stride(2).padding(1)));
    up_.push_back(level);
  }

  final_block_ = register_module("final_block",
                                 Conv1dBlock(dims[1], dims[1], o.kernel_size, o.n_groups));
  final_conv_ = register_module(
      "final_conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(dims[1], o.input_dim, 1)));
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
      torch::mish(step_linear1_(SinusoidalEmbedding(timesteps, options_.step_embed_dim))));
}

torch::Tensor ConditionalUnet1DImpl::forward(const torch::Tensor& sample,
                                             const torch::Tensor& timesteps,
                                             const torch::Tensor& global_cond,
                                             const torch::Tensor& local_cond) {
  const auto& o = options_;
  TORCH_CHECK(sample.dim() == 3 && sample.size(2) == o.input_dim,
              "UNet: sample must be (B, Tp, ", o.input_dim, ")");
  TORCH_CHECK(sample.size(1) % (int64_t{1} << (o.down_dims.size() - 1)) == 0,
              "UNet: Tp must be divisible by 2^(levels-1)");
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

torch::Tensor ConditionalUnet1DImpl::ForwardStandard(torch::Tensor x,
                                                     const torch::Tensor& local_cond,
                                                     const torch::Tensor& cond) {
  x = x.transpose(1, 2);
  if (options_.local_cond_channels > 0) x = torch::cat({x, local_cond.transpose(1, 2)}, 1);
  std::vector<torch::Tensor> skips;
  for (auto& level : down_) {
    x = level.res2(level.res1(x, cond), cond);
    skips.push_back(x);
    if (level.downsample) x = level.downsample(x);
  }
  for (auto& block : mid_) x = block(x, cond);
  for (auto& level : up_) {
    x = torch::cat({x, skips.back()}, 1);
    skips.pop_back();
    x = level.upsample(level.res2(level.res1(x, cond), cond));
  }
  return final_conv_(final_block_(x)).transpose(1, 2);
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
  const auto col = op::Im2Col(x, skip, length, length, 1, SameOffsets(conv->weight.size(2)));
  const auto h = torch::mm(col, PackedWeight(conv));
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
  const auto& o = options_;
  const int64_t batch = sample.size(0);
  int64_t length = sample.size(1);
  auto x = sample.reshape({batch * length, o.input_dim});
  auto extra = o.local_cond_channels > 0
                   ? local_cond.reshape({batch * length, o.local_cond_channels})
                   : torch::Tensor();
  std::vector<torch::Tensor> skips;
  for (auto& level : down_) {
    x = ResBlockRows(level.res1, x, extra, cond, length);
    extra = torch::Tensor();
    x = ResBlockRows(level.res2, x, torch::Tensor(), cond, length);
    skips.push_back(x);
    if (level.downsample) {
      const auto col = op::Im2Col(x, torch::Tensor(), length, length / 2, 2, {-1, 0, 1});
      x = torch::addmm(level.downsample->bias, col, PackedWeight(level.downsample));
      length /= 2;
    }
  }
  for (auto& block : mid_) x = ResBlockRows(block, x, torch::Tensor(), cond, length);
  for (auto& level : up_) {
    x = ResBlockRows(level.res1, x, skips.back(), cond, length);
    skips.pop_back();
    x = ResBlockRows(level.res2, x, torch::Tensor(), cond, length);
    // ConvTranspose1d(k4, s2, p1), weight (in, out, 4): output 2m is x[m-1]
    // W3 + x[m] W1, output 2m+1 is x[m] W2 + x[m+1] W0. One GEMM over taps
    // (-1, 0, +1) gives both as [even | odd] halves of a row, which is the
    // interleaved (2L, out) layout once viewed with half the width.
    const auto& w = level.upsample->weight;
    const auto zero = torch::zeros({w.size(0), w.size(1)}, w.options());
    auto tap = [&](int64_t j) { return w.select(2, j); };
    const auto weight = torch::cat({torch::cat({tap(3), zero}, 1), torch::cat({tap(1), tap(2)}, 1),
                                    torch::cat({zero, tap(0)}, 1)},
                                   0);
    const auto bias = torch::cat({level.upsample->bias, level.upsample->bias});
    const auto col = op::Im2Col(x, torch::Tensor(), length, length, 1, {-1, 0, 1});
    x = torch::addmm(bias, col, weight).view({batch * length * 2, w.size(1)});
    length *= 2;
  }
  x = ConvBlockRows(final_block_, x, torch::Tensor(), length, torch::Tensor(), torch::Tensor());
  const auto& w = final_conv_->weight;
  x = torch::addmm(final_conv_->bias, x, w.reshape({w.size(0), w.size(1)}).t());
  return x.view({batch, length, o.input_dim});
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
      p.uniform_(-bound, bound, gen);
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

double UnetForwardFlops(const UnetOptions& o, int horizon) {
  double flops = 0;
  auto conv = [&](double length, int in, int out, int kernel) {
    flops += 2.0 * length * in * out * kernel;
  };
  auto linear = [&](int in, int out) { flops += 2.0 * in * out; };
  auto res_block = [&](double length, int in, int out) {
    conv(length, in, out, o.kernel_size);
    linear(o.CondDim(), 2 * out);
    conv(length, out, out, o.kernel_size);
    if (in != out) conv(length, in, out, 1);
  };
  linear(o.step_embed_dim, 4 * o.step_embed_dim);
  linear(4 * o.step_embed_dim, o.step_embed_dim);
  std::vector<int> dims = {o.input_dim + o.local_cond_channels};
  dims.insert(dims.end(), o.down_dims.begin(), o.down_dims.end());
  const int levels = static_cast<int>(o.down_dims.size());
  double length = horizon;
  for (int i = 0; i < levels; ++i) {
    res_block(length, dims[i], dims[i + 1]);
    res_block(length, dims[i + 1], dims[i + 1]);
    if (i < levels - 1) {
      length /= 2;
      conv(length, dims[i + 1], dims[i + 1], 3);
    }
  }
  res_block(length, dims[levels], dims[levels]);
  res_block(length, dims[levels], dims[levels]);
  for (int i = levels - 1; i >= 1; --i) {
    res_block(length, 2 * dims[i + 1], dims[i]);
    res_block(length, dims[i], dims[i]);
    conv(length, dims[i], dims[i], 4);  // transposed: every input position meets k taps
    length *= 2;
  }
  conv(length, dims[1], dims[1], o.kernel_size);
  conv(length, dims[1], o.input_dim, 1);
  return flops;
}

}  // namespace bcbench
