#include "benchmarks/metrics/episode_rows.h"

#include <charconv>
#include <stdexcept>
#include <type_traits>

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
                   ? modes[static_cast<size_t>(r.mode)] : kNoMode;
    row.metrics = ComputeEpisodeMetrics(r, range, phases);
    row.partial_scores = r.partial_scores;
    row.policy_calls = r.policy_calls;
    row.wall_s = r.wall_seconds;
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

constexpr const char* kColumns[] = {
    "env", "policy", "seed", "success", "max_reward", "final_reward", "steps", "mode",
    "phase_sequence", "idle_fraction", "longest_idle_streak", "stalled", "stuck",
    "mean_squared_jerk", "partial_scores", "policy_calls",
    // Added with the cell metrics (issue 12); later columns go after these.
    "idle_steps", "idle_counted_steps", "mode_switches", "phase_dwell"};
constexpr size_t kNumColumns = sizeof(kColumns) / sizeof(kColumns[0]);

// Names are written as they are, so none may hold a separator of the file or
// of the field it sits in.
void CheckName(const std::string& name, const char* what, const std::string& forbidden) {
  if (name.find_first_of(forbidden + ",\r\n") != std::string::npos) {
    throw std::invalid_argument(fmt::format("episode CSV: {} '{}' holds one of the separators "
                                            "'{},' or a line break; rename it",
                                            what, name, forbidden));
  }
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// Reads one line's fields, naming the line and the column in every error.
class FieldReader {
 public:
  FieldReader(size_t line, std::vector<std::string> fields)
      : line_(line), fields_(std::move(fields)) {}

  const std::string& Text(size_t column) const { return fields_[column]; }

  template <typename T>
  T Number(size_t column) const {
    return NumberIn<T>(column, fields_[column]);
  }

  // `text` is the whole field or a part of it (a value inside a list).
  template <typename T>
  T NumberIn(size_t column, const std::string& text) const {
    T value{};
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
      const std::string what = std::is_integral_v<T> ? "an integer" : "a number";
      Fail(column, text == fields_[column] ? what : what + " in place of '" + text + "'");
    }
    return value;
  }

  bool Flag(size_t column) const {
    const std::string& f = fields_[column];
    if (f != "0" && f != "1") Fail(column, "0 or 1");
    return f == "1";
  }

  // "name=value;name=value" (empty: none) for partial scores; "name:steps>..."
  // for phase visits.
  std::vector<std::pair<std::string, std::string>> Pairs(size_t column, char item_separator,
                                                         char value_separator) const {
    std::vector<std::pair<std::string, std::string>> pairs;
    if (fields_[column].empty()) return pairs;
    for (const auto& item : Split(fields_[column], item_separator)) {
      const size_t at = item.find(value_separator);
      if (at == 0 || at == std::string::npos || at + 1 == item.size()) {
        Fail(column, fmt::format("items 'name{}value' separated by '{}'", value_separator,
                                 item_separator));
      }
      pairs.emplace_back(item.substr(0, at), item.substr(at + 1));
    }
    return pairs;
  }

  [[noreturn]] void Fail(size_t column, const std::string& expected) const {
    const char* name = column < kNumColumns ? kColumns[column] : "wall_s";
    throw std::invalid_argument(fmt::format("episode CSV line {}: column {} is '{}', expected {}",
                                            line_, name, fields_[column], expected));
  }

 private:
  size_t line_;
  std::vector<std::string> fields_;
};

}  // namespace

std::string EpisodeCsvColumns() {
  std::string out;
  for (const char* c : kColumns) out += fmt::format("{}{}", out.empty() ? "" : ",", c);
  return out;
}

std::string EpisodeCsvHeader() { return EpisodeCsvColumns() + ",wall_s\n"; }

std::string EpisodeCsvLine(const EpisodeRow& r) {
  CheckName(r.env, "env", "");
  CheckName(r.policy, "policy", "");
  CheckName(r.mode, "mode", "");
  CheckName(r.metrics.phase_sequence, "phase sequence", "");
  std::string partial;
  for (const auto& [name, value] : r.partial_scores) {
    CheckName(name, "partial score", "=;");
    partial += fmt::format("{}{}={}", partial.empty() ? "" : ";", name, value);
  }
  std::string dwell;
  for (const auto& visit : r.metrics.phase_visits) {
    CheckName(visit.phase, "phase", ":>");
    dwell += fmt::format("{}{}:{}", dwell.empty() ? "" : ">", visit.phase, visit.steps);
  }
  const EpisodeMetrics& m = r.metrics;
  return fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.env,
                     r.policy, r.seed, r.success ? 1 : 0, r.max_reward, r.final_reward, r.steps,
                     r.mode, m.phase_sequence, m.idle_fraction, m.longest_idle_streak,
                     m.stalled ? 1 : 0, m.stuck ? 1 : 0, m.mean_squared_jerk, partial,
                     r.policy_calls, m.idle_steps, m.idle_counted_steps, m.mode_switches, dwell);
}

std::string EpisodeCsv(const std::vector<EpisodeRow>& rows) {
  std::string out = EpisodeCsvHeader();
  for (const auto& r : rows) {
    std::string line = EpisodeCsvLine(r);
    line.pop_back();  // the '\n'
    out += fmt::format("{},{:.3f}\n", line, r.wall_s);
  }
  return out;
}

std::vector<EpisodeRow> ParseEpisodeCsv(const std::string& text) {
  std::vector<std::string> lines = Split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final '\n'
  const std::string columns = EpisodeCsvColumns();
  if (lines.empty() || (lines[0] != columns && lines[0] != columns + ",wall_s")) {
    throw std::invalid_argument(fmt::format(
        "episode CSV: line 1 is '{}', expected the header '{}' (with or without ',wall_s')",
        lines.empty() ? "" : lines[0], columns));
  }
  const bool with_wall = lines[0] != columns;
  const size_t expected = kNumColumns + (with_wall ? 1 : 0);
  std::vector<EpisodeRow> rows;
  for (size_t k = 1; k < lines.size(); ++k) {
    const size_t line = k + 1;
    std::vector<std::string> fields = Split(lines[k], ',');
    if (fields.size() != expected) {
      throw std::invalid_argument(fmt::format("episode CSV line {}: {} fields, expected {}", line,
                                              fields.size(), expected));
    }
    const FieldReader f(line, std::move(fields));
    EpisodeRow r;
    EpisodeMetrics& m = r.metrics;
    r.env = f.Text(0);
    r.policy = f.Text(1);
    r.seed = f.Number<uint64_t>(2);
    r.success = f.Flag(3);
    r.max_reward = f.Number<double>(4);
    r.final_reward = f.Number<double>(5);
    r.steps = f.Number<int>(6);
    r.mode = f.Text(7);
    m.phase_sequence = f.Text(8);
    m.idle_fraction = f.Number<double>(9);
    m.longest_idle_streak = f.Number<int>(10);
    m.stalled = f.Flag(11);
    m.stuck = f.Flag(12);
    m.mean_squared_jerk = f.Number<double>(13);
    for (const auto& [name, value] : f.Pairs(14, ';', '=')) {
      r.partial_scores.emplace_back(name, f.NumberIn<double>(14, value));
    }
    r.policy_calls = f.Number<int>(15);
    m.idle_steps = f.Number<int>(16);
    m.idle_counted_steps = f.Number<int>(17);
    m.mode_switches = f.Number<int>(18);
    std::string sequence;
    for (const auto& [phase, steps] : f.Pairs(19, '>', ':')) {
      m.phase_visits.push_back({phase, f.NumberIn<int>(19, steps)});
      sequence += (sequence.empty() ? "" : ">") + phase;
    }
    if (sequence != m.phase_sequence) {
      f.Fail(19, "the visits of phase_sequence '" + m.phase_sequence + "'");
    }
    if (with_wall) r.wall_s = f.Number<double>(kNumColumns);
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<std::pair<std::string, Interval>> PartialScoreRates(
    const std::vector<EpisodeRow>& rows) {
  std::vector<std::pair<std::string, Interval>> rates;
  if (rows.empty()) return rates;
  for (size_t k = 0; k < rows.front().partial_scores.size(); ++k) {
    int reached = 0;
    for (const auto& r : rows) {
      reached += k < r.partial_scores.size() && r.partial_scores[k].second >= 1.0 ? 1 : 0;
    }
    rates.emplace_back(rows.front().partial_scores[k].first,
                       WilsonInterval(reached, static_cast<int>(rows.size())));
  }
  return rates;
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
  s.partial = PartialScoreRates(rows);
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
