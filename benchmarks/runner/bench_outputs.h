// The suite-level files of a bench output folder, rebuilt from the cells'
// own files (so folders of shards merged by copying give the same files as
// one unsharded run):
//   manifest.json  suite, versions, git commit, machine, every cell's config
//                  hash and status (done iff its done.json exists)
//   episodes.csv   suite,cell,experiment,variant,train_seed + the episode
//                  columns, every complete cell in suite order
//   cells.csv      one row per complete cell: wall times and the metrics with
//                  their intervals (name, name_lo, name_hi)
//   probe.csv      the probe rollouts' effector paths
// A file is rewritten only when its content changes (a run that does nothing
// touches nothing), and always atomically.
#pragma once

#include <optional>
#include <string>

#include "benchmarks/runner/bench_cell.h"
#include "benchmarks/runner/suite.h"

namespace bcbench {

// `shard` is "i/n", or nullopt for a whole-suite run.
void WriteSuiteOutputs(const Suite& suite, const BenchPaths& paths,
                       const std::optional<std::string>& shard);

// Writes `content` atomically unless the file already holds exactly it.
// Returns whether it wrote.
bool WriteFileIfChanged(const std::string& path, const std::string& content);

// "AMD EPYC 9B45" from /proc/cpuinfo; "" where there is none.
std::string CpuModelName();

// The git commit this binary was built from, "+dirty" when tracked files
// differed from it at build time; "unknown" when built outside a git checkout.
std::string GitCommit();

// The current time, "2026-11-28T15:39:25Z".
std::string NowUtc();

}  // namespace bcbench
