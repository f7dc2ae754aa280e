#include "benchmarks/report/report.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/report/figures.h"
#include "benchmarks/report/gnuplot.h"
#include "benchmarks/report/csv_table.h"
#include "benchmarks/report/suite_data.h"
#include "benchmarks/report/summary.h"
#include "datasets/atomic_file.h"
#include "viz/render_episode.h"
#include "viz/render_error.h"

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

// One rendered evaluation episode per main-table cell with a checkpoint, as
// a Markdown section (env rows, method columns); notes say what is missing.
std::string RolloutsSection(const SuiteData& data, const ReportOptions& options,
                            const std::string& out_dir, ReportOutcome& outcome) {
  namespace fs = std::filesystem;
  const std::vector<const CellResult*> cells = MainTableCells(data);
  std::vector<std::string> envs, methods;
  std::map<std::pair<std::string, std::string>, std::string> shown;
  std::vector<std::string> without_checkpoint;
  std::string failure;
  for (const CellResult* cell : cells) {
    const std::string method = MethodLabel(*cell, cells);
    if (std::find(envs.begin(), envs.end(), cell->env) == envs.end()) envs.push_back(cell->env);
    if (std::find(methods.begin(), methods.end(), method) == methods.end()) {
      methods.push_back(method);
    }
    const fs::path checkpoint = fs::path(options.dir) / "cells" / cell->cell / "train";
    std::error_code ec;
    if (!fs::exists(checkpoint / "checkpoint.pt", ec)) {
      without_checkpoint.push_back(cell->cell);
      continue;
    }
    if (!failure.empty()) continue;
    RenderEpisodeSpec spec;
    spec.episode.checkpoint = checkpoint.string();
    spec.index = options.render_seed;
    spec.render.width = 256;
    spec.render.height = 256;
    spec.every = 2;
    const std::string name = "rollouts/" + cell->cell + ".gif";
    spec.out = (fs::path(out_dir) / name).string();
    try {
      spdlog::info("report: rendering {} (seed {})", cell->cell, options.render_seed);
      const RenderEpisodeResult r = RenderEpisode(spec);
      shown[{cell->env, method}] = fmt::format("![{} on {}]({})<br>{} steps, success {}, final "
                                               "reward {:.2f}",
                                               method, cell->env, name, r.steps,
                                               r.success ? "yes" : "no", r.final_reward);
      outcome.rollout_paths.push_back(spec.out);
    } catch (const std::exception& e) {  // no display, a torn checkpoint, ...
      failure = fmt::format("rollouts not rendered from {} on: {}", cell->cell, e.what());
    }
  }
  if (!failure.empty()) outcome.notes.push_back(failure);
  if (!without_checkpoint.empty()) {
    std::string list;
    for (const auto& id : without_checkpoint) list += (list.empty() ? "" : ", ") + id;
    outcome.notes.push_back(fmt::format("no rollout for {} cell(s) without a checkpoint in "
                                        "cells/<id>/train: {}",
                                        without_checkpoint.size(), list));
  }
  std::string md = fmt::format(
      "\n## Rollouts\n\nOne evaluation episode per method (seed {}, the EMA weights as "
      "`bcbench eval` runs them), rendered by `bcbench report --renders`: each decision's "
      "predicted action chunk is drawn in the scene, the executed actions red, the rest "
      "orange.\n\n| env |",
      options.render_seed);
  for (const auto& m : methods) md += " " + m + " |";
  md += "\n|---|";
  for (size_t i = 0; i < methods.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& env : envs) {
    md += "| " + env + " |";
    for (const auto& m : methods) {
      const auto it = shown.find({env, m});
      md += " " + (it == shown.end() ? std::string("-") : it->second) + " |";
    }
    md += "\n";
  }
  return md;
}

}  // namespace

ReportOutcome WriteReport(const ReportOptions& options) {
  namespace fs = std::filesystem;
  const std::string out_dir =
      options.out_dir.empty() ? (fs::path(options.dir) / "report").string() : options.out_dir;
  ReportOutcome outcome;
  outcome.summary_path = (fs::path(out_dir) / "summary.md").string();
  // DIR first (LoadSuite refuses what is not a suite run's folder): a file or
  // FIFO named as DIR is not an unwritable report folder, and nothing is
  // written for a mistyped DIR.
  const SuiteData data = LoadSuite(options.dir);
  CheckWritableFile("--out", outcome.summary_path);
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
  // Rollouts come before the summary is composed, so that their notes join
  // its Missing section.
  const std::string rollouts =
      options.renders ? RolloutsSection(data, options, out_dir, outcome) : std::string();
  WriteFileAtomically(outcome.summary_path,
                      SummaryMarkdown(data, drawn, outcome.notes) + rollouts);
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
