#include "benchmarks/report/suite_data.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "benchmarks/metrics/statistics.h"
#include "benchmarks/report/csv_table.h"
#include "datasets/atomic_file.h"

namespace bcbench {
namespace {

// cells.csv's columns before the metrics (the suite contract).
const std::vector<std::string> kCellColumns = {
    "suite",   "cell",        "experiment",  "env",         "policy",     "variant",
    "train_seeds", "episodes", "train_steps", "train_wall_s", "eval_wall_s"};

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int WholeNumber(const CsvTable& table, size_t row, const std::string& column) {
  const double value = table.Number(row, column);
  if (!(value >= 0) || value != std::floor(value) || value > 1e9) {
    throw ReportInputError(fmt::format("{}:{}: column '{}': '{}' is not a count", table.Source(),
                                       table.Line(row), column, table.Text(row, column)));
  }
  return static_cast<int>(value);
}

MetricEstimate FromInterval(const Interval& interval) {
  return {interval.estimate, interval.low, interval.high};
}

std::string ReadWholeFile(const std::string& path) {
  auto text = ReadFileText(path);
  if (!text) throw ReportInputError(fmt::format("{}: cannot open the file", path));
  return std::move(*text);
}

std::string JsonText(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number()) return fmt::format("{:g}", value.get<double>());
  if (value.is_null()) return "";
  return value.dump();
}

}  // namespace

bool MetricEstimate::HasValue() const { return std::isfinite(value); }
bool MetricEstimate::HasInterval() const { return std::isfinite(lo) && std::isfinite(hi); }

std::vector<std::pair<std::string, std::string>> ParseVariant(const std::string& text,
                                                              const std::string& where) {
  std::vector<std::pair<std::string, std::string>> parts;
  if (text.empty()) return parts;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(';', start), text.size());
    const std::string part = text.substr(start, end - start);
    const size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ReportInputError(fmt::format(
          "{}: variant '{}': '{}' is not key=value (variants look like To=2;action_mode=delta)",
          where, text, part));
    }
    parts.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    start = end + 1;
  }
  return parts;
}

bool IsNumber(const std::string& text, double* value) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) return false;
  if (value) *value = v;
  return true;
}

MetricEstimate CellResult::Metric(const std::string& name) const {
  const auto it = metrics.find(name);
  if (it != metrics.end()) return it->second;
  const double nan = std::nan("");
  return {nan, nan, nan};
}

Manifest ParseManifest(const std::string& text, const std::string& source) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw ReportInputError(fmt::format("{}: not valid JSON ({}); the file is torn or edited: "
                                       "rerun `bcbench bench` on the folder to rewrite it",
                                       source, e.what()));
  }
  if (!json.is_object()) throw ReportInputError(source + ": the manifest must be a JSON object");
  auto text_of = [&](const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    return it == object.end() ? std::string() : JsonText(*it);
  };
  Manifest m;
  m.suite = text_of(json, "suite");
  m.suite_hash = text_of(json, "suite_hash");
  m.bcbench_version = text_of(json, "bcbench_version");
  m.git_commit = text_of(json, "git_commit");
  m.started = text_of(json, "started");
  m.updated = text_of(json, "updated");
  m.shard = text_of(json, "shard");
  if (const auto machine = json.find("machine"); machine != json.end() && machine->is_object()) {
    m.machine = text_of(*machine, "cpu");
    const std::string cores = text_of(*machine, "cores");
    if (!cores.empty()) m.machine += fmt::format(", {} cores", cores);
  }
  const auto cells = json.find("cells");
  if (cells == json.end()) return m;
  if (!cells->is_array()) throw ReportInputError(source + ": 'cells' must be an array");
  for (size_t i = 0; i < cells->size(); ++i) {
    const nlohmann::json& c = (*cells)[i];
    if (!c.is_object() || !c.contains("id")) {
      throw ReportInputError(fmt::format("{}: cells[{}] is not an object with an 'id'", source, i));
    }
    ManifestCell cell;
    cell.id = text_of(c, "id");
    cell.experiment = text_of(c, "experiment");
    cell.env = text_of(c, "env");
    cell.policy = text_of(c, "policy");
    cell.train_seed = text_of(c, "train_seed");
    cell.status = text_of(c, "status");
    if (const auto v = c.find("variant"); v != c.end() && v->is_object()) {
      // nlohmann's objects iterate in key order: the serialisation's order.
      for (const auto& [key, value] : v->items()) {
        cell.variant += fmt::format("{}{}={}", cell.variant.empty() ? "" : ";", key,
                                    JsonText(value));
      }
    }
    m.cells.push_back(std::move(cell));
  }
  return m;
}

std::vector<CellResult> CellsFromCellsCsv(const std::string& text, const std::string& source,
                                          std::vector<std::string>* metric_names) {
  const CsvTable table = CsvTable::Parse(text, source);
  table.RequireColumns(kCellColumns);
  // Metric columns: every other column, with its _lo/_hi companions.
  const std::set<std::string> fixed(kCellColumns.begin(), kCellColumns.end());
  struct MetricColumns {
    std::string name;
    int value, lo, hi;
  };
  std::vector<MetricColumns> metric_columns;
  for (const auto& name : table.Header()) {
    if (fixed.count(name)) continue;
    const bool companion = (EndsWith(name, "_lo") || EndsWith(name, "_hi")) &&
                           table.HasColumn(name.substr(0, name.size() - 3));
    if (companion) continue;
    metric_columns.push_back({name, table.FindColumn(name), table.FindColumn(name + "_lo"),
                              table.FindColumn(name + "_hi")});
    if (metric_names) metric_names->push_back(name);
  }
  std::vector<CellResult> cells;
  std::set<std::string> ids;
  for (size_t r = 0; r < table.Rows(); ++r) {
    CellResult cell;
    cell.cell = table.Text(r, "cell");
    if (!ids.insert(cell.cell).second) {
      throw ReportInputError(fmt::format("{}:{}: cell '{}' appears twice", source, table.Line(r),
                                         cell.cell));
    }
    cell.experiment = table.Text(r, "experiment");
    cell.env = table.Text(r, "env");
    cell.policy = table.Text(r, "policy");
    cell.variant = table.Text(r, "variant");
    ParseVariant(cell.variant, fmt::format("{}:{}", source, table.Line(r)));
    cell.train_seeds = table.Text(r, "train_seeds");
    cell.episodes = WholeNumber(table, r, "episodes");
    cell.eval_wall_s = table.Number(r, "eval_wall_s");
    for (const auto& mc : metric_columns) {
      const double nan = std::nan("");
      const MetricEstimate estimate{table.Number(r, mc.value),
                                    mc.lo >= 0 ? table.Number(r, mc.lo) : nan,
                                    mc.hi >= 0 ? table.Number(r, mc.hi) : nan};
      if (estimate.HasValue()) cell.metrics[mc.name] = estimate;
    }
    cells.push_back(std::move(cell));
  }
  return cells;
}

std::vector<CellResult> CellsFromEpisodesCsv(const std::string& text, const std::string& source,
                                             std::map<std::string, int>* rows_per_cell,
                                             std::map<std::string, CellEpisodes>* episodes) {
  const CsvTable table = CsvTable::Parse(text, source);
  table.RequireColumns({"cell", "experiment", "variant", "train_seed", "env", "policy", "seed",
                        "success", "max_reward"});
  struct Tally {
    CellResult cell;
    int successes = 0, stalls = 0, stucks = 0;
    std::vector<double> scores;
    std::map<std::string, int> modes;
  };
  std::vector<Tally> tallies;
  std::map<std::string, size_t> index;
  const bool has_stalled = table.HasColumn("stalled"), has_stuck = table.HasColumn("stuck");
  const bool has_mode = table.HasColumn("mode");
  for (size_t r = 0; r < table.Rows(); ++r) {
    const std::string& id = table.Text(r, "cell");
    auto [it, fresh] = index.emplace(id, tallies.size());
    if (fresh) {
      Tally t;
      t.cell.cell = id;
      t.cell.experiment = table.Text(r, "experiment");
      t.cell.env = table.Text(r, "env");
      t.cell.policy = table.Text(r, "policy");
      t.cell.variant = table.Text(r, "variant");
      ParseVariant(t.cell.variant, fmt::format("{}:{}", source, table.Line(r)));
      t.cell.train_seeds = table.Text(r, "train_seed");
      tallies.push_back(std::move(t));
    }
    Tally& t = tallies[it->second];
    auto flag = [&](const char* column) {
      const double v = table.Number(r, column);
      if (v != 0 && v != 1) {
        throw ReportInputError(fmt::format("{}:{}: column '{}': '{}' is not 0 or 1", source,
                                           table.Line(r), column, table.Text(r, column)));
      }
      return v == 1;
    };
    ++t.cell.episodes;
    const bool success = flag("success");
    t.successes += success;
    t.scores.push_back(table.Number(r, "max_reward"));
    if (episodes) {
      EpisodeRow row;
      row.env = t.cell.env;
      row.policy = t.cell.policy;
      const auto seed_of = [&](const char* column) {
        const double v = table.Number(r, column);
        if (!(v >= 0) || v != std::floor(v) || v > 9007199254740992.0) {
          throw ReportInputError(fmt::format("{}:{}: column '{}': '{}' is not a seed", source,
                                             table.Line(r), column, table.Text(r, column)));
        }
        return static_cast<uint64_t>(v);
      };
      row.seed = seed_of("seed");
      row.success = success;
      row.max_reward = t.scores.back();
      CellEpisodes& e = (*episodes)[id];
      e.rows.push_back(row);
      e.train_seeds.push_back(static_cast<int64_t>(seed_of("train_seed")));
    }
    if (has_stalled) t.stalls += flag("stalled");
    if (has_stuck) t.stucks += flag("stuck");
    if (has_mode) ++t.modes[table.Text(r, "mode")];
  }
  std::vector<CellResult> cells;
  for (Tally& t : tallies) {
    const int n = t.cell.episodes;
    auto& m = t.cell.metrics;
    m["success"] = FromInterval(WilsonInterval(t.successes, n));
    m["score"] = FromInterval(BootstrapMeanInterval(t.scores));
    if (has_stalled) m["stall_rate"] = FromInterval(WilsonInterval(t.stalls, n));
    if (has_stuck) m["stuck_rate"] = FromInterval(WilsonInterval(t.stucks, n));
    for (const auto& [mode, count] : t.modes) {
      if (mode == "none" || mode.empty()) continue;
      m["mode_frac_" + mode] = FromInterval(WilsonInterval(count, n));
    }
    if (rows_per_cell) (*rows_per_cell)[t.cell.cell] = n;
    cells.push_back(std::move(t.cell));
  }
  return cells;
}

std::vector<ProbeRollout> ProbeFromCsv(const std::string& text, const std::string& source) {
  const CsvTable table = CsvTable::Parse(text, source);
  table.RequireColumns({"cell", "env", "policy", "variant", "rollout", "step", "x", "y", "mode"});
  struct Point {
    int step;
    double x, y;
    std::string mode;
  };
  std::map<std::pair<std::string, int>, size_t> index;
  std::vector<ProbeRollout> rollouts;
  std::vector<std::vector<Point>> points;
  for (size_t r = 0; r < table.Rows(); ++r) {
    const int rollout = WholeNumber(table, r, "rollout");
    const std::string& cell = table.Text(r, "cell");
    auto [it, fresh] = index.emplace(std::make_pair(cell, rollout), rollouts.size());
    if (fresh) {
      ProbeRollout p;
      p.cell = cell;
      p.env = table.Text(r, "env");
      p.policy = table.Text(r, "policy");
      p.variant = table.Text(r, "variant");
      p.rollout = rollout;
      rollouts.push_back(std::move(p));
      points.emplace_back();
    }
    const double x = table.Number(r, "x"), y = table.Number(r, "y");
    if (!std::isfinite(x) || !std::isfinite(y)) {
      throw ReportInputError(fmt::format("{}:{}: the position ({}, {}) is not finite", source,
                                         table.Line(r), table.Text(r, "x"), table.Text(r, "y")));
    }
    points[it->second].push_back({WholeNumber(table, r, "step"), x, y, table.Text(r, "mode")});
  }
  for (size_t i = 0; i < rollouts.size(); ++i) {
    std::stable_sort(points[i].begin(), points[i].end(),
                     [](const Point& a, const Point& b) { return a.step < b.step; });
    rollouts[i].mode = "none";
    for (const Point& p : points[i]) {
      rollouts[i].path.emplace_back(p.x, p.y);
      if (!p.mode.empty() && p.mode != "none") rollouts[i].mode = p.mode;
    }
  }
  return rollouts;
}

std::vector<const CellResult*> MainTableCells(const SuiteData& data) {
  std::vector<const CellResult*> cells;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const CellResult& c : data.cells) {
    if (!c.variant.empty()) continue;
    if (seen.insert({c.env, c.policy, c.train_seeds}).second) cells.push_back(&c);
  }
  return cells;
}

std::string MethodLabel(const CellResult& cell, const std::vector<const CellResult*>& cells) {
  for (const CellResult* other : cells) {
    if (other->env == cell.env && other->policy == cell.policy &&
        other->train_seeds != cell.train_seeds) {
      return cell.policy + " s" + cell.train_seeds;
    }
  }
  return cell.policy;
}

SuiteData LoadSuite(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw ReportInputError(fmt::format(
        "{} is not a folder; name the --out folder of a `bcbench bench` run", dir));
  }
  SuiteData data;
  data.dir = dir;
  auto path_of = [&](const char* name) { return (fs::path(dir) / name).string(); };
  // A folder with none of a run's files is a mistyped DIR, not a run that
  // has yet to finish a cell (a bench run writes manifest.json first).
  const bool any = std::any_of(
      std::begin(kSuiteFiles), std::end(kSuiteFiles),
      [&](const char* name) { return fs::is_regular_file(path_of(name), ec); });
  if (!any) {
    throw ReportInputError(fmt::format(
        "{} holds none of a suite run's files ({}, {}, {}, {}); name the --out folder of a "
        "`bcbench bench` run",
        dir, kManifestFile, kEpisodesFile, kCellsFile, kProbeFile));
  }
  auto present = [&](const char* name) {
    if (fs::is_regular_file(path_of(name), ec)) return true;
    data.missing_files.push_back(name);
    return false;
  };
  if (present(kManifestFile)) {
    data.manifest = ParseManifest(ReadWholeFile(path_of(kManifestFile)), path_of(kManifestFile));
  }
  std::map<std::string, int> episode_rows;
  std::vector<CellResult> from_episodes;
  if (present(kEpisodesFile)) {
    from_episodes = CellsFromEpisodesCsv(ReadWholeFile(path_of(kEpisodesFile)),
                                         path_of(kEpisodesFile), &data.episode_rows,
                                         &data.episodes);
  }
  if (present(kCellsFile)) {
    data.cells = CellsFromCellsCsv(ReadWholeFile(path_of(kCellsFile)), path_of(kCellsFile),
                                   &data.metric_names);
  } else if (!from_episodes.empty()) {
    data.cells = std::move(from_episodes);
    data.cells_from_episodes = true;
  }
  for (const CellResult& c : data.cells) {
    for (const auto& [name, m] : c.metrics) {
      if (std::find(data.metric_names.begin(), data.metric_names.end(), name) ==
          data.metric_names.end()) {
        data.metric_names.push_back(name);
      }
    }
  }
  if (present(kProbeFile)) {
    data.probe = ProbeFromCsv(ReadWholeFile(path_of(kProbeFile)), path_of(kProbeFile));
  }
  return data;
}

}  // namespace bcbench
