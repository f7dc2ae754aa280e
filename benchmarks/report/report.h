// `bcbench report DIR`: reads a suite output folder (benchmarks/report/
// suite_data.h) and writes REPORT/summary.md with the figures next to it
// (REPORT defaults to DIR/report). Works on a partial folder (a suite still
// running, one shard) and says what is missing. Malformed input throws
// ReportInputError before anything is written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bcbench {

struct ReportOptions {
  std::string dir;      // the suite output folder
  std::string out_dir;  // "" = dir/report
  // Render one evaluation episode per main-table cell that kept its
  // checkpoint (REPORT/rollouts/<cell>.gif, predicted chunks drawn) and show
  // them in the summary. Needs an X display (xvfb-run); without one the
  // summary says why they are missing.
  bool renders = false;
  uint64_t render_seed = 100000;  // the episode rendered (the suites' first held-out seed)
};

struct ReportOutcome {
  std::string summary_path;
  std::vector<std::string> figure_paths;  // PNGs drawn (each has its SVG)
  std::vector<std::string> notes;         // figures (and rollouts) not drawn, and why
  std::vector<std::string> rollout_paths; // GIFs rendered with --renders
  std::string main_table;                 // markdown
};

// Writes the report. A figure that gnuplot fails to draw is listed in the
// summary's Missing section and, after summary.md is written, reported by a
// FigureError (benchmarks/report/gnuplot.h).
ReportOutcome WriteReport(const ReportOptions& options);

}  // namespace bcbench
