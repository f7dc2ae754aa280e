#include "benchmarks/runner/bench_outputs.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <mujoco/mujoco.h>

#include "benchmarks/metrics/episode_rows.h"
#include "benchmarks/runner/bench_jobs.h"
#include "datasets/atomic_file.h"
#include "policies/torch_runtime.h"

#include "build_commit.h"  // generated: BCBENCH_BUILD_COMMIT
#ifndef BCBENCH_VERSION
#define BCBENCH_VERSION "unknown"
#endif

namespace bcbench {
namespace {

// A cell's data lines (the header checked and dropped), each prefixed.
std::string PrefixedLines(const std::string& path, const std::string& header,
                          const std::string& prefix) {
  const auto text = ReadFileText(path);
  if (!text) throw std::runtime_error(path + " is missing though its cell is done; delete the cell folder to rerun it");
  if (text->compare(0, header.size(), header) != 0) {
    throw std::runtime_error(path + " has other columns than this bcbench writes (an older "
                             "version wrote it?); delete its cell folder to run the cell again");
  }
  std::string out;
  std::istringstream lines(text->substr(header.size()));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) out += prefix + line + "\n";
  }
  return out;
}

std::string MetricText(const nlohmann::json& v) {
  return v.is_number() ? fmt::format("{:.6g}", v.get<double>()) : "";
}

}  // namespace

std::string GitCommit() { return BCBENCH_BUILD_COMMIT; }

std::string NowUtc() { return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr))); }

bool WriteFileIfChanged(const std::string& path, const std::string& content) {
  const auto current = ReadFileText(path);
  if (current && *current == content) return false;
  WriteFileAtomically(path, content);
  return true;
}

std::string CpuModelName() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "";
}

void WriteSuiteOutputs(const Suite& suite, const BenchPaths& paths,
                       const std::optional<std::string>& shard) {
  // Shards running at once rebuild in turn: a rebuild that starts after the
  // last cell completed is also the last to rename its files into place.
  const FileLock rebuilding(paths.out() + "/.outputs.lock", FileLock::Mode::kExclusive,
                            /*wait=*/true);
  const std::string episode_header = EpisodeCsvColumns() + "\n";
  const std::string probe_header = "cell,env,policy,variant,rollout,step,x,y,mode\n";
  std::string episodes = "suite,cell,experiment,variant,train_seed," + episode_header;
  std::string probe = probe_header;
  std::vector<nlohmann::json> done_cells;
  nlohmann::json manifest_cells = nlohmann::json::array();
  std::vector<std::string> metric_names;
  for (const CellSpec& cell : suite.cells) {
    const bool done = std::filesystem::exists(paths.DoneFile(cell.id));
    nlohmann::json entry = CellKeyJson(cell);
    entry["demos"] = cell.demos.Hash();
    entry["status"] = done ? "done" : "pending";
    if (!done) {
      manifest_cells.push_back(std::move(entry));
      continue;
    }
    std::ifstream in(paths.DoneFile(cell.id));
    nlohmann::json d = nlohmann::json::parse(in);
    // Where and from which source the cell ran: shards and resumed runs can
    // come from other machines or sessions.
    for (const char* key : {"git_commit", "cpu", "finished"}) {
      if (d.contains(key)) entry[key] = d.at(key);
    }
    manifest_cells.push_back(std::move(entry));
    episodes += PrefixedLines(paths.EpisodesFile(cell.id), episode_header,
                              fmt::format("{},{},{},{},{},", suite.name, cell.id, cell.experiment,
                                          cell.VariantText(), cell.train_seed));
    if (std::filesystem::exists(paths.ProbeFile(cell.id))) {
      probe += PrefixedLines(paths.ProbeFile(cell.id), probe_header, "");
    }
    for (const auto& m : d.at("metrics")) {
      const std::string name = m.at("name").get<std::string>();
      if (std::find(metric_names.begin(), metric_names.end(), name) == metric_names.end()) {
        metric_names.push_back(name);
      }
    }
    d["cell_spec_index"] = cell.index;
    done_cells.push_back(std::move(d));
  }

  std::string cells =
      "suite,cell,experiment,env,policy,variant,train_seeds,episodes,train_steps,train_wall_s,"
      "eval_wall_s";
  for (const auto& name : metric_names) cells += fmt::format(",{0},{0}_lo,{0}_hi", name);
  cells += "\n";
  for (const auto& d : done_cells) {
    const CellSpec& cell = suite.cells[d.at("cell_spec_index").get<size_t>()];
    cells += fmt::format("{},{},{},{},{},{},{},{},{},{:.1f},{:.1f}", suite.name, cell.id,
                         cell.experiment, cell.env, cell.policy, cell.VariantText(),
                         cell.train_seed, d.at("episodes").get<int>(),
                         d.at("train_steps_done").get<int64_t>(),
                         d.at("train_wall_s").get<double>(), d.at("eval_wall_s").get<double>());
    for (const auto& name : metric_names) {
      nlohmann::json value, lo, hi;
      for (const auto& m : d.at("metrics")) {
        if (m.at("name") == name) {
          value = m.at("value");
          lo = m.at("lo");
          hi = m.at("hi");
        }
      }
      cells += fmt::format(",{},{},{}", MetricText(value), MetricText(lo), MetricText(hi));
    }
    cells += "\n";
  }

  const std::string manifest_path = paths.out() + "/manifest.json";
  nlohmann::json manifest = {
      {"suite", suite.name},
      {"suite_source", suite.source},
      {"suite_hash", suite.hash},
      {"bcbench_version", BCBENCH_VERSION},
      {"git_commit", GitCommit()},
      {"machine", {{"cpu", CpuModelName()}, {"cores", std::thread::hardware_concurrency()}}},
      {"libtorch", TorchVersion()},
      {"mujoco", fmt::format("{}.{}.{}", mj_version() / 100, mj_version() / 10 % 10,
                             mj_version() % 10)},
      {"cells", manifest_cells},
      {"shard", shard ? nlohmann::json(*shard) : nlohmann::json(nullptr)}};
  // started: the first run's; updated: the last run that changed anything.
  nlohmann::json previous;
  if (const auto text = ReadFileText(manifest_path)) {
    previous = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  }
  const bool had = previous.is_object();
  const std::string now = NowUtc();
  manifest["started"] = had ? previous.value("started", now) : now;
  manifest["updated"] = had ? previous.value("updated", now) : now;
  if (!had || previous != manifest) {
    manifest["updated"] = now;
    WriteFileAtomically(manifest_path, manifest.dump(2) + "\n");
  }
  WriteFileIfChanged(paths.out() + "/episodes.csv", episodes);
  WriteFileIfChanged(paths.out() + "/cells.csv", cells);
  WriteFileIfChanged(paths.out() + "/probe.csv", probe);
  WriteFileIfChanged(paths.out() + "/suite.yaml", suite.text);
}

}  // namespace bcbench
