// `bcbench slurm submit|status`: a suite as a Slurm job array over one shared
// output folder (benchmarks/cluster/slurm.h).
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "benchmarks/cluster/slurm.h"
#include "benchmarks/runner/suite.h"

namespace bcbench {
namespace {

namespace fs = std::filesystem;

struct SlurmArgs {
  SlurmOptions options;
  std::string resume;  // DIR of an earlier submission
  bool dry_run = false;
  std::string status_dir;
};

std::string SelfExecutable() {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("bcbench") : self.string();
}

std::string Absolute(const std::string& path) { return fs::absolute(path).lexically_normal(); }

// A suite given as a path is made absolute, so the tasks find it from any
// working directory; a built-in name stays a name.
std::string SuiteForTasks(const std::string& suite) {
  const bool is_path = suite.find('/') != std::string::npos ||
                       fs::path(suite).extension() == ".yaml" ||
                       fs::path(suite).extension() == ".yml";
  return is_path ? Absolute(suite) : suite;
}

void RunSubmit(SlurmArgs& a, const CLI::App& cmd) {
  SlurmOptions o = a.options;
  std::vector<int> tasks;
  if (!a.resume.empty()) {
    const SlurmStatus before = ReadSlurmStatus(a.resume);  // also checks the record
    std::ifstream in(a.resume + "/slurm/jobs.json");
    const auto jobs = nlohmann::json::parse(in);
    SlurmOptions recorded = SlurmOptions::FromJson(jobs.at("options"));
    // Options given now override the recorded ones (e.g. a longer --time).
    for (const char* flag : {"--suite", "--out", "--array-size"}) {
      if (cmd.count(flag) > 0) {
        throw UsageError(fmt::format(
            "--resume {} reruns the recorded suite, folder and shard count; drop {}", a.resume,
            flag));
      }
    }
    if (cmd.count("--partition") > 0) recorded.partition = o.partition;
    if (cmd.count("--time") > 0) recorded.time = o.time;
    if (cmd.count("--cpus") > 0) recorded.cpus = o.cpus;
    if (cmd.count("--mem") > 0) recorded.mem = o.mem;
    if (cmd.count("--gpus") > 0) recorded.gpus = o.gpus;
    recorded.executable = SelfExecutable();
    o = recorded;
    const auto queued = QueuedTasks(before.array_job);
    if (queued && !queued->empty()) {
      throw UsageError(fmt::format(
          "array job {} still has {} task(s) queued or running; wait for them or `scancel {}`, "
          "then resume",
          before.array_job, queued->size(), before.array_job));
    }
    tasks = ShardsWithPendingCells(LoadSuiteDefinition(o.suite), o.out, o.shards);
    if (tasks.empty()) {
      fmt::print("all {} cells of {} are complete; nothing to submit\n", before.cells, o.out);
      return;
    }
  } else {
    if (o.suite.empty() || o.out.empty()) {
      throw UsageError("slurm submit needs --suite and --out (or --resume DIR)");
    }
    o.suite = SuiteForTasks(o.suite);
    o.out = Absolute(o.out);
    o.executable = SelfExecutable();
    const Suite suite = LoadSuiteDefinition(o.suite);  // validates before anything is written
    if (suite.cells.empty()) throw UsageError("suite " + suite.name + " has no cells");
    // A shard holds whole training groups (cells sharing one network): more
    // tasks than groups would leave some with nothing to do.
    size_t groups = 0;
    for (const auto& cell : suite.cells) groups = std::max(groups, cell.train_group + 1);
    if (o.shards == 0) o.shards = static_cast<int>(std::min<size_t>(groups, 8));
    if (static_cast<size_t>(o.shards) > groups) {
      throw UsageError(fmt::format(
          "--array-size {} exceeds the suite's {} cells{}: a task would have nothing to run",
          o.shards, suite.cells.size(),
          groups < suite.cells.size()
              ? fmt::format(" in {} training group(s) (cells that share one network run in one "
                            "task)",
                            groups)
              : ""));
    }
    for (int i = 1; i <= o.shards; ++i) tasks.push_back(i);
  }
  if (a.dry_run) {
    fmt::print("# {}/slurm/prepare.sbatch\n{}\n# {}/slurm/bench.sbatch\n{}", o.out,
               PrepareScript(o), o.out, BenchScript(o, tasks));
    return;
  }
  const SubmitResult r = SubmitToSlurm(o, tasks);
  fmt::print("submitted demos job {} and array job {} (shards {} of {}); follow it with "
             "`bcbench slurm status {}`\n",
             r.prepare_job, r.array_job, ArrayList(r.tasks), o.shards, o.out);
}

}  // namespace

void AddSlurmCommand(CLI::App& app, CommandActions& actions) {
  auto a = std::make_shared<SlurmArgs>();
  auto* cmd = app.add_subcommand(
      "slurm",
      "Run a suite on a Slurm cluster: `submit` writes an sbatch job array whose task i runs "
      "`bcbench bench --shard i/n` on one shared --out folder (after a job that records the "
      "demos once), `status` shows cells done and each task's state and log.");
  cmd->require_subcommand(1);
  auto* submit = cmd->add_subcommand(
      "submit",
      "Submit a suite as a job array (or, with --resume DIR, only the shards with unfinished "
      "cells). Assumes DIR and this binary are on a filesystem the compute nodes share.");
  submit->add_option("--suite", a->options.suite, "a built-in suite's name or a suite YAML file");
  submit->add_option("--out", a->options.out, "shared output folder");
  submit->add_option("--array-size", a->options.shards,
                     "number of array tasks (shards); default min(training groups, 8), a "
                     "group being the cells that share one trained network (usually one cell)")
      ->check(WholeNumber(1, 10000));
  submit->add_option("--partition", a->options.partition, "Slurm partition");
  submit->add_option("--time", a->options.time, "time limit per task, e.g. 04:00:00");
  submit->add_option("--cpus", a->options.cpus, "CPUs per task (also bcbench --threads)")
      ->check(WholeNumber(1, 1024))
      ->capture_default_str();
  submit->add_option("--mem", a->options.mem, "memory per task, e.g. 16G");
  submit->add_option("--gpus", a->options.gpus,
                     "GPUs per task; > 0 also trains and evaluates with --device cuda (needs a "
                     "CUDA LibTorch build, see README)")
      ->check(WholeNumber(0, 64));
  submit->add_option("--resume", a->resume,
                     "resubmit only the shards of this earlier submission that have unfinished "
                     "cells");
  submit->add_flag("--dry-run", a->dry_run, "print the sbatch scripts; submit nothing");
  auto* status = cmd->add_subcommand(
      "status", "Cells done / total and each array task's state (queued, running, done, "
                "failed with its log path) of a submitted suite folder.");
  status->add_option("DIR", a->status_dir, "the --out folder of `slurm submit`")->required();
  actions["slurm"] = [a, submit, status]() {
    if (submit->parsed()) RunSubmit(*a, *submit);
    if (status->parsed()) fmt::print("{}", SlurmStatusText(ReadSlurmStatus(a->status_dir)));
  };
}

}  // namespace bcbench
