// Intervals: Wilson for rates, bootstrap for means.
#include <gtest/gtest.h>

#include "benchmarks/metrics/episode_metrics.h"
#include "benchmarks/metrics/episode_rows.h"
#include "benchmarks/metrics/statistics.h"

namespace bcbench {
namespace {

TEST(WilsonInterval, MatchesTheClosedFormForEightOfTen) {
  const Interval i = WilsonInterval(8, 10);
  EXPECT_DOUBLE_EQ(i.estimate, 0.8);
  EXPECT_NEAR(i.low, 0.4902, 1e-4);
  EXPECT_NEAR(i.high, 0.9433, 1e-4);
}

TEST(WilsonInterval, StaysInsideZeroOneAtTheEdges) {
  const Interval none = WilsonInterval(0, 50);
  EXPECT_NEAR(none.low, 0.0, 1e-12);
  EXPECT_GE(none.low, 0.0);
  EXPECT_NEAR(none.high, 0.0713, 1e-4);
  const Interval all = WilsonInterval(50, 50);
  EXPECT_NEAR(all.low, 0.9287, 1e-4);
  EXPECT_NEAR(all.high, 1.0, 1e-12);
  EXPECT_LE(all.high, 1.0);
}

TEST(BootstrapMeanInterval, CoversTheMeanAndIsDeterministic) {
  std::vector<double> v;
  for (int i = 0; i < 50; ++i) v.push_back(i % 10 / 10.0);
  const Interval a = BootstrapMeanInterval(v, 1000, 3);
  const Interval b = BootstrapMeanInterval(v, 1000, 3);
  EXPECT_DOUBLE_EQ(a.estimate, 0.45);
  EXPECT_LT(a.low, 0.45);
  EXPECT_GT(a.high, 0.45);
  EXPECT_GT(a.low, 0.3);
  EXPECT_LT(a.high, 0.6);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.high, b.high);
}

TEST(EpisodeMetrics, IdleStreaksStallsAndPhaseSequence) {
  EpisodeRecord r;
  r.initial_target = {0, 0};
  // 5 moving steps, then 25 steps holding still: an idle streak that stalls.
  for (int t = 0; t < 30; ++t) {
    const double x = t < 5 ? 10.0 * (t + 1) : 50.0;
    r.targets.push_back({x, 0});
    r.phases.push_back(t < 3 ? 0 : (t < 10 ? 1 : 0));
  }
  r.steps = 30;
  const EpisodeMetrics m = ComputeEpisodeMetrics(r, {512, 512}, {"transit", "push"});
  EXPECT_EQ(m.longest_idle_streak, 25);
  EXPECT_EQ(m.idle_steps, 25);
  EXPECT_EQ(m.idle_counted_steps, 30);  // step 0 counts against the initial target
  EXPECT_NEAR(m.idle_fraction, 25.0 / 30.0, 1e-12);
  EXPECT_TRUE(m.stalled);
  EXPECT_EQ(m.phase_sequence, "transit>push>transit");
  EXPECT_FALSE(m.stuck);  // the last phase lasted 20 steps < 30
  r.success = true;
  EXPECT_FALSE(ComputeEpisodeMetrics(r, {512, 512}, {"transit", "push"}).stalled);
}

TEST(EvalSummary, IdleFractionIsStepWeightedOverAllEpisodes) {
  // 10 idle of 10 steps and 0 idle of 30: 10 / 40 of all steps, as a demo
  // file counts them, not the mean of the two episodes' fractions (0.5).
  std::vector<EpisodeRow> rows(2);
  rows[0].steps = 10;
  rows[0].metrics.idle_steps = 10;
  rows[0].metrics.idle_counted_steps = 10;
  rows[0].metrics.idle_fraction = 1.0;
  rows[1].steps = 30;
  rows[1].metrics.idle_counted_steps = 30;
  const EvalSummary s = Summarize(rows);
  EXPECT_EQ(s.idle_steps, 10);
  EXPECT_EQ(s.idle_counted_steps, 40);
  EXPECT_DOUBLE_EQ(s.idle_fraction, 0.25);
}

TEST(EvalSummary, PartialScoresGiveTheFractionOfEpisodesReachingEach) {
  // Four stack-like episodes: p1 reached in 3, p2 in 1; the CSV field lists
  // each episode's values in the env's order.
  std::vector<EpisodeRow> rows(4);
  const double p1[] = {1, 1, 0, 1}, p2[] = {0, 1, 0, 0};
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].env = "stack";
    rows[i].partial_scores = {{"p1", p1[i]}, {"p2", p2[i]}};
  }
  const EvalSummary s = Summarize(rows);
  ASSERT_EQ(s.partial.size(), 2u);
  EXPECT_EQ(s.partial[0].first, "p1");
  EXPECT_DOUBLE_EQ(s.partial[0].second.estimate, 0.75);
  EXPECT_EQ(s.partial[1].first, "p2");
  EXPECT_DOUBLE_EQ(s.partial[1].second.estimate, 0.25);
  EXPECT_NE(SummaryText(s).find("p1 0.750"), std::string::npos) << SummaryText(s);
  const std::string csv = EpisodeCsv(rows);
  EXPECT_NE(csv.find(",p1=1;p2=1,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",p1=0;p2=0,"), std::string::npos) << csv;
  // Envs without partial scores: an empty field and nothing in the summary.
  std::vector<EpisodeRow> plain(2);
  EXPECT_TRUE(Summarize(plain).partial.empty());
  EXPECT_EQ(SummaryText(Summarize(plain)).find(" p1 "), std::string::npos);
}

}  // namespace
}  // namespace bcbench
