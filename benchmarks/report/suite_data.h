// What `bcbench report` reads from a suite output folder (the layout that
// `bcbench bench` writes): manifest.json, cells.csv, episodes.csv, probe.csv.
// Any of them may be missing, and the cells may be a subset of the suite (a
// run still going, or one shard of several); the loader records what it did
// not find instead of failing. Malformed files throw ReportInputError naming
// the file and line.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "benchmarks/metrics/episode_rows.h"

namespace bcbench {

// The files of a suite folder, relative to it.
inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kCellsFile = "cells.csv";
inline constexpr const char* kEpisodesFile = "episodes.csv";
inline constexpr const char* kProbeFile = "probe.csv";
inline constexpr const char* kSuiteFiles[] = {kManifestFile, kCellsFile, kEpisodesFile, kProbeFile};

// One aggregate of a cell: value with an optional 95% interval. NaN = absent.
struct MetricEstimate {
  double value;
  double lo;
  double hi;
  bool HasValue() const;
  bool HasInterval() const;
};

// "key=value;key=value" (keys sorted, as the suite writes it) as pairs; ""
// is no variant. Throws ReportInputError (naming `where`) on a part without '='.
std::vector<std::pair<std::string, std::string>> ParseVariant(const std::string& text,
                                                              const std::string& where);

// Whether a variant value is a number in full ("8", "0.5"; not "8x"), and
// which: numeric keys are sorted by value and drawn as ablation curves.
bool IsNumber(const std::string& text, double* value = nullptr);

struct CellResult {
  std::string cell;  // the cell id
  std::string experiment;
  std::string env;
  std::string policy;
  std::string variant;  // serialised, "" for none
  std::string train_seeds;
  int episodes = 0;
  double eval_wall_s = 0;  // the evaluation's wall time (NaN when the column is empty)
  std::map<std::string, MetricEstimate> metrics;  // by cells.csv name (success, tr_a__b, ...)

  // The metric, or an all-NaN estimate when the cell lacks it.
  MetricEstimate Metric(const std::string& name) const;
};

struct ManifestCell {
  std::string id;
  std::string experiment;
  std::string env;
  std::string policy;
  std::string variant;  // serialised like cells.csv's column
  std::string train_seed;
  std::string status;  // "done" | "pending"
};

struct Manifest {
  std::string suite;
  std::string suite_hash;
  std::string bcbench_version;
  std::string git_commit;
  std::string machine;  // "cpu, N cores"
  std::string started;
  std::string updated;
  std::string shard;  // "i/n", or "" for the whole suite
  std::vector<ManifestCell> cells;
};

// The effector path of one probe rollout (Push-T: agent position, px).
struct ProbeRollout {
  std::string cell;
  std::string env;
  std::string policy;
  std::string variant;
  int rollout = 0;
  std::vector<std::pair<double, double>> path;  // (x, y) in step order
  // The mode the rollout committed to: the last decided label of its rows
  // ("none" when none was ever decided).
  std::string mode;
};

struct CellEpisodes {
  std::vector<EpisodeRow> rows;      // seed, success and max_reward filled
  std::vector<int64_t> train_seeds;  // one per row
};

struct SuiteData {
  std::string dir;
  std::optional<Manifest> manifest;
  // One per cells.csv row, in file order; when cells.csv is missing, computed
  // from episodes.csv (success, score, stall and stuck rates, mode fractions).
  std::vector<CellResult> cells;
  bool cells_from_episodes = false;
  // Every metric name of `cells` in cells.csv's column order (the writer's:
  // modes and phases in the env's order), then names only computed here.
  std::vector<std::string> metric_names;
  // Rows of episodes.csv per cell id (empty when the file is missing).
  std::map<std::string, int> episode_rows;
  // Each cell's episodes from episodes.csv (seed, success, max_reward) with
  // their training seeds, for paired comparisons on the same seeds.
  std::map<std::string, CellEpisodes> episodes;
  std::vector<ProbeRollout> probe;
  std::vector<std::string> missing_files;  // of the four above, those not found
};

// The cells of the main table (env x policy): for each (env, policy, train
// seeds), the first cell without a variant, in cells.csv order.
std::vector<const CellResult*> MainTableCells(const SuiteData& data);

// How tables and legends name a cell's method: the policy, plus " s<seeds>"
// when `cells` hold the same env and policy with other training seeds.
std::string MethodLabel(const CellResult& cell, const std::vector<const CellResult*>& cells);

// Loads whatever of the suite folder exists. Throws ReportInputError when
// `dir` is not a folder or a file present is malformed.
SuiteData LoadSuite(const std::string& dir);

// Parsers of the individual files (`source` names the file in errors).
Manifest ParseManifest(const std::string& text, const std::string& source);
std::vector<CellResult> CellsFromCellsCsv(const std::string& text, const std::string& source,
                                          std::vector<std::string>* metric_names = nullptr);
std::vector<CellResult> CellsFromEpisodesCsv(const std::string& text, const std::string& source,
                                             std::map<std::string, int>* rows_per_cell,
                                             std::map<std::string, CellEpisodes>* episodes = nullptr);
std::vector<ProbeRollout> ProbeFromCsv(const std::string& text, const std::string& source);

}  // namespace bcbench
