#include "policies/diffusion/unet_plan.h"

#include <algorithm>
#include <stdexcept>

namespace bcbench {

UnetPlan MakeUnetPlan(const UnetOptions& o) {
  if (o.down_dims.empty()) throw std::invalid_argument("UNet: down_dims is empty");
  if (o.step_embed_dim < 4 || o.step_embed_dim % 2 != 0) {
    throw std::invalid_argument("UNet: step_embed_dim must be even and >= 4");
  }
  for (int d : o.down_dims) {
    if (d < 1 || d % o.n_groups != 0) {
      throw std::invalid_argument("UNet: every down_dims width must be a multiple of n_groups");
    }
  }
  UnetPlan plan;
  plan.options = o;
  plan.step_hidden_dim = 4 * o.step_embed_dim;
  plan.cond_dim = o.CondDim();
  const auto& dims = o.down_dims;
  const int levels = static_cast<int>(dims.size());
  plan.skip_slots = levels;

  int width = o.input_dim;  // channels flowing into the next stage
  int divisor = 1;          // its length is Tp / divisor
  auto add = [&](UnetStageKind kind, std::string name, int out, int kernel) -> UnetStage& {
    UnetStage s;
    s.kind = kind;
    s.name = std::move(name);
    s.in_channels = width;
    s.out_channels = out;
    s.kernel = kernel;
    s.in_divisor = s.out_divisor = divisor;
    if (kind == UnetStageKind::kDownsample) s.out_divisor = divisor * 2;
    if (kind == UnetStageKind::kUpsample) s.out_divisor = divisor / 2;
    if (kind == UnetStageKind::kResBlock) {
      s.film_offset = plan.film_width;
      plan.film_width += 2 * out;
    }
    width = out;
    divisor = s.out_divisor;
    plan.stages.push_back(std::move(s));
    return plan.stages.back();
  };
  auto res_block = [&](std::string name, int out) -> UnetStage& {
    return add(UnetStageKind::kResBlock, std::move(name), out, o.kernel_size);
  };

  // Down: two res blocks per level, each level's output kept for the up
  // path (slot = level; the first level's goes unused, as in the paper),
  // then a strided conv except after the deepest level.
  for (int i = 0; i < levels; ++i) {
    const std::string name = "down" + std::to_string(i);
    auto& first = res_block(name + "_res1", dims[i]);
    if (i == 0 && o.local_cond_channels > 0) {
      first.extra = UnetExtraInput::kLocalCond;
      first.extra_channels = o.local_cond_channels;
    }
    res_block(name + "_res2", dims[i]).skip_save = i;
    if (i < levels - 1) add(UnetStageKind::kDownsample, name + "_downsample", dims[i], 3);
  }
  res_block("mid1", dims[levels - 1]);
  res_block("mid2", dims[levels - 1]);
  // Up, deepest first: [x, skip] -> two res blocks -> transposed conv.
  for (int i = levels - 1, n = 0; i >= 1; --i, ++n) {
    const std::string name = "up" + std::to_string(n);
    auto& first = res_block(name + "_res1", dims[i - 1]);
    first.extra = UnetExtraInput::kSkip;
    first.extra_channels = dims[i];
    first.skip_read = i;
    res_block(name + "_res2", dims[i - 1]);
    add(UnetStageKind::kUpsample, name + "_upsample", dims[i - 1], 4);
  }
  add(UnetStageKind::kFinalBlock, "final_block", dims[0], o.kernel_size);
  add(UnetStageKind::kFinalConv, "final_conv", o.input_dim, 1);
  CheckUnetPlan(plan);
  return plan;
}

void CheckUnetPlan(const UnetPlan& plan) {
  const auto& o = plan.options;
  auto fail = [](const std::string& name, const std::string& why) {
    throw std::invalid_argument("UNet plan: stage " + name + ": " + why);
  };
  if (plan.stages.empty()) throw std::invalid_argument("UNet plan: no stages");
  struct Saved {
    int channels = -1, divisor = 0;
  };
  std::vector<Saved> slots(static_cast<size_t>(std::max(plan.skip_slots, 0)));
  int width = o.input_dim, divisor = 1, film = 0;
  bool local_read = false;
  for (const auto& s : plan.stages) {
    if (s.in_channels != width || s.in_divisor != divisor) {
      fail(s.name, "input does not match the previous stage's output");
    }
    if (s.out_channels < 1 || s.kernel < 1) fail(s.name, "needs out_channels and kernel >= 1");
    switch (s.extra) {
      case UnetExtraInput::kNone:
        if (s.extra_channels != 0) fail(s.name, "extra_channels without an extra input");
        break;
      case UnetExtraInput::kLocalCond:
        if (s.extra_channels != o.local_cond_channels || s.in_divisor != 1) {
          fail(s.name, "the local condition is (Tp, local_cond_channels)");
        }
        local_read = true;
        break;
      case UnetExtraInput::kSkip:
        if (s.skip_read < 0 || s.skip_read >= plan.skip_slots ||
            slots[s.skip_read].channels != s.extra_channels ||
            slots[s.skip_read].divisor != s.in_divisor) {
          fail(s.name, "reads a skip slot not saved earlier at its width and length");
        }
        break;
    }
    if (s.extra != UnetExtraInput::kNone && s.kind != UnetStageKind::kResBlock) {
      fail(s.name, "only residual blocks take an extra input");
    }
    const bool same_length = s.out_divisor == s.in_divisor;
    switch (s.kind) {
      case UnetStageKind::kResBlock:
      case UnetStageKind::kFinalBlock:
        if (!same_length || s.kernel % 2 == 0 || s.out_channels % o.n_groups != 0) {
          fail(s.name, "a conv block keeps the length, has an odd kernel and n_groups | width");
        }
        break;
      case UnetStageKind::kDownsample:
        if (s.out_divisor != 2 * s.in_divisor || s.kernel % 2 == 0) {
          fail(s.name, "a downsample halves the length with an odd kernel");
        }
        break;
      case UnetStageKind::kUpsample:
        if (2 * s.out_divisor != s.in_divisor || s.kernel != 4) {
          fail(s.name, "an upsample doubles the length with kernel 4");
        }
        break;
      case UnetStageKind::kFinalConv:
        if (!same_length || s.kernel != 1) fail(s.name, "the final conv is 1x1");
        break;
    }
    if (s.kind == UnetStageKind::kResBlock) {
      if (s.film_offset != film) fail(s.name, "FiLM offsets must follow forward order");
      film += 2 * s.out_channels;
    } else if (s.film_offset != -1) {
      fail(s.name, "only residual blocks are FiLM-ed");
    }
    if (s.skip_save >= plan.skip_slots) fail(s.name, "saves to a slot out of range");
    if (s.skip_save >= 0) slots[s.skip_save] = {s.out_channels, s.out_divisor};
    width = s.out_channels;
    divisor = s.out_divisor;
  }
  if (width != o.input_dim || divisor != 1) {
    throw std::invalid_argument("UNet plan: the output must be (Tp, input_dim)");
  }
  if (film != plan.film_width) throw std::invalid_argument("UNet plan: film_width is wrong");
  if (local_read != (o.local_cond_channels > 0)) {
    throw std::invalid_argument("UNet plan: the local condition must be read exactly when given");
  }
  if (plan.cond_dim != o.CondDim()) throw std::invalid_argument("UNet plan: cond_dim is wrong");
}

int UnetPlan::HorizonMultiple() const {
  int multiple = 1;
  for (const auto& s : stages) multiple = std::max({multiple, s.in_divisor, s.out_divisor});
  return multiple;
}

int64_t UnetPlan::MaxActivation(int horizon) const {
  int64_t size = 0;
  for (const auto& s : stages) {
    size = std::max(size, static_cast<int64_t>(s.OutLength(horizon)) * s.out_channels);
  }
  return size;
}

int64_t UnetStageParameterCount(const UnetPlan& plan, const UnetStage& s) {
  const int64_t in = s.InputChannels(), out = s.out_channels, k = s.kernel;
  const int64_t conv = in * out * k + out;  // weight + bias (transposed alike)
  switch (s.kind) {
    case UnetStageKind::kResBlock: {
      const int64_t block2 = out * out * k + out;
      const int64_t norms = 2 * 2 * out;
      const int64_t film = (plan.cond_dim + 1) * 2 * out;
      const int64_t residual = in != out ? in * out + out : 0;
      return conv + block2 + norms + film + residual;
    }
    case UnetStageKind::kFinalBlock:
      return conv + 2 * out;
    case UnetStageKind::kDownsample:
    case UnetStageKind::kUpsample:
    case UnetStageKind::kFinalConv:
      return conv;
  }
  return 0;
}

int64_t UnetPlan::ParameterCount() const {
  const int64_t d = options.step_embed_dim, h = step_hidden_dim;
  int64_t count = (d * h + h) + (h * d + d);
  for (const auto& s : stages) count += UnetStageParameterCount(*this, s);
  return count;
}

double UnetStageFlops(const UnetPlan& plan, const UnetStage& s, int horizon) {
  auto conv = [](double length, int in, int out, int kernel) {
    return 2.0 * length * in * out * kernel;
  };
  const int in = s.InputChannels(), out = s.out_channels;
  // Lengths as doubles: a horizon the plan cannot halve still gets a count.
  const double in_length = static_cast<double>(horizon) / s.in_divisor;
  const double out_length = static_cast<double>(horizon) / s.out_divisor;
  switch (s.kind) {
    case UnetStageKind::kResBlock: {
      double flops = conv(in_length, in, out, s.kernel);
      flops += 2.0 * plan.cond_dim * (2 * out);  // FiLM linear
      flops += conv(in_length, out, out, s.kernel);
      if (in != out) flops += conv(in_length, in, out, 1);
      return flops;
    }
    case UnetStageKind::kUpsample:
      return conv(in_length, in, out, s.kernel);  // every input position meets every tap
    case UnetStageKind::kDownsample:
    case UnetStageKind::kFinalBlock:
    case UnetStageKind::kFinalConv:
      return conv(out_length, in, out, s.kernel);
  }
  return 0;
}

double UnetPlan::ForwardFlops(int horizon) const {
  const double d = options.step_embed_dim, h = step_hidden_dim;
  double flops = 2.0 * d * h + 2.0 * h * d;  // step MLP
  for (const auto& s : stages) flops += UnetStageFlops(*this, s, horizon);
  return flops;
}

}  // namespace bcbench
