#include "benchmarks/runner/suite.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "benchmarks/runner/eval_run.h"
#include "benchmarks/runner/train_run.h"
#include "datasets/atomic_file.h"
#include "envs/registry.h"

namespace bcbench {
namespace {

struct EmbeddedSuite {
  const char* name;
  const char* text;
};
// {"smoke", R"(...)"}, ... from benchmarks/suites/*.yaml (bcbench_embed_presets).
// More cells than any suite needs (the paper suite has a few hundred); a
// larger grid is a typo or a misunderstanding, refused before any work.
constexpr int kMaxSuiteCells = 10000;

constexpr EmbeddedSuite kBuiltinSuites[] = {
#include "suites.inc"
};

// Demo settings an env entry, an experiment's `set` or a grid may name
// beside the env's options.
const std::vector<std::string> kDemoKeys = {"demo_episodes", "idle_prob", "noise",
                                            "mode_weights"};

[[noreturn]] void Fail(const std::string& where, const YAML::Node& node, const std::string& path,
                       const std::string& what) {
  const YAML::Mark mark = node.Mark();
  const std::string at =
      mark.is_null() ? where : fmt::format("{}:{}:{}", where, mark.line + 1, mark.column + 1);
  throw SuiteError(fmt::format("{}: {}: {}", at, path, what));
}

struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
  std::string path;  // dotted, e.g. "experiments.e3.grid.idle_prob"
};

// The entries of a mapping in file order. A missing or null node is an empty
// mapping. Keys outside `allowed` (when given) and repeated keys are refused.
std::vector<Entry> MapEntries(const std::string& where, const YAML::Node& node,
                              const std::string& path, const std::vector<std::string>& allowed) {
  std::vector<Entry> entries;
  if (!node || node.IsNull()) return entries;
  if (!node.IsMap()) Fail(where, node, path, "expected a mapping of keys (key: value)");
  for (const auto& item : node) {
    if (!item.first.IsScalar()) Fail(where, item.first, path, "keys must be plain names");
    const std::string key = item.first.Scalar();
    const std::string full = path.empty() ? key : path + "." + key;
    for (const auto& e : entries) {
      if (e.key == key) Fail(where, item.first, full, "appears twice; keep one of them");
    }
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      Fail(where, item.first, full,
           fmt::format("unknown key; valid keys here: {}", fmt::join(allowed, ", ")));
    }
    entries.push_back({key, item.first, item.second, full});
  }
  return entries;
}

const Entry* FindEntry(const std::vector<Entry>& entries, const std::string& key) {
  for (const auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::string ScalarOf(const std::string& where, const Entry& e) {
  if (!e.value.IsScalar()) Fail(where, e.value, e.path, "expected a single value");
  return e.value.Scalar();
}

// Why `text` did not parse as an integer: a number too large for 64 bits
// is out of range, not "not an integer".
std::string NotAnInteger(const std::string& text, int64_t min, int64_t max,
                         const std::string& what = "an integer") {
  const std::string t = config_detail::Trim(text);
  const size_t first = !t.empty() && t[0] == '-' ? 1 : 0;
  const bool digits = t.size() > first && t.find_first_not_of("0123456789", first) == std::string::npos;
  if (digits) return fmt::format("{} is outside [{}, {}]", t, min, max);
  return fmt::format("'{}' is not {}", text, what);
}

int64_t IntOf(const std::string& where, const Entry& e, int64_t min, int64_t max) {
  const std::string text = ScalarOf(where, e);
  int64_t v = 0;
  try {
    v = config_detail::ParseInt(e.key, text);
  } catch (const std::invalid_argument&) {
    Fail(where, e.value, e.path, NotAnInteger(text, min, max));
  }
  if (v < min || v > max) {
    Fail(where, e.value, e.path, fmt::format("{} is outside [{}, {}]", v, min, max));
  }
  return v;
}

double NumberOf(const std::string& where, const YAML::Node& node, const std::string& path,
                const std::string& text, double min, double max) {
  double v = 0;
  try {
    v = config_detail::ParseDouble(path, text);
  } catch (const std::invalid_argument&) {
    Fail(where, node, path, fmt::format("'{}' is not a finite number", text));
  }
  if (v < min || v > max) {
    Fail(where, node, path, fmt::format("{} is outside [{}, {}]", text, min, max));
  }
  return v;
}

std::vector<std::string> NameListOf(const std::string& where, const Entry& e) {
  if (!e.value.IsSequence() || e.value.size() == 0) {
    Fail(where, e.value, e.path, "expected a non-empty list, e.g. [a, b]");
  }
  std::vector<std::string> names;
  for (const auto& item : e.value) {
    if (!item.IsScalar()) Fail(where, item, e.path, "list items must be plain names");
    names.push_back(item.Scalar());
  }
  return names;
}

// A value for a config key, env option or demo key: a scalar, or a flat list
// (as "a,b,c", what `--set` parses).
std::string ValueText(const std::string& where, const YAML::Node& node, const std::string& path) {
  try {
    return config_detail::YamlValueText(path, node);
  } catch (const std::invalid_argument&) {
    Fail(where, node, path, "expected a value or a flat list of values");
  }
}

// Names that go into cell ids and file names.
void CheckName(const std::string& where, const Entry& e, const std::string& what) {
  const bool ok = !e.key.empty() && std::all_of(e.key.begin(), e.key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
  if (!ok) {
    Fail(where, e.key_node, e.path,
         fmt::format("{} names may use letters, digits, '_' and '.' only (they make cell ids)",
                     what));
  }
}

// One setting with where it was written.
struct Setting {
  std::string key;
  std::string value;
  YAML::Node node;
  std::string path;
};

// Where a key lands for one (env, policy).
enum class KeyKind { kPreset, kDemo, kEnvOption, kRun, kPolicy, kUnknown };

// Env facts the parser needs, built once per env name.
struct EnvFacts {
  std::vector<std::string> option_keys;  // Env::Options() keys of the default env
  size_t num_modes = 0;
  bool has_probe_start = false;  // accepts start=probe (Push-T)
};

class Expander {
 public:
  Expander(std::string where) : where_(std::move(where)) {}

  const EnvFacts& Facts(const std::string& env) {
    auto it = facts_.find(env);
    if (it != facts_.end()) return it->second;
    EnvFacts f;
    const auto made = MakeEnv(env);
    for (const auto& [key, value] : made->Options()) f.option_keys.push_back(key);
    f.num_modes = made->ModeNames().size();
    f.has_probe_start = made->Options().count("start") > 0;
    return facts_.emplace(env, std::move(f)).first->second;
  }

  KeyKind Kind(const std::string& key, const std::string& env, const PolicyEntry* policy) {
    if (key == "preset") return KeyKind::kPreset;
    if (std::find(kDemoKeys.begin(), kDemoKeys.end(), key) != kDemoKeys.end()) return KeyKind::kDemo;
    const auto& options = Facts(env).option_keys;
    if (std::find(options.begin(), options.end(), key) != options.end()) {
      return KeyKind::kEnvOption;
    }
    if (RunConfig::Schema().Has(key)) return KeyKind::kRun;
    if (policy != nullptr && std::find(policy->keys.begin(), policy->keys.end(), key) !=
                                 policy->keys.end()) {
      return KeyKind::kPolicy;
    }
    return KeyKind::kUnknown;
  }

  // Checks one env option on its own (the env's own parser says what is wrong).
  void CheckEnvOption(const std::string& env, const Setting& s) {
    const std::string cache_key = env + "\n" + s.key + "\n" + s.value;
    if (checked_options_.count(cache_key)) return;
    try {
      MakeEnv(env, {{s.key, s.value}});
    } catch (const EnvError& e) {
      Fail(where_, s.node, s.path, e.what());
    }
    checked_options_.insert(cache_key);
  }

  const std::string& where() const { return where_; }

 private:
  std::string where_;
  std::map<std::string, EnvFacts> facts_;
  std::set<std::string> checked_options_;
};

// A cell under construction: layers of settings applied in order.
struct CellDraft {
  std::string env;
  const PolicyEntry* policy = nullptr;
  std::string preset;
  EnvOptions env_options;
  DemoSpec demos;
  std::vector<Setting> sets;  // run and policy keys, in layer order
  YAML::Node preset_node;
  std::string preset_path;
};

void ApplySetting(Expander& x, CellDraft& cell, const Setting& s, const std::string& policy_label) {
  const std::string& where = x.where();
  switch (x.Kind(s.key, cell.env, cell.policy)) {
    case KeyKind::kPreset: {
      bool found = false;
      for (const auto& p : cell.policy->presets) found = found || p.name == s.value;
      if (!found) {
        Fail(where, s.node, s.path,
             fmt::format("policy {} has no preset '{}'; its presets: {}", cell.policy->name,
                         s.value, registry_detail::PresetNames(cell.policy->presets)));
      }
      cell.preset = s.value;
      cell.preset_node = s.node;
      cell.preset_path = s.path;
      return;
    }
    case KeyKind::kDemo:
      if (s.key == "demo_episodes") {
        int64_t n = 0;
        try {
          n = config_detail::ParseInt(s.key, s.value);
        } catch (const std::invalid_argument&) {
          Fail(where, s.node, s.path, fmt::format("'{}' is not a whole number of demos", s.value));
        }
        if (n < 1 || n > 1000000) Fail(where, s.node, s.path, "must be in [1, 1000000]");
        cell.demos.episodes = static_cast<int>(n);
      } else if (s.key == "idle_prob") {
        cell.demos.idle_prob = NumberOf(where, s.node, s.path, s.value, 0, 1);
      } else if (s.key == "noise") {
        cell.demos.noise = NumberOf(where, s.node, s.path, s.value, 0, 1e9);
      } else {
        std::vector<double> weights;
        double sum = 0;
        std::vector<std::string> items;
        try {
          items = config_detail::SplitList(s.key, s.value);
        } catch (const std::invalid_argument& e) {
          Fail(where, s.node, s.path, e.what());
        }
        for (const auto& item : items) {
          weights.push_back(NumberOf(where, s.node, s.path, item, 0, 1e9));
          sum += weights.back();
        }
        const size_t modes = x.Facts(cell.env).num_modes;
        if (weights.size() != modes || sum <= 0) {
          Fail(where, s.node, s.path,
               fmt::format("env {} needs {} non-negative weights with a positive sum, got {}",
                           cell.env, modes, weights.size()));
        }
        cell.demos.mode_weights = weights;
      }
      return;
    case KeyKind::kEnvOption:
      x.CheckEnvOption(cell.env, s);
      cell.env_options[s.key] = s.value;
      return;
    case KeyKind::kRun:
      try {
        RunConfig scratch;
        RunConfig::Schema().Set(scratch, s.key, s.value);
      } catch (const std::invalid_argument& e) {
        Fail(where, s.node, s.path, e.what());
      }
      cell.sets.push_back(s);
      return;
    case KeyKind::kPolicy:
      cell.sets.push_back(s);
      return;
    case KeyKind::kUnknown:
      break;
  }
  Fail(where, s.node, s.path,
       fmt::format("'{}' is not a config key of policy {} ({}), a run key ({}), an option of env "
                   "{} ({}), a demo key ({}) or preset; `bcbench policies {}` lists the policy's "
                   "keys",
                   s.key, policy_label, cell.policy->name,
                   fmt::join(RunConfig::Schema().Keys(), ", "), cell.env,
                   fmt::join(x.Facts(cell.env).option_keys, ", "), fmt::join(kDemoKeys, ", "),
                   cell.policy->name));
}

// "0.7,0.2,0.1" -> "0.7+0.2+0.1"; characters a file name should not hold -> '_'.
std::string IdText(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',') {
      out += '+';
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' ||
               c == '-' || c == '=') {
      out += c;
    } else if (c != ' ' && c != '[' && c != ']') {
      out += '_';
    }
  }
  return out.empty() ? "_" : out;
}

struct PolicyDecl {
  std::string label;
  const PolicyEntry* entry = nullptr;
  std::string preset;
  YAML::Node preset_node;
  std::string preset_path;
  std::vector<Setting> sets;
  YAML::Node node;
};

struct EnvDecl {
  std::string name;
  std::vector<Setting> settings;  // demo keys and env options
  YAML::Node node;
};

struct GridAxis {
  std::string key;
  std::vector<Setting> values;
};

// A resolved config value as `--set` takes it: strings bare, lists joined by ','.
std::string SetText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) out += (out.empty() ? "" : ",") + SetText(item);
    return out;
  }
  return value.dump();
}

// Groups the cells that can share a training (CellSpec::train_key): the same
// demos, policy, run settings, wall cap and config apart from the policy's
// eval keys. The first cell of a group owns the training.
void GroupTrainings(std::vector<CellSpec>& cells) {
  std::map<std::string, size_t> owner_of;  // train_key -> index of the owner
  size_t groups = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    CellSpec& cell = cells[i];
    const PolicyEntry& entry = FindPolicy(cell.policy_name);
    nlohmann::json trained = cell.policy_config;
    cell.eval_sets.clear();
    for (const std::string& key : entry.eval_keys) {
      if (!trained.contains(key)) continue;
      cell.eval_sets.emplace_back(key, SetText(trained.at(key)));
      trained.erase(key);
    }
    const nlohmann::json identity = {{"demos", cell.demos.ToJson()},
                                     {"policy", cell.policy_name},
                                     {"config", trained},
                                     {"run", RunConfig::Schema().ToJson(cell.run)},
                                     {"wall_minutes", cell.wall_minutes}};
    cell.train_key = ContentHash(identity.dump());
    const auto [it, first] = owner_of.emplace(cell.train_key, i);
    const CellSpec& owner = cells[it->second];
    cell.train_group = first ? groups++ : owner.train_group;
    cell.train_owner = owner.id;
    cell.train_config = owner.config;
  }
  std::map<std::string, size_t> sizes;
  for (const CellSpec& cell : cells) ++sizes[cell.train_key];
  for (CellSpec& cell : cells) cell.train_group_cells = sizes[cell.train_key];
}

}  // namespace

nlohmann::json DemoSpec::ToJson() const {
  return {{"env", env},           {"options", options}, {"episodes", episodes},
          {"seed", seed},         {"idle_prob", idle_prob}, {"noise", noise},
          {"mode_weights", mode_weights}};
}

std::string DemoSpec::Hash() const { return ContentHash(ToJson().dump()); }

std::string CellSpec::VariantText() const {
  std::string text;
  for (const auto& [key, value] : variant) text += (text.empty() ? "" : ";") + key + "=" + value;
  return text;
}

nlohmann::json CellSpec::VariantJson() const {
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [key, value] : variant) json[key] = value;
  return json;
}

std::string ContentHash(const std::string& text) {
  uint64_t hash = 0xCBF29CE484222325ULL;  // FNV-1a offset basis
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001B3ULL;
  return fmt::format("{:016x}", hash);
}

std::vector<std::string> BuiltinSuiteNames() {
  std::vector<std::string> names;
  for (const auto& s : kBuiltinSuites) names.emplace_back(s.name);
  return names;
}

Suite LoadSuiteDefinition(const std::string& name_or_path) {
  const bool is_path = name_or_path.find('/') != std::string::npos ||
                       std::filesystem::path(name_or_path).extension() == ".yaml" ||
                       std::filesystem::path(name_or_path).extension() == ".yml";
  if (!is_path) {
    for (const auto& s : kBuiltinSuites) {
      if (name_or_path == s.name) {
        return ParseSuite(s.name, "benchmarks/suites/" + name_or_path + ".yaml (built in)",
                          s.text);
      }
    }
    throw SuiteError(fmt::format("--suite {}: no built-in suite of that name ({}); pass one of "
                                 "them or the path of a suite YAML file",
                                 name_or_path, fmt::join(BuiltinSuiteNames(), ", ")));
  }
  // Not a FIFO or device: reading one would block or never end.
  std::error_code ec;
  if (std::filesystem::exists(name_or_path, ec) &&
      !std::filesystem::is_regular_file(name_or_path, ec) &&
      !std::filesystem::is_directory(name_or_path, ec)) {
    throw SuiteError(fmt::format("--suite {}: not a regular file (a FIFO, socket or device); "
                                 "pass a suite YAML file",
                                 name_or_path));
  }
  const auto text =
      std::filesystem::is_directory(name_or_path, ec) ? std::nullopt : ReadFileText(name_or_path);
  if (!text) {
    throw SuiteError(fmt::format("--suite {}: cannot read the file; pass a suite YAML file or a "
                                 "built-in suite ({})",
                                 name_or_path, fmt::join(BuiltinSuiteNames(), ", ")));
  }
  return ParseSuite(std::filesystem::path(name_or_path).stem().string(), name_or_path, *text);
}

Suite ParseSuite(const std::string& name, const std::string& where, const std::string& text) {
  Suite suite;
  suite.name = name;
  suite.source = where;
  suite.text = text;
  suite.hash = ContentHash(text);
  YAML::Node loaded;
  try {
    loaded = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw SuiteError(fmt::format("{}:{}:{}: not valid YAML: {}", where, e.mark.line + 1,
                                 e.mark.column + 1, e.msg));
  }
  const YAML::Node& root = loaded;
  if (!root.IsMap()) throw SuiteError(where + ": a suite is a mapping (demos:, train:, ...)");
  const auto top = MapEntries(where, root, "",
                              {"description", "demos", "train", "eval", "envs", "policies",
                               "experiments"});
  for (const char* required : {"train", "envs", "policies", "experiments"}) {
    if (!FindEntry(top, required)) {
      throw SuiteError(fmt::format("{}: '{}' is missing; a suite names demos, train, eval, "
                                   "envs, policies and experiments",
                                   where, required));
    }
  }
  if (const Entry* d = FindEntry(top, "description")) suite.description = ScalarOf(where, *d);

  // demos: {episodes, seed}
  DemoSpec demo_defaults;
  for (const auto& e : MapEntries(where, root["demos"], "demos", {"episodes", "seed"})) {
    if (e.key == "episodes") demo_defaults.episodes = static_cast<int>(IntOf(where, e, 1, 1000000));
    if (e.key == "seed") {
      demo_defaults.seed = static_cast<uint64_t>(
          IntOf(where, e, 0, static_cast<int64_t>(kHeldOutSeedBase) - 1));
    }
  }

  // train: {steps, wall_minutes, seeds, <run keys>}
  std::vector<std::string> train_keys = {"steps", "wall_minutes", "seeds"};
  for (const auto& k : RunConfig::Schema().Keys()) {
    if (k != "train_steps") train_keys.push_back(k);
  }
  std::vector<Setting> run_settings;
  double wall_minutes = 0;
  std::vector<uint64_t> train_seeds = {0};
  const auto train = MapEntries(where, root["train"], "train", train_keys);
  if (!FindEntry(train, "steps")) {
    Fail(where, root["train"], "train", "'steps' is missing (optimiser steps per cell)");
  }
  for (const auto& e : train) {
    if (e.key == "steps") {
      run_settings.push_back(
          {"train_steps", std::to_string(IntOf(where, e, 1, 1000000000)), e.value, e.path});
    } else if (e.key == "wall_minutes") {
      wall_minutes = NumberOf(where, e.value, e.path, ScalarOf(where, e), 0, 1e7);
    } else if (e.key == "seeds") {
      train_seeds.clear();
      if (e.value.IsScalar()) {
        train_seeds.push_back(static_cast<uint64_t>(IntOf(where, e, 0, INT64_MAX)));
      } else {
        for (const auto& item : NameListOf(where, e)) {
          int64_t v = 0;
          try {
            v = config_detail::ParseInt(e.key, item);
          } catch (const std::invalid_argument&) {
            Fail(where, e.value, e.path, NotAnInteger(item, 0, INT64_MAX, "an integer seed"));
          }
          if (v < 0) Fail(where, e.value, e.path, "seeds are >= 0");
          if (std::find(train_seeds.begin(), train_seeds.end(), static_cast<uint64_t>(v)) !=
              train_seeds.end()) {
            Fail(where, e.value, e.path, fmt::format("seed {} appears twice", v));
          }
          train_seeds.push_back(static_cast<uint64_t>(v));
        }
      }
    } else {
      Setting s{e.key, ValueText(where, e.value, e.path), e.value, e.path};
      RunConfig scratch;
      try {
        RunConfig::Schema().Set(scratch, s.key, s.value);
      } catch (const std::invalid_argument& err) {
        Fail(where, e.value, e.path, err.what());
      }
      run_settings.push_back(s);
    }
  }

  // eval: {episodes, seed_base, probe_episodes}
  int eval_episodes = 50;
  uint64_t eval_seed_base = kHeldOutSeedBase;
  int probe_episodes = 0;
  for (const auto& e :
       MapEntries(where, root["eval"], "eval", {"episodes", "seed_base", "probe_episodes"})) {
    if (e.key == "episodes") eval_episodes = static_cast<int>(IntOf(where, e, 1, 100000));
    if (e.key == "seed_base") eval_seed_base = static_cast<uint64_t>(IntOf(where, e, 0, INT64_MAX));
    if (e.key == "probe_episodes") probe_episodes = static_cast<int>(IntOf(where, e, 0, 100000));
  }
  if (eval_seed_base < demo_defaults.seed + static_cast<uint64_t>(2 * demo_defaults.episodes)) {
    Fail(where, root["eval"], "eval.seed_base",
         fmt::format("{} overlaps the demo seeds (from {}, up to twice the demo count when the "
                     "expert fails); evaluate on held-out seeds, e.g. {}",
                     eval_seed_base, demo_defaults.seed, kHeldOutSeedBase));
  }

  Expander x(where);
  // envs: NAME: {demo keys, env options}
  std::vector<EnvDecl> envs;
  const auto env_entries = MapEntries(where, root["envs"], "envs", {});
  if (env_entries.empty()) Fail(where, root["envs"], "envs", "names no env");
  for (const auto& e : env_entries) {
    const auto names = EnvNames();
    if (std::find(names.begin(), names.end(), e.key) == names.end()) {
      Fail(where, e.key_node, e.path,
           fmt::format("unknown env; valid envs: {}", fmt::join(names, ", ")));
    }
    EnvDecl env{e.key, {}, e.key_node};
    std::vector<std::string> allowed = kDemoKeys;
    for (const auto& k : x.Facts(e.key).option_keys) allowed.push_back(k);
    for (const auto& o : MapEntries(where, e.value, e.path, allowed)) {
      env.settings.push_back({o.key, ValueText(where, o.value, o.path), o.value, o.path});
    }
    envs.push_back(std::move(env));
  }

  // policies: LABEL: {policy, preset, set}
  std::vector<PolicyDecl> policies;
  const auto policy_entries = MapEntries(where, root["policies"], "policies", {});
  if (policy_entries.empty()) Fail(where, root["policies"], "policies", "names no policy");
  for (const auto& e : policy_entries) {
    CheckName(where, e, "policy label");
    PolicyDecl p;
    p.label = e.key;
    p.node = e.key_node;
    const auto fields = MapEntries(where, e.value, e.path, {"policy", "preset", "set"});
    const Entry* name = FindEntry(fields, "policy");
    const std::string policy_name = name ? ScalarOf(where, *name) : e.key;
    try {
      p.entry = &FindPolicy(policy_name);
    } catch (const std::invalid_argument& err) {
      Fail(where, name ? name->value : e.key_node, name ? name->path : e.path, err.what());
    }
    if (const Entry* preset = FindEntry(fields, "preset")) {
      p.preset = ScalarOf(where, *preset);
      p.preset_node = preset->value;
      p.preset_path = preset->path;
    }
    if (const Entry* set = FindEntry(fields, "set")) {
      for (const auto& s : MapEntries(where, set->value, set->path, {})) {
        const bool known = RunConfig::Schema().Has(s.key) ||
                           std::find(p.entry->keys.begin(), p.entry->keys.end(), s.key) !=
                               p.entry->keys.end();
        if (!known) {
          Fail(where, s.key_node, s.path,
               fmt::format("not a config key of policy {} nor a run key; `bcbench policies {}` "
                           "lists them",
                           p.entry->name, p.entry->name));
        }
        p.sets.push_back({s.key, ValueText(where, s.value, s.path), s.value, s.path});
      }
    }
    policies.push_back(std::move(p));
  }

  // experiments: NAME: {description, envs, policies, set, grid}
  const auto experiments = MapEntries(where, root["experiments"], "experiments", {});
  if (experiments.empty()) Fail(where, root["experiments"], "experiments", "names no experiment");
  std::set<std::string> ids;
  for (const auto& ex : experiments) {
    CheckName(where, ex, "experiment");
    const auto fields =
        MapEntries(where, ex.value, ex.path, {"description", "envs", "policies", "set", "grid"});
    std::vector<const EnvDecl*> ex_envs;
    std::vector<const PolicyDecl*> ex_policies;
    if (const Entry* list = FindEntry(fields, "envs")) {
      for (const auto& n : NameListOf(where, *list)) {
        const auto it = std::find_if(envs.begin(), envs.end(),
                                     [&](const EnvDecl& d) { return d.name == n; });
        if (it == envs.end()) {
          Fail(where, list->value, list->path,
               fmt::format("'{}' is not among the suite's envs (the `envs:` section)", n));
        }
        ex_envs.push_back(&*it);
      }
    } else {
      for (const auto& d : envs) ex_envs.push_back(&d);
    }
    if (const Entry* list = FindEntry(fields, "policies")) {
      for (const auto& n : NameListOf(where, *list)) {
        const auto it = std::find_if(policies.begin(), policies.end(),
                                     [&](const PolicyDecl& d) { return d.label == n; });
        if (it == policies.end()) {
          Fail(where, list->value, list->path,
               fmt::format("'{}' is not among the suite's policies (the `policies:` section)", n));
        }
        ex_policies.push_back(&*it);
      }
    } else {
      for (const auto& d : policies) ex_policies.push_back(&d);
    }
    std::vector<Setting> ex_sets;
    if (const Entry* set = FindEntry(fields, "set")) {
      for (const auto& s : MapEntries(where, set->value, set->path, {})) {
        ex_sets.push_back({s.key, ValueText(where, s.value, s.path), s.value, s.path});
      }
    }
    std::vector<GridAxis> grid;
    if (const Entry* g = FindEntry(fields, "grid")) {
      const auto axes = MapEntries(where, g->value, g->path, {});
      if (axes.empty()) {
        Fail(where, g->value, g->path,
             "the grid is empty; give at least one key with a list of values, or drop `grid:`");
      }
      for (const auto& a : axes) {
        if (!a.value.IsSequence() || a.value.size() == 0) {
          Fail(where, a.value, a.path,
               "a grid key takes a non-empty list of values, e.g. [1, 2, 4]");
        }
        GridAxis axis{a.key, {}};
        std::set<std::string> seen;
        for (const auto& item : a.value) {
          const std::string value = ValueText(where, item, a.path);
          if (!seen.insert(value).second) {
            Fail(where, item, a.path, fmt::format("value {} appears twice", value));
          }
          axis.values.push_back({a.key, value, item, a.path});
        }
        grid.push_back(std::move(axis));
      }
    }
    // A grid multiplies: refuse a suite no one could run before expanding it
    // (a 10^6-cell grid took gigabytes and minutes just to list).
    double cells = static_cast<double>(ids.size());
    double here = static_cast<double>(ex_envs.size() * ex_policies.size() * train_seeds.size());
    std::string factors = fmt::format("{} env(s) x {} policy(ies) x {} seed(s)", ex_envs.size(),
                                      ex_policies.size(), train_seeds.size());
    for (const auto& axis : grid) {
      here *= static_cast<double>(axis.values.size());
      factors += fmt::format(" x {} {}", axis.values.size(), axis.key);
    }
    if (cells + here > kMaxSuiteCells) {
      Fail(where, ex.key_node, ex.path,
           fmt::format("this experiment expands to {:.0f} cells ({}){}; a suite may have at most "
                       "{}: shorten the grid, or split it into several suites",
                       here, factors,
                       cells > 0 ? fmt::format(", {:.0f} with the experiments before it", cells + here)
                                 : "",
                       kMaxSuiteCells));
    }
    // Every combination of the grid's values, the last key varying fastest.
    std::vector<std::vector<Setting>> combos = {{}};
    for (const auto& axis : grid) {
      std::vector<std::vector<Setting>> next;
      for (const auto& combo : combos) {
        for (const auto& value : axis.values) {
          next.push_back(combo);
          next.back().push_back(value);
        }
      }
      combos = std::move(next);
    }

    for (const EnvDecl* env : ex_envs) {
      for (const PolicyDecl* policy : ex_policies) {
        for (const auto& combo : combos) {
          CellDraft draft;
          draft.env = env->name;
          draft.policy = policy->entry;
          draft.demos = demo_defaults;
          draft.demos.env = env->name;
          draft.sets = run_settings;
          if (!policy->preset.empty()) {
            ApplySetting(x, draft,
                         {"preset", policy->preset, policy->preset_node, policy->preset_path},
                         policy->label);
          }
          for (const auto& s : env->settings) ApplySetting(x, draft, s, policy->label);
          for (const auto& s : policy->sets) ApplySetting(x, draft, s, policy->label);
          for (const auto& s : ex_sets) ApplySetting(x, draft, s, policy->label);
          for (const auto& s : combo) ApplySetting(x, draft, s, policy->label);

          CellSpec base;
          base.experiment = ex.key;
          base.env = env->name;
          base.policy = policy->label;
          base.policy_name = policy->entry->name;
          for (const auto& s : combo) base.variant.emplace_back(s.key, IdText(s.value));
          std::sort(base.variant.begin(), base.variant.end());
          try {
            base.demos = draft.demos;
            base.demos.options = MakeEnv(env->name, draft.env_options)->Options();
          } catch (const EnvError& err) {
            Fail(where, ex.key_node, ex.path,
                 fmt::format("env {} with options {}: {}", env->name,
                             nlohmann::json(draft.env_options).dump(), err.what()));
          }
          base.wall_minutes = wall_minutes;
          base.eval_episodes = eval_episodes;
          base.eval_seed_base = eval_seed_base;
          base.probe_episodes = x.Facts(env->name).has_probe_start ? probe_episodes : 0;
          if (eval_seed_base < base.demos.seed + 2 * static_cast<uint64_t>(base.demos.episodes)) {
            Fail(where, ex.key_node, ex.path,
                 fmt::format("eval.seed_base {} overlaps the demo seeds of {} demos from seed {}",
                             eval_seed_base, base.demos.episodes, base.demos.seed));
          }
          base.config.preset = draft.preset;
          std::vector<std::pair<std::string, std::string>> pairs;
          for (const auto& s : draft.sets) pairs.emplace_back(s.key, s.value);
          for (const uint64_t seed : train_seeds) {
            CellSpec cell = base;
            cell.train_seed = seed;
            cell.config.sets = pairs;
            cell.config.seed = seed;
            ConfigLayers resolved_layers = cell.config;
            resolved_layers.sets.clear();
            try {
              SplitSets(*policy->entry, pairs, resolved_layers.sets, cell.run);
              cell.policy_config = policy->entry->resolve(resolved_layers);
            } catch (const std::invalid_argument& err) {
              // Point at the latest setting the message names, else the experiment.
              const std::string message = err.what();
              const Setting* culprit = nullptr;
              for (const auto& s : draft.sets) {
                if (message.find(s.key + "=") != std::string::npos ||
                    message.find(s.key + ":") != std::string::npos) {
                  culprit = &s;
                }
              }
              if (culprit) {
                Fail(where, culprit->node, culprit->path,
                     fmt::format("policy {} ({}): {}", policy->label, policy->entry->name,
                                 message));
              }
              Fail(where, ex.key_node, ex.path,
                   fmt::format("policy {} ({}) on {}: {}", policy->label, policy->entry->name,
                               env->name, message));
            }
            cell.id = fmt::format("{}-{}-{}", ex.key, env->name, policy->label);
            for (const auto& [key, value] : cell.variant) cell.id += "-" + key + "=" + value;
            cell.id += fmt::format("-s{}", seed);
            if (!ids.insert(cell.id).second) {
              Fail(where, ex.key_node, ex.path,
                   fmt::format("two cells get the id {}; make the grid values differ", cell.id));
            }
            const nlohmann::json identity = {
                {"demos", cell.demos.ToJson()},
                {"policy", cell.policy_name},
                {"config", cell.policy_config},
                {"run", RunConfig::Schema().ToJson(cell.run)},
                {"wall_minutes", cell.wall_minutes},
                {"eval", {{"episodes", cell.eval_episodes},
                          {"seed_base", cell.eval_seed_base},
                          {"probe_episodes", cell.probe_episodes}}}};
            cell.config_hash = ContentHash(identity.dump());
            cell.index = suite.cells.size();
            suite.cells.push_back(std::move(cell));
          }
        }
      }
    }
  }
  GroupTrainings(suite.cells);
  return suite;
}

}  // namespace bcbench
