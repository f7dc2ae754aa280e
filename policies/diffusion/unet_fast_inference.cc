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
  std::vector<float> w(static_cast<size_t>(packed.taps) * packed.in * packed.out);
  const auto a = weight.accessor<float, 3>();
  for (int j = 0; j < packed.taps; ++j) {
    for (int c = 0; c < packed.in; ++c) {
      for (int o = 0; o < packed.out; ++o) {
        w[(static_cast<size_t>(j) * packed.in + c) * packed.out + o] = a[o][c][j];
      }
    }
  }
  packed.w = unet_cpu::GemmWeight(static_cast<int64_t>(packed.taps) * packed.in, packed.out,
                                  std::move(w));
  packed.bias = ToVector(conv.bias);
  return packed;
}

UnetFastInference::Norm UnetFastInference::PackNorm(const torch::nn::GroupNormImpl& norm) {
  return {static_cast<int>(norm.options.num_groups()), ToVector(norm.weight),
          ToVector(norm.bias)};
}

UnetFastInference::ResBlock UnetFastInference::PackResBlock(
    const ConditionalResidualBlock1DImpl& block, int film_offset) {
  ResBlock packed;
  packed.conv1 = PackConv(*block.block1->conv);
  packed.norm1 = PackNorm(*block.block1->norm);
  packed.conv2 = PackConv(*block.block2->conv);
  packed.norm2 = PackNorm(*block.block2->norm);
  if (block.residual) packed.residual = PackConv(*block.residual);
  packed.film_offset = film_offset;
  return packed;
}

UnetFastInference::Upsample UnetFastInference::PackUpsample(
    const torch::nn::ConvTranspose1dImpl& upsample) {
  // ConvTranspose1d(k4, s2, p1), weight (in, out, 4): output 2m takes
  // x[m] W1 + x[m-1] W3, output 2m+1 takes x[m+1] W0 + x[m] W2.
  const auto w = upsample.weight.detach().contiguous();
  const auto a = w.accessor<float, 3>();
  const int in = static_cast<int>(w.size(0)), out = static_cast<int>(w.size(1));
  auto pack_taps = [&](int first, int second) {
    Conv conv;
    conv.in = in;
    conv.out = out;
    conv.taps = 2;
    std::vector<float> packed(static_cast<size_t>(2) * in * out);
    for (int c = 0; c < in; ++c) {
      for (int o = 0; o < out; ++o) {
        packed[static_cast<size_t>(c) * out + o] = a[c][o][first];
        packed[(static_cast<size_t>(in) + c) * out + o] = a[c][o][second];
      }
    }
    conv.w = unet_cpu::GemmWeight(int64_t{2} * in, out, std::move(packed));
    conv.bias = ToVector(upsample.bias);
    return conv;
  };
  return {pack_taps(1, 3), pack_taps(0, 2)};
}

UnetFastInference::UnetFastInference(ConditionalUnet1DImpl& unet, int num_timesteps)
    : plan_(unet.plan()), num_timesteps_(num_timesteps) {
  torch::NoGradGuard no_grad;
  for (const auto& p : unet.parameters()) {
    TORCH_CHECK(p.device().is_cpu() && p.scalar_type() == torch::kFloat32,
                "UnetFastInference needs a float32 CPU UNet");
  }
  std::vector<const ConditionalResidualBlock1DImpl*> blocks;  // FiLM order = forward order
  for (size_t i = 0; i < plan_.stages.size(); ++i) {
    const auto& stage = plan_.stages[i];
    switch (stage.kind) {
      case UnetStageKind::kResBlock: {
        const auto& block = unet.StageModule<ConditionalResidualBlock1D>(i);
        blocks.push_back(block.get());
        stages_.emplace_back(PackResBlock(*block, stage.film_offset));
        break;
      }
      case UnetStageKind::kDownsample:
      case UnetStageKind::kFinalConv:
        stages_.emplace_back(PackConv(*unet.StageModule<torch::nn::Conv1d>(i)));
        break;
      case UnetStageKind::kUpsample:
        stages_.emplace_back(PackUpsample(*unet.StageModule<torch::nn::ConvTranspose1d>(i)));
        break;
      case UnetStageKind::kFinalBlock: {
        const auto& block = unet.StageModule<Conv1dBlock>(i);
        stages_.emplace_back(ConvBlock{PackConv(*block->conv), PackNorm(*block->norm)});
        break;
      }
    }
  }

  // FiLM input Mish([e, g]) = [Mish(e), Mish(g)], so Linear splits into a
  // step part (tabulated here, bias included) and an observation part.
  const auto& o = plan_.options;
  const int d = o.step_embed_dim;
  const auto steps = torch::arange(num_timesteps, torch::kLong);
  const auto step_input = torch::mish(unet.StepEmbedding(steps));  // (T, d)
  std::vector<torch::Tensor> step_parts, obs_weights;
  for (const auto* block : blocks) {
    const auto& weight = block->film->weight;  // (2 out, d + G)
    step_parts.push_back(torch::addmm(block->film->bias, step_input, weight.narrow(1, 0, d).t()));
    if (o.global_cond_dim > 0) obs_weights.push_back(weight.narrow(1, d, o.global_cond_dim));
  }
  step_film_ = ToVector(torch::cat(step_parts, 1));
  if (o.global_cond_dim > 0) {
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

void UnetFastInference::SetCondition(const torch::Tensor& global_cond, int64_t batch,
                                     UnetFastWorkspace& ws) const {
  ws.batch_ = batch;
  const int film_width = plan_.film_width;
  ws.obs_film_.assign(static_cast<size_t>(batch * film_width), 0.0f);
  const int g = plan_.options.global_cond_dim;
  if (g == 0) return;
  TORCH_CHECK(global_cond.dim() == 2 && global_cond.size(0) == batch && global_cond.size(1) == g,
              "UnetFastInference: global_cond must be (B, ", g, ")");
  auto activated = ToVector(global_cond);
  unet_cpu::MishForward(activated.data(), activated.data(), static_cast<int64_t>(activated.size()));
  Gemm(static_cast<int>(batch), film_width, g, activated.data(), g,
       obs_film_weight_.data_ptr<float>(), film_width, ws.obs_film_.data(), film_width);
}

int UnetFastInference::Im2Col(UnetFastWorkspace& ws, const std::vector<Source>& sources,
                              int length, int out_length, int stride,
                              const std::vector<int>& offsets) {
  std::vector<unet_cpu::RowBlock> blocks;
  int channels = 0;
  for (const auto& s : sources) {
    blocks.push_back({s.data, s.channels});
    channels += s.channels;
  }
  const int width = static_cast<int>(offsets.size()) * channels;
  Ensure(ws.col_, ws.batch_ * out_length * width);
  unet_cpu::Im2ColForward(blocks, ws.batch_, length, out_length, stride,
                          std::vector<int64_t>(offsets.begin(), offsets.end()), ws.col_.data());
  return width;
}

void UnetFastInference::ConvRows(const Conv& conv, int rows, const float* col, int lda,
                                 float* output, int ldc) {
  Gemm(rows, col, lda, conv.w, output, ldc);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < conv.out; ++c) output[static_cast<size_t>(r) * ldc + c] += conv.bias[c];
  }
}

void UnetFastInference::NormMish(const UnetFastWorkspace& ws, const float* h, const Conv& conv,
                                 const Norm& norm, int length, int film_offset,
                                 const float* residual, float* output) const {
  unet_cpu::EpilogueArgs args;
  args.h = h;
  args.conv_bias = conv.bias.data();
  args.gamma = norm.gamma.data();
  args.beta = norm.beta.data();
  if (film_offset >= 0) {
    args.film = ws.film_.data() + film_offset;
    args.film_stride = plan_.film_width;
  }
  args.residual = residual;
  args.batch = ws.batch_;
  args.length = length;
  args.channels = conv.out;
  args.groups = norm.groups;
  unet_cpu::EpilogueForward(args, output, nullptr, nullptr);
}

void UnetFastInference::RunResBlock(UnetFastWorkspace& ws, const ResBlock& block,
                                    const std::vector<Source>& input, int length,
                                    float* output) const {
  const int rows = static_cast<int>(ws.batch_) * length;
  const int out = block.conv1.out;
  const auto offsets = SameOffsets(block.conv1.taps);
  int width = Im2Col(ws, input, length, length, 1, offsets);
  Ensure(ws.h_, static_cast<int64_t>(rows) * out);
  Ensure(ws.r_, static_cast<int64_t>(rows) * out);
  Gemm(rows, ws.col_.data(), width, block.conv1.w, ws.h_.data(), out);
  // The residual reads the block input, which is the centre tap of these
  // im2col rows (already concatenated when the input is [x, skip]).
  const float* centre = ws.col_.data() + (block.conv1.taps / 2) * block.conv1.in;
  const float* residual = nullptr;
  if (block.residual.out > 0) {
    ConvRows(block.residual, rows, centre, width, ws.r_.data(), out);
    residual = ws.r_.data();
  } else if (input.size() == 1) {
    residual = input[0].data;
  } else {
    for (int i = 0; i < rows; ++i) {
      std::memcpy(ws.r_.data() + static_cast<size_t>(i) * out,
                  centre + static_cast<size_t>(i) * width, sizeof(float) * out);
    }
    residual = ws.r_.data();
  }
  NormMish(ws, ws.h_.data(), block.conv1, block.norm1, length, block.film_offset, nullptr,
           ws.h_.data());
  width = Im2Col(ws, {{ws.h_.data(), out}}, length, length, 1, offsets);
  Gemm(rows, ws.col_.data(), width, block.conv2.w, ws.h_.data(), out);
  NormMish(ws, ws.h_.data(), block.conv2, block.norm2, length, -1, residual, output);
}

torch::Tensor UnetFastInference::Forward(const torch::Tensor& sample, int t,
                                         const torch::Tensor& local_cond,
                                         UnetFastWorkspace& ws) const {
  const auto& o = plan_.options;
  TORCH_CHECK(t >= 0 && t < num_timesteps_, "UnetFastInference: timestep out of range");
  TORCH_CHECK(sample.dim() == 3 && sample.size(0) == ws.batch_ && sample.size(2) == o.input_dim &&
                  sample.device().is_cpu() && sample.scalar_type() == torch::kFloat32,
              "UnetFastInference: sample must be float32 CPU (B, Tp, ", o.input_dim,
              ") with B as given to SetCondition");
  const int horizon = static_cast<int>(sample.size(1));
  TORCH_CHECK(horizon % plan_.HorizonMultiple() == 0, "UnetFastInference: Tp must be divisible by ",
              plan_.HorizonMultiple(), " (2^(levels-1))");
  const auto x = sample.contiguous();
  torch::Tensor local;
  if (o.local_cond_channels > 0) {
    TORCH_CHECK(local_cond.defined() && local_cond.dim() == 3 && local_cond.size(0) == ws.batch_ &&
                    local_cond.size(1) == horizon && local_cond.size(2) == o.local_cond_channels,
                "UnetFastInference: local_cond must be (B, Tp, ", o.local_cond_channels, ")");
    local = local_cond.to(torch::kCPU, torch::kFloat32).contiguous();
  }

  Ensure(ws.act_a_, ws.batch_ * plan_.MaxActivation(horizon));
  Ensure(ws.act_b_, ws.batch_ * plan_.MaxActivation(horizon));
  ws.skips_.resize(static_cast<size_t>(plan_.skip_slots));

  const int film_width = plan_.film_width;
  Ensure(ws.film_, ws.batch_ * film_width);
  const float* step = step_film_.data() + static_cast<size_t>(t) * film_width;
  for (int64_t b = 0; b < ws.batch_; ++b) {
    for (int i = 0; i < film_width; ++i) {
      ws.film_[b * film_width + i] = step[i] + ws.obs_film_[b * film_width + i];
    }
  }

  // Each stage reads `current` (plus a skip or the local condition) and
  // writes its skip slot, the result (last stage) or whichever activation
  // buffer `current` is not in.
  auto result = torch::empty({ws.batch_, horizon, o.input_dim}, torch::kFloat32);
  auto other = [&](const float* busy) {
    return busy == ws.act_a_.data() ? ws.act_b_.data() : ws.act_a_.data();
  };
  const float* current = x.data_ptr<float>();
  for (size_t i = 0; i < stages_.size(); ++i) {
    const auto& stage = plan_.stages[i];
    const int length = stage.InLength(horizon);
    const int rows = static_cast<int>(ws.batch_) * length;
    float* output = other(current);
    if (i + 1 == stages_.size()) {
      output = result.data_ptr<float>();
    } else if (stage.skip_save >= 0) {
      auto& slot = ws.skips_[stage.skip_save];
      Ensure(slot, ws.batch_ * stage.OutLength(horizon) * stage.out_channels);
      output = slot.data();
    }
    switch (stage.kind) {
      case UnetStageKind::kResBlock: {
        std::vector<Source> input = {{current, stage.in_channels}};
        if (stage.extra == UnetExtraInput::kLocalCond) {
          input.push_back({local.data_ptr<float>(), stage.extra_channels});
        } else if (stage.extra == UnetExtraInput::kSkip) {
          input.push_back({ws.skips_[stage.skip_read].data(), stage.extra_channels});
        }
        RunResBlock(ws, std::get<ResBlock>(stages_[i]), input, length, output);
        break;
      }
      case UnetStageKind::kDownsample: {
        const int col_width = Im2Col(ws, {{current, stage.in_channels}}, length, length / 2, 2,
                                     SameOffsets(stage.kernel));
        ConvRows(std::get<Conv>(stages_[i]), rows / 2, ws.col_.data(), col_width, output,
                 stage.out_channels);
        break;
      }
      case UnetStageKind::kUpsample: {
        // Even and odd output rows are two GEMMs writing interleaved rows.
        const auto& up = std::get<Upsample>(stages_[i]);
        const int out = stage.out_channels;
        int col_width = Im2Col(ws, {{current, stage.in_channels}}, length, length, 1, {0, -1});
        ConvRows(up.even, rows, ws.col_.data(), col_width, output, 2 * out);
        col_width = Im2Col(ws, {{current, stage.in_channels}}, length, length, 1, {1, 0});
        ConvRows(up.odd, rows, ws.col_.data(), col_width, output + out, 2 * out);
        break;
      }
      case UnetStageKind::kFinalBlock: {
        const auto& block = std::get<ConvBlock>(stages_[i]);
        const int out = stage.out_channels;
        const int col_width = Im2Col(ws, {{current, stage.in_channels}}, length, length, 1,
                                     SameOffsets(stage.kernel));
        Ensure(ws.h_, static_cast<int64_t>(rows) * out);
        Gemm(rows, ws.col_.data(), col_width, block.conv.w, ws.h_.data(), out);
        NormMish(ws, ws.h_.data(), block.conv, block.norm, length, -1, nullptr, output);
        break;
      }
      case UnetStageKind::kFinalConv:
        // 1x1: the input rows are the im2col rows.
        ConvRows(std::get<Conv>(stages_[i]), rows, current, stage.in_channels, output,
                 stage.out_channels);
        break;
    }
    current = output;
  }
  TORCH_CHECK(current == result.data_ptr<float>(), "UnetFastInference: empty plan");
  return result;
}

}  // namespace bcbench
