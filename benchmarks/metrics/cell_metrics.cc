#include "benchmarks/metrics/cell_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "datasets/idle_steps.h"

namespace bcbench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

MetricValue Plain(std::string name, double value) { return {std::move(name), value, kNaN, kNaN}; }

MetricValue WithInterval(std::string name, const Interval& i) {
  return {std::move(name), i.estimate, i.low, i.high};
}

// A per-episode quantity's mean with its bootstrap interval over training
// seeds, then episodes (groups in ascending seed order, episodes in row order).
template <typename PerEpisode>
MetricValue BootstrapMean(std::string name, const std::vector<EpisodeRow>& rows,
                          const std::vector<int64_t>& train_seeds, PerEpisode value_of) {
  std::map<int64_t, std::vector<double>> by_seed;
  for (size_t k = 0; k < rows.size(); ++k) by_seed[train_seeds[k]].push_back(value_of(rows[k]));
  std::vector<std::vector<double>> groups;
  for (auto& [seed, values] : by_seed) groups.push_back(std::move(values));
  return WithInterval(std::move(name), HierarchicalBootstrapMeanInterval(groups));
}

template <typename Predicate>
MetricValue Rate(std::string name, const std::vector<EpisodeRow>& rows, Predicate holds) {
  const auto count = std::count_if(rows.begin(), rows.end(), holds);
  return WithInterval(std::move(name),
                      WilsonInterval(static_cast<int>(count), static_cast<int>(rows.size())));
}

// The demos' modes with mass ("none" left out).
std::map<std::string, double> DemoModeHistogram(const DemoReference& demos) {
  std::map<std::string, double> histogram;
  for (const auto& [mode, mass] : demos.mode_fractions) {
    if (mode != kNoMode && mass > 0) histogram[mode] = mass;
  }
  return histogram;
}

void AddMultimodality(const std::vector<EpisodeRow>& rows, const DemoReference& demos,
                      const EnvLabels& labels, std::vector<MetricValue>& out) {
  std::map<std::string, double> committed;
  for (const auto& r : rows) {
    if (r.mode != kNoMode) committed[r.mode] += 1;
  }
  const std::map<std::string, double> demo_modes = DemoModeHistogram(demos);
  const size_t env_modes = labels.modes.size();
  out.push_back(
      Rate("mode_committed", rows, [](const EpisodeRow& r) { return r.mode != kNoMode; }));
  const bool entropy_defined = !committed.empty() && env_modes >= 2;
  out.push_back(Plain("mode_entropy", entropy_defined ? Entropy(committed) /
                                                            std::log(static_cast<double>(env_modes))
                                                      : kNaN));
  const bool jsd_defined = !committed.empty() && !demo_modes.empty();
  out.push_back(
      Plain("mode_jsd", jsd_defined ? JensenShannonDivergence(committed, demo_modes) : kNaN));
  const auto covered = std::count_if(labels.modes.begin(), labels.modes.end(),
                                     [&](const std::string& m) { return committed.count(m) > 0; });
  out.push_back(Plain("modes_covered", static_cast<double>(covered)));
}

void AddTransitions(const std::vector<EpisodeRow>& rows, const EnvLabels& labels,
                    std::vector<MetricValue>& out) {
  const auto& phases = labels.phases;
  for (const auto& from : phases) {
    for (const auto& to : phases) {
      if (from == to) continue;
      int reached_from = 0, then_to = 0;
      for (const auto& r : rows) {
        const auto& visits = r.metrics.phase_visits;
        const auto first = std::find_if(visits.begin(), visits.end(),
                                        [&](const PhaseVisit& v) { return v.phase == from; });
        if (first == visits.end()) continue;
        ++reached_from;
        then_to += std::any_of(first + 1, visits.end(),
                               [&](const PhaseVisit& v) { return v.phase == to; })
                       ? 1 : 0;
      }
      const std::string name = fmt::format("tr_{}__{}", from, to);
      out.push_back(reached_from == 0
                        ? MetricValue{name, kNaN, kNaN, kNaN}
                        : WithInterval(name, WilsonInterval(then_to, reached_from)));
    }
  }
  for (const auto& phase : phases) {
    double steps = 0;
    int visits = 0;
    for (const auto& r : rows) {
      const auto& v = r.metrics.phase_visits;
      for (size_t k = 0; k + 1 < v.size(); ++k) {  // the last visit did not end in a move
        if (v[k].phase != phase) continue;
        steps += v[k].steps;
        ++visits;
      }
    }
    out.push_back(Plain("dwell_" + phase, visits ? steps / visits : kNaN));
  }
}

}  // namespace

EnvLabels LabelsOf(const Env& env) { return {env.ModeNames(), env.PhaseNames()}; }

std::vector<MetricValue> CellMetrics(const std::vector<EpisodeRow>& rows,
                                     const std::vector<int64_t>& train_seeds,
                                     const DemoReference& demos, const EnvLabels& labels) {
  if (rows.empty()) throw std::invalid_argument("CellMetrics: the cell has no episode rows");
  if (train_seeds.size() != rows.size()) {
    throw std::invalid_argument(
        fmt::format("CellMetrics: {} training seeds for {} rows; pass one per row",
                    train_seeds.size(), rows.size()));
  }
  std::vector<MetricValue> out;
  out.push_back(Rate("success", rows, [](const EpisodeRow& r) { return r.success; }));
  out.push_back(BootstrapMean("score", rows, train_seeds,
                              [](const EpisodeRow& r) { return r.max_reward; }));
  AddMultimodality(rows, demos, labels, out);
  out.push_back(BootstrapMean("mode_switches", rows, train_seeds,
                              [](const EpisodeRow& r) { return r.metrics.mode_switches; }));
  out.push_back(Plain("demo_mode_switches", demos.mode_switches));
  const auto fractions = ModeFractions(rows, labels.modes);
  for (const auto& mode : labels.modes) {
    out.push_back(WithInterval("mode_frac_" + mode, fractions.at(mode)));
  }
  const auto demo_modes = DemoModeHistogram(demos);
  double demo_total = 0;
  for (const auto& [mode, mass] : demo_modes) demo_total += mass;
  for (const auto& mode : labels.modes) {
    const auto it = demo_modes.find(mode);
    const double mass = it == demo_modes.end() ? 0.0 : it->second;
    out.push_back(Plain("demo_mode_frac_" + mode, demo_total > 0 ? mass / demo_total : kNaN));
  }

  size_t idle = 0, counted = 0;
  for (const auto& r : rows) {
    idle += static_cast<size_t>(r.metrics.idle_steps);
    counted += static_cast<size_t>(r.metrics.idle_counted_steps);
  }
  out.push_back(Plain("idle_fraction", IdleFraction(idle, counted)));
  out.push_back(Plain("demo_idle_fraction", demos.idle_fraction));
  out.push_back(BootstrapMean("longest_idle_streak", rows, train_seeds,
                              [](const EpisodeRow& r) { return r.metrics.longest_idle_streak; }));
  out.push_back(Rate("stall_rate", rows, [](const EpisodeRow& r) { return r.metrics.stalled; }));
  out.push_back(Rate("stuck_rate", rows, [](const EpisodeRow& r) { return r.metrics.stuck; }));
  out.push_back(BootstrapMean("mean_squared_jerk", rows, train_seeds,
                              [](const EpisodeRow& r) { return r.metrics.mean_squared_jerk; }));
  AddTransitions(rows, labels, out);
  for (const auto& [name, rate] : PartialScoreRates(rows)) {
    out.push_back(WithInterval("partial_" + name, rate));
  }
  return out;
}

std::vector<MetricValue> CellMetrics(const std::vector<EpisodeRow>& rows,
                                     const std::vector<int64_t>& train_seeds,
                                     const DemoReference& demos) {
  std::set<std::string> modes;
  for (const auto& [mode, mass] : demos.mode_fractions) modes.insert(mode);
  for (const auto& r : rows) modes.insert(r.mode);
  modes.erase(kNoMode);
  EnvLabels labels{{modes.begin(), modes.end()}, {}};
  for (const auto& r : rows) {
    for (const auto& v : r.metrics.phase_visits) {
      if (std::find(labels.phases.begin(), labels.phases.end(), v.phase) == labels.phases.end()) {
        labels.phases.push_back(v.phase);
      }
    }
  }
  return CellMetrics(rows, train_seeds, demos, labels);
}

const MetricValue& FindMetric(const std::vector<MetricValue>& metrics, const std::string& name) {
  const auto it = std::find_if(metrics.begin(), metrics.end(),
                               [&](const MetricValue& m) { return m.name == name; });
  if (it == metrics.end()) throw std::out_of_range("no metric named '" + name + "'");
  return *it;
}

std::map<std::string, Interval> ModeFractions(const std::vector<EpisodeRow>& rows,
                                              const std::vector<std::string>& modes) {
  std::map<std::string, int> counts;
  for (const auto& m : modes) counts[m] = 0;
  for (const auto& r : rows) ++counts[r.mode];
  std::map<std::string, Interval> fractions;
  for (const auto& [mode, n] : counts) {
    fractions[mode] = WilsonInterval(n, static_cast<int>(rows.size()));
  }
  return fractions;
}

}  // namespace bcbench
