// The scripted stacking demonstrator: solves random starts, labels its
// episodes in the documented phase order and with the order it chose, honours
// mode weights, pauses and adds noise when asked, and is reproducible; and
// `bcbench demos --env stack` writes robomimic-layout demos.
#include "envs/stack/stack_expert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "envs/registry.h"
#include "envs/stack/stack_env.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

using ::testing::HasSubstr;

struct Episode {
  bool success = false;
  int steps = 0;
  int mode = -1;
  int step_mode = -1;
  std::vector<std::string> phases;  // run-length: one entry per phase change
  int repeated_targets = 0;         // steps whose commanded target equals the previous one
  std::vector<std::vector<double>> actions;
};

Episode RunEpisode(StackEnv& env, StackExpert& expert, uint64_t seed) {
  env.Reset(seed);
  expert.Reset(seed);
  Episode episode;
  const auto names = env.PhaseNames();
  episode.phases.push_back(names[env.Phase()]);
  std::vector<double> previous = env.CommandedTarget();
  StepResult result;
  do {
    episode.actions.push_back(expert.Act());
    result = env.Step(episode.actions.back());
    ++episode.steps;
    if (names[result.phase] != episode.phases.back()) episode.phases.push_back(names[result.phase]);
    const std::vector<double> target = env.CommandedTarget();
    episode.repeated_targets += target == previous ? 1 : 0;
    previous = target;
  } while (!result.done);
  episode.success = result.success;
  episode.mode = env.Mode();
  episode.step_mode = env.StepMode();
  return episode;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ">") + item;
  return out;
}

// The documented order (stack_env.h): per cube reach, grasp, lift, move,
// place, release.
const std::vector<std::string> kExpertPhases = {"reach", "grasp", "lift", "move", "place", "release",
                                                "reach", "grasp", "lift", "move", "place", "release"};

// One pass over 20 seeds checks success, the phase order and the mode labels.
TEST(StackExpert, SolvesAtLeast90PercentOf20SeedsInTheDocumentedPhaseOrderAndChosenMode) {
  StackEnv env({});
  StackExpert expert(env, {});
  int successes = 0, steps = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const Episode episode = RunEpisode(env, expert, seed);
    successes += episode.success ? 1 : 0;
    steps += episode.steps;
    EXPECT_LE(episode.steps, env.MaxSteps());
    EXPECT_EQ(Joined(episode.phases), Joined(kExpertPhases)) << "seed " << seed;
    // The tower's order is the one the expert drew, by the env's own label.
    EXPECT_EQ(episode.mode, expert.ChosenMode()) << "seed " << seed;
    EXPECT_EQ(episode.step_mode, expert.ChosenMode()) << "seed " << seed;
    if (episode.mode >= 0) {
      const auto& order = StackEnv::Orders()[episode.mode];
      const std::string name = StackEnv::OrderName(episode.mode);
      const std::string initials = "RGB";
      const std::string expected = {initials[order[0]], '-', initials[order[1]], '-',
                                    initials[order[2]]};
      EXPECT_EQ(name, expected);
      std::array<int, 3> tower;
      if (episode.success) {
        ASSERT_TRUE(env.Tower(&tower));
        EXPECT_EQ(tower, order) << "seed " << seed;
      }
    }
  }
  std::printf("stack expert: %d of 20 seeds solved, %.1f steps on average\n", successes,
              steps / 20.0);
  EXPECT_GE(successes, 18) << successes << " of 20 seeds solved";
}

TEST(StackExpert, DefaultWeightsDrawEveryOrderEvenly) {
  StackEnv env({});
  StackExpert expert(env, {});
  int counts[6] = {0, 0, 0, 0, 0, 0};
  const int draws = 600;
  for (int seed = 0; seed < draws; ++seed) {
    expert.Reset(static_cast<uint64_t>(seed));
    ++counts[expert.ChosenMode()];
  }
  // 100 expected per order, binomial standard deviation 9.1: +-30 is 3.3 sd.
  for (int m = 0; m < 6; ++m) {
    EXPECT_GE(counts[m], 70) << StackEnv::OrderName(m) << " drawn " << counts[m] << " of 600";
    EXPECT_LE(counts[m], 130) << StackEnv::OrderName(m) << " drawn " << counts[m] << " of 600";
  }
}

TEST(StackExpert, ModeWeightsAreHonoured) {
  StackEnv env({});
  // All the mass on B-R-G: every draw and every built tower is that order.
  ExpertOptions one;
  one.mode_weights = {0, 0, 0, 0, 1, 0};
  StackExpert only(env, one);
  for (uint64_t seed = 0; seed < 100; ++seed) {
    only.Reset(seed);
    ASSERT_EQ(only.ChosenMode(), 4) << "seed " << seed;
  }
  for (uint64_t seed = 0; seed < 3; ++seed) {
    const Episode episode = RunEpisode(env, only, seed);
    EXPECT_TRUE(episode.success) << "seed " << seed;
    EXPECT_EQ(StackEnv::OrderName(episode.mode), "B-R-G") << "seed " << seed;
  }
  // Skewed 0.7 / 0.3 over two orders: over 400 draws the share of the first
  // is 0.7 within 3.3 standard deviations (sd = sqrt(0.21 / 400) = 0.023).
  ExpertOptions skewed;
  skewed.mode_weights = {0.7, 0, 0, 0.3, 0, 0};
  StackExpert skew(env, skewed);
  int first = 0, second = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    skew.Reset(seed);
    first += skew.ChosenMode() == 0 ? 1 : 0;
    second += skew.ChosenMode() == 3 ? 1 : 0;
  }
  EXPECT_EQ(first + second, 400);
  EXPECT_NEAR(first / 400.0, 0.7, 0.075) << "R-G-B drawn " << first << " of 400 with weight 0.7";
}

TEST(StackExpert, IdleProbabilityAddsPausesAtPhaseChanges) {
  StackEnv env({});
  ExpertOptions pausing;
  pausing.idle_prob = 0.5;
  StackExpert busy_expert(env, {});
  StackExpert pausing_expert(env, pausing);
  int busy_idle = 0, busy_steps = 0, pausing_idle = 0, pausing_steps = 0, successes = 0;
  for (uint64_t seed = 0; seed < 4; ++seed) {
    const Episode a = RunEpisode(env, busy_expert, seed);
    busy_idle += a.repeated_targets;
    busy_steps += a.steps;
    const Episode b = RunEpisode(env, pausing_expert, seed);
    pausing_idle += b.repeated_targets;
    pausing_steps += b.steps;
    successes += b.success ? 1 : 0;
  }
  const double busy_fraction = static_cast<double>(busy_idle) / busy_steps;
  const double pausing_fraction = static_cast<double>(pausing_idle) / pausing_steps;
  std::printf("stack idle fraction: %.3f at idle_prob 0, %.3f at 0.5\n", busy_fraction,
              pausing_fraction);
  EXPECT_GT(pausing_fraction, busy_fraction + 0.1);
  EXPECT_GT(pausing_steps, busy_steps + 4 * 3);  // at least one pause of 3+ steps per episode
  EXPECT_EQ(successes, 4);
}

TEST(StackExpert, NoiseGoesOnThePoseOfTheTargetNotOnTheGrip) {
  StackEnv env({});
  ExpertOptions noisy;
  noisy.noise = 0.004;
  StackExpert clean_expert(env, {});
  StackExpert noisy_expert(env, noisy);
  double sum2 = 0.0;
  int n = 0;
  for (uint64_t seed = 0; seed < 25; ++seed) {
    env.Reset(seed);
    clean_expert.Reset(seed);
    const std::vector<double> clean = clean_expert.Act();
    env.Reset(seed);
    noisy_expert.Reset(seed);
    const std::vector<double> noise = noisy_expert.Act();
    for (int k = 0; k < 4; ++k) sum2 += (noise[k] - clean[k]) * (noise[k] - clean[k]), ++n;
    EXPECT_EQ(noise[4], clean[4]);
  }
  const double std_dev = std::sqrt(sum2 / n);
  EXPECT_GT(std_dev, 0.003);
  EXPECT_LT(std_dev, 0.005);
  // And a noisy expert still builds towers.
  int successes = 0;
  for (uint64_t seed = 0; seed < 4; ++seed) successes += RunEpisode(env, noisy_expert, seed).success;
  EXPECT_GE(successes, 3);
}

TEST(StackExpert, SameSeedGivesTheSameDemo) {
  StackEnv env({});
  ExpertOptions options;
  options.idle_prob = 0.3;
  options.noise = 0.003;
  StackExpert expert(env, options);
  const Episode a = RunEpisode(env, expert, 4);
  const Episode b = RunEpisode(env, expert, 4);
  EXPECT_EQ(a.actions, b.actions);
  const Episode c = RunEpisode(env, expert, 5);
  EXPECT_NE(a.actions, c.actions);
}

TEST(StackExpert, ActsInDeltaModeWithinTheDeltaBounds) {
  StackEnv env(EnvOptions{{"action_mode", "delta"}});
  StackExpert expert(env, {});
  const SpaceSpec spec = env.ActionSpec();
  int successes = 0;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    const Episode episode = RunEpisode(env, expert, seed);
    successes += episode.success ? 1 : 0;
    EXPECT_EQ(Joined(episode.phases), Joined(kExpertPhases)) << "seed " << seed;
    for (const auto& action : episode.actions) {
      ASSERT_EQ(action.size(), 5u);
      for (int k = 0; k < 5; ++k) {
        EXPECT_GE(action[k], spec.low[k] - 1e-12) << spec.names[k];
        EXPECT_LE(action[k], spec.high[k] + 1e-12) << spec.names[k];
      }
    }
  }
  EXPECT_EQ(successes, 3);
}

TEST(StackExpert, RejectsBadOptionsWithAClearError) {
  StackEnv env({});
  const auto message = [&env](const ExpertOptions& options) {
    try {
      StackExpert expert(env, options);
    } catch (const EnvError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  ExpertOptions options;
  options.mode_weights = {1, 1};
  EXPECT_THAT(message(options), HasSubstr("6 values"));
  EXPECT_THAT(message(options), HasSubstr("B-G-R"));
  options.mode_weights = {1, 1, 1, -1, 1, 1};
  EXPECT_THAT(message(options), HasSubstr(">= 0"));
  options.mode_weights = {0, 0, 0, 0, 0, 0};
  EXPECT_THAT(message(options), HasSubstr("not all be 0"));
  options.mode_weights = {1, 1, 1, std::nan(""), 1, 1};
  EXPECT_THAT(message(options), HasSubstr("finite"));
  ExpertOptions idle;
  idle.idle_min_steps = 5;
  idle.idle_max_steps = 2;
  EXPECT_THAT(message(idle), HasSubstr("idle_min_steps"));
  ExpertOptions noise;
  noise.noise = -1.0;
  EXPECT_THAT(message(noise), HasSubstr("noise"));
}

TEST(StackExpert, DemosCommandWritesRobomimicLayoutStackDemos) {
  const std::string out = testing::ScratchDir() + "/stack.hdf5";
  const auto r = testing::RunBcbench("demos --env stack --episodes 3 --seed 2 --idle-prob 0.3 --out " +
                                     out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("expert success 3/3"));
  const auto inspect = testing::RunBcbench("inspect " + out);
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_THAT(inspect.output, HasSubstr("env       stack"));
  EXPECT_THAT(inspect.output, HasSubstr("demos     3"));
  EXPECT_THAT(inspect.output, HasSubstr("actions   dim 5"));
  EXPECT_THAT(inspect.output, HasSubstr("state (17,) float32"));
  EXPECT_THAT(inspect.output, HasSubstr("release"));
  EXPECT_THAT(inspect.output, HasSubstr("-"));  // order names such as B-R-G
  // Mode weights go through the CLI by order.
  const auto weighted = testing::RunBcbench(
      "demos --env stack --episodes 1 --mode-weights 0,0,0,0,0,1 --out " + out + ".w.hdf5");
  ASSERT_EQ(weighted.exit_code, 0) << weighted.output;
  EXPECT_THAT(weighted.output, HasSubstr("B-G-R=1"));
  const auto bad = testing::RunBcbench("demos --env stack --episodes 1 --mode-weights 1,2 --out " +
                                       out + ".bad.hdf5");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("--mode-weights needs 6"));
}

}  // namespace
}  // namespace bcbench
