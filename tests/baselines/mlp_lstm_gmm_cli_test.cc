// MLP and LSTM-GMM through the real binary: their evaluation rows do not
// depend on batching, threads or sharding, and on Push-T a trained policy
// beats the same network untrained on held-out seeds.
#include <cstdio>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace bcbench {
namespace {

using testing::RunBcbench;
using testing::ScratchDir;

struct Method {
  std::string name;
  std::string tiny;     // --set flags of a network that trains in a second
  std::string learner;  // --set flags of the Push-T learning test
  int steps;            // its training steps
};

// Printed in test names ("mlp", "lstm_gmm") and by GoogleTest for GetParam().
std::string MethodName(const ::testing::TestParamInfo<Method>& info) { return info.param.name; }
void PrintTo(const Method& m, std::ostream* os) { *os << m.name; }

const Method kMethods[] = {
    {"mlp", "--set hidden_dims=32,32 --set batch_size=16 --set warmup_steps=2",
     "--set batch_size=64 --set warmup_steps=50 --set lr=1e-3", 1500},
    // Sampled with the learnt scales, so that every row draws from its stream.
    {"lstm_gmm",
     "--set rnn_hidden=16 --set seq_length=4 --set batch_size=16 --set low_noise_eval=false",
     "--set batch_size=64 --set warmup_steps=50 --set lr=1e-3", 600},
};

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Rows without the wall-time field (the last), which no run repeats.
std::vector<std::string> Rows(const std::string& csv) {
  std::vector<std::string> rows;
  const auto lines = Lines(csv);
  for (size_t i = 1; i < lines.size(); ++i) rows.push_back(lines[i].substr(0, lines[i].rfind(',')));
  return rows;
}

std::string RecordDemos(const std::string& dir, int episodes) {
  const std::string demos = dir + "/demos.hdf5";
  const auto r = RunBcbench("demos --env pusht --episodes " + std::to_string(episodes) +
                            " --obs keypoints --out " + demos);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return demos;
}

// The score the summary prints: "score (mean max reward) 0.161 [...".
double PrintedScore(const std::string& output) {
  const std::string key = "score (mean max reward) ";
  const auto at = output.find(key);
  if (at == std::string::npos) return -1;
  return std::stod(output.substr(at + key.size()));
}

class BaselineCli : public ::testing::TestWithParam<Method> {};

TEST_P(BaselineCli, EvalRowsAreTheSameBatchedOneByOneAcrossThreadsAndShards) {
  const Method& m = GetParam();
  const std::string dir = ScratchDir();
  const std::string demos = RecordDemos(dir, 4);
  const std::string run = dir + "/run";
  const auto train = RunBcbench("train --env pusht --policy " + m.name + " --data " + demos +
                                " --out " + run + " " + m.tiny + " --steps 20");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const std::string common = "eval --checkpoint " + run + " ";
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
  if (m.name == "lstm_gmm") {
    // A different policy seed gives different streams, so different rows.
    EXPECT_NE(eval(common + "--episodes 10 --policy-seed 1", "other_stream"), batched);
  }
}

// Training must pay off in the env: on held-out seeds the trained policy's
// score beats the same network's untrained weights (train_steps 1 with
// warm-up: the one step has learning rate 0). Measured on a busy 2-core
// machine: mlp (3 x 256, 1500 steps of batch 64) 0.273 vs 0.121 untrained;
// lstm_gmm (2 x 128, 600 steps of batch 64, about 20 s) 0.293 vs 0.119.
TEST_P(BaselineCli, ATrainedPolicyBeatsTheUntrainedOneOnHeldOutSeeds) {
  const Method& m = GetParam();
  const std::string dir = ScratchDir();
  const std::string demos = RecordDemos(dir, 30);
  const std::string train = "train --env pusht --policy " + m.name + " --data " + demos + " " +
                            m.learner + " --log-every 500 --valid-every 0";
  const auto trained =
      RunBcbench(train + " --out " + dir + "/trained --steps " + std::to_string(m.steps));
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  const auto untrained = RunBcbench(train + " --out " + dir + "/untrained --steps 1");
  ASSERT_EQ(untrained.exit_code, 0) << untrained.output;
  const std::string eval = " --episodes 20 --seed-base 100000";
  const auto a = RunBcbench("eval --checkpoint " + dir + "/trained" + eval);
  const auto b = RunBcbench("eval --checkpoint " + dir + "/untrained" + eval);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const double trained_score = PrintedScore(a.output), untrained_score = PrintedScore(b.output);
  std::printf("%s held-out score: trained %.3f, untrained %.3f\n", m.name.c_str(), trained_score,
              untrained_score);
  EXPECT_GT(trained_score, untrained_score + 0.1)
      << "trained score " << trained_score << " vs untrained " << untrained_score
      << " on seeds 100000..100019\n" << a.output << b.output;
  EXPECT_GE(untrained_score, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Methods, BaselineCli, ::testing::ValuesIn(kMethods), MethodName);

}  // namespace
}  // namespace bcbench
