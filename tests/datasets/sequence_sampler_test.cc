// Training windows: To observations and Tp actions per window, padded with the
// first frame at episode starts and the last frame at ends (SPEC 5).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/demo_file.h"
#include "datasets/sequence_sampler.h"
#include "support/demo_fixtures.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

// obs value of (demo k, step t, dim d) as MakeDemo writes it.
float Obs(int k, long t, int d) { return 1000.0f * k + 10.0f * t + d; }
float Act(int k, long t, int d) { return Obs(k, t, d) + 0.5f; }

std::vector<Episode> Episodes(const std::string& path) {
  const DemoFile file = DemoFile::Open(path);
  return LoadEpisodes(file, file.demo_names(), {"state"});
}

TEST(SequenceSampler, WindowCountFollowsPadding) {
  const std::string path = testing::ScratchDir() + "/d.hdf5";
  testing::WriteDemoFile(path, {10, 20});
  const auto episodes = Episodes(path);
  SequenceSampler sampler(episodes, Horizons{2, 4, 3});
  // Per episode: starts from -(To-1) = -1 to N - Tp + (Ta-1) = N - 2.
  EXPECT_EQ(sampler.size(), (10u - 2 + 1 + 1) + (20u - 2 + 1 + 1));
  EXPECT_EQ(sampler.window(0).start, -1);
  EXPECT_EQ(sampler.window(9).start, 8);
  EXPECT_EQ(sampler.window(10).episode, 1u);
}

TEST(SequenceSampler, StartPaddingRepeatsFirstFrame) {
  const std::string path = testing::ScratchDir() + "/d.hdf5";
  testing::WriteDemoFile(path, {10});
  const auto episodes = Episodes(path);
  SequenceSampler sampler(episodes, Horizons{3, 4, 2});
  ASSERT_EQ(sampler.window(0).start, -2);
  std::vector<float> obs(3 * 3), act(4 * 2);
  sampler.Fill(0, obs.data(), act.data());
  // Steps -2, -1, 0 -> frames 0, 0, 0 for obs; actions at steps -2..1 -> 0, 0, 0, 1.
  for (int k = 0; k < 3; ++k) EXPECT_EQ(obs[k * 3 + 1], Obs(0, 0, 1)) << "obs row " << k;
  const long want_steps[] = {0, 0, 0, 1};
  for (int k = 0; k < 4; ++k) EXPECT_EQ(act[k * 2 + 1], Act(0, want_steps[k], 1)) << "act " << k;
}

TEST(SequenceSampler, EndPaddingRepeatsLastFrame) {
  const std::string path = testing::ScratchDir() + "/d.hdf5";
  testing::WriteDemoFile(path, {10});
  const auto episodes = Episodes(path);
  SequenceSampler sampler(episodes, Horizons{2, 8, 4});
  const size_t last = sampler.size() - 1;
  ASSERT_EQ(sampler.window(last).start, 10 - 8 + 3);  // 5: runs 3 steps past the end
  std::vector<float> obs(2 * 3), act(8 * 2);
  sampler.Fill(last, obs.data(), act.data());
  EXPECT_EQ(obs[0], Obs(0, 5, 0));
  EXPECT_EQ(obs[3], Obs(0, 6, 0));
  const long want_steps[] = {5, 6, 7, 8, 9, 9, 9, 9};
  for (int k = 0; k < 8; ++k) EXPECT_EQ(act[k * 2], Act(0, want_steps[k], 0)) << "act " << k;
}

TEST(SequenceSampler, InteriorWindowMatchesHandComputedIndices) {
  const std::string path = testing::ScratchDir() + "/d.hdf5";
  testing::WriteDemoFile(path, {12, 15});
  const auto episodes = Episodes(path);
  SequenceSampler sampler(episodes, Horizons{2, 4, 2});
  // Episode 0 holds starts -1..9 (11 windows); window 11 + 6 is episode 1, start 5.
  const size_t i = 11 + 6;
  ASSERT_EQ(sampler.window(i).episode, 1u);
  ASSERT_EQ(sampler.window(i).start, 5);
  std::vector<float> obs(2 * 3), act(4 * 2);
  sampler.Fill(i, obs.data(), act.data());
  for (int k = 0; k < 2; ++k)
    for (int d = 0; d < 3; ++d) EXPECT_EQ(obs[k * 3 + d], Obs(1, 5 + k, d));
  for (int k = 0; k < 4; ++k)
    for (int d = 0; d < 2; ++d) EXPECT_EQ(act[k * 2 + d], Act(1, 5 + k, d));
}

TEST(SequenceSampler, ShortEpisodeStillYieldsAWindow) {
  const std::string path = testing::ScratchDir() + "/d.hdf5";
  testing::WriteDemoFile(path, {2});
  const auto episodes = Episodes(path);
  SequenceSampler sampler(episodes, Horizons{1, 16, 1});
  EXPECT_EQ(sampler.size(), 1u);
}

TEST(SequenceSampler, ShuffleIsDeterministicPerSeedAndEpoch) {
  const std::string path = testing::ScratchDir() + "/d.hdf5";
  testing::WriteDemoFile(path, {30, 30});
  const auto episodes = Episodes(path);
  SequenceSampler sampler(episodes, Horizons{2, 4, 2});
  const auto a = sampler.Shuffled(7, 0);
  EXPECT_EQ(a, sampler.Shuffled(7, 0));
  EXPECT_NE(a, sampler.Shuffled(7, 1));
  EXPECT_NE(a, sampler.Shuffled(8, 0));
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i) << "not a permutation";
}

TEST(SequenceSampler, RejectsImpossibleHorizons) {
  const std::string path = testing::ScratchDir() + "/d.hdf5";
  testing::WriteDemoFile(path, {10});
  const auto episodes = Episodes(path);
  EXPECT_THROW(SequenceSampler(episodes, Horizons{0, 4, 2}), std::invalid_argument);
  EXPECT_THROW(SequenceSampler(episodes, Horizons{5, 4, 2}), std::invalid_argument);
}

TEST(DemoSplit, UsesMasksWhenPresent) {
  const std::vector<std::string> names{"demo_0", "demo_1", "demo_2", "demo_3"};
  const auto split = SplitDemos(names, {{"train", {"demo_3", "demo_0"}}}, 0.5, 1);
  EXPECT_EQ(split.source, "mask");
  EXPECT_EQ(split.train, (std::vector<std::string>{"demo_0", "demo_3"}));
  EXPECT_EQ(split.valid, (std::vector<std::string>{"demo_1", "demo_2"}));
}

TEST(DemoSplit, ValidMaskAloneTrainsOnTheRest) {
  const std::vector<std::string> names = {"demo_0", "demo_1", "demo_2", "demo_3"};
  const auto split = SplitDemos(names, {{"valid", {"demo_2"}}}, 0.5, 1);
  EXPECT_EQ(split.source, "mask");
  EXPECT_EQ(split.train, (std::vector<std::string>{"demo_0", "demo_1", "demo_3"}));
  EXPECT_EQ(split.valid, (std::vector<std::string>{"demo_2"}));
}

TEST(DemoSplit, ADemoInBothMasksIsRefused) {
  const std::vector<std::string> names = {"demo_0", "demo_1", "demo_2"};
  try {
    SplitDemos(names, {{"train", {"demo_0", "demo_1"}}, {"valid", {"demo_1", "demo_2"}}}, 0.5, 1);
    FAIL() << "overlapping masks accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("both name demo_1"));
  }
}

TEST(DemoSplit, SeededRatioIsDeterministicAndDisjoint) {
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back("demo_" + std::to_string(i));
  const auto a = SplitDemos(names, {}, 0.2, 42);
  const auto b = SplitDemos(names, {}, 0.2, 42);
  const auto c = SplitDemos(names, {}, 0.2, 43);
  EXPECT_EQ(a.source, "ratio");
  EXPECT_EQ(a.valid.size(), 4u);
  EXPECT_EQ(a.train.size(), 16u);
  EXPECT_EQ(a.valid, b.valid);
  EXPECT_NE(a.valid, c.valid);
  for (const auto& v : a.valid) {
    EXPECT_EQ(std::count(a.train.begin(), a.train.end(), v), 0) << v << " in both";
  }
}

}  // namespace
}  // namespace bcbench
