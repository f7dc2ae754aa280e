// The episode CSV: every row field survives a write and a parse, and a broken
// file is refused naming its line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "benchmarks/metrics/cell_metrics.h"
#include "benchmarks/metrics/episode_rows.h"

namespace bcbench {
namespace {

using ::testing::HasSubstr;

std::vector<EpisodeRow> SampleRows() {
  std::vector<EpisodeRow> rows(3);
  EpisodeRow& a = rows[0];
  a.env = "stack";
  a.policy = "diffusion";
  a.seed = 100000;
  a.success = true;
  a.max_reward = 1.0 / 3;  // not a short decimal: the CSV must keep every bit
  a.final_reward = 0.1;
  a.steps = 57;
  a.mode = "B-R-G";
  a.metrics.phase_visits = {{"reach", 12}, {"grasp", 40}, {"reach", 5}};
  a.metrics.phase_sequence = "reach>grasp>reach";
  a.metrics.idle_steps = 7;
  a.metrics.idle_counted_steps = 57;
  a.metrics.idle_fraction = 7.0 / 57;
  a.metrics.longest_idle_streak = 4;
  a.metrics.stalled = false;
  a.metrics.stuck = true;
  a.metrics.mean_squared_jerk = 3.2e-9;  // metres: tiny, must not print as 0
  a.metrics.mode_switches = 2;
  a.partial_scores = {{"p1", 1}, {"p2", 0.25}};
  a.policy_calls = 9;
  a.wall_s = 2.5;
  EpisodeRow& b = rows[1];  // an episode with no labels at all
  b.env = "stack";
  b.policy = "diffusion";
  b.seed = 100001;
  b.mode = kNoMode;
  b.partial_scores = {{"p1", 0}, {"p2", 0}};
  rows[2] = a;
  rows[2].seed = 18446744073709551615ull;  // the largest seed
  return rows;
}

void ExpectSameRow(const EpisodeRow& got, const EpisodeRow& want, bool with_wall) {
  EXPECT_EQ(got.env, want.env);
  EXPECT_EQ(got.policy, want.policy);
  EXPECT_EQ(got.seed, want.seed);
  EXPECT_EQ(got.success, want.success);
  EXPECT_EQ(got.max_reward, want.max_reward);  // bit for bit
  EXPECT_EQ(got.final_reward, want.final_reward);
  EXPECT_EQ(got.steps, want.steps);
  EXPECT_EQ(got.mode, want.mode);
  EXPECT_EQ(got.metrics.phase_sequence, want.metrics.phase_sequence);
  EXPECT_EQ(got.metrics.phase_visits, want.metrics.phase_visits);
  EXPECT_EQ(got.metrics.idle_steps, want.metrics.idle_steps);
  EXPECT_EQ(got.metrics.idle_counted_steps, want.metrics.idle_counted_steps);
  EXPECT_EQ(got.metrics.idle_fraction, want.metrics.idle_fraction);
  EXPECT_EQ(got.metrics.longest_idle_streak, want.metrics.longest_idle_streak);
  EXPECT_EQ(got.metrics.stalled, want.metrics.stalled);
  EXPECT_EQ(got.metrics.stuck, want.metrics.stuck);
  EXPECT_EQ(got.metrics.mean_squared_jerk, want.metrics.mean_squared_jerk);
  EXPECT_EQ(got.metrics.mode_switches, want.metrics.mode_switches);
  EXPECT_EQ(got.partial_scores, want.partial_scores);
  EXPECT_EQ(got.policy_calls, want.policy_calls);
  EXPECT_EQ(got.wall_s, with_wall ? want.wall_s : 0.0);
}

TEST(EpisodeCsv, ParsingGivesBackEveryFieldBitForBit) {
  const auto rows = SampleRows();
  const std::string csv = EpisodeCsv(rows);
  const auto parsed = ParseEpisodeCsv(csv);
  ASSERT_EQ(parsed.size(), rows.size());
  for (size_t k = 0; k < rows.size(); ++k) ExpectSameRow(parsed[k], rows[k], true);
  EXPECT_EQ(EpisodeCsv(parsed), csv);
  EXPECT_THAT(csv, HasSubstr(",p1=1;p2=0.25,"));
  EXPECT_THAT(csv, HasSubstr(",reach:12>grasp:40>reach:5,2.500\n"));
  EXPECT_THAT(csv, HasSubstr(",3.2e-09,"));
}

TEST(EpisodeCsv, LinesWithoutTheWallClockParseUnderTheColumnsHeader) {
  const auto rows = SampleRows();
  std::string text = EpisodeCsvColumns() + "\n";
  for (const auto& r : rows) text += EpisodeCsvLine(r);
  EXPECT_EQ(EpisodeCsvLine(rows[0]).back(), '\n');
  EXPECT_EQ(EpisodeCsvLine(rows[0]).find("2.500"), std::string::npos);
  const auto parsed = ParseEpisodeCsv(text);
  ASSERT_EQ(parsed.size(), rows.size());
  for (size_t k = 0; k < rows.size(); ++k) ExpectSameRow(parsed[k], rows[k], false);
  EXPECT_EQ(ParseEpisodeCsv(EpisodeCsvHeader()).size(), 0u);
}

TEST(EpisodeCsv, HeaderKeepsTheOldColumnsAndWallClockLast) {
  EXPECT_EQ(EpisodeCsvHeader(),
            "env,policy,seed,success,max_reward,final_reward,steps,mode,phase_sequence,"
            "idle_fraction,longest_idle_streak,stalled,stuck,mean_squared_jerk,partial_scores,"
            "policy_calls,idle_steps,idle_counted_steps,mode_switches,phase_dwell,wall_s\n");
  EXPECT_EQ(EpisodeCsvColumns() + ",wall_s\n", EpisodeCsvHeader());
}

TEST(EpisodeCsv, AggregatesOfParsedRowsEqualThoseOfTheRows) {
  const auto rows = SampleRows();
  const auto parsed = ParseEpisodeCsv(EpisodeCsv(rows));
  const std::vector<int64_t> seeds = {0, 1, 0};
  const DemoReference demos{{{"B-R-G", 1}}, 0.1};
  const EnvLabels labels{{"B-R-G", "G-R-B"}, {"reach", "grasp"}};
  const auto a = CellMetrics(rows, seeds, demos, labels);
  const auto b = CellMetrics(parsed, seeds, demos, labels);
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(a[k].name, b[k].name);
    // NaN == NaN is false: compare the bits' meaning instead.
    EXPECT_TRUE(a[k].value == b[k].value || (std::isnan(a[k].value) && std::isnan(b[k].value)))
        << a[k].name;
    EXPECT_TRUE(a[k].lo == b[k].lo || (std::isnan(a[k].lo) && std::isnan(b[k].lo))) << a[k].name;
    EXPECT_TRUE(a[k].hi == b[k].hi || (std::isnan(a[k].hi) && std::isnan(b[k].hi))) << a[k].name;
  }
}

std::string ErrorOf(const std::string& text) {
  try {
    ParseEpisodeCsv(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(EpisodeCsv, ABrokenFileIsRefusedNamingTheLineAndColumn) {
  const std::string csv = EpisodeCsv(SampleRows());
  EXPECT_THAT(ErrorOf("env,policy,seed\n"), HasSubstr("line 1"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("line 1"));
  // Line 3 (the second row) with its seed broken.
  std::string bad_seed = csv;
  bad_seed.replace(bad_seed.find(",100001,"), 8, ",10x001,");
  EXPECT_THAT(ErrorOf(bad_seed), HasSubstr("line 3: column seed is '10x001'"));
  // A missing field.
  std::string short_line = csv;
  short_line.replace(short_line.find(",2.500\n"), 6, "");
  EXPECT_THAT(ErrorOf(short_line), HasSubstr("line 2: 20 fields, expected 21"));
  // Dwell that disagrees with the phase sequence, and a bad step count.
  std::string bad_dwell = csv;
  bad_dwell.replace(bad_dwell.find("grasp:40"), 8, "lift:40");
  EXPECT_THAT(ErrorOf(bad_dwell), HasSubstr("line 2: column phase_dwell"));
  std::string bad_steps = csv;
  bad_steps.replace(bad_steps.find("grasp:40"), 8, "grasp:4o");
  EXPECT_THAT(ErrorOf(bad_steps), HasSubstr("an integer in place of '4o'"));
  std::string bad_flag = csv;
  bad_flag.replace(bad_flag.find("\nstack,diffusion,100001,") + 24, 1, "2");
  EXPECT_THAT(ErrorOf(bad_flag), HasSubstr("line 3: column success is '2', expected 0 or 1"));
}

TEST(EpisodeCsv, NamesHoldingASeparatorAreRefusedWhenWriting) {
  auto rows = SampleRows();
  rows[0].mode = "left,right";
  EXPECT_THROW(EpisodeCsvLine(rows[0]), std::invalid_argument);
  rows = SampleRows();
  rows[0].metrics.phase_visits[0].phase = "re:ach";
  EXPECT_THROW(EpisodeCsvLine(rows[0]), std::invalid_argument);
  rows = SampleRows();
  rows[0].partial_scores[0].first = "p=1";
  EXPECT_THROW(EpisodeCsvLine(rows[0]), std::invalid_argument);
}

}  // namespace
}  // namespace bcbench
