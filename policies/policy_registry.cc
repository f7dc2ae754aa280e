#include "policies/policy_registry.h"

#include <filesystem>
#include <stdexcept>

namespace bcbench {
namespace {

std::vector<PolicyEntry>& Registry() {
  static std::vector<PolicyEntry> registry;
  return registry;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

PolicyRegistrar::PolicyRegistrar(PolicyEntry entry) {
  for (const auto& e : Registry()) {
    if (e.name == entry.name) throw std::logic_error("policy '" + e.name + "' registered twice");
  }
  Registry().push_back(std::move(entry));
}

std::vector<std::string> PolicyNames() {
  std::vector<std::string> names;
  for (const auto& e : Registry()) names.push_back(e.name);
  std::sort(names.begin(), names.end());
  return names;
}

const PolicyEntry& FindPolicy(const std::string& name) {
  for (const auto& e : Registry()) {
    if (e.name == name) return e;
  }
  throw std::invalid_argument("unknown policy '" + name +
                              "'; valid policies: " + JoinNames(PolicyNames()) +
                              " (`bcbench policies` lists them)");
}

std::pair<std::string, std::string> ParseSetting(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw std::invalid_argument("--set '" + text + "' must look like key=value");
  }
  return {config_detail::Trim(text.substr(0, eq)), text.substr(eq + 1)};
}

std::string PolicyHelp(const std::string& name) {
  const PolicyEntry& e = FindPolicy(name);
  std::string text = e.name + ": " + e.description + "\n\nconfig keys (--config YAML, --set key=value; default  [type, valid range]):\n" +
                     e.help();
  text += "\nkeys `eval --set` may change: " + JoinNames(e.eval_keys) + "\n";
  text += "\npresets (--preset NAME, applied first; the first is the default):\n";
  for (const auto& p : e.presets) {
    std::string about;
    const auto hash = p.yaml.find('#');
    if (hash != std::string::npos) {
      about = p.yaml.substr(hash + 1, p.yaml.find('\n', hash) - hash - 1);
      about = config_detail::Trim(about);
    }
    text += "  " + p.name + (about.empty() ? "" : ": " + about) + "\n";
  }
  return text;
}

namespace registry_detail {

YAML::Node LoadYamlFile(const std::string& path) {
  if (std::filesystem::is_directory(path)) {
    throw std::invalid_argument("is a folder, not a YAML file");
  }
  if (!std::filesystem::exists(path)) throw std::invalid_argument("no such file");
  if (!std::filesystem::is_regular_file(path)) {  // a FIFO or device would block the read
    throw std::invalid_argument("not a regular file (a FIFO, socket or device); give a YAML file");
  }
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::Exception& err) {
    throw std::invalid_argument(std::string("not valid YAML: ") + err.what());
  }
}

YAML::Node LoadYamlText(const std::string& what, const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& err) {
    throw std::invalid_argument(what + ": not valid YAML: " + err.what());
  }
}

std::string PresetNames(const std::vector<PolicyPreset>& presets) {
  std::string out;
  for (const auto& p : presets) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

}  // namespace registry_detail
}  // namespace bcbench
