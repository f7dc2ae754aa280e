// Speed of Diffusion Policy's denoiser (SPEC 9), measured in-process for
// `bcbench perf`: training throughput and its FLOP efficiency against a
// sgemm the caller measured in the same process, one forward at batch 1 on
// one thread (module and fast path), a whole DDIM chunk at batch 1, and
// optionally the per-row sampler against the whole-batch one at a few batch
// sizes.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "policies/diffusion/diffusion_config.h"

namespace bcbench {

struct DenoiserBenchOptions {
  DiffusionConfig config;  // network and sampler (default: the CPU UNet, DDIM-10)
  int obs_dim = 20;        // Push-T keypoints: To 2 x 20 = 40 condition features
  int action_dim = 2;
  int train_batch = 256;
  int train_threads = 0;   // 0: keep the current LibTorch thread count
  int train_steps = 8;     // timed optimiser steps (after 2 untimed)
  int forward_reps = 300;  // batch-1 forwards per timing
  int chunk_reps = 30;     // batch-1 chunks per timing
  bool train = true;       // time training (with its sgemm rounds)
  bool inference = true;   // time batch-1 forwards and chunks
  int rounds = 3;          // every figure is the best of this many alternating rounds
  // Chunks at these batch sizes through DiffusionModel::Sample (per-row,
  // one generator per row) and SampleWholeBatch, at compare_threads
  // LibTorch threads; empty: not measured.
  std::vector<int> compare_batches;
  int compare_threads = 2;
  int compare_reps = 5;
  // 1024^3 sgemm FLOP/s at the current thread count, measured by the caller;
  // called once per round, between the training rounds, so the efficiency
  // compares the two under the same conditions. Empty: no efficiency.
  std::function<double()> measure_sgemm;
};

struct DenoiserBench {
  int64_t parameters = 0;
  double forward_flops = 0;  // conv + linear FLOPs of one forward of one sample
  int train_threads = 0;
  double train_samples_per_s = 0;    // Loss + backward + AdamW step, batch train_batch
  double train_flops_per_s = 0;      // 3 x forward_flops x samples/s
  double sgemm_flops = 0;            // best of the rounds' sgemm at train_threads
  double train_flop_efficiency = 0;  // train_flops_per_s / sgemm_flops (0 when not given)
  // The optimiser step alone at train_threads, gradients given as two
  // slices' parts (what a 2-thread step hands it), best round, milliseconds:
  // the fused AdamW (policies/training/fused_adamw.h) and LibTorch's sum +
  // AdamW::step it replaces.
  double adamw_fused_ms = 0;
  double adamw_libtorch_ms = 0;
  int rounds = 0;
  // Batch 1, one thread, inference mode; per round the median of many calls,
  // then the best round, in milliseconds.
  double forward_module_ms = 0;      // ConditionalUnet1D::forward
  double forward_fast_ms = 0;        // UnetFastInference::Forward (condition already set)
  double forward_fast_cond_ms = 0;   // SetCondition + Forward (nothing amortised)
  double chunk_module_ms = 0;        // DiffusionModel::Sample on the module path
  double chunk_fast_ms = 0;          // DiffusionModel::Sample (fast path, the default)
  int chunk_steps = 0;               // network evaluations per chunk
  // One per compare_batches entry: milliseconds per chunk of `batch` rows,
  // per round the median of compare_reps calls, then the best round.
  struct SamplerTiming {
    int batch = 0;
    double per_row_ms = 0;      // Sample(obs, gens): each row on its own
    double whole_batch_ms = 0;  // SampleWholeBatch(obs, gen): rows share the GEMMs
  };
  int compare_threads = 0;
  std::vector<SamplerTiming> samplers;
};

// Restores the LibTorch thread count it found.
DenoiserBench MeasureDenoiser(const DenoiserBenchOptions& options);

}  // namespace bcbench
