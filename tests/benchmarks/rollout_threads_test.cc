// Batched rollouts step their envs in parallel over the LibTorch threads.
// Envs are independent, so every episode must come out exactly as it does
// on one thread.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "benchmarks/runner/rollout.h"
#include "envs/registry.h"
#include "policies/torch_runtime.h"

namespace bcbench {
namespace {

// Heads for a point beside the block, offset per episode, so that agents
// make contact and episodes differ: real physics in every env.
class ChaseBlockPolicy : public Policy {
 public:
  std::string Name() const override { return "chase"; }
  int ObsHorizon() const override { return 2; }
  int ChunkSteps() const override { return 16; }
  int ActionHorizon() const override { return 8; }
  void StartEpisode(int, int, uint64_t) override {}
  ActionChunk Act(const ObsHistory& obs) override {
    ActionChunk chunk{obs.batch, 16, 2, {}};
    for (int b = 0; b < obs.batch; ++b) {
      const float* newest = obs.values.data() + (static_cast<size_t>(b) * obs.steps + obs.steps - 1) * obs.dim;
      for (int k = 0; k < 16; ++k) {
        chunk.values.push_back(newest[2] + 10.0f * static_cast<float>(obs.slots[static_cast<size_t>(b)] % 3) - 10.0f);
        chunk.values.push_back(newest[3] + 5.0f * static_cast<float>(k % 4));
      }
    }
    return chunk;
  }
};

std::vector<EpisodeRecord> RunWithThreads(int threads) {
  TorchThreadsScope scope(threads);
  ChaseBlockPolicy policy;
  RolloutOptions options;
  options.seeds = SeedRange(100000, 6);
  options.obs_key = "state";
  auto records = RunEpisodes([] { return MakeEnv("pusht", {{"max_steps", "40"}}); }, policy,
                             options);
  return records;
}

TEST(Rollout, ParallelEnvStepsGiveTheEpisodesOfOneThread) {
  const auto one = RunWithThreads(1);
  const auto two = RunWithThreads(2);
  ASSERT_EQ(one.size(), two.size());
  bool any_motion = false;
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].seed, two[i].seed);
    EXPECT_EQ(one[i].steps, two[i].steps);
    EXPECT_EQ(one[i].effector, two[i].effector) << "episode " << i;
    EXPECT_EQ(one[i].phases, two[i].phases) << "episode " << i;
    EXPECT_EQ(one[i].max_reward, two[i].max_reward) << "episode " << i;
    for (int p : one[i].phases) any_motion = any_motion || p != one[i].phases.front();
  }
  EXPECT_TRUE(any_motion) << "no episode changed phase: the test would not see physics differ";
}

}  // namespace
}  // namespace bcbench
