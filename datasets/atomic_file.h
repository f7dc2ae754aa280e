// Every file the suite writes (demo files, checkpoints, CSVs, JSON) appears
// whole or not at all: written to a temporary name in the same folder, then
// renamed over the target.
#pragma once

#include <string>

namespace bcbench {

// Creates parent folders; throws std::runtime_error naming the path on failure.
void WriteFileAtomically(const std::string& path, const std::string& content);

// Checks, before any work, that WriteFileAtomically(path) can succeed: the
// path is not a folder, its name fits the filesystem, and the nearest
// existing folder above it is a writable folder (missing ones are created).
// Throws std::invalid_argument naming `option` (e.g. "--csv"), the path and
// what to do.
void CheckWritableFile(const std::string& option, const std::string& path);

}  // namespace bcbench
