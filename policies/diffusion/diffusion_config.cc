#include "policies/diffusion/diffusion_config.h"

#include <sstream>
#include <stdexcept>

#include "policies/policy_registry.h"

namespace bcbench {
namespace {


[[noreturn]] void Invalid(const std::string& field, const std::string& value,
                          const std::string& valid) {
  throw std::invalid_argument("diffusion config: " + field + "=" + value + " is invalid; " +
                              valid);
}

template <typename T>
std::string Str(T v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string Str(const std::vector<int>& v) { return nlohmann::json(v).dump(); }

}  // namespace

const std::vector<PolicyPreset>& DiffusionPresets() {
  // presets/*.yaml, embedded at build time: {name, text} pairs.
  static const std::vector<PolicyPreset> presets = {
#include "diffusion_presets.inc"
  };
  return presets;
}

const ConfigSchema<DiffusionConfig>& DiffusionConfig::Schema() {
  static const ConfigSchema<DiffusionConfig> schema = [] {
    using C = DiffusionConfig;
    ConfigSchema<C> s("diffusion config");
    s.Int("obs_horizon", &C::obs_horizon, 1, 64, "To, observation steps conditioned on")
        .Int("pred_horizon", &C::pred_horizon, 1, 1024,
             "Tp, action steps per chunk; divisible by 2^(len(down_dims)-1)")
        .Int("action_horizon", &C::action_horizon, 1, 1024,
             "Ta, steps executed per chunk; Ta + latency_steps <= Tp - To + 1")
        .Int("latency_steps", &C::latency_steps, 0, 1024,
             "control steps the world advances while the policy computes (executing the "
             "previous chunk, or holding)")
        .Choice("denoiser", &C::denoiser, {"unet", "transformer"},
                "unet (DP-C) | transformer (DP-T; --preset transformer for its optimiser)")
        .IntList("down_dims", &C::down_dims, 1, 8, 1, 4096,
                 "UNet channel widths per level, e.g. 64,128,256")
        .Int("kernel_size", &C::kernel_size, 1, 31, "UNet convolution kernel; odd")
        .Int("n_groups", &C::n_groups, 1, 4096, "GroupNorm groups; divides every width")
        .Int("step_embed_dim", &C::step_embed_dim, 4, 4096,
             "diffusion-step embedding size; even")
        .Choice("cond", &C::cond, {"film", "channels"},
                "observation conditioning: FiLM in every block, or input channels")
        .Int("n_layer", &C::n_layer, 1, 64, "transformer decoder layers")
        .Int("n_head", &C::n_head, 1, 64, "transformer attention heads; divides n_emb")
        .Int("n_emb", &C::n_emb, 2, 4096, "transformer token width; even")
        .Number("p_drop_emb", &C::p_drop_emb, 0, 0.99, "transformer dropout on token embeddings")
        .Number("p_drop_attn", &C::p_drop_attn, 0, 0.99,
                "transformer dropout in attention and feed-forward")
        .Bool("causal_attn", &C::causal_attn,
              "transformer: action token t sees action tokens <= t and observations <= t "
              "(the original's causal_attn); false lets every token see all")
        .Int("num_train_timesteps", &C::num_train_timesteps, 1, 100000,
             "diffusion steps of the forward process")
        .Choice("beta_schedule", &C::beta_schedule, {"squaredcos_cap_v2", "linear"},
                "noise schedule")
        .Choice("prediction_type", &C::prediction_type, {"epsilon", "sample"},
                "network target: the noise or x0")
        .Bool("clip_sample", &C::clip_sample, "clamp predicted x0 to [-1, 1]")
        .Choice("sampler", &C::sampler, {"ddim", "ddpm"},
                "ddim (inference_steps steps) | ddpm (num_train_timesteps steps)")
        .Int("inference_steps", &C::inference_steps, 1, 100000,
             "DDIM steps, at most num_train_timesteps")
        .Number("cfg_dropout", &C::cfg_dropout, 0, 1,
                "probability of dropping the observation in training")
        .Number("guidance_weight", &C::guidance_weight, 0, 1000,
                "classifier-free guidance w; needs cfg_dropout > 0")
        .Include(&C::training, TrainingSchema())
        .Int("seed", &C::seed, 0, std::numeric_limits<int64_t>::max(),
             "seed of init, batches and noise");
    return s;
  }();
  return schema;
}

std::vector<std::string> DiffusionConfig::EvalKeys() {
  return {"action_horizon", "latency_steps", "sampler", "inference_steps", "guidance_weight",
          "clip_sample"};
}

void DiffusionConfig::Validate() const {
  Schema().CheckRanges(*this);
  if (denoiser == "transformer") {
    if (n_emb % n_head != 0 || n_emb % 2 != 0) {
      Invalid("n_emb", Str(n_emb),
              "must be even and divisible by n_head = " + Str(n_head) +
                  " (each head takes n_emb / n_head features)");
    }
    if (cond != "film") {
      Invalid("cond", cond,
              "applies to the UNet only; the transformer takes the observations by "
              "cross-attention (leave cond=film)");
    }
  }
  if (pred_horizon % DownsampleFactor() != 0) {
    Invalid("pred_horizon", Str(pred_horizon),
            "must be a multiple of 2^(levels-1) = " + Str(DownsampleFactor()) +
                " (levels = len(down_dims) = " + Str(Levels()) +
                "), since each level halves the time axis");
  }
  if (obs_horizon > pred_horizon) {
    Invalid("obs_horizon", Str(obs_horizon),
            "must be <= pred_horizon = " + Str(pred_horizon) +
                " (the chunk covers the observed steps and the ones ahead)");
  }
  const int executable = pred_horizon - obs_horizon + 1;
  if (action_horizon + latency_steps > executable) {
    Invalid("action_horizon", Str(action_horizon),
            "action_horizon + latency_steps must be <= pred_horizon - obs_horizon + 1 = " +
                Str(executable) + " (the chunk's steps from the current one on); latency_steps = " +
                Str(latency_steps));
  }
  if (kernel_size % 2 == 0) Invalid("kernel_size", Str(kernel_size), "must be odd");
  for (int d : down_dims) {
    if (d % n_groups != 0) {
      Invalid("n_groups", Str(n_groups),
              "must divide every down_dims width " + Str(down_dims) + " (GroupNorm)");
    }
  }
  if (step_embed_dim % 2 != 0) {
    Invalid("step_embed_dim", Str(step_embed_dim), "must be even (sin and cos halves)");
  }
  if (inference_steps > num_train_timesteps) {
    Invalid("inference_steps", Str(inference_steps),
            "valid range is [1, num_train_timesteps] = [1, " + Str(num_train_timesteps) + "]");
  }
  if (guidance_weight > 0 && cfg_dropout <= 0) {
    Invalid("guidance_weight", Str(guidance_weight),
            "needs cfg_dropout > 0: without condition dropout the unconditional model is "
            "never trained");
  }
}

void DiffusionConfig::Set(const std::string& key, const std::string& value) {
  Schema().Set(*this, key, value);
}

DiffusionConfig DiffusionConfig::FromYaml(const YAML::Node& node, const DiffusionConfig& base) {
  DiffusionConfig config = base;
  Schema().ApplyYaml(config, node);
  config.Validate();
  return config;
}

DiffusionConfig DiffusionConfig::FromJson(const nlohmann::json& json,
                                          const DiffusionConfig& base) {
  DiffusionConfig config = base;
  Schema().ApplyJson(config, json);
  config.Validate();
  return config;
}

DiffusionConfig DiffusionConfig::FromYaml(const YAML::Node& node) {
  return FromYaml(node, DiffusionConfig());
}

DiffusionConfig DiffusionConfig::FromJson(const nlohmann::json& json) {
  return FromJson(json, DiffusionConfig());
}

nlohmann::json DiffusionConfig::ToJson() const { return Schema().ToJson(*this); }

std::string DiffusionConfig::ToYaml() const { return Schema().ToYaml(*this); }

DiffusionConfig DiffusionConfig::Preset(const std::string& name) {
  for (const auto& preset : DiffusionPresets()) {
    if (preset.name == name) {
      return FromYaml(registry_detail::LoadYamlText("preset " + name, preset.yaml));
    }
  }
  throw std::invalid_argument("diffusion config: unknown preset '" + name +
                              "'; valid presets: " + registry_detail::PresetNames(DiffusionPresets()));
}

std::vector<std::string> DiffusionConfig::Keys() { return Schema().Keys(); }

}  // namespace bcbench
