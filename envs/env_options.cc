#include "envs/env_options.h"

#include <algorithm>
#include <stdexcept>

namespace bcbench {

namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

void CheckOptionKeys(const std::string& env_name, const EnvOptions& options,
                     const std::vector<std::string>& valid) {
  for (const auto& [key, value] : options) {
    if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
      throw EnvError("unknown option '" + key + "' for env " + env_name +
                     "; valid options: " + Join(valid));
    }
  }
}

std::string OptionOr(const EnvOptions& options, const std::string& key,
                     const std::string& fallback) {
  const auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

std::string CheckChoice(const std::string& env_name, const std::string& key,
                        const std::string& value, const std::vector<std::string>& valid) {
  if (std::find(valid.begin(), valid.end(), value) == valid.end()) {
    throw EnvError(env_name + " option " + key + "='" + value +
                   "' is invalid; valid values: " + Join(valid));
  }
  return value;
}

int ParseIntOption(const std::string& env_name, const std::string& key, const std::string& text,
                   int low, int high, int fallback) {
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || value < low || value > high) {
    throw EnvError(env_name + " option " + key + "='" + text + "' is invalid; valid values: an integer in " +
                   std::to_string(low) + ".." + std::to_string(high) + " (default " +
                   std::to_string(fallback) + ")");
  }
  return static_cast<int>(value);
}

ActionMode ParseActionModeOption(const std::string& env_name, const EnvOptions& options) {
  return ParseActionMode(CheckChoice(env_name, "action_mode",
                                     OptionOr(options, "action_mode", "absolute"),
                                     {"absolute", "delta"}));
}

int ParseMaxStepsOption(const std::string& env_name, const EnvOptions& options,
                        int default_max_steps) {
  return ParseIntOption(env_name, "max_steps",
                        OptionOr(options, "max_steps", std::to_string(default_max_steps)), 1,
                        1000000, default_max_steps);
}

}  // namespace bcbench
