#include "policies/config/config_schema.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace bcbench::config_detail {

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
    throw std::invalid_argument(key + ": '" + text + "' is not an integer" +
                                (error == std::errc::result_out_of_range ? " in range" : ""));
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
  if (items.empty() || (items.size() == 1 && items[0].empty())) {
    throw std::invalid_argument(key + ": empty list");
  }
  return items;
}

std::string NumberText(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

void OutOfRange(const std::string& owner, const std::string& key, const std::string& value,
                const std::string& range) {
  throw std::invalid_argument(owner + ": " + key + "=" + Trim(value) + " is invalid; valid: " +
                              range);
}

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

}  // namespace bcbench::config_detail
