// Every setting of Diffusion Policy in one struct (SPEC 5): horizons, the
// denoiser (CNN UNet or transformer), noise schedule, sampler, guidance, and
// the shared training
// settings with Diffusion Policy's published values. The member
// initialisers are the CPU defaults; presets (presets/*.yaml) overlay them.
// The fields are declared once in Schema() (config_schema.h gives YAML,
// `--set`, JSON and range checks); Validate() adds the constraints between
// fields and says which one to change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "policies/config/config_schema.h"
#include "policies/training/train_config.h"

namespace bcbench {

struct PolicyPreset;

struct DiffusionConfig {
  // --- Horizons (Push-T values from Chi et al.) ---
  int obs_horizon = 2;     // To: observation steps the policy conditions on
  int pred_horizon = 16;   // Tp: action steps predicted per chunk
  int action_horizon = 8;  // Ta: steps executed before re-planning
  // Control steps the world advances while the policy computes (SPEC E8);
  // Ta + latency_steps <= Tp - To + 1.
  int latency_steps = 0;

  // --- Denoiser: "unet" (DP-C, the 1-D conditional UNet below) or
  // "transformer" (DP-T, transformer_denoiser.h; presets/transformer*.yaml
  // carry its published optimiser settings) ---
  std::string denoiser = "unet";

  // --- Network: 1-D conditional UNet ---
  // Channel widths per level; each level after the first halves the time
  // axis, so Tp must be divisible by 2^(levels-1). Paper: {256, 512, 1024}.
  std::vector<int> down_dims = {64, 128, 256};
  int kernel_size = 5;       // odd, so convolutions keep the length
  int n_groups = 8;          // GroupNorm groups; divides every down_dims entry
  int step_embed_dim = 128;  // sinusoidal diffusion-step embedding; even. Paper: 256
  // How the observation enters: "film" = concatenated to the step embedding
  // and applied by FiLM in every block (the paper's global conditioning);
  // "channels" = the flattened To observations broadcast over the Tp axis as
  // extra input channels, FiLM then carries only the step embedding.
  std::string cond = "film";

  // --- Network: transformer (denoiser = transformer). Paper (Push-T):
  // 8 layers, 4 heads, 256 wide ---
  int n_layer = 4;
  int n_head = 4;
  int n_emb = 128;             // token width; divisible by n_head, even
  double p_drop_emb = 0.0;     // dropout on the token embeddings
  double p_drop_attn = 0.3;    // dropout in attention and feed-forward
  // Causal self-attention over the action tokens, and token t seeing only
  // observations 0..t (the original's causal_attn, true in all its configs).
  bool causal_attn = true;

  // --- Diffusion ---
  int num_train_timesteps = 100;
  std::string beta_schedule = "squaredcos_cap_v2";  // or "linear" (DDPM's 1e-4..0.02)
  std::string prediction_type = "epsilon";          // or "sample" (predict x0)
  bool clip_sample = true;                          // clamp predicted x0 to [-1, 1]
  // "ddim" (deterministic, inference_steps steps) or "ddpm" (stochastic, all
  // num_train_timesteps steps; inference_steps is then unused). The paper
  // samples DDPM-100; DDIM-10 is the CPU default (10x fewer network calls).
  std::string sampler = "ddim";
  int inference_steps = 10;  // DDIM steps, 1..num_train_timesteps

  // --- Classifier-free guidance ---
  double cfg_dropout = 0.0;      // probability of training a sample unconditionally (paper: 0.1)
  double guidance_weight = 0.0;  // w: eps = (1 + w) eps_cond - w eps_uncond; needs cfg_dropout > 0

  // --- Optimisation: Diffusion Policy's AdamW, cosine with 500 warm-up
  // steps, batch 256, EMA 0.75 / 0.9999, no clipping ---
  TrainingConfig training;
  uint64_t seed = 0;  // parameter init, batches, noise

  static const ConfigSchema<DiffusionConfig>& Schema();
  // The keys `eval --set` may change (sampling and execution, not the network).
  static std::vector<std::string> EvalKeys();
  // Throws std::invalid_argument naming the field, its value and the valid range.
  void Validate() const;
  // One `--set key=value` (range-checked; call Validate() after a group of sets).
  void Set(const std::string& key, const std::string& value);

  // Keys not present keep `base`'s values; unknown keys throw. Validates.
  static DiffusionConfig FromYaml(const YAML::Node& node, const DiffusionConfig& base);
  static DiffusionConfig FromYaml(const YAML::Node& node);  // over the defaults
  static DiffusionConfig FromJson(const nlohmann::json& json, const DiffusionConfig& base);
  static DiffusionConfig FromJson(const nlohmann::json& json);
  std::string ToYaml() const;
  nlohmann::json ToJson() const;

  // A preset of presets/NAME.yaml ("cpu": the defaults, "paper": Chi et al.).
  static DiffusionConfig Preset(const std::string& name);
  static std::vector<std::string> Keys();

  int Levels() const { return static_cast<int>(down_dims.size()); }
  // What Tp must be a multiple of: the UNet halves the time axis per level.
  int DownsampleFactor() const {
    return denoiser == "transformer" ? 1 : 1 << (Levels() - 1);
  }
};

// presets/*.yaml as embedded at build time; "cpu" (the defaults) first.
const std::vector<PolicyPreset>& DiffusionPresets();

}  // namespace bcbench
