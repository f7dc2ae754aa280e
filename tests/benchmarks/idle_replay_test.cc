// The idle fraction of a demo equals the idle fraction of its closed-loop
// replay: demos recorded by the Push-T expert (idle_prob 0.3) are replayed
// action by action in a fresh env reset with each demo's seed, recorded as the
// rollout runner records an episode, and scored by the eval rows; the demo-file
// pass (`bcbench inspect`) must count the same steps and find the same idle
// ones.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "benchmarks/metrics/episode_metrics.h"
#include "benchmarks/metrics/episode_rows.h"
#include "benchmarks/runner/rollout.h"
#include "datasets/demo_file.h"
#include "datasets/demo_validation.h"
#include "datasets/idle_steps.h"
#include "envs/registry.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

using testing::RunBcbench;
using testing::ScratchDir;

// Replays `demo` in `env` from Reset(seed), checking that each observation
// before a step is the recorded one (exactly: the recorder executes the
// stored float32 actions), and records the episode as
// benchmarks/runner/rollout.cc does.
EpisodeRecord Replay(Env& env, const Demo& demo) {
  EpisodeRecord rec;
  rec.seed = *demo.seed;
  env.Reset(rec.seed);
  rec.initial_target = env.CommandedTarget();
  rec.initial_effector = env.EffectorPosition();
  rec.max_reward = env.Reward();
  const size_t n = demo.num_samples();
  for (size_t t = 0; t < n; ++t) {
    for (const auto& [key, recorded] : demo.obs) {
      const std::vector<double> now = env.Observation(key);
      for (size_t d = 0; d < now.size(); ++d) {
        EXPECT_EQ(static_cast<float>(now[d]), recorded.row(t)[d]) << key << " step " << t << " dim " << d;
      }
    }
    const float* a = demo.actions.row(t);
    const StepResult r = env.Step(std::vector<double>(a, a + demo.actions.row_size()));
    ++rec.steps;
    rec.phases.push_back(r.phase);
    rec.modes.push_back(env.StepMode());
    rec.targets.push_back(env.CommandedTarget());
    rec.effector.push_back(env.EffectorPosition());
    rec.max_reward = std::max(rec.max_reward, r.reward);
    rec.final_reward = r.reward;
    rec.success = rec.success || r.success;
    EXPECT_EQ(r.done, t + 1 == n) << "step " << t;
    EXPECT_EQ(r.phase, demo.phase[t]) << "step " << t;
  }
  rec.mode = env.Mode();
  return rec;
}

void ExpectReplayIdleEqualsDemoIdle(const std::string& action_mode) {
  SCOPED_TRACE(action_mode);
  const std::string path = ScratchDir() + "/pusht_" + action_mode + ".hdf5";
  const auto demos = RunBcbench("demos --env pusht --episodes 8 --seed 5 --idle-prob 0.3 "
                                "--action-mode " + action_mode + " --out " + path);
  ASSERT_EQ(demos.exit_code, 0) << demos.output;

  const DemoFileSummary summary = ValidateDemoFile(path);
  ASSERT_TRUE(summary.idle_env_workspace) << summary.idle_workspace_note;
  EXPECT_EQ(summary.idle_demos_without_ends, 0u);
  const DemoFile file = DemoFile::Open(path);
  ASSERT_EQ(summary.idle_per_demo.size(), file.demo_names().size());

  std::unique_ptr<Env> env;
  std::vector<EpisodeRecord> records;
  for (size_t k = 0; k < file.demo_names().size(); ++k) {
    SCOPED_TRACE(file.demo_names()[k]);
    const Demo demo = file.ReadDemo(file.demo_names()[k]);
    ASSERT_TRUE(demo.seed.has_value());
    env = MakeEnv(file.env_args().env_name, file.env_args().env_kwargs);
    records.push_back(Replay(*env, demo));
    EXPECT_TRUE(records.back().success);  // the demos command keeps successful demos only

    const EpisodeMetrics replay =
        ComputeEpisodeMetrics(records.back(), WorkspaceRange(*env), env->PhaseNames());
    const IdleCount& recorded = summary.idle_per_demo[k];
    const size_t n = demo.num_samples();
    EXPECT_EQ(recorded.counted_steps, n);  // every step counts, step 0 included
    EXPECT_EQ(static_cast<size_t>(replay.idle_counted_steps), n);
    EXPECT_EQ(static_cast<size_t>(replay.idle_steps), recorded.idle_steps);
    EXPECT_EQ(static_cast<size_t>(replay.longest_idle_streak), recorded.longest_streak);
    EXPECT_EQ(replay.idle_fraction, recorded.Fraction());
  }
  ASSERT_TRUE(env);

  // Over the file: the eval summary of the replays and the demo-file pass.
  const EvalSummary eval = Summarize(MakeEpisodeRows(records, *env, "replay"));
  EXPECT_EQ(static_cast<size_t>(eval.idle_steps), summary.idle_steps);
  EXPECT_EQ(static_cast<size_t>(eval.idle_counted_steps), summary.idle_counted_steps);
  EXPECT_EQ(eval.idle_fraction, summary.idle_fraction);
  EXPECT_GT(summary.idle_fraction, 0.0) << "the expert's pauses must show as idle steps";
  EXPECT_LT(summary.idle_fraction, 0.5);

  // `bcbench inspect` prints the same counts.
  const auto inspect = RunBcbench("inspect " + path);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_THAT(inspect.output,
              ::testing::HasSubstr("of counted steps (" + std::to_string(summary.idle_steps) +
                                   " of " + std::to_string(summary.idle_counted_steps) + ";"));
  EXPECT_THAT(inspect.output, ::testing::HasSubstr("pusht's workspace [512, 512]"));
}

TEST(IdleReplay, DemoIdleFractionEqualsItsClosedLoopReplayAbsolute) {
  ExpectReplayIdleEqualsDemoIdle("absolute");
}

TEST(IdleReplay, DemoIdleFractionEqualsItsClosedLoopReplayDelta) {
  ExpectReplayIdleEqualsDemoIdle("delta");
}

}  // namespace
}  // namespace bcbench
