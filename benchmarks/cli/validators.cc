#include "benchmarks/cli/validators.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace bcbench {
namespace {

std::string Trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::string Bounds(int64_t min, uint64_t max) {
  if (max == std::numeric_limits<uint64_t>::max()) return fmt::format(">= {}", min);
  return fmt::format("in {}..{}", min, max);
}

}  // namespace

CLI::Validator WholeNumber(int64_t min, uint64_t max) {
  const std::string bounds = Bounds(min, max);
  return CLI::Validator(
      [min, max, bounds](std::string& input) -> std::string {
        const std::string text = Trimmed(input);
        const bool negative = !text.empty() && text[0] == '-';
        const size_t digits_from = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
        if (text.size() <= digits_from ||
            text.find_first_not_of("0123456789", digits_from) != std::string::npos) {
          return fmt::format("'{}' is not a whole number; give one {}", input, bounds);
        }
        errno = 0;
        if (negative) {
          const long long value = std::strtoll(text.c_str(), nullptr, 10);
          if (errno == ERANGE || value < min) {
            return fmt::format("must be {} (got {})", bounds, text);
          }
          return "";
        }
        const unsigned long long value = std::strtoull(text.c_str() + digits_from, nullptr, 10);
        if (errno == ERANGE) return fmt::format("{} is too large; it must be {}", text, bounds);
        if ((min > 0 && value < static_cast<unsigned long long>(min)) || value > max) {
          return fmt::format("must be {} (got {})", bounds, text);
        }
        return "";
      },
      "INT " + bounds, "WholeNumber");
}

CLI::Validator NumberIn(double min, double max) {
  const std::string bounds = fmt::format("in [{:g}, {:g}]", min, max);
  return CLI::Validator(
      [min, max, bounds](std::string& input) -> std::string {
        const std::string text = Trimmed(input);
        char* end = nullptr;
        errno = 0;
        const double value = text.empty() ? 0.0 : std::strtod(text.c_str(), &end);
        if (text.empty() || end == nullptr || *end != '\0') {
          return fmt::format("'{}' is not a number; give one {}", input, bounds);
        }
        if (!std::isfinite(value) || value < min || value > max) {
          return fmt::format("must be {} (got {})", bounds, text);
        }
        return "";
      },
      "NUMBER " + bounds, "NumberIn");
}

}  // namespace bcbench
