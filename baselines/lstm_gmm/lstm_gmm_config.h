// Every setting of LSTM-GMM (robomimic's BC-RNN-GMM, SPEC 5) in one struct.
// The member initialisers are the CPU defaults (a 2 x 128 LSTM) with
// robomimic's optimisation (Adam 1e-4, constant, no EMA); presets/paper.yaml
// holds the published network (2 x 400).
//
// Training windows (SequenceSampler: To observations and Tp actions from the
// same start step): To = seq_length and Tp = seq_length + Ta - 1, so window
// action k (and with chunks the Ta - 1 after it) belongs to observation k:
// the LSTM reads o_1..o_k from a zero state and predicts a_k at every step of
// the sequence, as robomimic trains on sequences of rnn horizon 10.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policies/config/config_schema.h"
#include "policies/training/train_config.h"

namespace bcbench {

struct PolicyPreset;

struct LstmGmmConfig {
  // --- Sequences and execution ---
  int seq_length = 10;     // training sequence (robomimic rnn horizon)
  int action_horizon = 1;  // Ta: actions per decision; > 1 models the Ta actions as one vector
  // Rollout: the LSTM state of an episode is carried from step to step and
  // reset to zero every reset_every observations, as robomimic's BC-RNN does
  // every rnn horizon (so the LSTM never runs longer than it was trained);
  // 0 carries it through the whole episode.
  int reset_every = 10;

  // --- Network ---
  int rnn_hidden = 128;  // LSTM width. robomimic / the paper: 400
  int rnn_layers = 2;
  int num_modes = 5;      // GMM components
  double min_std = 1e-4;  // added to the softplus of the scales
  // Evaluation samples a component from the mixture weights, then a Gaussian
  // with the scales replaced by 1e-4 (robomimic's low_noise_eval, on by
  // default there): the sampled component's mean, in effect. false samples
  // with the learnt scales.
  bool low_noise_eval = true;

  // --- Optimisation: robomimic's Adam 1e-4, no decay, constant, no EMA,
  // batch 100 ---
  TrainingConfig training = [] {
    TrainingConfig t;
    t.optimizer = "adam";
    t.lr = 1e-4;
    t.betas = {0.9, 0.999};
    t.weight_decay = 0.0;
    t.lr_schedule = "constant";
    t.warmup_steps = 0;
    t.ema = false;
    t.batch_size = 100;
    return t;
  }();
  uint64_t seed = 0;

  static const ConfigSchema<LstmGmmConfig>& Schema();
  // The keys `eval --set` may change (execution and sampling, not the network).
  static std::vector<std::string> EvalKeys();
  // Throws std::invalid_argument naming the field, its value and what to change.
  void Validate() const;
};

// presets/*.yaml as embedded at build time; "cpu" (the defaults) first.
const std::vector<PolicyPreset>& LstmGmmPresets();

}  // namespace bcbench
