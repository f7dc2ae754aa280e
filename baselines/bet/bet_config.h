// Every setting of BET (Behavior Transformer, Shafiullah et al. 2022) in one
// struct (SPEC 5): the action discretisation (k-means bins), the minGPT
// over the observation window, the loss, the sampling temperature and the
// shared training settings with BET's published values (notmahi/bet,
// configs for BlockPush: AdamW lr 1e-4, weight decay 0.1 on weights only,
// betas (0.9, 0.95), gradient clip 1, constant LR, no EMA).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policies/config/config_schema.h"
#include "policies/training/train_config.h"

namespace bcbench {

struct PolicyPreset;

struct BetConfig {
  // --- Windows: the transformer reads `window` observations in training
  // (one action target per observation step, every position trained) and
  // the last `eval_window` observations in rollouts; the action for the
  // newest observation is executed (Ta = 1). Paper: 5 / 3. ---
  int window = 5;
  int eval_window = 3;

  // --- Discretisation: k-means over the normalised training actions ---
  int bins = 24;          // 24 for 2-D tasks, 64 for larger action spaces
  int kmeans_iters = 50;  // Lloyd iterations (the original's 50)

  // --- minGPT (pre-LayerNorm blocks, GELU MLP, learned positions) ---
  int n_layer = 4;
  int n_head = 4;
  int n_embd = 72;
  double embd_pdrop = 0.1;  // dropout after the token + position embedding
  double attn_pdrop = 0.1;  // on the attention weights
  double resid_pdrop = 0.1;  // on each block's residual branches

  // --- Loss ---
  double focal_gamma = 2.0;  // focal loss on the bin; 0 is cross-entropy
  // Weight of the target bin's offset MSE. The original uses 1000 (Kitchen)
  // and 1e5 (BlockPush, whose raw actions are tiny); here actions are
  // normalised to [-1, 1] first, so 1000.
  double offset_loss_scale = 1000.0;

  // --- Sampling ---
  double temperature = 1.0;  // the bin is drawn from softmax(logits / temperature)

  TrainingConfig training = [] {
    TrainingConfig t;
    t.optimizer = "adamw";
    t.lr = 1e-4;
    t.betas = {0.9, 0.95};
    t.weight_decay = 0.1;
    t.decay_all = false;  // minGPT: no decay on biases, LayerNorms and pos_emb
    t.lr_schedule = "constant";
    t.warmup_steps = 0;
    t.ema = false;
    t.grad_clip = 1.0;
    t.batch_size = 256;
    return t;
  }();
  uint64_t seed = 0;  // parameter init, k-means, batches, dropout

  static const ConfigSchema<BetConfig>& Schema();
  // The keys `eval --set` may change (sampling and the rollout window).
  static std::vector<std::string> EvalKeys();
  // Throws std::invalid_argument naming the field, its value and what to change.
  void Validate() const;
};

// presets/*.yaml as embedded at build time; "default" first.
const std::vector<PolicyPreset>& BetPresets();

}  // namespace bcbench
