#include "benchmarks/runner/bench_cell.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/metrics/cell_metrics.h"
#include "benchmarks/metrics/demo_reference.h"
#include "benchmarks/runner/bench_jobs.h"
#include "benchmarks/runner/bench_outputs.h"
#include "benchmarks/runner/eval_run.h"
#include "benchmarks/runner/train_run.h"
#include "datasets/atomic_file.h"
#include "datasets/demo_validation.h"
#include "envs/registry.h"
#include "policies/torch_runtime.h"
#include "policies/training/checkpoint.h"

namespace bcbench {
namespace {

nlohmann::json ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + " is not valid JSON (" + e.what() +
                             "); delete its cell folder to run the cell again");
  }
}

// JSON has no NaN: an absent interval is null.
nlohmann::json NumberOrNull(double v) { return std::isfinite(v) ? nlohmann::json(v) : nullptr; }

// The training run the cell evaluates (its group's, in the owner's folder).
TrainRunSpec TrainSpecOf(const CellSpec& cell, const BenchPaths& paths, const std::string& data,
                         const std::string& device) {
  TrainRunSpec spec;
  spec.device = device;
  spec.env = cell.env;
  spec.policy = cell.policy_name;
  spec.data = data;
  spec.out = paths.TrainDir(cell.train_owner);
  spec.config = cell.train_config;
  return spec;
}

// The file a reused training folder keeps the path of the one it came from in.
constexpr const char* kReusedFromFile = "reused_from.txt";

// Looks in another suite's output folder `from` for a finished training with
// the cell's train key that RunTraining would resume as this cell's run (same
// policy, trained config, run settings, demo content), and puts a copy of it
// (the checkpoint hard-linked where the filesystem allows) in the cell's
// training folder, atomically. Returns the folder it came from, or "" when none fits.
std::string AdoptTraining(const CellSpec& cell, const TrainRunSpec& spec, const std::string& from) {
  namespace fs = std::filesystem;
  const std::string suite_file = from + "/suite.yaml";
  std::ifstream in(suite_file);
  if (!in) {
    spdlog::warn("--reuse {}: no suite.yaml there (not a `bcbench bench` output folder)", from);
    return "";
  }
  std::stringstream text;
  text << in.rdbuf();
  Suite donor;
  try {
    donor = ParseSuite("reused", suite_file, text.str());
  } catch (const std::exception& e) {
    spdlog::warn("--reuse {}: its suite no longer parses ({}); nothing reused from it", from,
                 e.what());
    return "";
  }
  const BenchPaths donor_paths(from);
  for (const CellSpec& d : donor.cells) {
    if (d.train_key != cell.train_key || d.train_owner != d.id) continue;
    if (!TrainingFinished(d, donor_paths)) continue;
    const std::string dir = donor_paths.TrainDir(d.id);
    const std::string why = ResumeMismatch(spec, dir + "/" + kCheckpointFile);
    if (!why.empty()) {
      spdlog::info("cell {}: the training in {} is not this cell's: {}", cell.id, dir, why);
      continue;
    }
    const fs::path tmp = spec.out + ".reuse-tmp";
    fs::remove_all(tmp);
    fs::create_directories(tmp);
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_regular_file() || e.path().filename() == kReusedFromFile) continue;
      // The checkpoint is only ever replaced (temp + rename), so a hard link
      // is safe; the log is appended to in place, so it is copied.
      std::error_code ec;
      if (e.path().filename() == kCheckpointFile) {
        fs::create_hard_link(e.path(), tmp / e.path().filename(), ec);
      }
      if (e.path().filename() != kCheckpointFile || ec) {
        fs::copy_file(e.path(), tmp / e.path().filename());
      }
    }
    WriteFileAtomically((tmp / kReusedFromFile).string(),
                        fs::weakly_canonical(dir).string() + "\n");
    fs::remove_all(spec.out);  // the caller found no checkpoint in it
    fs::rename(tmp, spec.out);
    return dir;
  }
  return "";
}

// Trains the cell. Under a wall-clock cap it trains in chunks, each sized
// from the measured step rate to end at the cap, checked on the training
// log's elapsed time (which survives resumes). Returns the step reached.
int64_t Train(const CellSpec& cell, const BenchPaths& paths, const std::string& data,
              const std::string& device, bool* capped) {
  TrainRunSpec spec = TrainSpecOf(cell, paths, data, device);
  *capped = false;
  if (cell.wall_minutes <= 0) return RunTraining(spec).train.end_step;
  const double cap_s = 60.0 * cell.wall_minutes;
  // Within this margin of the cap another chunk is not worth its start-up.
  const double margin_s = std::min(1.0, 0.02 * cap_s);
  const int64_t total = cell.run.train_steps;
  const int64_t first_chunk =
      cell.run.checkpoint_every > 0 ? cell.run.checkpoint_every : std::max<int64_t>(1, total / 10);
  // A resumed run (or a cell sharing a finished training) starts where the log ends.
  int64_t step = LastTrainLogRow(spec.out).value_or(TrainLogRow{}).step;
  double steps_per_s = 0;
  while (true) {
    const double elapsed = LastTrainLogRow(spec.out).value_or(TrainLogRow{}).elapsed_s;
    const bool has_checkpoint = std::filesystem::exists(spec.out + "/checkpoint.pt");
    if (has_checkpoint && elapsed >= cap_s - margin_s && step < total) {
      *capped = true;
      spdlog::info("{}: training stopped by the {:g}-minute cap at step {} of {}", cell.id,
                   cell.wall_minutes, step, total);
      return step;
    }
    const int64_t chunk =
        steps_per_s > 0 ? std::max<int64_t>(1, static_cast<int64_t>(steps_per_s * (cap_s - elapsed)))
                        : first_chunk;
    spec.stop_after = std::min(total, step + chunk);
    const TrainResult r = RunTraining(spec).train;
    if (r.end_step > r.start_step && r.seconds > 0) {
      steps_per_s = static_cast<double>(r.end_step - r.start_step) / r.seconds;
    }
    step = r.end_step;
    if (step >= total) return step;
  }
}

void WriteProbeCsv(const CellSpec& cell, const BenchPaths& paths,
                   const std::vector<EpisodeRecord>& records, const std::vector<std::string>& modes) {
  std::string csv = "cell,env,policy,variant,rollout,step,x,y,mode\n";
  auto mode_name = [&](int m) {
    return m >= 0 && static_cast<size_t>(m) < modes.size() ? modes[static_cast<size_t>(m)]
                                                           : std::string("none");
  };
  for (size_t r = 0; r < records.size(); ++r) {
    const EpisodeRecord& rec = records[r];
    const std::string prefix =
        fmt::format("{},{},{},{},{}", cell.id, cell.env, cell.policy, cell.VariantText(), r);
    if (rec.initial_effector.size() >= 2) {
      csv += fmt::format("{},0,{:.3f},{:.3f},none\n", prefix, rec.initial_effector[0],
                         rec.initial_effector[1]);
    }
    for (size_t t = 0; t < rec.effector.size(); ++t) {
      if (rec.effector[t].size() < 2) continue;
      csv += fmt::format("{},{},{:.3f},{:.3f},{}\n", prefix, t + 1, rec.effector[t][0],
                         rec.effector[t][1], mode_name(t < rec.modes.size() ? rec.modes[t] : -1));
    }
  }
  WriteFileAtomically(paths.ProbeFile(cell.id), csv);
}

}  // namespace

nlohmann::json CellKeyJson(const CellSpec& cell) {
  return {{"id", cell.id},
          {"config_hash", cell.config_hash},
          {"experiment", cell.experiment},
          {"env", cell.env},
          {"policy", cell.policy},
          {"policy_name", cell.policy_name},
          {"variant", cell.VariantJson()},
          {"train_seed", cell.train_seed}};
}

nlohmann::json CellIdentityJson(const CellSpec& cell) {
  nlohmann::json identity = CellKeyJson(cell);
  identity["demos"] = cell.demos.ToJson();
  identity["preset"] = cell.config.preset;
  identity["config"] = cell.policy_config;
  identity["run"] = RunConfig::Schema().ToJson(cell.run);
  identity["wall_minutes"] = cell.wall_minutes;
  identity["eval"] = {{"episodes", cell.eval_episodes},
                      {"seed_base", cell.eval_seed_base},
                      {"probe_episodes", cell.probe_episodes}};
  return identity;
}

void CheckCellIdentity(const BenchPaths& paths, const CellSpec& cell) {
  const std::string file = paths.CellFile(cell.id);
  if (!std::filesystem::exists(file)) return;
  const nlohmann::json stored = ReadJsonFile(file);
  if (stored.value("config_hash", "") != cell.config_hash) {
    throw SuiteError(fmt::format(
        "{} holds cell {} run with a different configuration (config hash {} there, {} in the "
        "suite now): the suite changed since. Delete {} to run it again with the new settings, "
        "or pass another --out",
        paths.CellDir(cell.id), cell.id, stored.value("config_hash", "?"), cell.config_hash,
        paths.CellDir(cell.id)));
  }
}

std::optional<TrainLogRow> LastTrainLogRow(const std::string& train_dir) {
  const auto rows = ReadTrainLog(train_dir + "/train_log.csv");
  if (rows.empty()) return std::nullopt;
  return rows.back();
}

bool TrainingFinished(const CellSpec& cell, const BenchPaths& paths) {
  const std::string dir = paths.TrainDir(cell.train_owner);
  const auto row = LastTrainLogRow(dir);
  return row && row->step >= cell.run.train_steps &&
         std::filesystem::exists(dir + "/" + kCheckpointFile);
}

void RunBenchCell(const CellSpec& cell, const BenchPaths& paths, const RecordDemosFn& record_demos,
                  const std::string& device, const std::vector<std::string>& reuse) {
  if (std::filesystem::exists(paths.DoneFile(cell.id))) return;
  CheckCellIdentity(paths, cell);
  if (!std::filesystem::exists(paths.CellFile(cell.id))) {
    WriteFileAtomically(paths.CellFile(cell.id), CellIdentityJson(cell).dump(2) + "\n");
  }
  const std::string data = paths.DemoFile(cell.demos);
  if (!std::filesystem::exists(data)) record_demos(cell.demos, data);

  const std::string train_dir = paths.TrainDir(cell.train_owner);
  bool capped = false;
  int64_t steps = 0;
  {
    // A shared training is trained by whichever cell of its group gets here
    // first; the others wait for it here and then find it finished.
    std::optional<FileLock> shared;
    if (cell.train_group_cells > 1) {
      std::filesystem::create_directories(paths.CellDir(cell.train_owner));
      spdlog::info("cell {}: the network is shared by the {} cells of its group; training (or "
                   "finding) it in {}",
                   cell.id, cell.train_group_cells, train_dir);
      shared.emplace(paths.CellDir(cell.train_owner) + "/train.lock", FileLock::Mode::kExclusive,
                     /*wait=*/true);
    }
    if (!std::filesystem::exists(train_dir + "/" + kCheckpointFile)) {
      for (const std::string& from : reuse) {
        const std::string adopted = AdoptTraining(cell, TrainSpecOf(cell, paths, data, device), from);
        if (adopted.empty()) continue;
        spdlog::info("cell {}: reusing the finished training in {} (--reuse)", cell.id, adopted);
        break;
      }
    }
    spdlog::info("cell {}: training {} ({}) for {} steps on {}", cell.id, cell.policy,
                 cell.policy_name, cell.run.train_steps, data);
    steps = Train(cell, paths, data, device, &capped);
  }
  const double train_wall = LastTrainLogRow(train_dir).value_or(TrainLogRow{}).elapsed_s;

  LoadedPolicy loaded = LoadPolicy(train_dir, cell.eval_sets, device, /*use_ema=*/true);
  EvalRunSpec eval;
  eval.env_name = loaded.env_name;
  eval.env_options = loaded.env_options;
  eval.obs_key = loaded.obs_key;
  eval.seeds = SeedRange(cell.eval_seed_base, cell.eval_episodes);
  spdlog::info("cell {}: evaluating on {} held-out seeds from {}", cell.id, cell.eval_episodes,
               cell.eval_seed_base);
  EvalRunResult result = RunEvaluation(*loaded.policy, eval);
  // Without the wall clock, so that a rerun writes the same bytes.
  std::string csv = EpisodeCsvColumns() + "\n";
  for (auto& row : result.rows) {
    row.policy = cell.policy;  // the suite's label: DP-C and DP-T are both `diffusion`
    csv += EpisodeCsvLine(row);
  }
  WriteFileAtomically(paths.EpisodesFile(cell.id), csv);

  const auto env = MakeEnv(eval.env_name, eval.env_options);
  std::vector<MetricValue> metrics = CellMetrics(
      result.rows, std::vector<int64_t>(result.rows.size(), static_cast<int64_t>(cell.train_seed)),
      DemoReferenceOf(data), LabelsOf(*env));

  double probe_wall = 0;
  if (cell.probe_episodes > 0) {
    EvalRunSpec probe = eval;
    probe.env_options = EvalEnvOptions(loaded, {{"start", "probe"}});
    probe.seeds = SeedRange(cell.eval_seed_base, cell.probe_episodes);
    std::vector<EpisodeRecord> records;
    probe.on_episode = [&records](const EpisodeRecord& r) { records.push_back(r); };
    spdlog::info("cell {}: {} rollouts from the probe state", cell.id, cell.probe_episodes);
    const EvalRunResult probed = RunEvaluation(*loaded.policy, probe);
    probe_wall = probed.wall_seconds;
    std::sort(records.begin(), records.end(),
              [](const EpisodeRecord& a, const EpisodeRecord& b) { return a.seed < b.seed; });
    WriteProbeCsv(cell, paths, records, env->ModeNames());
    for (const auto& [mode, i] : ModeFractions(probed.rows, env->ModeNames())) {
      metrics.push_back({"probe_mode_frac_" + mode, i.estimate, i.low, i.high});
    }
  }

  nlohmann::json done = CellIdentityJson(cell);
  done["train_steps_done"] = steps;
  done["train_capped"] = capped;
  done["train_wall_s"] = train_wall;
  done["train_dir"] = "cells/" + cell.train_owner + "/train";
  done["train_key"] = cell.train_key;
  done["train_group_cells"] = cell.train_group_cells;
  {
    std::ifstream reused(train_dir + "/" + kReusedFromFile);
    std::string from;
    if (std::getline(reused, from) && !from.empty()) done["train_reused_from"] = from;
  }
  done["eval_wall_s"] = result.wall_seconds;
  done["probe_wall_s"] = probe_wall;
  done["episodes"] = result.rows.size();
  done["threads"] = TorchThreads();
  done["git_commit"] = GitCommit();
  done["cpu"] = CpuModelName();
  done["finished"] = NowUtc();
  done["metrics"] = nlohmann::json::array();
  for (const auto& m : metrics) {
    done["metrics"].push_back(
        {{"name", m.name}, {"value", NumberOrNull(m.value)}, {"lo", NumberOrNull(m.lo)},
         {"hi", NumberOrNull(m.hi)}});
  }
  WriteFileAtomically(paths.DoneFile(cell.id), done.dump(2) + "\n");
  const EvalSummary s = Summarize(result.rows);
  spdlog::info("cell {} done: {}", cell.id, SummaryText(s));
}

}  // namespace bcbench
