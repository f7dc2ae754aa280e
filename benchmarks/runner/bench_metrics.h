// The two seams between the suite runner and benchmarks/metrics, kept tiny
// so that the metrics' own functions replace them in one place:
// - the per-episode CSV line without the wall-clock column (the contract's
//   EpisodeCsvLine), from EpisodeCsv;
// - a cell's aggregates as named values with intervals (the contract's
//   CellMetrics), here the subset Summarize already computes.
// MetricValue and DemoReference are the contract's types; when
// benchmarks/metrics provides them, delete these and call CellMetrics in
// BenchCellMetrics (bench_metrics.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "benchmarks/metrics/episode_rows.h"

namespace bcbench {

struct MetricValue {
  std::string name;
  double value;
  double lo;  // NaN: no interval
  double hi;
};

// What the demos did, for the policy-vs-demos metrics.
struct DemoReference {
  std::map<std::string, double> mode_fractions;  // every mode of the env, by name
  double idle_fraction = 0;
};

// EpisodeCsvHeader() and one EpisodeCsv line without the wall_s column (no
// run repeats it), each ending in '\n'.
std::string BenchEpisodeHeader();
std::string BenchEpisodeLine(const EpisodeRow& row);

// success, score, idle, stall, stuck, jerk, partial scores and the mode
// fractions of the cell's episodes against the demos'.
std::vector<MetricValue> BenchCellMetrics(const std::vector<EpisodeRow>& rows,
                                          const std::vector<int64_t>& train_seeds,
                                          const DemoReference& demos);

}  // namespace bcbench
