// The settings of the shared training machinery (SPEC 5), in two parts:
// - TrainingConfig: how a policy is optimised (optimiser, schedule, EMA,
//   clipping, batch). It belongs to the policy: each policy config embeds
//   one, with its method's published defaults, and its keys sit beside the
//   policy's own (`--set lr=3e-4`).
// - RunConfig: one training run's settings that are not the policy's
//   (steps, validation split, logging and checkpoint cadence). Stored in
//   checkpoints beside, not inside, the policy's config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policies/config/config_schema.h"

namespace bcbench {

struct TrainingConfig {
  std::string optimizer = "adamw";  // adamw (decoupled decay) | adam (L2 decay in the gradient)
  double lr = 1e-4;
  std::vector<double> betas = {0.95, 0.999};
  double weight_decay = 1e-6;
  // false: parameter groups exempt 1-D parameters (biases, norm scales) and
  // embeddings from weight decay, as minGPT does for BET's transformer.
  bool decay_all = true;
  std::string lr_schedule = "cosine";  // cosine (to 0 at the last step) | constant
  int64_t warmup_steps = 500;          // linear warm-up from 0
  bool ema = true;                     // evaluate an exponential moving average of the weights
  double ema_power = 0.75;             // EMA decay = 1 - (1 + step)^-ema_power ...
  double ema_max_decay = 0.9999;       // ... capped here
  double grad_clip = 0.0;              // max global gradient norm; 0 = off
  int64_t batch_size = 256;
};

// The shared training keys, for Include() into a policy's schema.
const ConfigSchema<TrainingConfig>& TrainingSchema();

struct RunConfig {
  int64_t train_steps = 20000;  // optimiser steps; the LR schedule ends here
  double valid_ratio = 0.02;    // fraction of demos held out for validation loss
  int64_t log_every = 100;
  int64_t valid_every = 500;        // 0: only at the end
  int64_t checkpoint_every = 1000;  // and always at the end
  int64_t eval_every = 0;           // periodic rollouts with the EMA weights; 0 = off
  int eval_episodes = 10;

  static const ConfigSchema<RunConfig>& Schema();
  // The keys a resumed run must keep (changing them changes the run).
  nlohmann::json IdentityJson() const;
};

// Learning rate at `step` under `config` for a run of `total` steps.
double ScheduledLr(const TrainingConfig& config, int64_t step, int64_t total);

}  // namespace bcbench
