// Running a suite on a Slurm cluster (`bcbench slurm`): a job array whose
// task i runs `bcbench bench --shard i/n` against one shared output folder,
// after a first job that records the suite's demo files once (the array
// depends on it, afterok), so tasks never race to write the same file. A
// cell belongs to exactly one shard (InShard), so no two tasks ever write
// the same cell. Everything Slurm-side lives in DIR/slurm/:
//   prepare.sbatch, bench.sbatch   the scripts last submitted
//   jobs.json                      suite, shard count, options, submissions
//   logs/                          one log per job / array task
//   tasks/shard_<i>_<job>.exit     each task's exit status, written by its script
// The cluster is assumed to share DIR (and the bcbench binary's path) between
// the submitting machine and the compute nodes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchmarks/runner/suite.h"

namespace bcbench {

struct SlurmOptions {
  std::string suite;       // as given: a built-in name, or a YAML path (made absolute)
  std::string out;         // the shared output folder (made absolute)
  int shards = 0;          // array size n; 0: min(cells, 8)
  std::string partition;   // empty: the cluster's default
  std::string time;        // e.g. 02:00:00; empty: the partition's default
  int cpus = 2;            // per task; also bcbench --threads
  std::string mem;         // e.g. 8G; empty: the cluster's default
  int gpus = 0;            // per task; > 0 also passes --device cuda
  std::string executable;  // the bcbench binary the tasks run (absolute)

  nlohmann::json ToJson() const;
  static SlurmOptions FromJson(const nlohmann::json& j);
};

// The two scripts. `tasks` are the array's shard indices (1-based).
std::string PrepareScript(const SlurmOptions& o);
std::string BenchScript(const SlurmOptions& o, const std::vector<int>& tasks);

// Shards (1-based, of o.shards) that still have cells without done.json.
std::vector<int> ShardsWithPendingCells(const Suite& suite, const std::string& out, int shards);

// "1-4" or "2,5,7": Slurm's --array list for `tasks`.
std::string ArrayList(const std::vector<int>& tasks);

// POSIX shell single-quoting.
std::string ShellQuote(const std::string& text);

struct ShardState {
  int index = 0;
  size_t cells = 0;
  size_t done = 0;
  std::string state;     // PENDING, RUNNING, exit 0, exit N, "died (no exit status)", ...
  std::string log;       // the task's log path, when it exists
};

struct SlurmStatus {
  size_t cells = 0;
  size_t done = 0;
  std::string array_job;  // latest submission's array job id
  std::vector<ShardState> shards;
  std::string note;       // e.g. "squeue not found: task states come from files only"
};

// Reads DIR/slurm/jobs.json, the cells' done files, the tasks' exit files and
// (when the program is there) squeue.
SlurmStatus ReadSlurmStatus(const std::string& out);
std::string SlurmStatusText(const SlurmStatus& status);

struct SubmitResult {
  std::string prepare_job;
  std::string array_job;
  std::vector<int> tasks;
};

// Writes the scripts and jobs.json under DIR/slurm/ and submits them with
// sbatch (the array depends on the prepare job). `tasks` empty: every shard.
SubmitResult SubmitToSlurm(const SlurmOptions& o, const std::vector<int>& tasks);

// The array tasks of `job` that squeue still lists (queued or running);
// nullopt when squeue cannot be run.
std::optional<std::vector<int>> QueuedTasks(const std::string& job);

}  // namespace bcbench
