// The one home of config plumbing (SPEC 5): a field is declared once, with
// its name, type, valid range and help text, against a member of a config
// struct (whose initialiser is the default). The schema then gives every
// policy and run config the same YAML loading (duplicate and unknown keys
// refused), `--set key=value`, JSON for checkpoints, range validation with
// messages that name the field, and the help text of `bcbench policies NAME`.
// Constraints between fields stay in the config's own Validate().
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace bcbench {

// One declared field, type-erased over the config struct (void* is a T*).
struct ConfigField {
  std::string name;
  std::string type;   // "int", "number", "bool", "choice", "int list", "number list"
  std::string range;  // human-readable valid range, e.g. "[1, 64]" or "film | channels"
  std::string help;
  std::function<nlohmann::json(const void*)> get;
  // Parses `text` (YAML/`--set` scalar or "a,b,c" / "[a, b, c]" list) and
  // checks the field's own range; throws std::invalid_argument naming it.
  std::function<void(void*, const std::string&)> set;
};

namespace config_detail {
std::string Trim(const std::string& s);
int64_t ParseInt(const std::string& key, const std::string& text);
double ParseDouble(const std::string& key, const std::string& text);
bool ParseBool(const std::string& key, const std::string& text);
std::vector<std::string> SplitList(const std::string& key, const std::string& text);
std::string NumberText(double v);
[[noreturn]] void OutOfRange(const std::string& owner, const std::string& key,
                             const std::string& value, const std::string& range);
// A YAML scalar or flat sequence as the text `set` parses; throws for maps.
std::string YamlValueText(const std::string& key, const YAML::Node& value);
std::string JsonValueText(const std::string& key, const nlohmann::json& value);
}  // namespace config_detail

// Fields of one config struct T, in declaration order.
template <typename T>
class ConfigSchema {
 public:
  // `owner` prefixes every message: "diffusion config: ...".
  explicit ConfigSchema(std::string owner) : owner_(std::move(owner)) {}
  const std::string& owner() const { return owner_; }
  const std::vector<ConfigField>& fields() const { return fields_; }

  template <typename I>
  ConfigSchema& Int(const char* name, I T::*member, int64_t min, int64_t max, const char* help) {
    static_assert(std::is_integral_v<I>, "Int fields are integers");
    const std::string owner = owner_;
    fields_.push_back({name, "int", Range(min, max), help,
                       [member](const void* c) { return nlohmann::json(Of(c).*member); },
                       [member, name, min, max, owner](void* c, const std::string& text) {
                         const int64_t v = config_detail::ParseInt(name, text);
                         if (v < min || v > max) {
                           config_detail::OutOfRange(owner, name, text, Range(min, max));
                         }
                         Of(c).*member = static_cast<I>(v);
                       }});
    return *this;
  }
  ConfigSchema& Number(const char* name, double T::*member, double min, double max,
                       const char* help, bool min_exclusive = false) {
    const std::string owner = owner_;
    const std::string range = NumberRange(min, max, min_exclusive);
    fields_.push_back({name, "number", range, help,
                       [member](const void* c) { return nlohmann::json(Of(c).*member); },
                       [member, name, min, max, min_exclusive, owner, range](
                           void* c, const std::string& text) {
                         const double v = config_detail::ParseDouble(name, text);
                         if (v < min || v > max || (min_exclusive && v == min)) {
                           config_detail::OutOfRange(owner, name, text, range);
                         }
                         Of(c).*member = v;
                       }});
    return *this;
  }
  ConfigSchema& Bool(const char* name, bool T::*member, const char* help) {
    fields_.push_back({name, "bool", "true | false", help,
                       [member](const void* c) { return nlohmann::json(Of(c).*member); },
                       [member, name](void* c, const std::string& text) {
                         Of(c).*member = config_detail::ParseBool(name, text);
                       }});
    return *this;
  }
  ConfigSchema& Choice(const char* name, std::string T::*member,
                       std::vector<std::string> choices, const char* help) {
    std::string range;
    for (const auto& c : choices) range += (range.empty() ? "" : " | ") + c;
    const std::string owner = owner_;
    fields_.push_back({name, "choice", range, help,
                       [member](const void* c) { return nlohmann::json(Of(c).*member); },
                       [member, name, choices, owner, range](void* c, const std::string& text) {
                         const std::string v = config_detail::Trim(text);
                         for (const auto& choice : choices) {
                           if (v == choice) {
                             Of(c).*member = v;
                             return;
                           }
                         }
                         config_detail::OutOfRange(owner, name, text, "one of " + range);
                       }});
    return *this;
  }
  ConfigSchema& IntList(const char* name, std::vector<int> T::*member, size_t min_items,
                        size_t max_items, int64_t min, int64_t max, const char* help) {
    const std::string owner = owner_;
    const std::string range = ListRange(min_items, max_items) + " each in " + Range(min, max);
    fields_.push_back(
        {name, "int list", range, help,
         [member](const void* c) { return nlohmann::json(Of(c).*member); },
         [member, name, min_items, max_items, min, max, owner, range](void* c,
                                                                      const std::string& text) {
           std::vector<int> values;
           for (const auto& item : config_detail::SplitList(name, text)) {
             const int64_t v = config_detail::ParseInt(name, item);
             if (v < min || v > max) config_detail::OutOfRange(owner, name, text, range);
             values.push_back(static_cast<int>(v));
           }
           if (values.size() < min_items || values.size() > max_items) {
             config_detail::OutOfRange(owner, name, text, range);
           }
           Of(c).*member = values;
         }});
    return *this;
  }
  ConfigSchema& NumberList(const char* name, std::vector<double> T::*member, size_t min_items,
                           size_t max_items, double min, double max, const char* help) {
    const std::string owner = owner_;
    const std::string range =
        ListRange(min_items, max_items) + " each in " + NumberRange(min, max, false);
    fields_.push_back(
        {name, "number list", range, help,
         [member](const void* c) { return nlohmann::json(Of(c).*member); },
         [member, name, min_items, max_items, min, max, owner, range](void* c,
                                                                      const std::string& text) {
           std::vector<double> values;
           for (const auto& item : config_detail::SplitList(name, text)) {
             const double v = config_detail::ParseDouble(name, item);
             if (v < min || v > max) config_detail::OutOfRange(owner, name, text, range);
             values.push_back(v);
           }
           if (values.size() < min_items || values.size() > max_items) {
             config_detail::OutOfRange(owner, name, text, range);
           }
           Of(c).*member = values;
         }});
    return *this;
  }
  // The fields of a nested struct S (e.g. the shared training settings),
  // flattened into this schema's keys.
  template <typename S>
  ConfigSchema& Include(S T::*member, const ConfigSchema<S>& nested) {
    for (const auto& f : nested.fields()) {
      ConfigField field = f;
      field.get = [member, get = f.get](const void* c) { return get(&(Of(c).*member)); };
      field.set = [member, set = f.set](void* c, const std::string& text) {
        set(&(Of(c).*member), text);
      };
      fields_.push_back(std::move(field));
    }
    return *this;
  }

  bool Has(const std::string& key) const { return Find(key) != nullptr; }
  std::vector<std::string> Keys() const {
    std::vector<std::string> keys;
    for (const auto& f : fields_) keys.push_back(f.name);
    return keys;
  }

  // One `--set key=value`. An unknown key throws with the list of valid keys.
  void Set(T& config, const std::string& key, const std::string& value) const {
    const ConfigField* f = Find(config_detail::Trim(key));
    if (f == nullptr) {
      throw std::invalid_argument(owner_ + ": unknown key '" + key + "'; valid keys: " +
                                  KeyList());
    }
    f->set(&config, value);
  }
  // A YAML mapping over `config`: unknown and duplicate keys throw.
  void ApplyYaml(T& config, const YAML::Node& node) const {
    if (!node || node.IsNull()) return;
    if (!node.IsMap()) throw std::invalid_argument(owner_ + ": YAML must be a mapping of keys");
    std::vector<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.as<std::string>();
      for (const auto& s : seen) {
        if (s == key) {
          throw std::invalid_argument(owner_ + ": key '" + key +
                                      "' appears twice; keep one of them");
        }
      }
      seen.push_back(key);
      Set(config, key, config_detail::YamlValueText(key, entry.second));
    }
  }
  void ApplyJson(T& config, const nlohmann::json& json) const {
    if (!json.is_object()) throw std::invalid_argument(owner_ + ": JSON must be an object");
    for (const auto& [key, value] : json.items()) {
      Set(config, key, config_detail::JsonValueText(key, value));
    }
  }
  nlohmann::json ToJson(const T& config) const {
    nlohmann::json json = nlohmann::json::object();
    for (const auto& f : fields_) json[f.name] = f.get(&config);
    return json;
  }
  // Flow-style lists and shortest round-trip numbers, so it reads and diffs.
  std::string ToYaml(const T& config) const {
    std::string text;
    for (const auto& f : fields_) text += f.name + ": " + f.get(&config).dump() + "\n";
    return text;
  }
  // Re-checks every field's own range (e.g. after code assigned members).
  void CheckRanges(const T& config) const {
    for (const auto& f : fields_) {
      T copy = config;
      f.set(&copy, config_detail::JsonValueText(f.name, f.get(&config)));
    }
  }
  // "key (default) [type, range]: help", one per line.
  std::string Help(const T& defaults) const {
    std::string text;
    for (const auto& f : fields_) {
      text += "  " + f.name + " = " + f.get(&defaults).dump() + "  [" + f.type + ", " + f.range +
              "]\n      " + f.help + "\n";
    }
    return text;
  }

 private:
  static T& Of(void* c) { return *static_cast<T*>(c); }
  static const T& Of(const void* c) { return *static_cast<const T*>(c); }
  static std::string Range(int64_t min, int64_t max) {
    return "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  }
  static std::string NumberRange(double min, double max, bool min_exclusive) {
    return (min_exclusive ? "(" : "[") + config_detail::NumberText(min) + ", " +
           config_detail::NumberText(max) + "]";
  }
  static std::string ListRange(size_t min_items, size_t max_items) {
    return std::to_string(min_items) + ".." + std::to_string(max_items) + " values";
  }
  const ConfigField* Find(const std::string& key) const {
    for (const auto& f : fields_) {
      if (f.name == key) return &f;
    }
    return nullptr;
  }
  std::string KeyList() const {
    std::string list;
    for (const auto& f : fields_) list += (list.empty() ? "" : ", ") + f.name;
    return list;
  }

  std::string owner_;
  std::vector<ConfigField> fields_;
};

}  // namespace bcbench
