// Option validators whose messages read as text: "must be >= 1 (got 0)",
// "'abc' is not a whole number". CLI11's own NonNegativeNumber and Range
// print their bound as a 309-digit double and call a word "not in range".
#pragma once

#include <cstdint>
#include <limits>

#include <CLI/CLI.hpp>

namespace bcbench {

// A whole number in [min, max] (seeds, counts, sizes). With min >= 0 the
// whole uint64 range is accepted up to max.
CLI::Validator WholeNumber(int64_t min,
                           uint64_t max = std::numeric_limits<uint64_t>::max());
// A finite number in [min, max].
CLI::Validator NumberIn(double min, double max);

}  // namespace bcbench
