// Every setting of Diffusion Policy (CNN) in one struct (SPEC 5): horizons,
// network, noise schedule, sampler, guidance and optimisation. Defaults are
// the CPU configuration; Preset("paper") gives the published sizes. The
// struct is data: it round-trips through YAML and JSON (checkpoints) and
// accepts `--set key=value`, and Validate() says which field to change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace bcbench {

struct DiffusionConfig {
  // --- Horizons (Push-T values from Chi et al.) ---
  int obs_horizon = 2;     // To: observation steps the policy conditions on
  int pred_horizon = 16;   // Tp: action steps predicted per chunk
  int action_horizon = 8;  // Ta: steps executed before re-planning; <= Tp - To + 1
  int latency_steps = 0;   // steps of the chunk skipped to model inference delay; < Ta

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

  // --- Optimisation (Diffusion Policy's defaults) ---
  double lr = 1e-4;
  std::vector<double> betas = {0.95, 0.999};  // AdamW (beta1, beta2)
  double weight_decay = 1e-6;
  int warmup_steps = 500;  // linear warm-up, then cosine decay to 0 at train_steps
  int batch_size = 256;
  int train_steps = 20000;       // optimiser steps (a CPU budget; the paper trains far longer)
  double ema_power = 0.75;       // EMA decay = 1 - (1 + step)^-ema_power ...
  double ema_max_decay = 0.9999;  // ... capped here
  double grad_clip = 0.0;        // max global gradient norm; 0 = off (the paper does not clip)
  double valid_ratio = 0.02;     // fraction of episodes held out for validation loss
  uint64_t seed = 0;             // parameter init, batches, noise

  // Throws std::invalid_argument naming the field, its value and the valid range.
  void Validate() const;
  // One `--set key=value`; lists as "64,128,256" or "[64, 128, 256]". Does
  // not validate (several sets may be needed together): call Validate() after.
  // An unknown key throws with the list of valid keys.
  void Set(const std::string& key, const std::string& value);

  // Keys not present keep `base`'s values; unknown keys throw. Validates.
  static DiffusionConfig FromYaml(const YAML::Node& node, const DiffusionConfig& base);
  static DiffusionConfig FromYaml(const YAML::Node& node);  // over the defaults
  static DiffusionConfig FromJson(const nlohmann::json& json, const DiffusionConfig& base);
  static DiffusionConfig FromJson(const nlohmann::json& json);
  YAML::Node ToYaml() const;
  nlohmann::json ToJson() const;

  // "cpu" (the defaults above) or "paper" (down_dims {256, 512, 1024}, step
  // embedding 256, DDPM-100 sampling, cfg off): Chi et al.'s Push-T state config.
  static DiffusionConfig Preset(const std::string& name);
  static std::vector<std::string> Keys();
  // One line per key: "key (default): what it does".
  static std::string Help();

  int Levels() const { return static_cast<int>(down_dims.size()); }
  int DownsampleFactor() const { return 1 << (Levels() - 1); }
};

}  // namespace bcbench
