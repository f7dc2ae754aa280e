#include "benchmarks/runner/bench.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "benchmarks/runner/bench_jobs.h"
#include "benchmarks/runner/bench_outputs.h"
#include "datasets/atomic_file.h"

namespace bcbench {
namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_stop_signal = 0;
void OnStopSignal(int sig) { g_stop_signal = sig; }

// SIGINT/SIGTERM set g_stop_signal while it lives; the old handlers return after.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = OnStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// The last `n` non-empty lines of a log file, for a failed cell's message.
std::string LogTail(const std::string& path, size_t n) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    out += "\n    " + lines[i];
  }
  return out;
}

// A folder holds one suite: refuse to mix another suite's cells into it.
void CheckSameSuite(const Suite& suite, const BenchPaths& paths) {
  std::ifstream in(paths.out() + "/manifest.json");
  if (!in) return;
  const nlohmann::json manifest = nlohmann::json::parse(in, nullptr, false);
  if (!manifest.is_object()) return;  // rewritten at the end of this run
  const std::string stored = manifest.value("suite", suite.name);
  if (stored != suite.name) {
    throw SuiteError(fmt::format("{} holds results of suite '{}', not '{}'; pass another --out",
                                 paths.out(), stored, suite.name));
  }
}

// "success 0.40 [0.27, 0.54]  score 0.61 [0.52, 0.70]" from a done cell's metrics.
std::string CellSummary(const BenchPaths& paths, const std::string& id) {
  std::ifstream in(paths.DoneFile(id));
  const nlohmann::json done = nlohmann::json::parse(in, nullptr, false);
  if (!done.is_object() || !done.contains("metrics")) return "";
  std::string out;
  for (const auto& m : done["metrics"]) {
    const std::string name = m.value("name", "");
    if ((name == "success" || name == "score") && m["value"].is_number()) {
      out += fmt::format("  {} {:.2f}", name, m["value"].get<double>());
      if (m["lo"].is_number() && m["hi"].is_number()) {
        out += fmt::format(" [{:.2f}, {:.2f}]", m["lo"].get<double>(), m["hi"].get<double>());
      }
    }
  }
  return out;
}

struct RunningCell {
  const CellSpec* cell;
  pid_t pid;
};

}  // namespace

std::pair<int, int> ParseShard(const std::string& text) {
  const auto slash = text.find('/');
  int i = 0, n = 0;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    size_t used_i = 0, used_n = 0;
    i = std::stoi(text.substr(0, slash), &used_i);
    n = std::stoi(text.substr(slash + 1), &used_n);
    if (used_i != slash || used_n != text.size() - slash - 1) throw std::invalid_argument("junk");
  } catch (const std::exception&) {
    throw std::invalid_argument("--shard '" + text + "' must look like i/n, e.g. 1/4");
  }
  if (n < 1 || i < 1 || i > n) {
    throw std::invalid_argument(
        fmt::format("--shard {}: need 1 <= i <= n (shards are numbered from 1)", text));
  }
  return {i, n};
}

bool InShard(const CellSpec& cell, int shard_index, int shard_count) {
  return static_cast<int>(cell.train_group % static_cast<size_t>(shard_count)) == shard_index - 1;
}


double BenchEta::Fraction(int64_t step, int64_t steps) {
  if (steps <= 0) return 0;
  return kTrainingShare *
         std::clamp(static_cast<double>(step) / static_cast<double>(steps), 0.0, 1.0);
}

void BenchEta::Started(const std::string& id, double fraction) {
  running_.push_back({id, fraction, fraction});
}

void BenchEta::Progress(const std::string& id, double fraction) {
  for (Cell& c : running_) {
    if (c.id == id) c.now = std::max(c.now, fraction);
  }
}

void BenchEta::Finished(const std::string& id) {
  for (auto it = running_.begin(); it != running_.end(); ++it) {
    if (it->id == id) {
      finished_here_ += 1 - it->at_start;
      running_.erase(it);
      return;
    }
  }
}

void ActiveTime::Tick(double now_s) {
  if (last_s_ >= 0) seconds_ += std::clamp(now_s - last_s_, 0.0, max_gap_s_);
  last_s_ = now_s;
}

double BenchEta::Seconds(double elapsed_s, double not_started) const {
  double done = finished_here_, left = not_started;
  for (const Cell& c : running_) {
    done += c.now - c.at_start;
    left += 1 - c.now;
  }
  if (done < 0.05) return -1;
  return elapsed_s * left / done;
}

BenchResult RunBench(const Suite& suite, const BenchOptions& o) {
  const BenchPaths paths(o.out);
  CheckWritableFile("--out", o.out + "/manifest.json");
  // Shards of one suite may run at once on a shared folder (Slurm array
  // tasks): each holds the folder's lock shared and its own shard's lock
  // exclusively. A whole-suite run holds the folder's lock exclusively.
  const bool sharded = o.shard_count > 1;
  const FileLock lock(o.out + "/.lock",
                      sharded ? FileLock::Mode::kShared : FileLock::Mode::kExclusive);
  std::optional<FileLock> shard_lock;
  if (sharded) {
    shard_lock.emplace(fmt::format("{}/.lock-shard-{}-of-{}", o.out, o.shard_index,
                                   o.shard_count));
  }
  if (!lock.locked() || (shard_lock && !shard_lock->locked())) {
    throw std::invalid_argument(fmt::format(
        "another `bcbench bench` is running on {}{}; wait for it to finish or pass another --out",
        o.out, sharded ? fmt::format(" (shard {}/{} or the whole suite)", o.shard_index,
                                     o.shard_count)
                       : ""));
  }
  CheckSameSuite(suite, paths);
  for (const CellSpec& cell : suite.cells) CheckCellIdentity(paths, cell);
  const std::optional<std::string> shard =
      o.shard_count > 1 ? std::optional<std::string>(fmt::format("{}/{}", o.shard_index,
                                                                 o.shard_count))
                        : std::nullopt;

  BenchResult result;
  std::vector<const CellSpec*> pending;
  for (const CellSpec& cell : suite.cells) {
    if (!InShard(cell, o.shard_index, o.shard_count)) continue;
    ++result.cells;
    if (std::filesystem::exists(paths.DoneFile(cell.id))) {
      ++result.skipped;
    } else {
      pending.push_back(&cell);
    }
  }
  const auto event = [&](const std::string& line) {
    if (o.on_event) o.on_event(line);
  };
  // The manifest's `started` is this moment, not the first cell's end.
  if (!o.demos_only) WriteSuiteOutputs(suite, paths, shard);
  event(fmt::format("suite {}: {} cells{}, {} complete, {} to run; output in {}", suite.name,
                    result.cells, shard ? " in shard " + *shard : "", result.skipped,
                    pending.size(), o.out));

  // Demos first, in this process: every cell that needs a file waits for it.
  // (Shards running at once may both record a missing file: the writes are
  // atomic and the files identical, so the last rename changes nothing.)
  std::set<std::string> recorded;
  for (const CellSpec* cell : pending) {
    const std::string file = paths.DemoFile(cell->demos);
    if (std::filesystem::exists(file) || !recorded.insert(file).second) continue;
    event(fmt::format("recording {} {} demos (seed {}, idle_prob {}, noise {}) -> {}",
                      cell->demos.episodes, cell->demos.env, cell->demos.seed,
                      cell->demos.idle_prob, cell->demos.noise, file));
    o.record_demos(cell->demos, file);
  }
  if (o.demos_only) {
    event(fmt::format("demos ready for the {} pending cells; --demos-only: no cell runs",
                      pending.size()));
    return result;
  }

  const int cores = o.threads > 0 ? o.threads
                                  : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int jobs = std::max(1, std::min<int>(o.jobs, static_cast<int>(std::max<size_t>(1, pending.size()))));
  const int threads_per_job = std::max(1, cores / jobs);
  if (!pending.empty()) {
    event(fmt::format("running {} cells, {} at a time with {} threads each", pending.size(),
                      jobs, threads_per_job));
  }

  const StopSignals stop_signals;
  const auto start = Clock::now();
  std::vector<RunningCell> running;
  std::vector<const CellSpec*> waiting = pending;  // not started yet, in suite order
  // Cells of one training group run one at a time until their training is
  // finished, so that a cell never waits for a sibling's training in a slot.
  const auto blocked = [&](const CellSpec& cell) {
    for (const auto& r : running) {
      if (r.cell->train_key == cell.train_key) return !TrainingFinished(cell, paths);
    }
    return false;
  };
  BenchEta eta;
  auto last_report = Clock::time_point{};
  // The loop ticks every 200 ms; a longer gap is time the process was stopped.
  ActiveTime active(1.0);
  while (!waiting.empty() || !running.empty()) {
    active.Tick(std::chrono::duration<double>(Clock::now() - start).count());
    if (g_stop_signal != 0) {
      std::vector<pid_t> pids;
      for (const auto& r : running) pids.push_back(r.pid);
      StopChildren(pids);
      WriteSuiteOutputs(suite, paths, shard);
      const int sig = g_stop_signal;
      event(fmt::format("stopped by signal {}; run the same command again to resume", sig));
      signal(sig, SIG_DFL);
      raise(sig);
      return result;  // not reached
    }
    bool changed = false;
    for (auto w = waiting.begin();
         w != waiting.end() && static_cast<int>(running.size()) < jobs;) {
      if (blocked(**w)) {
        ++w;
        continue;
      }
      const CellSpec* cell = *w;
      w = waiting.erase(w);
      std::vector<std::string> argv = {o.executable};
      argv.insert(argv.end(), o.global_args.begin(), o.global_args.end());
      for (const std::string& a : {std::string("--threads"), std::to_string(threads_per_job),
                                   std::string("bench"), std::string("--suite"), o.suite,
                                   std::string("--out"), o.out, std::string("--device"),
                                   o.device, std::string("--cell"), cell->id}) {
        argv.push_back(a);
      }
      for (const std::string& from : o.reuse) {
        argv.push_back("--reuse");
        argv.push_back(from);
      }
      const auto resumed_at = LastTrainLogRow(paths.TrainDir(cell->train_owner));
      eta.Started(cell->id,
                  resumed_at ? BenchEta::Fraction(resumed_at->step, cell->run.train_steps) : 0.0);
      running.push_back({cell, StartChild(argv, paths.LogFile(cell->id))});
      event(fmt::format("cell {} started (log {})", cell->id, paths.LogFile(cell->id)));
      changed = true;
    }
    for (auto it = running.begin(); it != running.end();) {
      const auto status = PollChild(it->pid);
      if (!status) {
        ++it;
        continue;
      }
      const CellSpec& cell = *it->cell;
      eta.Finished(cell.id);
      if (*status == 0 && std::filesystem::exists(paths.DoneFile(cell.id))) {
        ++result.ran;
        event(fmt::format("cell {} done:{}", cell.id, CellSummary(paths, cell.id)));
      } else {
        result.failed.push_back(cell.id);
        event(fmt::format("cell {} FAILED (exit status {}); its log {} ends:{}", cell.id, *status,
                          paths.LogFile(cell.id), LogTail(paths.LogFile(cell.id), 4)));
      }
      WriteSuiteOutputs(suite, paths, shard);
      it = running.erase(it);
      changed = true;
    }
    const auto now = Clock::now();
    if (o.on_progress && (changed || now - last_report >= std::chrono::seconds(1))) {
      last_report = now;
      BenchProgress p;
      p.total = result.cells;
      p.done = result.skipped + result.ran;
      p.failed = result.failed.size();
      p.elapsed_s = std::chrono::duration<double>(now - start).count();
      for (const auto& r : running) {
        BenchProgress::Running rp;
        rp.id = r.cell->id;
        rp.steps = r.cell->run.train_steps;
        if (const auto row = LastTrainLogRow(paths.TrainDir(r.cell->train_owner))) {
          rp.step = row->step;
          rp.loss = row->loss;
        }
        rp.evaluating = rp.step >= rp.steps;
        eta.Progress(rp.id, BenchEta::Fraction(rp.step, rp.steps));
        p.running.push_back(rp);
      }
      // A waiting cell whose training a running or earlier cell does (or
      // did) is left with its evaluation only.
      std::set<std::string> trained;
      for (const auto& r : running) trained.insert(r.cell->train_key);
      double left = 0;
      for (const CellSpec* w : waiting) {
        const bool shared = w->train_group_cells > 1 && (!trained.insert(w->train_key).second ||
                                                          TrainingFinished(*w, paths));
        left += shared ? 1 - BenchEta::kTrainingShare : 1;
      }
      p.eta_s = eta.Seconds(active.seconds(), left);
      o.on_progress(p);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  WriteSuiteOutputs(suite, paths, shard);
  return result;
}

}  // namespace bcbench
