// The suite runner (`bcbench bench`): validates the suite, records the demo
// files its pending cells need (once per DemoSpec, cached by content hash
// under DIR/demos/), runs the cells of this shard that are not complete,
// `jobs` at a time as child processes of the same binary, and rebuilds the
// suite-level files (bench_outputs.h) after every cell and at the end.
//
// Resumable: a complete cell (done.json) is skipped, a killed cell resumes
// its training from the checkpoint and redoes its evaluation, so a killed and
// restarted run gives the same files as an uninterrupted one (at the same
// threads per cell: a training step is deterministic for a thread count).
// `--shard i/n` takes the training groups (CellSpec::train_group) whose index
// % n == i - 1, so that cells sharing a training stay in one shard (a suite
// without shared trainings has one cell per group: cell index % n); shard
// folders merge by copying their cells/ and demos/ into one folder.
//
// Cells of one training group do not run at once until its training is
// finished: the first trains, the rest then only evaluate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/runner/bench_cell.h"
#include "benchmarks/runner/suite.h"

namespace bcbench {

struct BenchProgress {
  struct Running {
    std::string id;
    int64_t step = 0;   // training step reached (the log's last row)
    int64_t steps = 0;  // planned
    double loss = 0;
    bool evaluating = false;  // training is done
  };
  size_t total = 0;      // cells of this shard
  size_t done = 0;       // complete, including those done before this run
  size_t failed = 0;
  std::vector<Running> running;
  double elapsed_s = 0;
  double eta_s = -1;     // -1: not known yet
};

// The ETA of a run: each cell is one unit of work, 0.9 of it its training
// (by steps) and the rest its evaluation. The rate is the units done by this
// process over its elapsed time; what a resumed cell had done before this
// process started counts neither toward the rate nor as work left, so a run
// resumed near the end of its cells' training does not report a rate it
// never had.
class BenchEta {
 public:
  static constexpr double kTrainingShare = 0.9;
  // A cell's done fraction from its training step (a finished training: 0.9).
  static double Fraction(int64_t step, int64_t steps);

  // A cell starts (or resumes) with `fraction` of it already done.
  void Started(const std::string& id, double fraction);
  void Progress(const std::string& id, double fraction);
  void Finished(const std::string& id);
  // Seconds left with `not_started` units of work in cells still to start
  // (1 per cell, 0.1 for one whose training is shared and done), or -1 while
  // this process has done too little (under 0.05 units) to tell. `elapsed_s`
  // should leave out the time the process was stopped.
  double Seconds(double elapsed_s, double not_started) const;

 private:
  struct Cell {
    std::string id;
    double at_start = 0, now = 0;
  };
  std::vector<Cell> running_;
  double finished_here_ = 0;  // units the finished cells did in this process
};

// The time a polling loop has been running, without the gaps where its
// process was stopped (SIGSTOP, a suspended machine): a gap between two ticks
// longer than `max_gap_s` counts as `max_gap_s`. The ETA's clock.
class ActiveTime {
 public:
  explicit ActiveTime(double max_gap_s) : max_gap_s_(max_gap_s) {}
  void Tick(double now_s);
  double seconds() const { return seconds_; }

 private:
  double max_gap_s_;
  double last_s_ = -1;
  double seconds_ = 0;
};

struct BenchOptions {
  std::string suite;  // built-in name or YAML path, as given to --suite
  std::string out;
  int shard_index = 1;  // 1-based
  int shard_count = 1;
  int jobs = 1;
  int threads = 0;      // for all jobs together; 0: every core
  bool demos_only = false;    // record the pending cells' demo files, run no cell
  std::vector<std::string> reuse;  // other runs' folders with trainings to reuse (RunBenchCell)
  std::string device = "cpu";  // the cells train and evaluate here (cpu or cuda)
  // How a cell process starts: `<executable> <global_args> bench --suite S
  // --out DIR --cell ID` (global_args e.g. --log-level).
  std::string executable;
  std::vector<std::string> global_args;
  RecordDemosFn record_demos;
  // Called about once a second and whenever a cell starts or ends.
  std::function<void(const BenchProgress&)> on_progress;
  // One line per event worth a log line (a cell started, done or failed).
  std::function<void(const std::string&)> on_event;
};

struct BenchResult {
  size_t cells = 0;    // in this shard
  size_t skipped = 0;  // already complete
  size_t ran = 0;
  std::vector<std::string> failed;  // ids
};

// `--shard i/n` -> (i, n); throws std::invalid_argument naming the fix.
std::pair<int, int> ParseShard(const std::string& text);

// Whether `cell` belongs to shard i of n (by its training group).
bool InShard(const CellSpec& cell, int shard_index, int shard_count);


BenchResult RunBench(const Suite& suite, const BenchOptions& options);

}  // namespace bcbench
