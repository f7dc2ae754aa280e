// Per-episode commitment and phase visits, from the per-step labels an env
// records during a rollout.
#include <gtest/gtest.h>

#include "benchmarks/metrics/episode_metrics.h"

namespace bcbench {
namespace {

EpisodeRecord Record(std::vector<int> phases, std::vector<int> modes) {
  EpisodeRecord r;
  r.phases = std::move(phases);
  r.modes = std::move(modes);
  r.steps = static_cast<int>(r.phases.size());
  r.initial_target = {0, 0};
  for (int t = 0; t < r.steps; ++t) r.targets.push_back({10.0 * (t + 1), 0});  // always moving
  return r;
}

TEST(ModeSwitches, CountChangesBetweenDecidedModesSkippingUndecidedSteps) {
  // Decided labels in order: 0 0 1 1 0 -> two changes (0 -> 1, 1 -> 0).
  EpisodeRecord r = Record(std::vector<int>(8, 0), {-1, -1, 0, 0, -1, 1, 1, 0});
  EXPECT_EQ(ComputeEpisodeMetrics(r, {512, 512}, {"transit"}).mode_switches, 2);
  // The first decision is no switch, and an undecided gap between two equal
  // labels is none either.
  r.modes = {-1, 0, -1, -1, 0, 0};
  EXPECT_EQ(ComputeEpisodeMetrics(r, {512, 512}, {"transit"}).mode_switches, 0);
  // ball -> cube -> capsule -> ball: three.
  r.modes = {0, 1, 2, 0};
  EXPECT_EQ(ComputeEpisodeMetrics(r, {512, 512}, {"transit"}).mode_switches, 3);
  r.modes = {-1, -1, -1};
  EXPECT_EQ(ComputeEpisodeMetrics(r, {512, 512}, {"transit"}).mode_switches, 0);
}

TEST(PhaseVisits, HoldEachVisitWithItsStepsInOrder) {
  EpisodeRecord r = Record({0, 0, 0, 1, 1, 0, 5}, std::vector<int>(7, -1));
  const EpisodeMetrics m = ComputeEpisodeMetrics(r, {512, 512}, {"transit", "push"});
  const std::vector<PhaseVisit> expected = {{"transit", 3}, {"push", 2}, {"transit", 1}, {"5", 1}};
  EXPECT_EQ(m.phase_visits, expected);  // an index the env does not name is written as a number
  EXPECT_EQ(m.phase_sequence, "transit>push>transit>5");
  EXPECT_FALSE(m.stuck);
}

TEST(PhaseVisits, StuckIsALastVisitOfThirtyStepsWithoutSuccess) {
  std::vector<int> phases(5, 1);
  phases.insert(phases.end(), 30, 0);
  EpisodeRecord r = Record(phases, std::vector<int>(phases.size(), -1));
  const EpisodeMetrics m = ComputeEpisodeMetrics(r, {512, 512}, {"transit", "push"});
  EXPECT_EQ(m.phase_visits.back(), (PhaseVisit{"transit", 30}));
  EXPECT_TRUE(m.stuck);
  r.phases.pop_back();  // 29 steps
  r.modes.pop_back();
  EXPECT_FALSE(ComputeEpisodeMetrics(r, {512, 512}, {"transit", "push"}).stuck);
  r.phases.push_back(0);
  r.success = true;
  EXPECT_FALSE(ComputeEpisodeMetrics(r, {512, 512}, {"transit", "push"}).stuck);
}

}  // namespace
}  // namespace bcbench
