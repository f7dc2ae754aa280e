// BET through the real binary: evaluation rows do not depend on batching,
// threads or sharding; eval takes only BET's inference keys; and a trained
// BET beats its untrained self on held-out Push-T seeds.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

namespace bcbench {
namespace {

using testing::RunBcbench;
using testing::ScratchDir;
using ::testing::HasSubstr;

// Rows without the wall-time field (the last), which no run repeats.
std::vector<std::string> Rows(const std::string& csv) {
  std::ifstream in(csv);
  std::vector<std::string> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) rows.push_back(line.substr(0, line.rfind(',')));
  return rows;
}

std::string RecordDemos(const std::string& dir, int episodes) {
  const std::string demos = dir + "/demos.hdf5";
  const auto r = RunBcbench("demos --env pusht --episodes " + std::to_string(episodes) +
                            " --obs keypoints --out " + demos);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return demos;
}

TEST(BetCli, EvalRowsAreTheSameBatchedOneByOneAcrossThreadsAndShards) {
  const std::string dir = ScratchDir();
  const std::string demos = RecordDemos(dir, 4);
  const std::string run = dir + "/run";
  const auto train = RunBcbench("--threads 1 train --env pusht --policy bet --data " + demos + " --out " + run +
                                " --set n_layer=1 --set n_head=2 --set n_embd=16 --set bins=8"
                                " --set batch_size=16 --set lr=1e-3 --steps 20");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  // Every step samples a bin from the episode's own stream; 60 steps an
  // episode are enough to compare rows.
  const std::string common = "eval --checkpoint " + run + " --env-opt max_steps=60 ";
  auto eval = [&](const std::string& args, const std::string& name) {
    const std::string csv = dir + "/" + name + ".csv";
    const auto r = RunBcbench(args + " --csv " + csv);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return Rows(csv);
  };
  const auto batched = eval(common + "--episodes 10", "batched");
  ASSERT_EQ(batched.size(), 10u);
  EXPECT_EQ(eval(common + "--episodes 10 --unbatched", "single"), batched);
  EXPECT_EQ(eval("--threads 1 " + common + "--episodes 10", "one_thread"), batched);
  auto shards = eval(common + "--episodes 5", "shard0");
  const auto second = eval(common + "--episodes 5 --seed-base 100005", "shard1");
  shards.insert(shards.end(), second.begin(), second.end());
  EXPECT_EQ(shards, batched);
  // Other streams give other rows, and so does another temperature.
  EXPECT_NE(eval(common + "--episodes 10 --policy-seed 1", "other_stream"), batched);
  EXPECT_NE(eval(common + "--episodes 10 --set temperature=0.2", "cold"), batched);
  // The network is fixed at evaluation; the sampling and the window are not.
  const auto refused = RunBcbench(common + "--episodes 1 --set bins=4");
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("temperature"));
  const auto wider = RunBcbench(common + "--episodes 1 --set eval_window=6");
  EXPECT_EQ(wider.exit_code, 2) << wider.output;
  EXPECT_THAT(wider.output, HasSubstr("eval_window"));
}

// The score the summary prints: "score (mean max reward) 0.161 [...".
double PrintedScore(const std::string& output) {
  const std::string key = "score (mean max reward) ";
  const auto at = output.find(key);
  if (at == std::string::npos) return -1;
  return std::stod(output.substr(at + key.size()));
}

// Training must pay off in the env: on held-out seeds the trained BET beats
// the same network's untrained weights (train_steps 1 with warm-up: the one
// step has learning rate 0; the k-means bins are fitted in both). One
// LibTorch thread: the small transformer gains nothing from a second one.
// Measured on a 2-core machine under load (load average ~8): untrained
// 0.152, trained 0.379 (1500 steps of batch 64, lr 1e-3: about 45 s of training).
TEST(BetCli, ATrainedPolicyBeatsTheUntrainedOneOnHeldOutSeeds) {
  const std::string dir = ScratchDir();
  const std::string demos = RecordDemos(dir, 30);
  const std::string train = "--threads 1 train --env pusht --policy bet --data " + demos +
                            " --set batch_size=64 --set lr=1e-3 --set warmup_steps=50"
                            " --log-every 500 --valid-every 0";
  const auto trained = RunBcbench(train + " --out " + dir + "/trained --steps 1500");
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  const auto untrained = RunBcbench(train + " --out " + dir + "/untrained --steps 1");
  ASSERT_EQ(untrained.exit_code, 0) << untrained.output;
  const std::string eval = " --episodes 20 --seed-base 100000";
  const auto a = RunBcbench("eval --checkpoint " + dir + "/trained" + eval);
  const auto b = RunBcbench("eval --checkpoint " + dir + "/untrained" + eval);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const double trained_score = PrintedScore(a.output), untrained_score = PrintedScore(b.output);
  std::printf("held-out score: trained %.3f, untrained %.3f\n", trained_score, untrained_score);
  EXPECT_GT(trained_score, untrained_score + 0.1)
      << "trained score " << trained_score << " vs untrained " << untrained_score
      << " on seeds 100000..100019\n" << a.output << b.output;
  EXPECT_GE(untrained_score, 0.0);
}

}  // namespace
}  // namespace bcbench
