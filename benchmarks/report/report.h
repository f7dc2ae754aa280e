// `bcbench report DIR`: reads a suite output folder (benchmarks/report/
// suite_data.h) and writes REPORT/summary.md with the figures next to it
// (REPORT defaults to DIR/report). Works on a partial folder (a suite still
// running, one shard) and says what is missing. Malformed input throws
// ReportInputError before anything is written.
#pragma once

#include <string>
#include <vector>

namespace bcbench {

struct ReportOptions {
  std::string dir;      // the suite output folder
  std::string out_dir;  // "" = dir/report
};

struct ReportOutcome {
  std::string summary_path;
  std::vector<std::string> figure_paths;  // PNGs drawn (each has its SVG)
  std::vector<std::string> notes;         // figures not drawn, and why
  std::string main_table;                 // markdown
};

// Writes the report. A figure that gnuplot fails to draw is listed in the
// summary's Missing section and, after summary.md is written, reported by a
// FigureError (benchmarks/report/gnuplot.h).
ReportOutcome WriteReport(const ReportOptions& options);

}  // namespace bcbench
