#include "benchmarks/metrics/episode_rows.h"

#include <fmt/format.h>

#include "datasets/idle_steps.h"

namespace bcbench {

std::vector<EpisodeRow> MakeEpisodeRows(const std::vector<EpisodeRecord>& records, const Env& env,
                                        const std::string& policy_name) {
  const std::vector<double> range = WorkspaceRange(env);
  const auto phases = env.PhaseNames();
  const auto modes = env.ModeNames();
  std::vector<EpisodeRow> rows;
  for (const auto& r : records) {
    EpisodeRow row;
    row.env = env.Name();
    row.policy = policy_name;
    row.seed = r.seed;
    row.success = r.success;
    row.max_reward = r.max_reward;
    row.final_reward = r.final_reward;
    row.steps = r.steps;
    row.mode = r.mode >= 0 && static_cast<size_t>(r.mode) < modes.size()
                   ? modes[static_cast<size_t>(r.mode)] : "none";
    row.metrics = ComputeEpisodeMetrics(r, range, phases);
    row.partial_scores = r.partial_scores;
    row.policy_calls = r.policy_calls;
    row.wall_s = r.wall_seconds;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string EpisodeCsvHeader() {
  return "env,policy,seed,success,max_reward,final_reward,steps,mode,phase_sequence,"
         "idle_fraction,longest_idle_streak,stalled,stuck,mean_squared_jerk,partial_scores,"
         "policy_calls,wall_s\n";
}

std::string EpisodeCsv(const std::vector<EpisodeRow>& rows) {
  std::string out = EpisodeCsvHeader();
  for (const auto& r : rows) {
    // "p1=1;p2=0" (no commas, so the field needs no quoting).
    std::string partial;
    for (const auto& [name, value] : r.partial_scores) {
      partial += fmt::format("{}{}={:g}", partial.empty() ? "" : ";", name, value);
    }
    out += fmt::format("{},{},{},{},{:.6f},{:.6f},{},{},{},{:.4f},{},{},{},{:.4f},{},{},{:.3f}\n",
                       r.env, r.policy, r.seed, r.success ? 1 : 0, r.max_reward, r.final_reward,
                       r.steps, r.mode, r.metrics.phase_sequence, r.metrics.idle_fraction,
                       r.metrics.longest_idle_streak, r.metrics.stalled ? 1 : 0,
                       r.metrics.stuck ? 1 : 0, r.metrics.mean_squared_jerk, partial,
                       r.policy_calls, r.wall_s);
  }
  return out;
}

EvalSummary Summarize(const std::vector<EpisodeRow>& rows) {
  EvalSummary s;
  s.episodes = static_cast<int>(rows.size());
  std::vector<double> scores;
  for (const auto& r : rows) {
    s.successes += r.success ? 1 : 0;
    scores.push_back(r.max_reward);
    s.mean_steps += r.steps;
    s.idle_steps += r.metrics.idle_steps;
    s.idle_counted_steps += r.metrics.idle_counted_steps;
    s.stalls += r.metrics.stalled ? 1 : 0;
    ++s.modes[r.mode];
  }
  if (!rows.empty()) s.mean_steps /= rows.size();
  s.idle_fraction = IdleFraction(static_cast<size_t>(s.idle_steps),
                                 static_cast<size_t>(s.idle_counted_steps));
  s.success = WilsonInterval(s.successes, s.episodes);
  s.score = BootstrapMeanInterval(scores);
  if (!rows.empty()) {
    for (size_t k = 0; k < rows.front().partial_scores.size(); ++k) {
      int reached = 0;
      for (const auto& r : rows) {
        reached += k < r.partial_scores.size() && r.partial_scores[k].second >= 1.0 ? 1 : 0;
      }
      s.partial.emplace_back(rows.front().partial_scores[k].first,
                             WilsonInterval(reached, s.episodes));
    }
  }
  return s;
}

std::string SummaryText(const EvalSummary& s) {
  std::string modes;
  for (const auto& [name, n] : s.modes) modes += fmt::format(" {}={}", name, n);
  std::string partial;
  for (const auto& [name, p] : s.partial) {
    partial += fmt::format("  {} {:.3f} [{:.3f}, {:.3f}]", name, p.estimate, p.low, p.high);
  }
  return fmt::format(
      "episodes {}  success {}/{} = {:.3f} [95% CI {:.3f}, {:.3f}]  score (mean max reward) "
      "{:.3f} [{:.3f}, {:.3f}]{}  mean steps {:.1f}  idle {:.1f}%  stalls {}  modes:{}",
      s.episodes, s.successes, s.episodes, s.success.estimate, s.success.low, s.success.high,
      s.score.estimate, s.score.low, s.score.high, partial, s.mean_steps, 100 * s.idle_fraction,
      s.stalls, modes);
}

}  // namespace bcbench
