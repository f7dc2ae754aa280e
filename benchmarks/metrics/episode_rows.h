// One row per evaluation episode (the unit every report aggregates), its CSV
// form, and the summary printed after an evaluation.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "benchmarks/metrics/episode_metrics.h"
#include "benchmarks/metrics/statistics.h"
#include "benchmarks/runner/rollout.h"

namespace bcbench {

struct EpisodeRow {
  std::string env;
  std::string policy;
  uint64_t seed = 0;
  bool success = false;
  double max_reward = 0;
  double final_reward = 0;
  int steps = 0;
  std::string mode;  // the env's mode name, or "none"
  EpisodeMetrics metrics;
  // The env's partial scores (Env::PartialScores, e.g. the stack's p1, p2),
  // each at its maximum over the episode; empty for envs without them.
  std::vector<std::pair<std::string, double>> partial_scores;
  int policy_calls = 0;
  double wall_s = 0;
};

// Rows for records from `env` (its phase/mode names and target bounds).
std::vector<EpisodeRow> MakeEpisodeRows(const std::vector<EpisodeRecord>& records, const Env& env,
                                        const std::string& policy_name);

std::string EpisodeCsvHeader();
std::string EpisodeCsv(const std::vector<EpisodeRow>& rows);

struct EvalSummary {
  int episodes = 0;
  int successes = 0;
  Interval success;    // Wilson 95%
  Interval score;      // mean max reward, bootstrap 95%
  double mean_steps = 0;
  // Step-weighted over all episodes, as for demo files: idle steps / counted
  // steps, not the mean of the rows' fractions.
  int idle_steps = 0;
  int idle_counted_steps = 0;
  double idle_fraction = 0;
  int stalls = 0;
  std::map<std::string, int> modes;
  // Per partial score (in the env's order): the fraction of episodes that
  // reached it (value >= 1), Wilson 95%.
  std::vector<std::pair<std::string, Interval>> partial;
};
EvalSummary Summarize(const std::vector<EpisodeRow>& rows);
std::string SummaryText(const EvalSummary& s);

}  // namespace bcbench
