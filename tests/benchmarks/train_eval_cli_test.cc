// `bcbench train` and `bcbench eval` end to end through the real binary, on a
// tiny budget: demos -> train (interrupted, then resumed) -> eval -> CSV rows;
// and every bad input gets exit 2, a message naming the problem, and no output.
#include <filesystem>
#include <fstream>
#include <sstream>
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

// A network small enough to train in a second or two.
const char* const kTinyNet =
    "--set down_dims=16,32 --set step_embed_dim=16 --set pred_horizon=8 --set action_horizon=4 "
    "--set batch_size=16 --set warmup_steps=2 --set inference_steps=4";

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Every field of a CSV line but the last (wall time, which no run repeats).
std::string WithoutLastField(const std::string& line) { return line.substr(0, line.rfind(',')); }

std::string RecordDemos(const std::string& dir) {
  const std::string demos = dir + "/demos.hdf5";
  const auto r = RunBcbench("demos --env pusht --episodes 4 --obs keypoints --out " + demos);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return demos;
}

TEST(TrainEvalCli, InterruptedTrainingResumesThenEvalWritesOneRowPerEpisode) {
  const std::string dir = ScratchDir();
  const std::string demos = RecordDemos(dir);
  const std::string run = dir + "/run";
  const std::string train = "train --env pusht --policy diffusion --data " + demos + " --out " +
                            run + " " + kTinyNet + " --set train_steps=12 --log-every 4";

  const auto first = RunBcbench(train + " --stop-after 6");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("step 4/12"));
  EXPECT_THAT(first.output, HasSubstr("samples/s"));
  EXPECT_THAT(first.output, HasSubstr("ETA"));
  ASSERT_TRUE(std::filesystem::exists(run + "/checkpoint.pt"));

  const auto second = RunBcbench(train);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("resuming from"));
  EXPECT_THAT(second.output, HasSubstr("at step 6"));
  EXPECT_THAT(second.output, HasSubstr("step 12/12"));
  const auto log = Lines(run + "/train_log.csv");
  ASSERT_GE(log.size(), 2u);
  EXPECT_THAT(log[0], HasSubstr("step,loss,lr,valid_loss"));
  EXPECT_EQ(log.back().substr(0, 3), "12,");

  // A different config in the same folder is refused, not silently mixed in.
  const auto other = RunBcbench("train --env pusht --policy diffusion --data " + demos + " --out " +
                                run + " --set down_dims=16,64 --set pred_horizon=8 --set action_horizon=4");
  EXPECT_EQ(other.exit_code, 2) << other.output;
  EXPECT_THAT(other.output, HasSubstr("different run"));

  const std::string csv = dir + "/eval.csv";
  const auto eval = RunBcbench("eval --checkpoint " + run + " --episodes 3 --csv " + csv);
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_THAT(eval.output, HasSubstr("success 0/3"));  // 12 steps teach it nothing yet
  EXPECT_THAT(eval.output, HasSubstr("95% CI"));
  const auto rows = Lines(csv);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0],
            "env,policy,seed,success,max_reward,final_reward,steps,mode,phase_sequence,"
            "idle_fraction,longest_idle_streak,stalled,stuck,mean_squared_jerk,partial_scores,"
            "policy_calls,idle_steps,idle_counted_steps,mode_switches,phase_dwell,wall_s");
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(rows[static_cast<size_t>(k + 1)].rfind("pusht,diffusion," + std::to_string(100000 + k) + ",", 0), 0u)
        << rows[static_cast<size_t>(k + 1)];
  }

  // Same checkpoint, same seeds: the same rows (wall time aside).
  const std::string again = dir + "/again.csv";
  ASSERT_EQ(RunBcbench("eval --checkpoint " + run + " --episodes 3 --csv " + again).exit_code, 0);
  const auto rows_again = Lines(again);
  ASSERT_EQ(rows_again.size(), rows.size());
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(WithoutLastField(rows_again[i]), WithoutLastField(rows[i]));
  }
}

TEST(TrainEvalCli, BadTrainingInputExitsTwoNamingTheProblemAndWritesNothing) {
  const std::string dir = ScratchDir();
  const std::string demos = RecordDemos(dir);
  const std::string run = dir + "/run";
  struct Case {
    std::string args;
    std::string says;
  };
  const std::string base = "train --env pusht --out " + run + " ";
  const Case cases[] = {
      {"--policy nonesuch --data " + demos, "nonesuch"},
      {"--policy diffusion --data " + dir + "/absent.hdf5", "absent.hdf5"},
      {"--policy diffusion --data " + demos + " --set pred_horizon=15", "pred_horizon"},
      {"--policy diffusion --data " + demos + " --set action_horizon=20", "action_horizon"},
      {"--policy diffusion --data " + demos + " --set colour=red", "colour"},
      {"--policy diffusion --data " + demos + " --set lr", "key=value"},
      {"--policy diffusion --data " + demos + " --obs-key pixels", "pixels"},
      {"--policy diffusion --data " + demos + " --device tpu", "--device"},
      {"--policy diffusion --data " + demos + " --preset huge", "unknown preset 'huge'"},
      {"--policy diffusion --data " + demos + " --config " + dir + "/absent.yaml", "absent.yaml"},
  };
  for (const auto& c : cases) {
    const auto r = RunBcbench(base + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.says)) << c.args;
    EXPECT_FALSE(std::filesystem::exists(run + "/checkpoint.pt")) << c.args;
  }
  // Demos of one env cannot train a policy for another.
  const auto wrong_env = RunBcbench("train --env claw --policy diffusion --data " + demos +
                                    " --out " + run);
  EXPECT_EQ(wrong_env.exit_code, 2) << wrong_env.output;
  EXPECT_THAT(wrong_env.output, HasSubstr("pusht"));
}

TEST(TrainEvalCli, EvalOfAMissingOrCorruptCheckpointExitsTwoWithoutACsv) {
  const std::string dir = ScratchDir();
  const std::string csv = dir + "/eval.csv";
  const auto missing = RunBcbench("eval --checkpoint " + dir + "/nothing --episodes 2 --csv " + csv);
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("no such checkpoint"));

  std::filesystem::create_directories(dir + "/torn");
  std::ofstream(dir + "/torn/checkpoint.pt") << "not a checkpoint";
  const auto torn = RunBcbench("eval --checkpoint " + dir + "/torn --episodes 2 --csv " + csv);
  EXPECT_EQ(torn.exit_code, 2) << torn.output;
  EXPECT_THAT(torn.output, HasSubstr("torn/checkpoint.pt"));
  EXPECT_FALSE(std::filesystem::exists(csv));
}

}  // namespace
}  // namespace bcbench
