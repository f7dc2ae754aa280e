// Every setting of Implicit BC (Florence et al. 2021) in one struct (SPEC 5):
// horizons, the energy MLP, InfoNCE training, derivative-free inference, and
// the shared training settings. The member initialisers are the CPU defaults
// (presets/cpu.yaml); presets/paper.yaml holds the published network. Fields
// are declared once in Schema(); Validate() adds the constraints between them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policies/config/config_schema.h"
#include "policies/training/train_config.h"

namespace bcbench {

struct PolicyPreset;

struct IbcConfig {
  // --- Horizons (Chi et al.'s IBC on Push-T: To 2, one action per decision) ---
  int obs_horizon = 2;     // To: observation steps the energy sees
  // Steps of the predicted chunk, from the current step on; the energy sees
  // the chunk as one vector of chunk_steps x A numbers.
  int chunk_steps = 1;
  int action_horizon = 1;  // Ta: steps executed before re-planning
  // Control steps the world advances while the policy computes (SPEC E8);
  // Ta + latency_steps <= chunk_steps.
  int latency_steps = 0;

  // --- Energy MLP E(obs, action): Linear + ReLU + Dropout per hidden layer,
  // then Linear to one scalar. Paper: 4 x 1024, dropout 0.1 ---
  std::vector<int> hidden_dims = {256, 256, 256, 256};
  double dropout = 0.1;

  // --- Training: InfoNCE over uniform counter-examples plus the positive ---
  int counter_examples = 256;  // N, drawn uniformly in the normalised bounds [-1, 1]
  double temperature = 1.0;    // logits = -E / temperature (training and inference)

  // --- Inference: derivative-free optimisation (DFO) in [-1, 1] ---
  int inference_samples = 1024;  // M candidates per decision
  int inference_iterations = 3;  // resample + perturb rounds
  double noise_scale = 0.33;     // first round's noise std, as a fraction of the bounds' range
  double noise_shrink = 0.5;     // the std is multiplied by this after each round
  // How the action is picked from the last round's candidates: "argmin" (lowest
  // energy; the original's greedy policy, which commits to the deepest mode)
  // or "sample" (drawn with probabilities softmax(-E / temperature); the
  // original's stochastic policy, which keeps every mode).
  std::string final_choice = "argmin";

  // --- Optimisation: Chi et al.'s IBC settings (AdamW 1e-4, betas 0.95/0.999,
  // wd 1e-6, cosine with 500 warm-up steps, no EMA) with a CPU-sized batch ---
  TrainingConfig training = [] {
    TrainingConfig t;
    t.ema = false;
    t.batch_size = 128;
    return t;
  }();
  uint64_t seed = 0;  // parameter init, batches, counter-examples

  static const ConfigSchema<IbcConfig>& Schema();
  // Keys `eval --set` may change: execution and the optimiser of inference.
  static std::vector<std::string> EvalKeys();
  // Throws std::invalid_argument naming the field, its value and what to change.
  void Validate() const;

  // Length of the action vector the energy scores: chunk_steps x action_dim.
  int ChunkVectorSize(int action_dim) const { return chunk_steps * action_dim; }
};

// presets/*.yaml as embedded at build time; "cpu" (the defaults) first.
const std::vector<PolicyPreset>& IbcPresets();

}  // namespace bcbench
