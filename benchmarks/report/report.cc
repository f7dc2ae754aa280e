#include "benchmarks/report/report.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/report/figures.h"
#include "benchmarks/report/gnuplot.h"
#include "benchmarks/report/suite_data.h"
#include "benchmarks/report/summary.h"
#include "datasets/atomic_file.h"

namespace bcbench {
namespace {

bool HasFigure(const std::vector<Figure>& figures, const std::string& prefix) {
  return std::any_of(figures.begin(), figures.end(),
                     [&](const Figure& f) { return f.name.rfind(prefix, 0) == 0; });
}

bool FileMissing(const SuiteData& data, const char* file) {
  return std::find(data.missing_files.begin(), data.missing_files.end(), file) !=
         data.missing_files.end();
}

// Why a figure the report can draw is absent (missing files say it already).
std::vector<std::string> AbsentFigureNotes(const SuiteData& data,
                                           const std::vector<Figure>& figures) {
  std::vector<std::string> notes;
  if (!data.cells.empty()) {
    if (!HasFigure(figures, "success")) {
      notes.push_back("no success figure: no cell without a variant");
    }
    if (!HasFigure(figures, "modes")) {
      notes.push_back("no mode histogram: no cell of the main table has mode_frac_ values");
    }
    if (!HasFigure(figures, "transitions")) {
      notes.push_back("no transition figure: no cell of the main table has tr_ rates");
    }
  }
  if (!FileMissing(data, kProbeFile) && !HasFigure(figures, "probe_")) {
    notes.push_back("no probe figure: probe.csv has no rollouts");
  }
  return notes;
}

}  // namespace

ReportOutcome WriteReport(const ReportOptions& options) {
  namespace fs = std::filesystem;
  const std::string out_dir =
      options.out_dir.empty() ? (fs::path(options.dir) / "report").string() : options.out_dir;
  ReportOutcome outcome;
  outcome.summary_path = (fs::path(out_dir) / "summary.md").string();
  CheckWritableFile("--out", outcome.summary_path);

  const SuiteData data = LoadSuite(options.dir);
  const std::vector<Figure> figures = BuildFigures(data);
  outcome.notes = AbsentFigureNotes(data, figures);

  std::vector<Figure> drawn;
  std::vector<std::string> failures;
  const auto gnuplot = FindGnuplot();
  if (!gnuplot && !figures.empty()) {
    outcome.notes.push_back(fmt::format(
        "figures skipped ({}): the gnuplot program is not on PATH; install it (Debian: "
        "`apt-get install gnuplot-nox`) and rerun `bcbench report`",
        figures.size()));
  }
  for (const Figure& f : gnuplot ? figures : std::vector<Figure>{}) {
    try {
      RenderFigure(f, out_dir, *gnuplot);
      drawn.push_back(f);
      outcome.figure_paths.push_back((fs::path(out_dir) / (f.name + ".png")).string());
    } catch (const FigureError& e) {
      spdlog::error("{}", e.what());
      failures.push_back(f.name);
      outcome.notes.push_back(fmt::format("figure `{}` failed: gnuplot reported an error (run "
                                          "`gnuplot gnuplot/{}.gp` in the report folder)",
                                          f.name, f.name));
    }
  }
  WriteFileAtomically(outcome.summary_path, SummaryMarkdown(data, drawn, outcome.notes));
  outcome.main_table = MainTableMarkdown(data);
  if (!failures.empty()) {
    std::string names;
    for (const auto& n : failures) names += (names.empty() ? "" : ", ") + n;
    throw FigureError(fmt::format("gnuplot failed on {} figure(s): {}; {} lists the rest",
                                  failures.size(), names, outcome.summary_path));
  }
  return outcome;
}

}  // namespace bcbench
