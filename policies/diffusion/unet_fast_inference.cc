#include "policies/diffusion/unet_fast_inference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "policies/diffusion/unet_cpu_ops.h"

namespace bcbench {
namespace {

using unet_cpu::Gemm;

std::vector<float> ToVector(const torch::Tensor& t) {
  const auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

void Ensure(std::vector<float>& buffer, int64_t size) {
  if (static_cast<int64_t>(buffer.size()) < size) buffer.resize(static_cast<size_t>(size));
}

// Inference tensors keep no version counter; they can only change inside
// InferenceMode, which the sampler never does to weights.
int64_t Version(const torch::Tensor& p) { return p.is_inference() ? -1 : p._version(); }

std::vector<int> SameOffsets(int taps) {
  std::vector<int> offsets;
  for (int j = 0; j < taps; ++j) offsets.push_back(j - taps / 2);
  return offsets;
}

}  // namespace

UnetFastInference::Conv UnetFastInference::PackConv(const torch::nn::Conv1dImpl& conv) {
  const auto weight = conv.weight.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  Conv packed;
  packed.out = static_cast<int>(weight.size(0));
  packed.in = static_cast<int>(weight.size(1));
  packed.taps = static_cast<int>(weight.size(2));
  packed.w.resize(static_cast<size_t>(packed.taps) * packed.in * packed.out);
  const auto a = weight.accessor<float, 3>();
  for (int j = 0; j < packed.taps; ++j) {
    for (int c = 0; c < packed.in; ++c) {
      for (int o = 0; o < packed.out; ++o) {
        packed.w[(static_cast<size_t>(j) * packed.in + c) * packed.out + o] = a[o][c][j];
      }
    }
  }
  packed.bias = ToVector(conv.bias);
  return packed;
}

UnetFastInference::Norm UnetFastInference::PackNorm(const torch::nn::GroupNormImpl& norm) {
  return {static_cast<int>(norm.options.num_groups()), ToVector(norm.weight),
          ToVector(norm.bias)};
}

UnetFastInference::ResBlock UnetFastInference::PackResBlock(
    const ConditionalResidualBlock1DImpl& block, int& film_offset) {
  ResBlock packed;
  packed.conv1 = PackConv(*block.block1->conv);
  packed.norm1 = PackNorm(*block.block1->norm);
  packed.conv2 = PackConv(*block.block2->conv);
  packed.norm2 = PackNorm(*block.block2->norm);
  if (block.residual) packed.residual = PackConv(*block.residual);
  packed.film_offset = film_offset;
  film_offset += 2 * block.out_channels();
  return packed;
}

UnetFastInference::UnetFastInference(ConditionalUnet1DImpl& unet, int num_timesteps)
    : options_(unet.options()), num_timesteps_(num_timesteps) {
  torch::NoGradGuard no_grad;
  for (const auto& p : unet.parameters()) {
    TORCH_CHECK(p.device().is_cpu() && p.scalar_type() == torch::kFloat32,
                "UnetFastInference needs a float32 CPU UNet");
  }
  std::vector<const ConditionalResidualBlock1DImpl*> blocks;  // FiLM order = forward order
  int film_offset = 0;
  auto pack = [&](const ConditionalResidualBlock1D& block) {
    blocks.push_back(block.get());
    return PackResBlock(*block, film_offset);
  };
  for (const auto& level : unet.DownLevels()) {
    Level packed;
    packed.res1 = pack(level.res1);
    packed.res2 = pack(level.res2);
    if (level.downsample) packed.resample = PackConv(*level.downsample);
    down_.push_back(std::move(packed));
  }
  for (const auto& block : unet.MidBlocks()) mid_.push_back(pack(block));
  for (const auto& level : unet.UpLevels()) {
    Level packed;
    packed.res1 = pack(level.res1);
    packed.res2 = pack(level.res2);
    // ConvTranspose1d(k4, s2, p1), weight (in, out, 4): output 2m takes
    // x[m] W1 + x[m-1] W3, output 2m+1 takes x[m+1] W0 + x[m] W2.
    const auto w = level.upsample->weight.detach().contiguous();
    const auto a = w.accessor<float, 3>();
    const int in = static_cast<int>(w.size(0)), out = static_cast<int>(w.size(1));
    auto pack_taps = [&](int first, int second) {
      Conv conv;
      conv.in = in;
      conv.out = out;
      conv.taps = 2;
      conv.w.resize(static_cast<size_t>(2) * in * out);
      for (int c = 0; c < in; ++c) {
        for (int o = 0; o < out; ++o) {
          conv.w[static_cast<size_t>(c) * out + o] = a[c][o][first];
          conv.w[(static_cast<size_t>(in) + c) * out + o] = a[c][o][second];
        }
      }
      conv.bias = ToVector(level.upsample->bias);
      return conv;
    };
    packed.resample = pack_taps(1, 3);
    packed.upsample_odd = pack_taps(0, 2);
    up_.push_back(std::move(packed));
  }
  final_block_conv_ = PackConv(*unet.FinalBlock()->conv);
  final_block_norm_ = PackNorm(*unet.FinalBlock()->norm);
  final_conv_ = PackConv(*unet.FinalConv());
  film_width_ = film_offset;

  // FiLM input Mish([e, g]) = [Mish(e), Mish(g)], so Linear splits into a
  // step part (tabulated here, bias included) and an observation part.
  const int d = options_.step_embed_dim;
  const auto steps = torch::arange(num_timesteps, torch::kLong);
  const auto step_input = torch::mish(unet.StepEmbedding(steps));  // (T, d)
  std::vector<torch::Tensor> step_parts, obs_weights;
  for (const auto* block : blocks) {
    const auto& weight = block->film->weight;  // (2 out, d + G)
    step_parts.push_back(torch::addmm(block->film->bias, step_input, weight.narrow(1, 0, d).t()));
    if (options_.global_cond_dim > 0) {
      obs_weights.push_back(weight.narrow(1, d, options_.global_cond_dim));
    }
  }
  step_film_ = ToVector(torch::cat(step_parts, 1));
  if (options_.global_cond_dim > 0) {
    // Stored (G, film_width) so the per-chunk product is one row-major GEMM.
    obs_film_weight_ = torch::cat(obs_weights, 0).t().contiguous().clone();
  }
  for (const auto& p : unet.parameters()) snapshot_.emplace_back(p.data_ptr(), Version(p));
}

bool UnetFastInference::IsCurrent(const ConditionalUnet1DImpl& unet) const {
  const auto params = unet.parameters();
  if (params.size() != snapshot_.size()) return false;
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].data_ptr() != snapshot_[i].first || Version(params[i]) != snapshot_[i].second) {
      return false;
    }
  }
  return true;
}

void UnetFastInference::SetCondition(const torch::Tensor& global_cond, int64_t batch) {
  batch_ = batch;
  obs_film_.assign(static_cast<size_t>(batch * film_width_), 0.0f);
  const int g = options_.global_cond_dim;
  if (g == 0) return;
  TORCH_CHECK(global_cond.dim() == 2 && global_cond.size(0) == batch && global_cond.size(1) == g,
              "UnetFastInference: global_cond must be (B, ", g, ")");
  auto activated = ToVector(global_cond);
  unet_cpu::MishForward(activated.data(), activated.data(), static_cast<int64_t>(activated.size()));
  Gemm(static_cast<int>(batch), film_width_, g, activated.data(), g,
       obs_film_weight_.data_ptr<float>(), film_width_, obs_film_.data(), film_width_);
}

int UnetFastInference::Im2Col(const std::vector<Source>& sources, int length, int out_length,
                              int stride, const std::vector<int>& offsets) {
  std::vector<unet_cpu::RowBlock> blocks;
  int channels = 0;
  for (const auto& s : sources) {
    blocks.push_back({s.data, s.channels});
    channels += s.channels;
  }
  const int width = static_cast<int>(offsets.size()) * channels;
  Ensure(col_, batch_ * out_length * width);
  unet_cpu::Im2ColForward(blocks, batch_, length, out_length, stride,
                          std::vector<int64_t>(offsets.begin(), offsets.end()), col_.data());
  return width;
}

void UnetFastInference::NormMish(const float* h, const Conv& conv, const Norm& norm, int length,
                                 int film_offset, const float* residual, float* output) {
  unet_cpu::EpilogueArgs args;
  args.h = h;
  args.conv_bias = conv.bias.data();
  args.gamma = norm.gamma.data();
  args.beta = norm.beta.data();
  if (film_offset >= 0) {
    args.film = film_.data() + film_offset;
    args.film_stride = film_width_;
  }
  args.residual = residual;
  args.batch = batch_;
  args.length = length;
  args.channels = conv.out;
  args.groups = norm.groups;
  unet_cpu::EpilogueForward(args, output, nullptr, nullptr);
}

void UnetFastInference::RunResBlock(const ResBlock& block, const std::vector<Source>& input,
                                    int length, float* output) {
  const int rows = static_cast<int>(batch_) * length;
  const int out = block.conv1.out;
  const auto offsets = SameOffsets(block.conv1.taps);
  int width = Im2Col(input, length, length, 1, offsets);
  Ensure(h_, static_cast<int64_t>(rows) * out);
  Ensure(r_, static_cast<int64_t>(rows) * out);
  Gemm(rows, out, width, col_.data(), width, block.conv1.w.data(), out, h_.data(), out);
  // The residual reads the block input, which is the centre tap of these
  // im2col rows (already concatenated when the input is [x, skip]).
  const float* centre = col_.data() + (block.conv1.taps / 2) * block.conv1.in;
  const float* residual = nullptr;
  if (block.residual.out > 0) {
    Gemm(rows, out, block.conv1.in, centre, width, block.residual.w.data(), out, r_.data(),
         out);
    for (int i = 0; i < rows; ++i) {
      for (int c = 0; c < out; ++c) r_[static_cast<size_t>(i) * out + c] += block.residual.bias[c];
    }
    residual = r_.data();
  } else if (input.size() == 1) {
    residual = input[0].data;
  } else {
    for (int i = 0; i < rows; ++i) {
      std::memcpy(r_.data() + static_cast<size_t>(i) * out, centre + static_cast<size_t>(i) * width,
                  sizeof(float) * out);
    }
    residual = r_.data();
  }
  NormMish(h_.data(), block.conv1, block.norm1, length, block.film_offset, nullptr, h_.data());
  width = Im2Col({{h_.data(), out}}, length, length, 1, offsets);
  Gemm(rows, out, width, col_.data(), width, block.conv2.w.data(), out, h_.data(), out);
  NormMish(h_.data(), block.conv2, block.norm2, length, -1, residual, output);
}

torch::Tensor UnetFastInference::Forward(const torch::Tensor& sample, int t,
                                         const torch::Tensor& local_cond) {
  const auto& o = options_;
  TORCH_CHECK(t >= 0 && t < num_timesteps_, "UnetFastInference: timestep out of range");
  TORCH_CHECK(sample.dim() == 3 && sample.size(0) == batch_ && sample.size(2) == o.input_dim &&
                  sample.device().is_cpu() && sample.scalar_type() == torch::kFloat32,
              "UnetFastInference: sample must be float32 CPU (B, Tp, ", o.input_dim,
              ") with B as given to SetCondition");
  const int horizon = static_cast<int>(sample.size(1));
  TORCH_CHECK(horizon % (1 << (down_.size() - 1)) == 0,
              "UnetFastInference: Tp must be divisible by 2^(levels-1)");
  const auto x = sample.contiguous();
  torch::Tensor local;
  std::vector<Source> sources = {{x.data_ptr<float>(), o.input_dim}};
  if (o.local_cond_channels > 0) {
    TORCH_CHECK(local_cond.defined() && local_cond.dim() == 3 && local_cond.size(0) == batch_ &&
                    local_cond.size(1) == horizon && local_cond.size(2) == o.local_cond_channels,
                "UnetFastInference: local_cond must be (B, Tp, ", o.local_cond_channels, ")");
    local = local_cond.to(torch::kCPU, torch::kFloat32).contiguous();
    sources.push_back({local.data_ptr<float>(), o.local_cond_channels});
  }

  // Buffers sized for the widest stage: length * width <= Tp * max width.
  const int max_width = *std::max_element(o.down_dims.begin(), o.down_dims.end());
  Ensure(act_a_, batch_ * horizon * max_width);
  Ensure(act_b_, batch_ * horizon * max_width);
  skips_.resize(down_.size());

  Ensure(film_, batch_ * film_width_);
  const float* step = step_film_.data() + static_cast<size_t>(t) * film_width_;
  for (int64_t b = 0; b < batch_; ++b) {
    for (int i = 0; i < film_width_; ++i) {
      film_[b * film_width_ + i] = step[i] + obs_film_[b * film_width_ + i];
    }
  }

  auto other = [&](const float* busy) { return busy == act_a_.data() ? act_b_.data() : act_a_.data(); };
  int length = horizon;
  const float* current = nullptr;
  for (size_t i = 0; i < down_.size(); ++i) {
    const auto& level = down_[i];
    const int width = level.res1.conv1.out;
    float* first = other(sources[0].data);
    RunResBlock(level.res1, sources, length, first);
    Ensure(skips_[i], batch_ * length * width);
    RunResBlock(level.res2, {{first, width}}, length, skips_[i].data());
    current = skips_[i].data();
    if (!level.resample.w.empty()) {
      const int col_width = Im2Col({{current, width}}, length, length / 2, 2, {-1, 0, 1});
      length /= 2;
      const int rows = static_cast<int>(batch_) * length;
      float* down = act_a_.data();
      Gemm(rows, width, col_width, col_.data(), col_width, level.resample.w.data(), width,
           down, width);
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < width; ++c) down[static_cast<size_t>(r) * width + c] += level.resample.bias[c];
      }
      current = down;
    }
    sources = {{current, width}};
  }
  for (const auto& block : mid_) {
    float* next = other(current);
    RunResBlock(block, {{current, block.conv1.in}}, length, next);
    current = next;
  }
  for (size_t i = 0; i < up_.size(); ++i) {
    const auto& level = up_[i];
    const auto& skip = skips_[down_.size() - 1 - i];
    const int skip_width = level.res1.conv1.in / 2;
    const int width = level.res1.conv1.out;
    float* first = other(current);
    RunResBlock(level.res1, {{current, skip_width}, {skip.data(), skip_width}}, length, first);
    float* second = other(first);
    RunResBlock(level.res2, {{first, width}}, length, second);
    // Even and odd output rows are two GEMMs writing interleaved rows.
    const int rows = static_cast<int>(batch_) * length;
    float* up = other(second);
    int col_width = Im2Col({{second, width}}, length, length, 1, {0, -1});
    Gemm(rows, width, col_width, col_.data(), col_width, level.resample.w.data(), width, up,
         2 * width);
    col_width = Im2Col({{second, width}}, length, length, 1, {1, 0});
    Gemm(rows, width, col_width, col_.data(), col_width, level.upsample_odd.w.data(), width,
         up + width, 2 * width);
    length *= 2;
    for (int r = 0; r < rows * 2; ++r) {
      for (int c = 0; c < width; ++c) up[static_cast<size_t>(r) * width + c] += level.resample.bias[c];
    }
    current = up;
  }

  // Final Conv1dBlock and 1x1 conv, written straight into the result.
  const int width = final_block_conv_.in;
  const int rows = static_cast<int>(batch_) * length;
  const int col_width = Im2Col({{current, width}}, length, length, 1, SameOffsets(final_block_conv_.taps));
  Ensure(h_, static_cast<int64_t>(rows) * width);
  Gemm(rows, width, col_width, col_.data(), col_width, final_block_conv_.w.data(), width,
       h_.data(), width);
  float* block_out = other(current);
  NormMish(h_.data(), final_block_conv_, final_block_norm_, length, -1, nullptr, block_out);
  auto result = torch::empty({batch_, horizon, o.input_dim}, torch::kFloat32);
  float* y = result.data_ptr<float>();
  Gemm(rows, o.input_dim, width, block_out, width, final_conv_.w.data(), o.input_dim, y,
       o.input_dim);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < o.input_dim; ++c) y[static_cast<size_t>(r) * o.input_dim + c] += final_conv_.bias[c];
  }
  return result;
}

}  // namespace bcbench
