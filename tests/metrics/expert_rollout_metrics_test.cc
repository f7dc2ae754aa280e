// The metrics on real labels: each env's scripted expert driven through the
// runner, its rows written and parsed back, and the cell's values checked
// against what an expert must show.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "benchmarks/metrics/cell_metrics.h"
#include "benchmarks/metrics/episode_rows.h"
#include "benchmarks/runner/rollout.h"
#include "envs/registry.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

// Acts as the env's expert: each slot keeps its own copy of the episode's env
// (same name, same seed) and expert, steps that copy with the action it
// returns (rounded to float, as the runner executes it), so both stay in the
// same state. One action per call (To = Ta = 1).
class ExpertPolicy : public Policy {
 public:
  ExpertPolicy(std::string env_name, std::vector<uint64_t> seeds)
      : env_name_(std::move(env_name)), seeds_(std::move(seeds)) {}
  std::string Name() const override { return "expert"; }
  int ObsHorizon() const override { return 1; }
  int ChunkSteps() const override { return 1; }
  int ActionHorizon() const override { return 1; }
  void StartEpisode(int slot, int slots, uint64_t) override {
    shadows_.resize(static_cast<size_t>(slots));
    Shadow& s = shadows_[static_cast<size_t>(slot)];
    s.env = MakeEnv(env_name_);
    s.env->Reset(seeds_[static_cast<size_t>(slot)]);  // batched: slot k plays seeds[k]
    s.expert = MakeExpert(*s.env);
    s.expert->Reset(seeds_[static_cast<size_t>(slot)]);
  }
  ActionChunk Act(const ObsHistory& obs) override {
    ActionChunk chunk{obs.batch, 1, 0, {}};
    for (int b = 0; b < obs.batch; ++b) {
      Shadow& s = shadows_[static_cast<size_t>(obs.slots[static_cast<size_t>(b)])];
      std::vector<double> action = s.expert->Act();
      for (double& a : action) a = static_cast<float>(a);
      s.env->Step(action);
      chunk.dim = static_cast<int>(action.size());
      chunk.values.insert(chunk.values.end(), action.begin(), action.end());
    }
    return chunk;
  }

 private:
  struct Shadow {
    std::unique_ptr<Env> env;
    std::unique_ptr<Expert> expert;
  };
  std::string env_name_;
  std::vector<uint64_t> seeds_;
  std::vector<Shadow> shadows_;
};

struct ExpertCell {
  std::vector<EpisodeRow> rows;
  EnvLabels labels;
};

ExpertCell RunExpert(const std::string& env_name, int episodes) {
  RolloutOptions options;
  options.seeds = SeedRange(100000, episodes);
  ExpertPolicy policy(env_name, options.seeds);
  const auto records = RunEpisodes([&] { return MakeEnv(env_name); }, policy, options);
  const auto env = MakeEnv(env_name);
  return {MakeEpisodeRows(records, *env, "expert"), LabelsOf(*env)};
}

void ExpectConsistentRowsAndLosslessCsv(const ExpertCell& cell) {
  for (const auto& r : cell.rows) {
    SCOPED_TRACE(r.seed);
    EXPECT_TRUE(r.success);
    // The visits tile the episode, each a phase of the env, none repeated
    // back to back.
    int steps = 0;
    for (size_t k = 0; k < r.metrics.phase_visits.size(); ++k) {
      const PhaseVisit& v = r.metrics.phase_visits[k];
      steps += v.steps;
      EXPECT_GT(v.steps, 0);
      EXPECT_NE(std::find(cell.labels.phases.begin(), cell.labels.phases.end(), v.phase),
                cell.labels.phases.end()) << v.phase;
      if (k > 0) {
        EXPECT_NE(v.phase, r.metrics.phase_visits[k - 1].phase);
      }
    }
    EXPECT_EQ(steps, r.steps);
  }
  const std::string csv = EpisodeCsv(cell.rows);
  EXPECT_EQ(EpisodeCsv(ParseEpisodeCsv(csv)), csv);
}

TEST(ExpertRolloutMetrics, PushtExpertMatchesItsOwnDemoFile) {
  // The expert's demos on the same seeds carry the same labels, so the demo
  // reference read from the file equals the rollouts' own figures.
  const ExpertCell cell = RunExpert("pusht", 8);
  ExpectConsistentRowsAndLosslessCsv(cell);
  const std::string path = testing::ScratchDir() + "/pusht_expert.hdf5";
  const auto demos_run = testing::RunBcbench("demos --env pusht --episodes 8 --seed 100000 --out " + path);
  ASSERT_EQ(demos_run.exit_code, 0) << demos_run.output;
  const DemoReference demos = DemoReferenceOf(path);
  const std::vector<int64_t> seeds(cell.rows.size(), 0);
  const auto m = CellMetrics(cell.rows, seeds, demos, cell.labels);
  EXPECT_EQ(FindMetric(m, "success").value, 1.0);
  EXPECT_EQ(FindMetric(m, "stuck_rate").value, 0.0);
  EXPECT_EQ(FindMetric(m, "stall_rate").value, 0.0);
  EXPECT_EQ(FindMetric(m, "tr_transit__push").value, 1.0);
  EXPECT_GT(FindMetric(m, "dwell_transit").value, 0.0);
  EXPECT_EQ(FindMetric(m, "modes_covered").value, 2.0);
  for (const std::string mode : {"left", "right"}) {
    EXPECT_DOUBLE_EQ(FindMetric(m, "mode_frac_" + mode).value,
                     FindMetric(m, "demo_mode_frac_" + mode).value) << mode;
  }
  EXPECT_EQ(FindMetric(m, "mode_jsd").value, 0.0);
  // Push-T's step mode is the side of the T the agent is near: the expert
  // pushes from both sides, so it switches; the demos switch as often.
  EXPECT_GT(FindMetric(m, "mode_switches").value, 0.0);
  EXPECT_DOUBLE_EQ(FindMetric(m, "mode_switches").value, demos.mode_switches);
  EXPECT_DOUBLE_EQ(FindMetric(m, "idle_fraction").value, demos.idle_fraction);
  // The idle fraction is the same step-weighted one the eval summary prints.
  EXPECT_EQ(FindMetric(m, "idle_fraction").value, Summarize(cell.rows).idle_fraction);
}

TEST(ExpertRolloutMetrics, ClawExpertGoesThroughEveryPhaseInOrderForOnePrize) {
  const ExpertCell cell = RunExpert("claw", 6);
  ExpectConsistentRowsAndLosslessCsv(cell);
  const DemoReference demos{{{"ball", 1}, {"cube", 1}, {"capsule", 1}}, 0.0};
  const std::vector<int64_t> seeds(cell.rows.size(), 0);
  const auto m = CellMetrics(cell.rows, seeds, demos, cell.labels);
  EXPECT_EQ(FindMetric(m, "success").value, 1.0);
  // approach > descend > grasp > lift > carry > release, never back.
  const auto& phases = cell.labels.phases;
  for (size_t i = 0; i < phases.size(); ++i) {
    for (size_t j = 0; j < phases.size(); ++j) {
      if (i == j) continue;
      EXPECT_EQ(FindMetric(m, "tr_" + phases[i] + "__" + phases[j]).value, j > i ? 1.0 : 0.0)
          << phases[i] << " -> " << phases[j];
    }
  }
  // Delivery ends the episode in release: no release visit ends in a move.
  EXPECT_TRUE(std::isnan(FindMetric(m, "dwell_release").value));
  EXPECT_GT(FindMetric(m, "dwell_approach").value, 0.0);
  // It goes for one prize and keeps it.
  EXPECT_EQ(FindMetric(m, "mode_switches").value, 0.0);
  EXPECT_GE(FindMetric(m, "modes_covered").value, 2.0);
}

}  // namespace
}  // namespace bcbench
