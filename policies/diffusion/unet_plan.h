// The one description of Diffusion Policy's 1-D UNet: its layers in forward
// order, with their widths, lengths and module names. The module's
// construction, its two forward paths (standard ops, time-major kernels),
// the inference fast path and the FLOP count all walk this list, so an
// architecture change is an edit of MakeUnetPlan (plus, for a new kind of
// layer, one case per executor).
//
// Lengths are kept as divisors of the horizon Tp, so one plan serves every
// horizon that HorizonMultiple() divides.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

enum class UnetStageKind {
  kResBlock,    // ConditionalResidualBlock1D (FiLM-ed, two Conv1dBlocks, residual)
  kDownsample,  // Conv1d(kernel, stride 2, padding kernel / 2): length halves
  kUpsample,    // ConvTranspose1d(k4, stride 2, padding 1): length doubles
  kFinalBlock,  // Conv1dBlock (conv, GroupNorm, Mish), no FiLM
  kFinalConv,   // Conv1d(k1), no activation: the network's output
};

// What a stage concatenates after its main input (channels-wise).
enum class UnetExtraInput { kNone, kLocalCond, kSkip };

struct UnetStage {
  UnetStageKind kind = UnetStageKind::kResBlock;
  std::string name;  // the registered module name (state-dict prefix): never rename
  int in_channels = 0;     // the previous stage's output (the sample for the first)
  UnetExtraInput extra = UnetExtraInput::kNone;
  int extra_channels = 0;  // concatenated after in_channels
  int skip_read = -1;      // extra == kSkip: the slot read
  int skip_save = -1;      // >= 0: the output is also kept in this slot
  int out_channels = 0;
  int kernel = 1;          // taps of the stage's convolutions
  int in_divisor = 1;      // input length = Tp / in_divisor
  int out_divisor = 1;     // output length = Tp / out_divisor
  int film_offset = -1;    // res blocks: where (scale, bias) start in the FiLM vector

  int InputChannels() const { return in_channels + extra_channels; }
  int InLength(int horizon) const { return horizon / in_divisor; }
  int OutLength(int horizon) const { return horizon / out_divisor; }
};

struct UnetPlan {
  UnetOptions options;        // what the plan was built from
  int step_hidden_dim = 0;    // step MLP: step_embed_dim -> hidden -> step_embed_dim
  int cond_dim = 0;           // FiLM input: [step embedding, global condition]
  int film_width = 0;         // sum over res blocks of 2 * out_channels
  int skip_slots = 0;
  std::vector<UnetStage> stages;

  // Tp must be a multiple of this (the deepest length divisor).
  int HorizonMultiple() const;
  // Floats per sample of the largest stage output at horizon Tp.
  int64_t MaxActivation(int horizon) const;
  int64_t ParameterCount() const;
  // Multiply-adds x 2 of the convolutions and linears of one forward pass of
  // one sample (GroupNorm, Mish and additions not counted).
  double ForwardFlops(int horizon) const;
};

// The architecture: Chi et al.'s conditional UNet (the layout is drawn in
// conditional_unet1d.h). Throws std::invalid_argument for options it cannot
// build.
UnetPlan MakeUnetPlan(const UnetOptions& options);

// Throws std::invalid_argument unless consecutive stages fit (widths,
// lengths, skip slots, FiLM offsets): for plans edited by hand.
void CheckUnetPlan(const UnetPlan& plan);

int64_t UnetStageParameterCount(const UnetPlan& plan, const UnetStage& stage);
double UnetStageFlops(const UnetPlan& plan, const UnetStage& stage, int horizon);

}  // namespace bcbench
