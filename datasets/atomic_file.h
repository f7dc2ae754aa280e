// Every file the suite writes (demo files, checkpoints, CSVs, JSON) appears
// whole or not at all: written to a temporary name in the same folder, then
// renamed over the target.
#pragma once

#include <string>

namespace bcbench {

// Creates parent folders; throws std::runtime_error naming the path on failure.
void WriteFileAtomically(const std::string& path, const std::string& content);

}  // namespace bcbench
