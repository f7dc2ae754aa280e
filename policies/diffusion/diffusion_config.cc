#include "policies/diffusion/diffusion_config.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace bcbench {
namespace {

// --- Parsing of `--set` / YAML scalars, with errors that name the key ---

std::string Trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = s.find_last_not_of(" \t");
  return s.substr(begin, end - begin + 1);
}

int64_t ParseInt(const std::string& key, const std::string& text) {
  const std::string t = Trim(text);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || error != std::errc() || end != t.data() + t.size()) {
    throw std::invalid_argument(key + ": '" + text + "' is not an integer");
  }
  return value;
}

double ParseDouble(const std::string& key, const std::string& text) {
  const std::string t = Trim(text);
  char* end = nullptr;
  const double value = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(value)) {
    throw std::invalid_argument(key + ": '" + text + "' is not a finite number");
  }
  return value;
}

bool ParseBool(const std::string& key, const std::string& text) {
  const std::string t = Trim(text);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  throw std::invalid_argument(key + ": '" + text + "' is not a boolean (true/false)");
}

// "64,128,256" or "[64, 128, 256]" -> {"64", "128", "256"}.
std::vector<std::string> SplitList(const std::string& key, const std::string& text) {
  std::string t = Trim(text);
  if (!t.empty() && t.front() == '[') {
    if (t.back() != ']') throw std::invalid_argument(key + ": '" + text + "' has no closing ]");
    t = t.substr(1, t.size() - 2);
  }
  std::vector<std::string> items;
  std::stringstream stream(t);
  std::string item;
  while (std::getline(stream, item, ',')) items.push_back(Trim(item));
  if (items.empty()) throw std::invalid_argument(key + ": empty list");
  return items;
}

// --- One table of fields: the single home of names, help, get and set ---

struct Field {
  std::string name;
  std::string help;
  std::function<nlohmann::json(const DiffusionConfig&)> get;
  std::function<void(DiffusionConfig&, const std::string&)> set;
};

Field IntField(const char* name, int DiffusionConfig::*member, const char* help) {
  return {name, help, [member](const DiffusionConfig& c) { return nlohmann::json(c.*member); },
          [member, name](DiffusionConfig& c, const std::string& v) {
            const int64_t x = ParseInt(name, v);
            if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max()) {
              throw std::invalid_argument(std::string(name) + ": " + v + " is out of range");
            }
            c.*member = static_cast<int>(x);
          }};
}

Field DoubleField(const char* name, double DiffusionConfig::*member, const char* help) {
  return {name, help, [member](const DiffusionConfig& c) { return nlohmann::json(c.*member); },
          [member, name](DiffusionConfig& c, const std::string& v) {
            c.*member = ParseDouble(name, v);
          }};
}

Field StringField(const char* name, std::string DiffusionConfig::*member, const char* help) {
  return {name, help, [member](const DiffusionConfig& c) { return nlohmann::json(c.*member); },
          [member](DiffusionConfig& c, const std::string& v) { c.*member = Trim(v); }};
}

Field BoolField(const char* name, bool DiffusionConfig::*member, const char* help) {
  return {name, help, [member](const DiffusionConfig& c) { return nlohmann::json(c.*member); },
          [member, name](DiffusionConfig& c, const std::string& v) {
            c.*member = ParseBool(name, v);
          }};
}

const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = [] {
    using C = DiffusionConfig;
    std::vector<Field> f;
    f.push_back(IntField("obs_horizon", &C::obs_horizon, "To, observation steps conditioned on"));
    f.push_back(IntField("pred_horizon", &C::pred_horizon,
                         "Tp, action steps per chunk; divisible by 2^(len(down_dims)-1)"));
    f.push_back(IntField("action_horizon", &C::action_horizon,
                         "Ta, steps executed per chunk; <= Tp - To + 1"));
    f.push_back(IntField("latency_steps", &C::latency_steps,
                         "chunk steps skipped for inference delay; < Ta"));
    f.push_back({"down_dims", "UNet channel widths per level, e.g. 64,128,256",
                 [](const C& c) { return nlohmann::json(c.down_dims); },
                 [](C& c, const std::string& v) {
                   std::vector<int> dims;
                   for (const auto& item : SplitList("down_dims", v)) {
                     dims.push_back(static_cast<int>(ParseInt("down_dims", item)));
                   }
                   c.down_dims = dims;
                 }});
    f.push_back(IntField("kernel_size", &C::kernel_size, "UNet convolution kernel; odd"));
    f.push_back(IntField("n_groups", &C::n_groups, "GroupNorm groups; divides every width"));
    f.push_back(IntField("step_embed_dim", &C::step_embed_dim,
                         "diffusion-step embedding size; even"));
    f.push_back(StringField("cond", &C::cond,
                            "observation conditioning: film | channels (input channels)"));
    f.push_back(IntField("num_train_timesteps", &C::num_train_timesteps,
                         "diffusion steps of the forward process"));
    f.push_back(StringField("beta_schedule", &C::beta_schedule, "squaredcos_cap_v2 | linear"));
    f.push_back(StringField("prediction_type", &C::prediction_type,
                            "network target: epsilon | sample"));
    f.push_back(BoolField("clip_sample", &C::clip_sample, "clamp predicted x0 to [-1, 1]"));
    f.push_back(StringField("sampler", &C::sampler,
                            "ddim (inference_steps) | ddpm (num_train_timesteps steps)"));
    f.push_back(IntField("inference_steps", &C::inference_steps,
                         "DDIM steps, 1..num_train_timesteps"));
    f.push_back(DoubleField("cfg_dropout", &C::cfg_dropout,
                            "probability of dropping the observation in training, [0, 1]"));
    f.push_back(DoubleField("guidance_weight", &C::guidance_weight,
                            "classifier-free guidance w >= 0; needs cfg_dropout > 0"));
    f.push_back(DoubleField("lr", &C::lr, "AdamW learning rate"));
    f.push_back({"betas", "AdamW (beta1, beta2), e.g. 0.95,0.999",
                 [](const C& c) { return nlohmann::json(c.betas); },
                 [](C& c, const std::string& v) {
                   std::vector<double> betas;
                   for (const auto& item : SplitList("betas", v)) {
                     betas.push_back(ParseDouble("betas", item));
                   }
                   c.betas = betas;
                 }});
    f.push_back(DoubleField("weight_decay", &C::weight_decay, "AdamW decoupled weight decay"));
    f.push_back(IntField("warmup_steps", &C::warmup_steps, "linear LR warm-up steps"));
    f.push_back(IntField("batch_size", &C::batch_size, "training batch"));
    f.push_back(IntField("train_steps", &C::train_steps, "optimiser steps"));
    f.push_back(DoubleField("ema_power", &C::ema_power, "EMA decay = 1 - (1 + step)^-power"));
    f.push_back(DoubleField("ema_max_decay", &C::ema_max_decay, "EMA decay cap, [0, 1]"));
    f.push_back(DoubleField("grad_clip", &C::grad_clip, "max gradient norm; 0 = off"));
    f.push_back(DoubleField("valid_ratio", &C::valid_ratio,
                            "fraction of episodes held out, [0, 1)"));
    f.push_back({"seed", "seed of init, batches and noise",
                 [](const C& c) { return nlohmann::json(c.seed); },
                 [](C& c, const std::string& v) {
                   const int64_t x = ParseInt("seed", v);
                   if (x < 0) throw std::invalid_argument("seed: " + v + " is negative");
                   c.seed = static_cast<uint64_t>(x);
                 }});
    return f;
  }();
  return fields;
}

const Field* FindField(const std::string& key) {
  for (const auto& f : Fields()) {
    if (f.name == key) return &f;
  }
  return nullptr;
}

std::string KeyList() {
  std::string list;
  for (const auto& f : Fields()) list += (list.empty() ? "" : ", ") + f.name;
  return list;
}

// A scalar or flat sequence, as the text Set() parses.
std::string YamlValueText(const std::string& key, const YAML::Node& value) {
  if (value.IsScalar()) return value.Scalar();
  if (value.IsSequence()) {
    std::string text;
    for (const auto& item : value) {
      if (!item.IsScalar()) throw std::invalid_argument(key + ": nested lists are not allowed");
      text += (text.empty() ? "" : ",") + item.Scalar();
    }
    return text;
  }
  throw std::invalid_argument(key + ": expected a value or a list");
}

std::string JsonValueText(const std::string& key, const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  if (value.is_array()) {
    std::string text;
    for (const auto& item : value) {
      if (item.is_array() || item.is_object()) {
        throw std::invalid_argument(key + ": nested lists are not allowed");
      }
      text += (text.empty() ? "" : ",") + JsonValueText(key, item);
    }
    return text;
  }
  throw std::invalid_argument(key + ": expected a value or a list");
}

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

void DiffusionConfig::Validate() const {
  if (obs_horizon < 1) Invalid("obs_horizon", Str(obs_horizon), "must be >= 1");
  if (pred_horizon < 1) Invalid("pred_horizon", Str(pred_horizon), "must be >= 1");
  if (down_dims.empty()) Invalid("down_dims", "[]", "needs at least one level");
  for (int d : down_dims) {
    if (d < 1) Invalid("down_dims", Str(down_dims), "widths must be >= 1");
  }
  if (Levels() > 16) Invalid("down_dims", Str(down_dims), "at most 16 levels");
  if (pred_horizon % DownsampleFactor() != 0) {
    Invalid("pred_horizon", Str(pred_horizon),
            "must be a multiple of 2^(levels-1) = " + Str(DownsampleFactor()) +
                " (levels = len(down_dims) = " + Str(Levels()) +
                "), since each level halves the time axis");
  }
  if (action_horizon < 1 || action_horizon > pred_horizon - obs_horizon + 1) {
    Invalid("action_horizon", Str(action_horizon),
            "valid range is [1, pred_horizon - obs_horizon + 1] = [1, " +
                Str(pred_horizon - obs_horizon + 1) + "]");
  }
  if (latency_steps < 0 || latency_steps >= action_horizon) {
    Invalid("latency_steps", Str(latency_steps),
            "valid range is [0, action_horizon - 1] = [0, " + Str(action_horizon - 1) + "]");
  }
  if (kernel_size < 1 || kernel_size % 2 == 0) {
    Invalid("kernel_size", Str(kernel_size), "must be odd and >= 1");
  }
  if (n_groups < 1) Invalid("n_groups", Str(n_groups), "must be >= 1");
  for (int d : down_dims) {
    if (d % n_groups != 0) {
      Invalid("n_groups", Str(n_groups),
              "must divide every down_dims width " + Str(down_dims) + " (GroupNorm)");
    }
  }
  if (step_embed_dim < 4 || step_embed_dim % 2 != 0) {
    Invalid("step_embed_dim", Str(step_embed_dim), "must be even and >= 4 (sin and cos halves)");
  }
  if (cond != "film" && cond != "channels") Invalid("cond", cond, "valid: film, channels");
  if (num_train_timesteps < 1 || num_train_timesteps > 100000) {
    Invalid("num_train_timesteps", Str(num_train_timesteps), "valid range is [1, 100000]");
  }
  if (beta_schedule != "squaredcos_cap_v2" && beta_schedule != "linear") {
    Invalid("beta_schedule", beta_schedule, "valid: squaredcos_cap_v2, linear");
  }
  if (prediction_type != "epsilon" && prediction_type != "sample") {
    Invalid("prediction_type", prediction_type, "valid: epsilon, sample");
  }
  if (sampler != "ddim" && sampler != "ddpm") Invalid("sampler", sampler, "valid: ddim, ddpm");
  if (inference_steps < 1 || inference_steps > num_train_timesteps) {
    Invalid("inference_steps", Str(inference_steps),
            "valid range is [1, num_train_timesteps] = [1, " + Str(num_train_timesteps) + "]");
  }
  if (!(cfg_dropout >= 0 && cfg_dropout <= 1)) {
    Invalid("cfg_dropout", Str(cfg_dropout), "valid range is [0, 1]");
  }
  if (!(guidance_weight >= 0)) Invalid("guidance_weight", Str(guidance_weight), "must be >= 0");
  if (guidance_weight > 0 && cfg_dropout <= 0) {
    Invalid("guidance_weight", Str(guidance_weight),
            "needs cfg_dropout > 0: without condition dropout the unconditional model is "
            "never trained");
  }
  if (!(lr > 0)) Invalid("lr", Str(lr), "must be > 0");
  if (betas.size() != 2) Invalid("betas", nlohmann::json(betas).dump(), "needs two values");
  for (double b : betas) {
    if (!(b >= 0 && b < 1)) Invalid("betas", nlohmann::json(betas).dump(), "each in [0, 1)");
  }
  if (!(weight_decay >= 0)) Invalid("weight_decay", Str(weight_decay), "must be >= 0");
  if (warmup_steps < 0) Invalid("warmup_steps", Str(warmup_steps), "must be >= 0");
  if (batch_size < 1) Invalid("batch_size", Str(batch_size), "must be >= 1");
  if (train_steps < 1) Invalid("train_steps", Str(train_steps), "must be >= 1");
  if (!(ema_power > 0)) Invalid("ema_power", Str(ema_power), "must be > 0");
  if (!(ema_max_decay >= 0 && ema_max_decay <= 1)) {
    Invalid("ema_max_decay", Str(ema_max_decay), "valid range is [0, 1]");
  }
  if (!(grad_clip >= 0)) Invalid("grad_clip", Str(grad_clip), "must be >= 0 (0 = off)");
  if (!(valid_ratio >= 0 && valid_ratio < 1)) {
    Invalid("valid_ratio", Str(valid_ratio), "valid range is [0, 1)");
  }
}

void DiffusionConfig::Set(const std::string& key, const std::string& value) {
  const Field* field = FindField(Trim(key));
  if (field == nullptr) {
    throw std::invalid_argument("diffusion config: unknown key '" + key +
                                "'; valid keys: " + KeyList());
  }
  field->set(*this, value);
}

DiffusionConfig DiffusionConfig::FromYaml(const YAML::Node& node, const DiffusionConfig& base) {
  DiffusionConfig config = base;
  if (node && !node.IsNull()) {
    if (!node.IsMap()) throw std::invalid_argument("diffusion config: YAML must be a mapping");
    for (const auto& entry : node) {
      const std::string key = entry.first.as<std::string>();
      config.Set(key, YamlValueText(key, entry.second));
    }
  }
  config.Validate();
  return config;
}

DiffusionConfig DiffusionConfig::FromJson(const nlohmann::json& json,
                                          const DiffusionConfig& base) {
  DiffusionConfig config = base;
  if (!json.is_object()) throw std::invalid_argument("diffusion config: JSON must be an object");
  for (const auto& [key, value] : json.items()) config.Set(key, JsonValueText(key, value));
  config.Validate();
  return config;
}

DiffusionConfig DiffusionConfig::FromYaml(const YAML::Node& node) {
  return FromYaml(node, DiffusionConfig());
}

DiffusionConfig DiffusionConfig::FromJson(const nlohmann::json& json) {
  return FromJson(json, DiffusionConfig());
}

nlohmann::json DiffusionConfig::ToJson() const {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& f : Fields()) json[f.name] = f.get(*this);
  return json;
}

YAML::Node DiffusionConfig::ToYaml() const {
  // Numbers go through JSON's shortest round-trip text ("1e-06", not
  // yaml-cpp's 17 digits), so a written config stays readable and diffable.
  YAML::Node node(YAML::NodeType::Map);
  for (const auto& f : Fields()) {
    const nlohmann::json value = f.get(*this);
    if (value.is_array()) {
      YAML::Node list(YAML::NodeType::Sequence);
      for (const auto& item : value) list.push_back(item.dump());
      list.SetStyle(YAML::EmitterStyle::Flow);
      node[f.name] = list;
    } else if (value.is_string()) {
      node[f.name] = value.get<std::string>();
    } else {
      node[f.name] = value.dump();
    }
  }
  return node;
}

DiffusionConfig DiffusionConfig::Preset(const std::string& name) {
  DiffusionConfig config;
  if (name == "cpu") return config;
  if (name == "paper") {
    config.down_dims = {256, 512, 1024};
    config.step_embed_dim = 256;
    config.sampler = "ddpm";
    config.inference_steps = 100;
    return config;
  }
  throw std::invalid_argument("diffusion config: unknown preset '" + name +
                              "'; valid presets: cpu, paper");
}

std::vector<std::string> DiffusionConfig::Keys() {
  std::vector<std::string> keys;
  for (const auto& f : Fields()) keys.push_back(f.name);
  return keys;
}

std::string DiffusionConfig::Help() {
  const DiffusionConfig defaults;
  std::string text;
  for (const auto& f : Fields()) {
    text += f.name + " (" + f.get(defaults).dump() + "): " + f.help + "\n";
  }
  return text;
}

}  // namespace bcbench
