// bcbench bench: run a whole suite (benchmarks/runner/bench.h) and show its
// progress: one updating line on a terminal, plain log lines otherwise.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "benchmarks/runner/bench.h"
#include "benchmarks/runner/bench_jobs.h"
#include "benchmarks/runner/suite.h"

namespace bcbench {
namespace {

std::string Duration(double seconds) {
  if (seconds < 0) return "?";
  const auto s = static_cast<long>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
}

std::string ProgressText(const BenchProgress& p) {
  std::string text = fmt::format("bench {}/{} cells", p.done, p.total);
  if (p.failed > 0) text += fmt::format(" ({} failed)", p.failed);
  for (const auto& r : p.running) {
    text += r.evaluating ? fmt::format(" | {} evaluating", r.id)
                         : fmt::format(" | {} step {}/{} loss {:.4f}", r.id, r.step, r.steps,
                                       r.loss);
  }
  return text + fmt::format(" | elapsed {} ETA {}", Duration(p.elapsed_s), Duration(p.eta_s));
}

// One line rewritten in place on a terminal; on a pipe or file, events as
// log lines and the progress line every 30 s.
class ProgressView {
 public:
  ProgressView() : tty_(::isatty(STDERR_FILENO) == 1) {}
  void Event(const std::string& line) {
    Clear();
    spdlog::info("{}", line);
    Redraw();
  }
  void Progress(const BenchProgress& p) {
    text_ = ProgressText(p);
    if (tty_) {
      Redraw();
    } else if (p.elapsed_s - last_plain_ >= 30) {
      last_plain_ = p.elapsed_s;
      spdlog::info("{}", text_);
    }
  }
  void Finish() { Clear(); }

 private:
  void Clear() {
    if (tty_ && shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }
  void Redraw() {
    if (!tty_ || text_.empty()) return;
    // A line longer than the terminal wraps and \r no longer returns to its start.
    winsize size{};
    const size_t width =
        ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 ? size.ws_col - 1 : 119;
    const std::string line = text_.size() > width ? text_.substr(0, width) : text_;
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    shown_ = true;
  }
  bool tty_;
  bool shown_ = false;
  std::string text_;
  double last_plain_ = 0;
};

// The cache's recorder: `bcbench demos` with the spec's settings.
void RecordDemosForSuite(const DemoSpec& spec, const std::string& path) {
  DemosArgs demos;
  demos.env = spec.env;
  demos.episodes = spec.episodes;
  demos.seed = spec.seed;
  demos.out = path;
  demos.idle_prob = spec.idle_prob;
  demos.noise = spec.noise;
  demos.mode_weights = spec.mode_weights;
  for (const auto& [key, value] : spec.options) {
    if (key == "obs") {
      demos.obs = value;
    } else if (key == "action_mode") {
      demos.action_mode = value;
    } else {
      demos.env_options.push_back(key + "=" + value);
    }
  }
  RunDemos(demos);
}

}  // namespace

size_t RunSuite(const BenchArgs& a, const GlobalOptions& global) {
  Suite suite;
  try {
    suite = LoadSuiteDefinition(a.suite);
  } catch (const SuiteError& e) {
    throw UsageError(e.what());
  }
  if (a.list) {
    std::pair<int, int> shard{1, 1};
    try {
      if (!a.shard.empty()) shard = ParseShard(a.shard);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    const auto [index, count] = shard;
    fmt::print("suite {} ({}): {} cells\n", suite.name, suite.source, suite.cells.size());
    for (const auto& cell : suite.cells) {
      if (InShard(cell, index, count)) {
        fmt::print("{:4}  {}  {} steps, demos {}{}\n", cell.index, cell.id, cell.run.train_steps,
                   cell.demos.Hash(),
                   cell.train_owner == cell.id ? ""
                                               : " (evaluates the training of " +
                                                     cell.train_owner + ")");
      }
    }
    return 0;
  }
  if (a.out.empty()) throw UsageError("--out DIR is required (the suite's output folder)");
  if (!suite.description.empty()) spdlog::info("suite {}: {}", suite.name, suite.description);
  const BenchPaths paths(a.out);
  if (!a.cell.empty()) {
    for (const auto& cell : suite.cells) {
      if (cell.id == a.cell) {
        RunBenchCell(cell, paths, RecordDemosForSuite, a.device, a.reuse);
        return 0;
      }
    }
    throw UsageError("--cell " + a.cell + ": suite " + suite.name + " has no such cell");
  }
  BenchOptions options;
  options.suite = a.suite;
  options.out = a.out;
  if (!a.shard.empty()) {
    try {
      std::tie(options.shard_index, options.shard_count) = ParseShard(a.shard);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  options.jobs = a.jobs;
  options.threads = global.threads;
  options.demos_only = a.demos_only;
  options.device = a.device;
  options.reuse = a.reuse;
  options.executable = SelfExecutable();
  options.global_args = {"--log-level", global.log_level};
  options.record_demos = RecordDemosForSuite;
  ProgressView view;
  options.on_event = [&view](const std::string& line) { view.Event(line); };
  options.on_progress = [&view](const BenchProgress& p) { view.Progress(p); };
  BenchResult result;
  try {
    result = RunBench(suite, options);
  } catch (const SuiteError& e) {
    view.Finish();
    throw UsageError(e.what());
  }
  view.Finish();
  spdlog::info("suite {}: {} of {} cells complete ({} run now, {} already done){}; files in {}: "
               "manifest.json, episodes.csv, cells.csv, probe.csv",
               suite.name, result.skipped + result.ran, result.cells, result.ran, result.skipped,
               result.failed.empty() ? "" : fmt::format(", {} FAILED", result.failed.size()),
               a.out);
  if (!result.failed.empty()) {
    std::string ids;
    for (const auto& id : result.failed) ids += " " + id;
    spdlog::error("failed cells (see DIR/cells/<id>/log.txt; run the command again to retry "
                  "them):{}",
                  ids);
  }
  return result.failed.size();
}

void AddBenchCommand(CLI::App& app, CommandActions& actions, const GlobalOptions& global) {
  auto a = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand(
      "bench",
      "Run a whole suite: demos (cached by content), then train + evaluate + probe every cell "
      "of its experiments' grids. Resumable: complete cells are skipped and a killed cell "
      "resumes from its checkpoint, so running the same command again finishes the job. Writes "
      "DIR/manifest.json, episodes.csv, cells.csv, probe.csv and DIR/cells/<id>/. Built-in "
      "suites: " + [] {
        std::string names;
        for (const auto& n : BuiltinSuiteNames()) names += (names.empty() ? "" : ", ") + n;
        return names;
      }() + " (benchmarks/suites/*.yaml).");
  cmd->add_option("--suite", a->suite, "a built-in suite's name or a suite YAML file")
      ->required();
  cmd->add_option("--out", a->out, "output folder (created; reuse it to resume)");
  cmd->add_option("--shard", a->shard,
                  "run only shard i of n (training groups whose index % n == i - 1; a group is "
                  "the cells that share one trained network, usually one cell); shard folders "
                  "merge by copying");
  cmd->add_option("--jobs", a->jobs,
                  "cells at once, each its own process with threads = --threads (or cores) / jobs")
      ->check(WholeNumber(1, 1024))
      ->capture_default_str();
  cmd->add_flag("--list", a->list, "validate the suite and list its cells (of --shard); run nothing");
  cmd->add_flag("--demos-only", a->demos_only,
                "record the demo files the (shard's) pending cells need, then stop: a cluster's "
                "first job, so array tasks find them cached");
  cmd->add_option("--device", a->device,
                  "where cells train and evaluate: cpu, or cuda with a CUDA LibTorch build")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--reuse", a->reuse,
                  "another suite's output folder (repeatable): a cell whose training (same demos, "
                  "policy, trained config, run settings and seed) finished there evaluates a copy "
                  "of it instead of training again, e.g. e8 after quick")
      ->check(CLI::ExistingDirectory)
      ->each([](const std::string& dir) {
        if (!std::filesystem::exists(dir + "/suite.yaml")) {
          throw CLI::ValidationError("--reuse", dir + " holds no suite.yaml: pass the --out "
                                                "folder of a `bcbench bench` run");
        }
      });
  cmd->add_option("--cell", a->cell, "run one cell in this process (the runner's child mode)")
      ->group("");
  actions["bench"] = [a, &global]() {
    if (RunSuite(*a, global) > 0) {
      spdlog::shutdown();
      std::exit(EXIT_FAILURE);
    }
  };
}

}  // namespace bcbench
