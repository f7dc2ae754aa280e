#include "benchmarks/runner/bench_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace bcbench {
namespace {

constexpr double kNoInterval = std::numeric_limits<double>::quiet_NaN();

// `line` without its last comma-separated field (wall_s is the last column of
// EpisodeCsv), keeping the newline.
std::string WithoutLastField(const std::string& line) {
  return line.substr(0, line.rfind(',')) + "\n";
}

MetricValue FromInterval(const std::string& name, const Interval& i) {
  return {name, i.estimate, i.low, i.high};
}

}  // namespace

std::string BenchEpisodeHeader() { return WithoutLastField(EpisodeCsvHeader()); }

std::string BenchEpisodeLine(const EpisodeRow& row) {
  const std::string csv = EpisodeCsv({row});
  const std::string line = csv.substr(EpisodeCsvHeader().size());
  return WithoutLastField(line.substr(0, line.size() - 1));
}

std::vector<MetricValue> BenchCellMetrics(const std::vector<EpisodeRow>& rows,
                                          const std::vector<int64_t>& /*train_seeds*/,
                                          const DemoReference& demos) {
  const EvalSummary s = Summarize(rows);
  const int n = static_cast<int>(rows.size());
  int stuck = 0, longest = 0;
  double jerk = 0;
  for (const auto& r : rows) {
    stuck += r.metrics.stuck ? 1 : 0;
    longest = std::max(longest, r.metrics.longest_idle_streak);
    jerk += r.metrics.mean_squared_jerk;
  }
  std::vector<MetricValue> out = {
      FromInterval("success", s.success),
      FromInterval("score", s.score),
      {"idle_fraction", s.idle_fraction, kNoInterval, kNoInterval},
      {"demo_idle_fraction", demos.idle_fraction, kNoInterval, kNoInterval},
      {"longest_idle_streak", static_cast<double>(longest), kNoInterval, kNoInterval},
      FromInterval("stall_rate", WilsonInterval(s.stalls, n)),
      FromInterval("stuck_rate", WilsonInterval(stuck, n)),
      {"mean_squared_jerk", n > 0 ? jerk / n : 0.0, kNoInterval, kNoInterval},
  };
  for (const auto& [name, interval] : s.partial) out.push_back(FromInterval("partial_" + name, interval));
  std::set<std::string> modes;
  for (const auto& [mode, fraction] : demos.mode_fractions) modes.insert(mode);
  for (const auto& [mode, count] : s.modes) modes.insert(mode);
  for (const auto& mode : modes) {
    const auto it = s.modes.find(mode);
    out.push_back(FromInterval("mode_frac_" + mode, WilsonInterval(it == s.modes.end() ? 0 : it->second, n)));
  }
  for (const auto& [mode, fraction] : demos.mode_fractions) {
    out.push_back({"demo_mode_frac_" + mode, fraction, kNoInterval, kNoInterval});
  }
  return out;
}

}  // namespace bcbench
