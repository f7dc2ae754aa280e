// One cell of a suite, run to completion in this process: its demos (from
// the demo cache), training (RunTraining into DIR/cells/<owner>/train,
// resumed from its checkpoint after a kill), evaluation on held-out seeds,
// probe rollouts where the env has a probe start, and DIR/cells/<id>/done.json
// written last. A cell is complete iff done.json exists. <owner> is the cell
// itself unless it shares its training with earlier cells of the suite
// (CellSpec::train_owner): then the group's first cell holds the training and
// this cell evaluates that network with its own eval keys.
//
// DIR/cells/<id>/ holds:
//   cell.json     the cell's identity (config hash and settings), written first
//   train/        the training run (checkpoint.pt, train_log.csv), if the cell owns it
//   train.lock    taken while a cell of a shared training's group trains or checks it
//   episodes.csv  one row per evaluation episode (EpisodeCsvColumns, no wall clock)
//   probe.csv     effector paths of the probe rollouts (only envs with a probe start)
//   done.json     wall times, steps, threads and the cell's metrics
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "benchmarks/runner/suite.h"
#include "policies/training/train_log.h"

namespace bcbench {

// Records the demo file for `spec` at `path` (atomically); the CLI passes
// the `bcbench demos` recorder.
using RecordDemosFn = std::function<void(const DemoSpec& spec, const std::string& path)>;

// The layout of a suite's output folder.
class BenchPaths {
 public:
  explicit BenchPaths(std::string out) : out_(std::move(out)) {}
  const std::string& out() const { return out_; }
  std::string CellDir(const std::string& id) const { return out_ + "/cells/" + id; }
  std::string TrainDir(const std::string& id) const { return CellDir(id) + "/train"; }
  std::string CellFile(const std::string& id) const { return CellDir(id) + "/cell.json"; }
  std::string DoneFile(const std::string& id) const { return CellDir(id) + "/done.json"; }
  std::string EpisodesFile(const std::string& id) const { return CellDir(id) + "/episodes.csv"; }
  std::string ProbeFile(const std::string& id) const { return CellDir(id) + "/probe.csv"; }
  std::string LogFile(const std::string& id) const { return CellDir(id) + "/log.txt"; }
  std::string DemoFile(const DemoSpec& spec) const {
    return out_ + "/demos/" + spec.Hash() + ".hdf5";
  }

 private:
  std::string out_;
};

// The fields that name a cell (id, experiment, env, policy, variant, train
// seed, config hash): the manifest's entry for it, and the start of its
// identity.
nlohmann::json CellKeyJson(const CellSpec& cell);

// The cell's identity as cell.json stores it: CellKeyJson plus everything
// that configures its run (demos, preset, config, run, eval).
nlohmann::json CellIdentityJson(const CellSpec& cell);

// Throws SuiteError when DIR/cells/<id> holds a cell of a different config
// (the suite changed since it ran), naming the folder and the fix.
void CheckCellIdentity(const BenchPaths& paths, const CellSpec& cell);

// The last complete row of a training log (train/train_log.csv), for
// progress and the wall-clock cap; nullopt before the first row.
std::optional<TrainLogRow> LastTrainLogRow(const std::string& train_dir);

// Whether the training `cell` evaluates has reached its steps with a checkpoint.
bool TrainingFinished(const CellSpec& cell, const BenchPaths& paths);

// Runs the cell unless done.json exists. The demo file is recorded with
// `record_demos` when the cache lacks it.
// `device` ("cpu" or "cuda") trains and evaluates the cell there.
// `reuse`: output folders of other suites' runs. Before training from
// scratch, a finished training there with the cell's train key, which
// RunTraining would resume as the cell's own run, is copied (hard-linked)
// into the cell's training folder instead (train/reused_from.txt and
// done.json's train_reused_from name it).
void RunBenchCell(const CellSpec& cell, const BenchPaths& paths, const RecordDemosFn& record_demos,
                  const std::string& device = "cpu",
                  const std::vector<std::string>& reuse = {});

}  // namespace bcbench
