// Every file the suite writes (demo files, checkpoints, CSVs, JSON) appears
// whole or not at all: written to a temporary name in the same folder, then
// renamed over the target.
#pragma once

#include <optional>
#include <string>

namespace bcbench {

// Creates parent folders; throws std::runtime_error naming the path on failure.
// Writes TempPathFor(path) first, then renames it into place; first removes
// the stale temporary files of dead writers in that folder.
void WriteFileAtomically(const std::string& path, const std::string& content);

// The name a writer of `path` uses until its file is whole:
// "<path>.tmp-<host>-<pid>". Every atomic writer (files, demo files,
// checkpoints, figures) uses it, so a later run can tell whose it was.
std::string TempPathFor(const std::string& path);

// Removes, from `folder`, the temporary files that writers on this host left
// when they were killed: TempPathFor names (and the older "<file>.tmp-<pid>")
// whose process no longer exists. Files of live processes, of other hosts
// (a folder shared by cluster nodes) and every other file are kept. Returns
// how many were removed; a missing folder has none.
int RemoveStaleTempFiles(const std::string& folder);

// The whole content of a file, or nullopt when it cannot be opened.
std::optional<std::string> ReadFileText(const std::string& path);

// Checks, before any work, that WriteFileAtomically(path) can succeed: the
// path is not a folder, its name fits the filesystem, and the nearest
// existing folder above it is a folder where a file can really be created
// (missing folders below it are created later); root passes access() checks
// on /proc and read-only bind mounts too, so a probe file is created and
// removed.
// Throws std::invalid_argument naming `option` (e.g. "--csv"), the path and
// what to do.
void CheckWritableFile(const std::string& option, const std::string& path);

}  // namespace bcbench
