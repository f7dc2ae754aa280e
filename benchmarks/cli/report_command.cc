// `bcbench report DIR [--out REPORT_DIR]`: summary.md and figures of a suite
// output folder (benchmarks/report/report.h).
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "benchmarks/report/report.h"

namespace bcbench {

void AddReportCommand(CLI::App& app, CommandActions& actions) {
  auto options = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand(
      "report",
      "Summarise a suite output folder (the --out of `bcbench bench`, complete, still running "
      "or one shard): REPORT/summary.md with the main table (env x policy), a table per "
      "experiment, what is missing, and figures (PNG and SVG, drawn by gnuplot).");
  cmd->add_option("DIR", options->dir, "suite output folder (manifest.json, cells.csv, ...)")
      ->required();
  cmd->add_option("--out", options->out_dir, "report folder (default DIR/report)");
  cmd->add_flag("--renders", options->renders,
                "also render one evaluation episode per method of the main table as an animated "
                "GIF (REPORT/rollouts/, predicted chunks drawn) and show them in summary.md; "
                "needs an X display (`xvfb-run -a bcbench report DIR --renders`)");
  cmd->add_option("--render-seed", options->render_seed, "episode seed of the rendered rollouts")
      ->check(WholeNumber(0))
      ->capture_default_str();
  actions["report"] = [options]() {
    const ReportOutcome outcome = WriteReport(*options);
    fmt::print("{}\n", outcome.main_table);
    for (const auto& note : outcome.notes) spdlog::warn("{}", note);
    spdlog::info("report: {} ({} figures{})", outcome.summary_path, outcome.figure_paths.size(),
                 options->renders ? fmt::format(", {} rollouts", outcome.rollout_paths.size())
                                  : std::string());
  };
}

}  // namespace bcbench
