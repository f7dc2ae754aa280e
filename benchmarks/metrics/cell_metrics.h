// The aggregate of one benchmark cell (one env x policy x variant, all its
// training seeds): every SPEC 7 definition over the cell's episode rows, as a
// flat list of named values with optional 95% intervals (the columns of
// cells.csv).
//
// Names and definitions (n = the cell's episodes; "Wilson" = Wilson 95% over
// n unless said; "bootstrap" = HierarchicalBootstrapMeanInterval over the
// training seeds, then the episodes within each, seed 0, 2000 resamples):
//   success             episodes that succeeded / n; Wilson.
//   score               mean max_reward; bootstrap.
//   mode_committed      episodes whose mode is decided (not "none") / n; Wilson.
//   mode_entropy        Shannon entropy of the committed episodes' mode
//                       histogram / log(number of the env's modes), in [0, 1];
//                       NaN when no episode committed or the env has < 2 modes.
//   mode_jsd            Jensen-Shannon divergence (bits, [0, 1]) between the
//                       committed episodes' mode histogram and the demos';
//                       NaN when no episode committed or the demos name no mode.
//   modes_covered       how many of the env's modes at least one episode ended in.
//   mode_switches       mean per episode (EpisodeMetrics::mode_switches); bootstrap.
//   demo_mode_switches  DemoReference::mode_switches (NaN when not known).
//   mode_frac_<m>       for each env mode m: episodes whose mode is m / n; Wilson.
//   demo_mode_frac_<m>  the demos' fraction for m (their histogram normalised;
//                       0 where they lack m, NaN when they name no mode).
//   idle_fraction       idle steps / counted steps, both summed over the
//                       episodes (step-weighted, as Summarize and demo files).
//   demo_idle_fraction  DemoReference::idle_fraction.
//   longest_idle_streak mean per episode; bootstrap.
//   stall_rate          episodes that stalled (EpisodeMetrics::stalled) / n; Wilson.
//   stuck_rate          episodes stuck (EpisodeMetrics::stuck) / n; Wilson.
//   mean_squared_jerk   mean per episode; bootstrap.
//   tr_<i>__<j>         for each ordered pair of different env phases: of the
//                       episodes that visited i, the fraction that visited j at
//                       a later step than their first visit of i; Wilson over
//                       the episodes that visited i; NaN (value and interval)
//                       when none did.
//   dwell_<p>           mean steps of the visits of phase p that ended by
//                       moving to another phase (an episode's last visit is cut
//                       short by its end and left out; stuck_rate covers it);
//                       NaN when no visit of p ended so.
//   partial_<s>         for each partial score s: episodes that reached it / n;
//                       Wilson (PartialScoreRates).
// lo/hi are NaN where there is no interval. The order is the list above, modes
// and phases in the env's order; the same env gives the same names.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "benchmarks/metrics/demo_reference.h"
#include "benchmarks/metrics/episode_rows.h"
#include "benchmarks/metrics/statistics.h"
#include "envs/env.h"

namespace bcbench {

struct MetricValue {
  std::string name;
  double value = 0;
  double lo = 0;  // NaN: no interval
  double hi = 0;
};

// The env's label names, in its order: the columns of the per-mode and
// per-phase metrics.
struct EnvLabels {
  std::vector<std::string> modes;
  std::vector<std::string> phases;
};
EnvLabels LabelsOf(const Env& env);

// `train_seeds[k]` is the training seed of `rows[k]`. Throws
// std::invalid_argument when there is no row or the sizes differ.
std::vector<MetricValue> CellMetrics(const std::vector<EpisodeRow>& rows,
                                     const std::vector<int64_t>& train_seeds,
                                     const DemoReference& demos, const EnvLabels& labels);
// Without the env at hand: the modes are the names the demos and the rows
// give (sorted, "none" left out) and the phases the rows visit (in the order
// first visited). Prefer the overload above: an env mode that nobody reached
// then has no column and does not count in mode_entropy's normaliser.
std::vector<MetricValue> CellMetrics(const std::vector<EpisodeRow>& rows,
                                     const std::vector<int64_t>& train_seeds,
                                     const DemoReference& demos);

// The value called `name`; throws std::out_of_range when there is none.
const MetricValue& FindMetric(const std::vector<MetricValue>& metrics, const std::string& name);

// Probe-state mode fractions: for each of `modes` and each other mode name
// the rows give ("none" included), the fraction of rows whose mode it is,
// Wilson 95%.
std::map<std::string, Interval> ModeFractions(const std::vector<EpisodeRow>& rows,
                                              const std::vector<std::string>& modes = {});

}  // namespace bcbench
