// A closed-loop replay through the real runner: a policy that answers each
// decision with the demo's recorded actions, taken from the real
// SequenceSampler window that starts To - 1 steps before the decision step,
// drives Push-T (and the claw) from each demo's seed. It must see exactly the recorded
// observations at every decision (so the runner's history, padding and chunk
// alignment are the sampler's), finish each episode in as many steps, and the
// eval rows' idle figures must equal the demo file's.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "benchmarks/metrics/episode_rows.h"
#include "benchmarks/runner/rollout.h"
#include "datasets/demo_file.h"
#include "datasets/demo_validation.h"
#include "datasets/sequence_sampler.h"
#include "envs/registry.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

// Slot i plays demo i (batched runs give episode i slot i).
class DemoReplayPolicy : public Policy {
 public:
  DemoReplayPolicy(const std::vector<Episode>& episodes, Horizons h)
      : sampler_(episodes, h), h_(h) {
    for (size_t i = 0; i < sampler_.size(); ++i) {
      windows_[{sampler_.window(i).episode, sampler_.window(i).start}] = i;
    }
  }
  std::string Name() const override { return "replay"; }
  int ObsHorizon() const override { return h_.obs; }
  int ChunkSteps() const override { return h_.pred - h_.obs + 1; }
  int ActionHorizon() const override { return h_.action; }
  void StartEpisode(int slot, int slots, uint64_t) override {
    step_.resize(static_cast<size_t>(slots));
    step_[static_cast<size_t>(slot)] = 0;
  }
  ActionChunk Act(const ObsHistory& obs) override {
    const size_t od = sampler_.obs_dim(), ad = sampler_.action_dim();
    ActionChunk chunk{obs.batch, ChunkSteps(), static_cast<int>(ad), {}};
    for (int b = 0; b < obs.batch; ++b) {
      const int slot = obs.slots[static_cast<size_t>(b)];
      long& t = step_[static_cast<size_t>(slot)];
      const auto it = windows_.find({static_cast<size_t>(slot), t - (h_.obs - 1)});
      if (it == windows_.end()) {
        ADD_FAILURE() << "no sampler window for demo " << slot << " at step " << t;
        chunk.values.resize(chunk.values.size() + ChunkSteps() * ad);
        continue;
      }
      std::vector<float> window_obs(h_.obs * od), window_act(h_.pred * ad);
      sampler_.Fill(it->second, window_obs.data(), window_act.data());
      const float* seen = obs.values.data() + static_cast<size_t>(b) * h_.obs * od;
      for (size_t i = 0; i < window_obs.size(); ++i) {
        if (seen[i] != window_obs[i]) {
          ++mismatches;
          ADD_FAILURE() << "demo " << slot << " step " << t << ": observation value " << i
                        << " is " << seen[i] << ", recorded " << window_obs[i];
          break;
        }
      }
      ++decisions;
      chunk.values.insert(chunk.values.end(), window_act.begin() + (h_.obs - 1) * ad,
                          window_act.begin() + (h_.obs - 1 + ChunkSteps()) * ad);
      t += h_.action;
    }
    return chunk;
  }
  int decisions = 0, mismatches = 0;

 private:
  SequenceSampler sampler_;
  Horizons h_;
  std::map<std::pair<size_t, long>, size_t> windows_;
  std::vector<long> step_;
};

// Records 6 expert demos of `env_name` (idle pauses on) and replays them
// through the runner with DemoReplayPolicy.
void ExpectReplayReproducesTheDemos(const std::string& env_name, const std::string& obs_key) {
  const std::string path = testing::ScratchDir() + "/" + env_name + ".hdf5";
  const auto demos = testing::RunBcbench("demos --env " + env_name +
                                         " --episodes 6 --seed 11 --idle-prob 0.3 --obs " +
                                         obs_key + " --out " + path);
  ASSERT_EQ(demos.exit_code, 0) << demos.output;
  const DemoFileSummary summary = ValidateDemoFile(path);
  const DemoFile file = DemoFile::Open(path);
  const auto names = file.demo_names();
  const std::vector<Episode> episodes = LoadEpisodes(file, names, {obs_key});
  RolloutOptions options;
  options.obs_key = obs_key;
  for (const auto& name : names) options.seeds.push_back(*file.ReadDemo(name).seed);

  // Tp = To - 1 + Ta: every decision step has a window, padding included.
  DemoReplayPolicy policy(episodes, Horizons{2, 9, 8});
  const EnvOptions env_options = file.env_args().env_kwargs;
  const auto records =
      RunEpisodes([&] { return MakeEnv(env_name, env_options); }, policy, options);
  EXPECT_EQ(policy.mismatches, 0);
  EXPECT_GT(policy.decisions, static_cast<int>(names.size()) * 3);
  const auto env = MakeEnv(env_name, env_options);
  const auto rows = MakeEpisodeRows(records, *env, "replay");
  ASSERT_EQ(rows.size(), names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    SCOPED_TRACE(names[k]);
    const Demo demo = file.ReadDemo(names[k]);
    EXPECT_EQ(static_cast<size_t>(records[k].steps), demo.num_samples());
    EXPECT_TRUE(records[k].success);
    // Absolute mode: the commanded target after each step is the recorded action.
    for (size_t t = 0; t < demo.num_samples(); ++t) {
      for (size_t d = 0; d < demo.actions.row_size(); ++d) {
        ASSERT_EQ(static_cast<float>(records[k].targets[t][d]), demo.actions.row(t)[d])
            << "step " << t << " dimension " << d;
      }
    }
    EXPECT_EQ(static_cast<size_t>(rows[k].metrics.idle_steps), summary.idle_per_demo[k].idle_steps);
    EXPECT_EQ(rows[k].metrics.idle_fraction, summary.idle_per_demo[k].Fraction());
  }
  EXPECT_GT(summary.idle_fraction, 0.0);
  EXPECT_EQ(Summarize(rows).idle_fraction, summary.idle_fraction);
}

TEST(ClosedLoopReplay, RunnerReproducesTheDemosObservationsAndIdleFigures) {
  ExpectReplayReproducesTheDemos("pusht", "keypoints");
}

// The claw's contacts, grasps and drops replay as recorded too.
TEST(ClosedLoopReplay, RunnerReproducesTheClawDemos) { ExpectReplayReproducesTheDemos("claw", "state"); }

}  // namespace
}  // namespace bcbench
