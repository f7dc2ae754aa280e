#include "benchmarks/cluster/slurm.h"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "benchmarks/runner/bench.h"
#include "benchmarks/runner/bench_cell.h"
#include "datasets/atomic_file.h"

namespace bcbench {
namespace {

namespace fs = std::filesystem;

std::string SlurmDir(const std::string& out) { return out + "/slurm"; }
std::string JobsFile(const std::string& out) { return SlurmDir(out) + "/jobs.json"; }
std::string LogsDir(const std::string& out) { return SlurmDir(out) + "/logs"; }
std::string TasksDir(const std::string& out) { return SlurmDir(out) + "/tasks"; }

struct Captured {
  int status = -1;
  std::string output;
};

// Runs a shell command, capturing stdout and stderr together.
Captured Capture(const std::string& command) {
  Captured c;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return c;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) c.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  c.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return c;
}

bool HaveProgram(const std::string& name) {
  return Capture("command -v " + ShellQuote(name) + " >/dev/null").status == 0;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// `sbatch --parsable` prints "JOBID" or "JOBID;CLUSTER".
std::string Sbatch(const std::string& args) {
  const Captured c = Capture("sbatch --parsable " + args);
  const std::string out = Trim(c.output);
  if (c.status != 0) {
    throw std::invalid_argument("sbatch refused the job (exit " + std::to_string(c.status) +
                                "): " + out);
  }
  const std::string id = out.substr(0, out.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument("sbatch printed no job id: " + out);
  }
  return id;
}

std::string Headers(const SlurmOptions& o, const std::string& name, const std::string& log) {
  std::string h = "#!/bin/bash\n";
  h += fmt::format("#SBATCH --job-name={}\n", name);
  h += fmt::format("#SBATCH --output={}\n", log);
  h += fmt::format("#SBATCH --cpus-per-task={}\n", o.cpus);
  if (!o.partition.empty()) h += fmt::format("#SBATCH --partition={}\n", o.partition);
  if (!o.time.empty()) h += fmt::format("#SBATCH --time={}\n", o.time);
  if (!o.mem.empty()) h += fmt::format("#SBATCH --mem={}\n", o.mem);
  if (o.gpus > 0) h += fmt::format("#SBATCH --gpus={}\n", o.gpus);
  return h;
}

std::string BenchCommand(const SlurmOptions& o) {
  return fmt::format("{} --threads {} bench --suite {} --out {}{}", ShellQuote(o.executable),
                     o.cpus, ShellQuote(o.suite), ShellQuote(o.out),
                     o.gpus > 0 ? " --device cuda" : "");
}

std::string NowIso() {
  const std::time_t t = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return text;
}

}  // namespace

nlohmann::json SlurmOptions::ToJson() const {
  return {{"suite", suite},         {"out", out},   {"shards", shards}, {"partition", partition},
          {"time", time},           {"cpus", cpus}, {"mem", mem},       {"gpus", gpus},
          {"executable", executable}};
}

SlurmOptions SlurmOptions::FromJson(const nlohmann::json& j) {
  SlurmOptions o;
  o.suite = j.at("suite").get<std::string>();
  o.out = j.at("out").get<std::string>();
  o.shards = j.at("shards").get<int>();
  o.partition = j.value("partition", "");
  o.time = j.value("time", "");
  o.cpus = j.value("cpus", 2);
  o.mem = j.value("mem", "");
  o.gpus = j.value("gpus", 0);
  o.executable = j.at("executable").get<std::string>();
  return o;
}

std::string ShellQuote(const std::string& text) {
  std::string q = "'";
  for (const char c : text) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string ArrayList(const std::vector<int>& tasks) {
  if (tasks.empty()) return "";
  bool contiguous = true;
  for (size_t i = 1; i < tasks.size(); ++i) contiguous &= tasks[i] == tasks[i - 1] + 1;
  if (contiguous) {
    return tasks.size() == 1 ? std::to_string(tasks[0])
                             : fmt::format("{}-{}", tasks.front(), tasks.back());
  }
  std::string list;
  for (const int t : tasks) list += (list.empty() ? "" : ",") + std::to_string(t);
  return list;
}

std::string PrepareScript(const SlurmOptions& o) {
  std::string s = Headers(o, "bcbench-demos", LogsDir(o.out) + "/prepare_%j.out");
  s += "# Records the suite's demo files once (cached by content hash, written atomically)\n"
       "# before the array starts; the array depends on this job (afterok).\n";
  s += "set -euo pipefail\n";
  s += "exec " + BenchCommand(o) + " --demos-only\n";
  return s;
}

std::string BenchScript(const SlurmOptions& o, const std::vector<int>& tasks) {
  std::string s = Headers(o, "bcbench", LogsDir(o.out) + "/shard_%a_%A.out");
  s += fmt::format("#SBATCH --array={}\n", ArrayList(tasks));
  s += fmt::format(
      "# Task i runs shard i/{} of the suite: the training groups (cells sharing one network,\n"
      "# usually one cell) whose index % {} == i - 1. A cell belongs to one shard only, so tasks\n"
      "# never write the same cell; a complete cell is skipped, so a resubmitted task resumes\n"
      "# where its predecessor stopped.\n",
      o.shards, o.shards);
  s += "set -uo pipefail\n";
  s += fmt::format("{} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\"\n", BenchCommand(o), o.shards);
  s += "status=$?\n";
  s += fmt::format("mkdir -p {}\n", ShellQuote(TasksDir(o.out)));
  s += fmt::format(
      "echo \"$status\" > {}\"/shard_${{SLURM_ARRAY_TASK_ID}}_${{SLURM_ARRAY_JOB_ID}}.exit\"\n",
      ShellQuote(TasksDir(o.out)));
  s += "exit \"$status\"\n";
  return s;
}

std::vector<int> ShardsWithPendingCells(const Suite& suite, const std::string& out, int shards) {
  const BenchPaths paths(out);
  std::vector<int> pending;
  for (int i = 1; i <= shards; ++i) {
    for (const CellSpec& cell : suite.cells) {
      if (InShard(cell, i, shards) && !fs::exists(paths.DoneFile(cell.id))) {
        pending.push_back(i);
        break;
      }
    }
  }
  return pending;
}

std::optional<std::vector<int>> QueuedTasks(const std::string& job) {
  if (job.empty() || !HaveProgram("squeue")) return std::nullopt;
  // -r: one line per array task; %K: the task's index (or a range while pending).
  const Captured c = Capture("squeue -h -r -j " + ShellQuote(job) + " -o %K");
  if (c.status != 0) {
    // A job Slurm no longer knows is not queued.
    if (c.output.find("Invalid job id") != std::string::npos) return std::vector<int>{};
    return std::nullopt;
  }
  std::vector<int> tasks;
  std::istringstream in(c.output);
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty()) continue;
    const auto dash = line.find('-');
    try {
      if (dash == std::string::npos) {
        tasks.push_back(std::stoi(line));
      } else {
        for (int t = std::stoi(line.substr(0, dash)); t <= std::stoi(line.substr(dash + 1)); ++t) {
          tasks.push_back(t);
        }
      }
    } catch (const std::exception&) {
      continue;  // "N/A" for a job that is not an array
    }
  }
  return tasks;
}

SubmitResult SubmitToSlurm(const SlurmOptions& o, const std::vector<int>& tasks_in) {
  if (!HaveProgram("sbatch")) {
    throw std::invalid_argument(
        "sbatch not found: run this on a Slurm login node (or pass --dry-run to print the "
        "scripts)");
  }
  std::vector<int> tasks = tasks_in;
  if (tasks.empty()) {
    for (int i = 1; i <= o.shards; ++i) tasks.push_back(i);
  }
  fs::create_directories(LogsDir(o.out));
  fs::create_directories(TasksDir(o.out));
  const std::string prepare = SlurmDir(o.out) + "/prepare.sbatch";
  const std::string bench = SlurmDir(o.out) + "/bench.sbatch";
  WriteFileAtomically(prepare, PrepareScript(o));
  WriteFileAtomically(bench, BenchScript(o, tasks));

  SubmitResult r;
  r.tasks = tasks;
  r.prepare_job = Sbatch(ShellQuote(prepare));
  r.array_job = Sbatch("--dependency=afterok:" + r.prepare_job + " " + ShellQuote(bench));

  nlohmann::json jobs;
  if (fs::exists(JobsFile(o.out))) {
    std::ifstream in(JobsFile(o.out));
    jobs = nlohmann::json::parse(in, nullptr, false);
    if (jobs.is_discarded() || !jobs.is_object()) jobs = nlohmann::json::object();
  }
  jobs["options"] = o.ToJson();
  jobs["submissions"].push_back({{"prepare_job", r.prepare_job},
                                 {"array_job", r.array_job},
                                 {"tasks", tasks},
                                 {"submitted", NowIso()}});
  WriteFileAtomically(JobsFile(o.out), jobs.dump(2) + "\n");
  return r;
}

SlurmStatus ReadSlurmStatus(const std::string& out) {
  if (!fs::exists(JobsFile(out))) {
    throw std::invalid_argument(out + ": no " + JobsFile(out) +
                                "; submit the suite first with `bcbench slurm submit`");
  }
  std::ifstream in(JobsFile(out));
  const nlohmann::json jobs = nlohmann::json::parse(in, nullptr, false);
  if (jobs.is_discarded() || !jobs.contains("options") || !jobs.contains("submissions")) {
    throw std::invalid_argument(JobsFile(out) + ": not a bcbench Slurm record (damaged?)");
  }
  SlurmOptions o;
  try {
    o = SlurmOptions::FromJson(jobs.at("options"));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(JobsFile(out) + ": " + e.what());
  }
  const Suite suite = LoadSuiteDefinition(o.suite);
  const BenchPaths paths(out);
  SlurmStatus st;
  st.array_job = jobs["submissions"].back().value("array_job", "");
  // The latest submission that ran each shard.
  std::map<int, std::string> job_of;
  for (const auto& sub : jobs["submissions"]) {
    for (const auto& t : sub.value("tasks", nlohmann::json::array())) {
      job_of[t.get<int>()] = sub.value("array_job", "");
    }
  }
  std::map<std::string, std::vector<int>> queued;  // job -> queued tasks
  bool squeue_ok = true;
  for (const auto& [task, job] : job_of) {
    if (queued.count(job)) continue;
    const auto q = QueuedTasks(job);
    if (!q) squeue_ok = false;
    queued[job] = q.value_or(std::vector<int>{});
  }
  if (!squeue_ok) st.note = "squeue could not be run: task states come from their files only";

  for (int i = 1; i <= o.shards; ++i) {
    ShardState s;
    s.index = i;
    for (const CellSpec& cell : suite.cells) {
      if (!InShard(cell, i, o.shards)) continue;
      ++s.cells;
      if (fs::exists(paths.DoneFile(cell.id))) ++s.done;
    }
    st.cells += s.cells;
    st.done += s.done;
    const auto job = job_of.find(i);
    if (job == job_of.end()) {
      s.state = "not submitted";
    } else {
      const std::string log = LogsDir(out) + fmt::format("/shard_{}_{}.out", i, job->second);
      const std::string exit_file =
          TasksDir(out) + fmt::format("/shard_{}_{}.exit", i, job->second);
      if (fs::exists(log)) s.log = log;
      const auto& q = queued[job->second];
      if (std::find(q.begin(), q.end(), i) != q.end()) {
        s.state = fs::exists(log) ? "running" : "queued";
      } else if (fs::exists(exit_file)) {
        std::ifstream e(exit_file);
        int code = -1;
        e >> code;
        s.state = code == 0 ? "done" : fmt::format("failed (exit {})", code);
      } else if (fs::exists(log)) {
        s.state = "died without an exit status (cancelled, timed out or killed)";
      } else {
        s.state = squeue_ok ? "never started (prepare job failed or cancelled?)" : "unknown";
      }
    }
    st.shards.push_back(s);
  }
  return st;
}

std::string SlurmStatusText(const SlurmStatus& st) {
  std::string text = fmt::format("{}/{} cells complete; array job {}\n", st.done, st.cells,
                                 st.array_job.empty() ? "-" : st.array_job);
  for (const ShardState& s : st.shards) {
    text += fmt::format("  shard {:>3}: {:>3}/{:<3} cells  {}{}\n", s.index, s.done, s.cells,
                        s.state, s.log.empty() || s.state == "done" ? "" : "  log " + s.log);
  }
  if (!st.note.empty()) text += st.note + "\n";
  return text;
}

}  // namespace bcbench
