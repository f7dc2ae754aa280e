// Every per-cell metric on hand-built Push-T-like rows, against values
// worked out by hand in the comments.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "benchmarks/metrics/cell_metrics.h"

namespace bcbench {
namespace {

EpisodeRow Row(uint64_t seed, bool success, double max_reward, const std::string& mode,
               std::vector<PhaseVisit> visits) {
  EpisodeRow r;
  r.env = "pusht";
  r.policy = "diffusion";
  r.seed = seed;
  r.success = success;
  r.max_reward = max_reward;
  r.mode = mode;
  r.metrics.phase_visits = std::move(visits);
  for (const auto& v : r.metrics.phase_visits) {
    r.metrics.phase_sequence += (r.metrics.phase_sequence.empty() ? "" : ">") + v.phase;
    r.steps += v.steps;
  }
  return r;
}

// Four episodes of one training seed:
//   seed success score mode  visits                        idle   streak switches jerk flags
//   0    yes     1.0   left  transit:10>push:20            0/30   0      0        2
//   1    no      0.5   left  transit:5>push:10>transit:35  25/50  25     1        4    stalled, stuck
//   2    no      0.3   right transit:40                    10/40  6      2        0    stuck
//   3    no      0.2   none  transit:8>push:12             5/20   5      0        6
std::vector<EpisodeRow> PushtRows() {
  std::vector<EpisodeRow> rows = {
      Row(0, true, 1.0, "left", {{"transit", 10}, {"push", 20}}),
      Row(1, false, 0.5, "left", {{"transit", 5}, {"push", 10}, {"transit", 35}}),
      Row(2, false, 0.3, "right", {{"transit", 40}}),
      Row(3, false, 0.2, kNoMode, {{"transit", 8}, {"push", 12}})};
  const int idle[] = {0, 25, 10, 5}, streak[] = {0, 25, 6, 5}, switches[] = {0, 1, 2, 0};
  const double jerk[] = {2, 4, 0, 6};
  for (size_t k = 0; k < rows.size(); ++k) {
    EpisodeMetrics& m = rows[k].metrics;
    m.idle_steps = idle[k];
    m.idle_counted_steps = rows[k].steps;
    m.idle_fraction = double(idle[k]) / rows[k].steps;
    m.longest_idle_streak = streak[k];
    m.mode_switches = switches[k];
    m.mean_squared_jerk = jerk[k];
  }
  rows[1].metrics.stalled = true;
  rows[1].metrics.stuck = true;
  rows[2].metrics.stuck = true;
  return rows;
}

const EnvLabels kPusht{{"left", "right"}, {"transit", "push"}};
const DemoReference kEvenDemos{{{"left", 0.5}, {"right", 0.5}}, 0.04, 1.5};

double Value(const std::vector<MetricValue>& m, const std::string& name) {
  return FindMetric(m, name).value;
}

bool HasInterval(const MetricValue& m) { return !std::isnan(m.lo) && !std::isnan(m.hi); }

TEST(CellMetrics, SuccessIsARateWithItsWilsonInterval) {
  const auto m = CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos, kPusht);
  // 1 of 4: Wilson 95% = [0.045587, 0.699358].
  const MetricValue& s = FindMetric(m, "success");
  EXPECT_DOUBLE_EQ(s.value, 0.25);
  EXPECT_NEAR(s.lo, 0.045587, 1e-6);
  EXPECT_NEAR(s.hi, 0.699358, 1e-6);
}

TEST(CellMetrics, ScoreIsTheMeanMaxRewardWithABootstrapInterval) {
  const auto m = CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos, kPusht);
  const MetricValue& s = FindMetric(m, "score");
  EXPECT_DOUBLE_EQ(s.value, 0.5);  // (1 + .5 + .3 + .2) / 4
  // One training seed: the plain bootstrap of the four scores.
  const Interval plain = BootstrapMeanInterval({1.0, 0.5, 0.3, 0.2});
  EXPECT_EQ(s.lo, plain.low);
  EXPECT_EQ(s.hi, plain.high);
  EXPECT_LT(s.lo, 0.5);
  EXPECT_GT(s.hi, 0.5);
}

TEST(CellMetrics, ScoreResamplesTrainingSeedsThenEpisodes) {
  // Seed 7 scores 0 on both its episodes, seed 3 scores 1: resampling seeds
  // gives [0, 1] (see the HierarchicalBootstrap test); rows interleaved.
  auto rows = PushtRows();
  rows[0].max_reward = 0;
  rows[1].max_reward = 1;
  rows[2].max_reward = 0;
  rows[3].max_reward = 1;
  const auto m = CellMetrics(rows, {7, 3, 7, 3}, kEvenDemos, kPusht);
  const MetricValue& s = FindMetric(m, "score");
  EXPECT_DOUBLE_EQ(s.value, 0.5);
  EXPECT_EQ(s.lo, 0.0);
  EXPECT_EQ(s.hi, 1.0);
  const Interval h = HierarchicalBootstrapMeanInterval({{1, 1}, {0, 0}});  // seeds in order 3, 7
  EXPECT_EQ(s.lo, h.low);
  EXPECT_EQ(s.hi, h.high);
}

TEST(CellMetrics, ModeHistogramEntropyDivergenceAndCoverage) {
  const auto m = CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos, kPusht);
  // Committed episodes: left 2, right 1 (the "none" one is left out).
  EXPECT_DOUBLE_EQ(Value(m, "mode_committed"), 0.75);
  // Entropy of {2/3, 1/3} / log 2 = H2(1/3) = 0.918296 bits.
  EXPECT_NEAR(Value(m, "mode_entropy"), 0.918296, 1e-6);
  // JSD({2/3, 1/3}, {1/2, 1/2}) = 0.0207208 bits (worked in statistics_extras_test).
  EXPECT_NEAR(Value(m, "mode_jsd"), 0.0207208, 1e-7);
  EXPECT_DOUBLE_EQ(Value(m, "modes_covered"), 2);
  // Per mode, of all four episodes, Wilson: 2/4 = [0.150039, 0.849961].
  const MetricValue& left = FindMetric(m, "mode_frac_left");
  EXPECT_DOUBLE_EQ(left.value, 0.5);
  EXPECT_NEAR(left.lo, 0.150039, 1e-6);
  EXPECT_NEAR(left.hi, 0.849961, 1e-6);
  EXPECT_DOUBLE_EQ(Value(m, "mode_frac_right"), 0.25);
  EXPECT_DOUBLE_EQ(Value(m, "demo_mode_frac_left"), 0.5);
  EXPECT_FALSE(HasInterval(FindMetric(m, "demo_mode_frac_left")));
  EXPECT_FALSE(HasInterval(FindMetric(m, "mode_jsd")));
}

TEST(CellMetrics, AModeCollapsedPolicyHasZeroEntropyAndDivergesFromEvenDemos) {
  auto rows = PushtRows();
  for (auto& r : rows) r.mode = "left";
  // Demos given as counts 30 : 10 are normalised to 3/4, 1/4.
  const DemoReference demos{{{"left", 30}, {"right", 10}}, 0};
  const auto m = CellMetrics(rows, {0, 0, 0, 0}, demos, kPusht);
  EXPECT_EQ(Value(m, "mode_entropy"), 0.0);
  EXPECT_DOUBLE_EQ(Value(m, "modes_covered"), 1);
  // JSD({1, 0}, {3/4, 1/4}): M = {7/8, 1/8};
  // (log2(8/7) + 3/4 log2(6/7) + 1/4 log2(2)) / 2
  // = (0.192645 - 0.166794 + 0.25) / 2 = 0.137925.
  EXPECT_NEAR(Value(m, "mode_jsd"), 0.137925, 1e-6);
  EXPECT_DOUBLE_EQ(Value(m, "demo_mode_frac_left"), 0.75);
  EXPECT_DOUBLE_EQ(Value(m, "demo_mode_frac_right"), 0.25);
  EXPECT_DOUBLE_EQ(Value(m, "mode_frac_right"), 0.0);
}

TEST(CellMetrics, NoCommittedEpisodeLeavesEntropyAndDivergenceUndefined) {
  auto rows = PushtRows();
  for (auto& r : rows) r.mode = kNoMode;
  const auto m = CellMetrics(rows, {0, 0, 0, 0}, kEvenDemos, kPusht);
  EXPECT_TRUE(std::isnan(Value(m, "mode_entropy")));
  EXPECT_TRUE(std::isnan(Value(m, "mode_jsd")));
  EXPECT_EQ(Value(m, "modes_covered"), 0.0);
  EXPECT_EQ(Value(m, "mode_committed"), 0.0);
}

TEST(CellMetrics, CommitmentIsTheMeanNumberOfModeSwitches) {
  const auto m = CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos, kPusht);
  const MetricValue& s = FindMetric(m, "mode_switches");
  EXPECT_DOUBLE_EQ(s.value, 0.75);  // (0 + 1 + 2 + 0) / 4
  EXPECT_TRUE(HasInterval(s));
  EXPECT_LE(s.lo, 0.75);
  EXPECT_GE(s.hi, 0.75);
  EXPECT_EQ(Value(m, "demo_mode_switches"), 1.5);
  EXPECT_TRUE(std::isnan(Value(CellMetrics(PushtRows(), {0, 0, 0, 0}, {}, kPusht), "demo_mode_switches")));
}

TEST(CellMetrics, IdleFractionIsStepWeightedAndStallsAndStuckAreRates) {
  const auto m = CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos, kPusht);
  // (0 + 25 + 10 + 5) / (30 + 50 + 40 + 20) = 40 / 140, not the mean of the
  // episodes' fractions (0 + .5 + .25 + .25) / 4 = .25.
  EXPECT_DOUBLE_EQ(Value(m, "idle_fraction"), 40.0 / 140);
  EXPECT_DOUBLE_EQ(Value(m, "demo_idle_fraction"), 0.04);
  EXPECT_DOUBLE_EQ(Value(m, "longest_idle_streak"), 9);  // (0 + 25 + 6 + 5) / 4
  EXPECT_DOUBLE_EQ(Value(m, "stall_rate"), 0.25);
  const MetricValue& stuck = FindMetric(m, "stuck_rate");
  EXPECT_DOUBLE_EQ(stuck.value, 0.5);
  EXPECT_NEAR(stuck.lo, 0.150039, 1e-6);  // Wilson 2 of 4
  EXPECT_DOUBLE_EQ(Value(m, "mean_squared_jerk"), 3);  // (2 + 4 + 0 + 6) / 4
}

TEST(CellMetrics, TransitionRatesCountEpisodesReachingIThenJ) {
  const auto m = CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos, kPusht);
  // All four reached transit; three of them pushed afterwards.
  const MetricValue& tp = FindMetric(m, "tr_transit__push");
  EXPECT_DOUBLE_EQ(tp.value, 0.75);
  EXPECT_NEAR(tp.lo, 0.300642, 1e-6);  // Wilson 3 of 4
  EXPECT_NEAR(tp.hi, 0.954413, 1e-6);
  // Three reached push (episodes 0, 1, 3); only episode 1 went back to transit.
  const MetricValue& pt = FindMetric(m, "tr_push__transit");
  EXPECT_DOUBLE_EQ(pt.value, 1.0 / 3);
  EXPECT_NEAR(pt.lo, 0.061492, 1e-6);  // Wilson 1 of 3
  EXPECT_THROW(FindMetric(m, "tr_push__push"), std::out_of_range);
}

TEST(CellMetrics, TransitionsNeedJAfterTheFirstVisitOfINotNextToIt) {
  // Phases a, b, c. Episode 0 goes a > b > c (reaches c after a, through b);
  // episode 1 goes c > a (c only before a); episode 2 never sees a.
  std::vector<EpisodeRow> rows = {Row(0, false, 0, kNoMode, {{"a", 1}, {"b", 1}, {"c", 1}}),
                                  Row(1, false, 0, kNoMode, {{"c", 1}, {"a", 1}}),
                                  Row(2, false, 0, kNoMode, {{"b", 2}})};
  const EnvLabels labels{{"x", "y"}, {"a", "b", "c", "d"}};
  const auto m = CellMetrics(rows, {0, 0, 0}, {{{"x", 1}}, 0}, labels);
  EXPECT_DOUBLE_EQ(Value(m, "tr_a__c"), 0.5);  // of episodes 0, 1: episode 0
  EXPECT_DOUBLE_EQ(Value(m, "tr_a__b"), 0.5);
  EXPECT_DOUBLE_EQ(Value(m, "tr_c__a"), 0.5);  // of episodes 0, 1: episode 1
  EXPECT_DOUBLE_EQ(Value(m, "tr_b__a"), 0.0);  // of episodes 0, 2: neither
  EXPECT_DOUBLE_EQ(Value(m, "tr_b__c"), 0.5);
  // Nobody reached d: undefined, no interval.
  const MetricValue& from_d = FindMetric(m, "tr_d__a");
  EXPECT_TRUE(std::isnan(from_d.value));
  EXPECT_FALSE(HasInterval(from_d));
  EXPECT_DOUBLE_EQ(Value(m, "tr_a__d"), 0.0);
  // 4 phases: 12 ordered pairs, in the env's order.
  int transitions = 0;
  for (const auto& v : m) transitions += v.name.rfind("tr_", 0) == 0 ? 1 : 0;
  EXPECT_EQ(transitions, 12);
}

TEST(CellMetrics, DwellIsTheMeanLengthOfVisitsThatEndedInAnotherPhase) {
  const auto m = CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos, kPusht);
  // transit visits that were left: 10 (ep 0), 5 (ep 1), 8 (ep 3); ep 1's
  // final 35 and ep 2's 40 run to the end and are left out.
  EXPECT_DOUBLE_EQ(Value(m, "dwell_transit"), 23.0 / 3);
  // push visits that were left: only ep 1's 10 (eps 0 and 3 end in push).
  EXPECT_DOUBLE_EQ(Value(m, "dwell_push"), 10);
  auto one = PushtRows();
  one.resize(1);
  one[0].metrics.phase_visits = {{"transit", 30}};
  EXPECT_TRUE(std::isnan(Value(CellMetrics(one, {0}, kEvenDemos, kPusht), "dwell_transit")));
}

TEST(CellMetrics, PartialScoresAreTheFractionOfEpisodesReachingEach) {
  auto rows = PushtRows();
  const double p1[] = {1, 1, 0, 1}, p2[] = {0, 1, 0, 0.5};
  for (size_t i = 0; i < rows.size(); ++i) rows[i].partial_scores = {{"p1", p1[i]}, {"p2", p2[i]}};
  const auto m = CellMetrics(rows, {0, 0, 0, 0}, kEvenDemos, kPusht);
  EXPECT_DOUBLE_EQ(Value(m, "partial_p1"), 0.75);
  EXPECT_DOUBLE_EQ(Value(m, "partial_p2"), 0.25);  // 0.5 is not reached
  EXPECT_TRUE(HasInterval(FindMetric(m, "partial_p2")));
  EXPECT_THROW(FindMetric(CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos, kPusht), "partial_p1"),
               std::out_of_range);
}

TEST(CellMetrics, NamesComeInAFixedOrderForAnEnv) {
  const auto m = CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos, kPusht);
  std::vector<std::string> names;
  for (const auto& v : m) names.push_back(v.name);
  const std::vector<std::string> expected = {
      "success", "score", "mode_committed", "mode_entropy", "mode_jsd", "modes_covered",
      "mode_switches", "demo_mode_switches", "mode_frac_left", "mode_frac_right", "demo_mode_frac_left",
      "demo_mode_frac_right", "idle_fraction", "demo_idle_fraction", "longest_idle_streak",
      "stall_rate", "stuck_rate", "mean_squared_jerk", "tr_transit__push", "tr_push__transit",
      "dwell_transit", "dwell_push"};
  EXPECT_EQ(names, expected);
}

TEST(CellMetrics, WithoutTheEnvLabelsComeFromTheRowsAndDemos) {
  // The same names and values as with the env's labels here, since every
  // mode and phase appears.
  const auto with = CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos, kPusht);
  const auto without = CellMetrics(PushtRows(), {0, 0, 0, 0}, kEvenDemos);
  ASSERT_EQ(with.size(), without.size());
  for (size_t k = 0; k < with.size(); ++k) {
    EXPECT_EQ(with[k].name, without[k].name);
    EXPECT_TRUE(with[k].value == without[k].value ||
                (std::isnan(with[k].value) && std::isnan(without[k].value)));
  }
}

TEST(CellMetrics, RefusesAnEmptyCellAndMismatchedSeeds) {
  EXPECT_THROW(CellMetrics({}, {}, kEvenDemos, kPusht), std::invalid_argument);
  EXPECT_THROW(CellMetrics(PushtRows(), {0, 0}, kEvenDemos, kPusht), std::invalid_argument);
}

TEST(ModeFractions, ProbeRolloutsGiveTheFractionPerModeWithWilsonIntervals) {
  // Five rollouts from one probe state: left 3, right 1, none 1.
  std::vector<EpisodeRow> rows(5);
  const char* modes[] = {"left", "left", "right", "left", kNoMode};
  for (size_t k = 0; k < rows.size(); ++k) rows[k].mode = modes[k];
  const auto f = ModeFractions(rows, {"left", "right", "up"});
  ASSERT_EQ(f.size(), 4u);  // left, none, right, up
  EXPECT_DOUBLE_EQ(f.at("left").estimate, 0.6);
  EXPECT_DOUBLE_EQ(f.at("right").estimate, 0.2);
  EXPECT_DOUBLE_EQ(f.at(kNoMode).estimate, 0.2);
  EXPECT_DOUBLE_EQ(f.at("up").estimate, 0.0);
  const Interval w = WilsonInterval(3, 5);
  EXPECT_EQ(f.at("left").low, w.low);
  EXPECT_EQ(f.at("left").high, w.high);
}

}  // namespace
}  // namespace bcbench
