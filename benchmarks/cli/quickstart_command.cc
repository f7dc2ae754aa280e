// bcbench quickstart: the main job. Runs a suite (the `quick` suite unless
// --suite names another) with `bcbench bench`, then writes its report with
// `bcbench report` and prints the main table and where the report is.
// Resumable like bench: run it again to finish or to re-print the table.
#include <cstdlib>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "benchmarks/report/report.h"

namespace bcbench {

struct QuickstartArgs {
  std::string suite = "quick";
  std::string out = "runs/quickstart";
  int jobs = 2;
};

void AddQuickstartCommand(CLI::App& app, CommandActions& actions, const GlobalOptions& global) {
  auto a = std::make_shared<QuickstartArgs>();
  auto* cmd = app.add_subcommand(
      "quickstart",
      "The main job: runs the `quick` suite (every env x every policy, CPU-sized models, one "
      "training seed, 50 held-out evaluation episodes, Push-T probe rollouts; budgets from "
      "measured learning curves, about 6 hours on 2 cores) through `bcbench bench`, then `bcbench report`, and prints the main table "
      "(success and score with 95% intervals, mode JSD, stall and stuck rates). Resumable: "
      "run it again to continue. `--suite preview` is a one-hour look (a twelfth of the budget, "
      "methods not converged); `--suite smoke` a few minutes through every path.");
  cmd->add_option("--suite", a->suite, "suite to run (a built-in name or a YAML file)")
      ->capture_default_str();
  cmd->add_option("--out", a->out, "output folder")->capture_default_str();
  cmd->add_option("--jobs", a->jobs, "cells at once (threads are split between them)")
      ->check(WholeNumber(1, 1024))
      ->capture_default_str();
  actions["quickstart"] = [a, &global]() {
    BenchArgs bench;
    bench.suite = a->suite;
    bench.out = a->out;
    bench.jobs = a->jobs;
    spdlog::info("quickstart 1/2: suite {} -> {} (bcbench bench --suite {} --out {} --jobs {})",
                 a->suite, a->out, a->suite, a->out, a->jobs);
    const size_t failed = RunSuite(bench, global);
    spdlog::info("quickstart 2/2: report (bcbench report {})", a->out);
    ReportOptions report;
    report.dir = a->out;
    const ReportOutcome outcome = WriteReport(report);
    fmt::print("\n{}\n", outcome.main_table);
    for (const auto& note : outcome.notes) spdlog::warn("{}", note);
    spdlog::info("report: {} ({} figures)", outcome.summary_path, outcome.figure_paths.size());
    if (failed > 0) {
      spdlog::error("{} cell(s) failed; run the same command again to retry them", failed);
      spdlog::shutdown();
      std::exit(EXIT_FAILURE);
    }
  };
}

}  // namespace bcbench
