// One row per evaluation episode (the unit every report aggregates), its CSV
// form, and the summary printed after an evaluation.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "benchmarks/metrics/episode_metrics.h"
#include "benchmarks/metrics/statistics.h"
#include "benchmarks/runner/rollout.h"

namespace bcbench {

// EpisodeRow::mode of an episode that never decided a mode.
inline constexpr const char* kNoMode = "none";

struct EpisodeRow {
  std::string env;
  std::string policy;
  uint64_t seed = 0;
  bool success = false;
  double max_reward = 0;
  double final_reward = 0;
  int steps = 0;
  std::string mode;  // the env's mode name (Env::Mode at the end), or kNoMode
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

// The episode CSV: one line per row, fields separated by commas (no quoting:
// names may not hold a comma). Columns, in order:
//   env, policy, seed (evaluation seed), success (0/1), max_reward,
//   final_reward, steps, mode (the env's name or "none"), phase_sequence
//   ("transit>push"), idle_fraction, longest_idle_streak, stalled (0/1),
//   stuck (0/1), mean_squared_jerk, partial_scores ("p1=1;p2=0", empty for
//   envs without them), policy_calls, idle_steps, idle_counted_steps,
//   mode_switches, phase_dwell (the phase visits with their steps:
//   "transit:12>push:40"), then in EpisodeCsv only wall_s.
// Reals are written in their shortest exact form, so parsing a line gives
// back the row's numbers bit for bit (aggregates of parsed rows equal those
// of the rows themselves); wall_s alone is rounded to milliseconds.
// Every column but the wall clock, in order (no newline).
std::string EpisodeCsvColumns();
// The header of EpisodeCsv: EpisodeCsvColumns(), then wall_s, then '\n'.
// Columns added later go after phase_dwell, before wall_s, so that wall_s
// stays last.
std::string EpisodeCsvHeader();
// One row as EpisodeCsvColumns() lists it (no wall clock), ending in '\n'.
// Throws std::invalid_argument when a name holds a separator (',' anywhere,
// ':' or '>' in a phase name, '=' or ';' in a partial score's name).
std::string EpisodeCsvLine(const EpisodeRow& row);
// `bcbench eval --csv`: EpisodeCsvHeader(), then each EpisodeCsvLine with
// its wall_s.
std::string EpisodeCsv(const std::vector<EpisodeRow>& rows);
// Rows back from EpisodeCsv's text, or from EpisodeCsvColumns() as header
// followed by EpisodeCsvLine lines (wall_s then 0). Throws
// std::invalid_argument for a wrong header, or naming the line number (the
// header is line 1) and the column for a line that does not parse.
std::vector<EpisodeRow> ParseEpisodeCsv(const std::string& text);

// The fraction of episodes that reached each partial score (value >= 1),
// Wilson 95%, in the env's order as the first row lists them; empty for
// envs without partial scores.
std::vector<std::pair<std::string, Interval>> PartialScoreRates(
    const std::vector<EpisodeRow>& rows);

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
