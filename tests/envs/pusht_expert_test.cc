// The scripted Push-T demonstrator: solves random starts, splits the probe
// state between left and right, pauses when asked, and is reproducible.
#include "envs/pusht/pusht_expert.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "envs/pusht/pusht_env.h"
#include "envs/registry.h"

namespace bcbench {
namespace {

struct Episode {
  bool success = false;
  int steps = 0;
  int mode = -1;
  int repeated_targets = 0;  // steps whose commanded target equals the previous one
  int phase_switches = 0;    // changes of the (debounced) phase label
  int contact_switches = 0;  // changes of the raw per-step contact state (the old label)
  std::vector<std::vector<double>> actions;
};

// Runs one expert episode; with stop_at_mode it ends as soon as the env has
// labelled the mode (the probe test only needs the decision).
Episode RunEpisode(PushTEnv& env, PushTExpert& expert, uint64_t seed, bool stop_at_mode = false) {
  env.Reset(seed);
  expert.Reset(seed);
  Episode episode;
  std::vector<double> previous = env.CommandedTarget();
  StepResult result;
  int phase = env.Phase();
  bool touched = false;
  do {
    episode.actions.push_back(expert.Act());
    result = env.Step(episode.actions.back());
    ++episode.steps;
    episode.phase_switches += result.phase != phase ? 1 : 0;
    phase = result.phase;
    episode.contact_switches += env.TouchedLastStep() != touched ? 1 : 0;
    touched = env.TouchedLastStep();
    const std::vector<double> target = env.CommandedTarget();
    episode.repeated_targets += target == previous ? 1 : 0;
    previous = target;
    if (stop_at_mode && env.Mode() >= 0) break;
  } while (!result.done);
  episode.success = result.success;
  episode.mode = env.Mode();
  return episode;
}

// Also the phase label's bound: a push cycle of the expert (travel, push, back
// off) is two phase changes, and a cycle takes at least 3 control steps, so
// clean labels change at most 2 / 3 times per step in the worst case; the
// expert's cycles average far longer. The debounced label is held to 1 change
// per 5 steps on average, which the raw per-step contact state (the label
// before issue 7) exceeds whenever a push chatters.
TEST(PushTExpert, SolvesAtLeast90PercentOfRandomStartsWithin300Steps) {
  PushTEnv env({});
  PushTExpert expert(env, {});
  int successes = 0, steps = 0, switches = 0, contact_switches = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const Episode episode = RunEpisode(env, expert, seed);
    successes += episode.success ? 1 : 0;
    EXPECT_LE(episode.steps, 300);
    steps += episode.steps;
    switches += episode.phase_switches;
    contact_switches += episode.contact_switches;
  }
  EXPECT_GE(successes, 18) << successes << " of 20 seeds solved";
  std::printf("phase switches per episode: %.1f debounced, %.1f raw contact; %.1f steps\n",
              switches / 20.0, contact_switches / 20.0, steps / 20.0);
  EXPECT_LE(switches * 5, steps) << switches << " phase changes in " << steps << " steps";
  EXPECT_LE(switches, contact_switches);
}

TEST(PushTExpert, ProbeStateSplitsBetweenLeftAndRight) {
  PushTEnv env(EnvOptions{{"start", "probe"}});
  PushTExpert expert(env, {});
  int left = 0, right = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const Episode episode = RunEpisode(env, expert, seed, /*stop_at_mode=*/true);
    left += episode.mode == PushTEnv::kLeft ? 1 : 0;
    right += episode.mode == PushTEnv::kRight ? 1 : 0;
    EXPECT_LE(episode.steps, 30) << "mode decided late, seed " << seed;
  }
  std::printf("probe modes over 40 seeds: %d left, %d right\n", left, right);
  EXPECT_EQ(left + right, 40);
  EXPECT_GE(left, 14) << "left " << left << " right " << right;  // 35%
  EXPECT_LE(left, 26) << "left " << left << " right " << right;  // 65%
}

TEST(PushTExpert, ModeWeightsSkewTheProbeSplit) {
  PushTEnv env(EnvOptions{{"start", "probe"}});
  ExpertOptions options;
  options.mode_weights = {0.1, 0.9};
  PushTExpert expert(env, options);
  int right = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    right += RunEpisode(env, expert, seed, true).mode == PushTEnv::kRight ? 1 : 0;
  }
  EXPECT_GE(right, 15) << right << " of 20 went right";
}

TEST(PushTExpert, ProbeEpisodesAreSolvedOnBothSides) {
  PushTEnv env(EnvOptions{{"start", "probe"}});
  PushTExpert expert(env, {});
  bool solved_left = false, solved_right = false;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    const Episode episode = RunEpisode(env, expert, seed);
    solved_left = solved_left || (episode.success && episode.mode == PushTEnv::kLeft);
    solved_right = solved_right || (episode.success && episode.mode == PushTEnv::kRight);
  }
  EXPECT_TRUE(solved_left);
  EXPECT_TRUE(solved_right);
}

TEST(PushTExpert, IdleProbabilityAddsPausesAtPhaseChanges) {
  PushTEnv env({});
  ExpertOptions busy;
  ExpertOptions pausing;
  pausing.idle_prob = 0.3;
  PushTExpert busy_expert(env, busy);
  PushTExpert pausing_expert(env, pausing);
  int busy_idle = 0, busy_steps = 0, pausing_idle = 0, pausing_steps = 0, pausing_successes = 0;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    const Episode a = RunEpisode(env, busy_expert, seed);
    busy_idle += a.repeated_targets;
    busy_steps += a.steps;
    const Episode b = RunEpisode(env, pausing_expert, seed);
    pausing_idle += b.repeated_targets;
    pausing_steps += b.steps;
    pausing_successes += b.success ? 1 : 0;
  }
  const double busy_fraction = static_cast<double>(busy_idle) / busy_steps;
  const double pausing_fraction = static_cast<double>(pausing_idle) / pausing_steps;
  std::printf("idle fraction: %.3f at idle_prob 0, %.3f at 0.3\n", busy_fraction, pausing_fraction);
  EXPECT_GT(pausing_fraction, busy_fraction + 0.05)
      << "idle fraction " << busy_fraction << " without pauses, " << pausing_fraction << " with";
  EXPECT_GE(pausing_successes, 5);  // pausing slows the expert down but it still solves
}

TEST(PushTExpert, SameSeedGivesTheSameDemo) {
  PushTEnv env({});
  ExpertOptions options;
  options.idle_prob = 0.3;
  options.noise = 2.0;
  PushTExpert expert(env, options);
  const Episode a = RunEpisode(env, expert, 4);
  const Episode b = RunEpisode(env, expert, 4);
  EXPECT_EQ(a.actions, b.actions);
  const Episode c = RunEpisode(env, expert, 5);
  EXPECT_NE(a.actions, c.actions);
}

TEST(PushTExpert, NoiseIsAddedToTheTargets) {
  PushTEnv env({});
  ExpertOptions noisy;
  noisy.noise = 5.0;
  PushTExpert clean_expert(env, {});
  PushTExpert noisy_expert(env, noisy);
  // First actions of both from the same start: the plan is the same, so the
  // difference is the noise; its spread should be about 5 px per axis.
  double sum2 = 0.0;
  int n = 0;
  for (uint64_t seed = 0; seed < 25; ++seed) {
    env.Reset(seed);
    clean_expert.Reset(seed);
    const std::vector<double> clean = clean_expert.Act();
    env.Reset(seed);
    noisy_expert.Reset(seed);
    const std::vector<double> noise = noisy_expert.Act();
    for (int k = 0; k < 2; ++k) sum2 += (noise[k] - clean[k]) * (noise[k] - clean[k]), ++n;
  }
  const double std_dev = std::sqrt(sum2 / n);
  EXPECT_GT(std_dev, 3.5);
  EXPECT_LT(std_dev, 6.5);
}

TEST(PushTExpert, ActsInDeltaModeWithinTheDeltaBound) {
  PushTEnv env(EnvOptions{{"action_mode", "delta"}});
  PushTExpert expert(env, {});
  int successes = 0;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    const Episode episode = RunEpisode(env, expert, seed);
    successes += episode.success ? 1 : 0;
    for (const auto& action : episode.actions) {
      ASSERT_EQ(action.size(), 2u);
      EXPECT_LE(std::abs(action[0]), PushTEnv::kMaxDelta + 1e-9);
      EXPECT_LE(std::abs(action[1]), PushTEnv::kMaxDelta + 1e-9);
    }
  }
  EXPECT_EQ(successes, 3);
}

TEST(PushTExpert, RejectsBadModeWeights) {
  PushTEnv env({});
  ExpertOptions options;
  options.mode_weights = {1.0, 2.0, 3.0};
  EXPECT_THROW(PushTExpert(env, options), EnvError);
  options.mode_weights = {0.0, 0.0};
  EXPECT_THROW(PushTExpert(env, options), EnvError);
  options.mode_weights = {-1.0, 2.0};
  EXPECT_THROW(PushTExpert(env, options), EnvError);
}

TEST(PushTExpert, RegistryBuildsTheExpertForPushT) {
  auto env = MakeEnv("pusht");
  auto expert = MakeExpert(*env);
  env->Reset(0);
  expert->Reset(0);
  EXPECT_EQ(expert->Act().size(), 2u);
}

// Not part of ctest (about a minute): the figures quoted for the expert.
// Run with --gtest_also_run_disabled_tests --gtest_filter='PushTExpert.DISABLED_*'.
TEST(PushTExpert, DISABLED_ReportSuccessOnSeeds0To199) {
  PushTEnv env({});
  PushTExpert expert(env, {});
  int successes = 0, steps = 0, left = 0, right = 0, switches = 0, contact_switches = 0;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const Episode episode = RunEpisode(env, expert, seed);
    successes += episode.success ? 1 : 0;
    steps += episode.steps;
    left += episode.mode == PushTEnv::kLeft ? 1 : 0;
    right += episode.mode == PushTEnv::kRight ? 1 : 0;
    switches += episode.phase_switches;
    contact_switches += episode.contact_switches;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("pusht expert: %d/200 solved, mean %.1f steps, %d left / %d right / %d undecided, "
              "%.1f demos/s (%.1f s)\n",
              successes, steps / 200.0, left, right, 200 - left - right, 200 / seconds, seconds);
  std::printf("phase switches per episode: %.2f debounced, %.2f raw per-step contact\n",
              switches / 200.0, contact_switches / 200.0);
  EXPECT_GE(successes, 180);
}

}  // namespace
}  // namespace bcbench
