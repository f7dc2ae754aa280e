// The bcbench command line (SPEC 3): help that explains, clear errors with
// exit 2 for bad input, no output file left behind on failure.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <torch/cuda.h>

#include "support/cli_checks.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

using testing::RunBcbench;
using testing::ScratchDir;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Cli, HelpListsEveryCommandOfTheContract) {
  const auto r = RunBcbench("--help");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* cmd : {"quickstart", "demos", "inspect", "train", "eval", "bench", "report",
                          "view", "render", "perf", "slurm", "--threads", "--log-level"}) {
    EXPECT_THAT(r.output, HasSubstr(cmd));
  }
}

TEST(Cli, EachCommandHasHelp) {
  for (const char* cmd : {"quickstart", "demos", "inspect", "train", "eval", "bench", "report",
                          "view", "render", "perf", "slurm", "slurm submit", "slurm status"}) {
    const auto r = RunBcbench(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.output;
    EXPECT_GT(r.output.size(), 80u) << cmd << " help is too thin";
  }
}

TEST(Cli, UnknownCommandOrOptionExitsTwo) {
  const auto unknown = RunBcbench("frobnicate");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.output, HasSubstr("unknown command 'frobnicate' for `bcbench`"));
  EXPECT_THAT(unknown.output, HasSubstr("quickstart, demos, inspect, train, eval"));
  const auto nested = RunBcbench("--threads 1 slurm frob");
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_THAT(nested.output, HasSubstr("unknown command 'frob' for `bcbench slurm`"));
  EXPECT_THAT(nested.output, HasSubstr("submit, status"));
  EXPECT_EQ(RunBcbench("inspect --no-such-option x.hdf5").exit_code, 2);
  EXPECT_EQ(RunBcbench("").exit_code, 2);
  const auto r = RunBcbench("--log-level loud inspect x.hdf5");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--log-level"));
}

TEST(Cli, ThreadsOptionSetsLibTorchThreads) {
  const auto r = RunBcbench("--threads 2 --log-level debug inspect /nonexistent.hdf5");
  EXPECT_THAT(r.output, HasSubstr("with 2 intra-op threads"));
  const auto one = RunBcbench("--threads 1 --log-level debug inspect /nonexistent.hdf5");
  EXPECT_THAT(one.output, HasSubstr("with 1 intra-op threads"));
}

// Numbers on the command line, across commands: a non-number, a negative
// count or seed, zero where one is the least, and a value past 64 bits are
// all refused with exit 2 and a message in words (never a 309-digit bound,
// never a wrapped seed).
TEST(Cli, NumberOptionsAreRefusedInWords) {
  const std::string dir = ScratchDir();
  struct Case {
    std::string args;
    std::string says;
  };
  const Case cases[] = {
      {"demos --env pusht --out " + dir + "/a.hdf5 --seed -1", "--seed: must be >= 0 (got -1)"},
      {"demos --env pusht --out " + dir + "/a.hdf5 --seed 99999999999999999999999",
       "is too large"},
      {"demos --env pusht --out " + dir + "/a.hdf5 --episodes abc", "'abc' is not a whole number"},
      {"demos --env pusht --out " + dir + "/a.hdf5 --episodes 0", "must be in 1..1000000 (got 0)"},
      {"train --env pusht --policy mlp --data x --out " + dir + "/t --log-every 0",
       "--log-every: must be >= 1 (got 0)"},
      {"train --env pusht --policy mlp --data x --out " + dir + "/t --seed 1.5",
       "'1.5' is not a whole number"},
      {"eval --checkpoint x --episodes -2", "must be in 1..100000 (got -2)"},
      {"eval --checkpoint x --policy-seed abc", "is not a whole number"},
      {"render --env pusht --out " + dir + "/a.png --demo -1", "--demo: must be >= 0"},
      {"view --env pusht --speed fast", "'fast' is not a number"},
      {"view --env pusht --speed 1000", "must be in [0.01, 100] (got 1000)"},
      {"report " + dir + " --render-seed -5", "--render-seed: must be >= 0"},
      {"bench --suite smoke --out " + dir + "/b --jobs 0", "--jobs: must be in 1..1024 (got 0)"},
      {"perf --rounds many", "'many' is not a whole number"},
      {"--threads -1 policies", "--threads: must be in 0.."},
  };
  for (const Case& c : cases) {
    const auto r = RunBcbench(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.says)) << c.args;
    EXPECT_THAT(r.output, Not(ContainsRegex("[0-9]{25}"))) << c.args << ": a number nobody can read";
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "a refused command wrote something";
}

// --device on a LibTorch without CUDA (this machine's) or an unknown device:
// exit 2 naming the fix, never LibTorch's "internal error" with a stack.
TEST(Cli, AnUnusableDeviceIsRefusedNamingTheFix) {
  const std::string dir = ScratchDir();
  const std::string demos = testing::RecordPushTDemos(dir, 2);
  const std::string run = dir + "/run";
  ASSERT_EQ(RunBcbench("train --env pusht --policy mlp --data " + demos + " --out " + run +
                       " --set hidden_dims=16 --set batch_size=8 --steps 2").exit_code, 0);
  for (const std::string device : {"cuda", "tpu"}) {
    for (const std::string& args :
         {"eval --checkpoint " + run + " --episodes 1 --csv " + dir + "/e.csv --device " + device,
          "train --env pusht --policy mlp --data " + demos + " --out " + dir + "/t2 --device " +
              device}) {
      if (device == "cuda" && torch::cuda::is_available()) continue;
      const auto r = RunBcbench(args);
      EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
      EXPECT_THAT(r.output, HasSubstr("--device")) << args;
      EXPECT_THAT(r.output, Not(HasSubstr("internal error"))) << args;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/e.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/t2"));
}

// A `demos` killed with SIGKILL leaves its temporary file; the next run
// writing into that folder removes it (and never shows a half-written file).
TEST(Cli, AKilledRunsTempFileIsRemovedByTheNextRunInThatFolder) {
  const std::string dir = ScratchDir();
  const std::string script = dir + "/kill.sh";
  std::ofstream(script) << "\"" BCBENCH_BINARY "\" demos --env pusht --episodes 400 --out " << dir
                        << "/a.hdf5 > /dev/null 2>&1 &\n"
                           "pid=$!\n"
                           "for i in $(seq 1 200); do ls " << dir << "/a.hdf5.tmp-* > /dev/null 2>&1 "
                           "&& break; sleep 0.05; done\n"
                           "sleep 0.3\nkill -9 $pid\nwait $pid 2>/dev/null\nls " << dir << "\n";
  const auto killed = testing::RunBinary("bash", script);
  ASSERT_THAT(killed.output, HasSubstr("a.hdf5.tmp-")) << "no temporary file to clean up";
  EXPECT_THAT(killed.output, Not(HasSubstr("a.hdf5\n"))) << "a killed run left a demo file";
  const auto next = RunBcbench("demos --env pusht --episodes 1 --out " + dir + "/b.hdf5");
  ASSERT_EQ(next.exit_code, 0) << next.output;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos)
        << entry.path() << " was left behind";
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/b.hdf5"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/a.hdf5"));
}

TEST(Cli, DemosRejectsBadArgumentsWithoutWritingAFile) {
  const std::string out = ScratchDir() + "/demos.hdf5";
  struct Case {
    std::string args;
    std::string says;
  };
  const Case cases[] = {
      {"--env nowhere", "unknown env 'nowhere'; valid envs: pusht"},
      {"--env pusht --idle-prob 1.5", "--idle-prob"},
      {"--env pusht --noise -1", "--noise"},
      {"--env pusht --mode-weights 1,2,3", "--mode-weights needs 2"},
      {"--env pusht --action-mode sideways", "sideways"},
      {"--env pusht --env-opt colour=red", "unknown option 'colour'"},
      {"--env pusht --obs pixels", "pixels"},
      {"--env pusht --obs state --env-opt obs=keypoints",
       "--obs says obs=state but --env-opt says obs=keypoints"},
      {"--env pusht --action-mode delta --env-opt action_mode=absolute",
       "--action-mode says action_mode=delta"},
      {"--env pusht --probe --env-opt start=random", "--probe says start=probe"},
      {"--env pusht --env-opt obs=state --env-opt obs=keypoints", "gives obs twice"},
  };
  for (const auto& c : cases) {
    const auto r = RunBcbench("demos --episodes 2 --out " + out + " " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.says)) << c.args;
    EXPECT_FALSE(std::filesystem::exists(out)) << c.args;
  }
  EXPECT_TRUE(std::filesystem::is_empty(std::filesystem::path(out).parent_path()));
}

// A FIFO or a device as an input file would block (or stream) forever; each
// command refuses it at once. `timeout 30` turns a hang into exit 124.
TEST(Cli, FifosAndDevicesAreRefusedInsteadOfRead) {
  const std::string dir = ScratchDir();
  const std::string fifo = dir + "/pipe";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string demos = dir + "/d.hdf5";
  ASSERT_EQ(RunBcbench("demos --env pusht --episodes 2 --out " + demos).exit_code, 0);
  struct Case {
    std::string args;
    std::string says;
  };
  const Case cases[] = {
      {"inspect " + fifo, "not a regular file"},
      {"inspect /dev/zero", "not a regular file"},
      {"train --env pusht --policy mlp --data " + fifo + " --out " + dir + "/run",
       "not a regular file"},
      {"eval --checkpoint " + fifo + " --episodes 1", "not a regular file"},
      {"bench --suite " + fifo + " --out " + dir + "/suite", "not a regular file"},
      {"bench --suite /dev/zero --out " + dir + "/suite", "not a regular file"},
      {"train --env pusht --policy mlp --data " + demos + " --out " + dir + "/run --config " + fifo,
       "not a regular file"},
  };
  for (const auto& c : cases) {
    const auto r = testing::RunBinary("timeout 30 " + std::string(BCBENCH_BINARY), c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.says)) << c.args;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/run"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/suite"));
}

// Errors go to stderr and are printed at any --log-level, off included.
TEST(Cli, ErrorsReachStderrEvenWithLoggingOff) {
  const std::string bin = BCBENCH_BINARY;
  // stderr only (stdout thrown away), logging off: the error is still there.
  const auto quiet = testing::RunBinary(
      "sh -c '" + bin + " --log-level off inspect /nonexistent.hdf5 2>&1 >/dev/null'", "");
  EXPECT_EQ(quiet.exit_code, 2);
  EXPECT_THAT(quiet.output, HasSubstr("/nonexistent.hdf5: no such file"));
  // stdout only: no error there.
  const auto out = testing::RunBinary("sh -c '" + bin + " inspect /nonexistent.hdf5 2>/dev/null'", "");
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_THAT(out.output, ::testing::Not(HasSubstr("no such file")));
}

// The main job end to end on the smoke suite: demos -> train -> eval ->
// probe -> rows -> report, every env x every policy; the main table is
// printed and the report's files exist. A second run does no training.
TEST(Cli, QuickstartRunsASuiteThenItsReportAndPrintsTheMainTable) {
  const std::string out = ScratchDir() + "/qs";
  const auto r = RunBcbench("--threads 2 quickstart --suite smoke --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("| env | policy | train seeds | episodes | success [95% CI]"));
  for (const char* env : {"pusht", "claw", "stack"}) {
    for (const char* policy : {"diffusion", "mlp", "lstm_gmm", "bet", "ibc"}) {
      EXPECT_THAT(r.output, HasSubstr(std::string("| ") + env + " | " + policy + " | 0 | 2 | "))
          << env << " x " << policy;
    }
  }
  for (const char* file : {"manifest.json", "episodes.csv", "cells.csv", "probe.csv",
                           "report/summary.md", "report/success.png", "report/probe_pusht.png"}) {
    EXPECT_TRUE(std::filesystem::exists(out + "/" + file)) << file;
  }
  const auto again = RunBcbench("--threads 2 quickstart --suite smoke --out " + out);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("15 complete, 0 to run"));
}

TEST(Cli, SlurmRefusesBadInputBeforeSubmittingAnything) {
  const std::string dir = ScratchDir();
  struct Case {
    std::string args;
    std::string says;
  };
  const Case cases[] = {
      {"slurm", "A subcommand is required"},
      {"slurm status " + dir + "/nowhere", "submit the suite first"},
      {"slurm submit --out " + dir + "/o", "needs --suite and --out"},
      {"slurm submit --suite nosuch --out " + dir + "/o", "nosuch"},
      {"slurm submit --suite smoke --out " + dir + "/o --array-size 99", "exceeds the suite's 15"},
      // e8's 11 cells share one training: one task holds them all.
      {"slurm submit --suite e8_sampling_latency --out " + dir + "/o --array-size 2",
       "11 cells in 1 training group(s)"},
      {"slurm submit --suite smoke --out " + dir + "/o --cpus 0", "--cpus"},
      {"slurm submit --resume " + dir + "/nowhere", "submit the suite first"},
  };
  for (const auto& c : cases) {
    const auto r = RunBcbench(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.says)) << c.args;
  }
  // No sbatch on the PATH: a clear message, nothing written.
  const auto r = testing::RunBinary("PATH=/nonexistent " + std::string(BCBENCH_BINARY),
                                    "slurm submit --suite smoke --out " + dir + "/o");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("sbatch not found"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/o"));
}

TEST(Cli, DemosThenInspectRoundTrip) {
  const std::string out = ScratchDir() + "/sub/demos.hdf5";
  const auto r = RunBcbench("demos --env pusht --episodes 3 --seed 5 --idle-prob 0.3 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto inspect = RunBcbench("inspect " + out);
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_THAT(inspect.output, HasSubstr("demos     3"));
  EXPECT_THAT(inspect.output, HasSubstr("keypoints (20,) float32"));
  EXPECT_THAT(inspect.output, HasSubstr("state (5,) float32"));
  EXPECT_THAT(inspect.output, HasSubstr("modes"));
  EXPECT_THAT(inspect.output, HasSubstr("transit"));
  EXPECT_THAT(inspect.output, HasSubstr("env_type 4"));
}

TEST(Cli, ClawDemosWithSkewedModeWeightsThenInspect) {
  const std::string out = ScratchDir() + "/claw.hdf5";
  const auto bad = RunBcbench("demos --env claw --episodes 2 --mode-weights 0.7,0.3 --out " + out);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("--mode-weights needs 3 non-negative weights (ball,cube,capsule)"));
  EXPECT_FALSE(std::filesystem::exists(out));
  const auto r =
      RunBcbench("demos --env claw --episodes 4 --seed 3 --mode-weights 0.7,0.2,0.1 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("expert success 4/4"));
  const auto inspect = RunBcbench("inspect " + out);
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_THAT(inspect.output, HasSubstr("demos     4"));
  EXPECT_THAT(inspect.output, HasSubstr("state (13,) float32"));
  EXPECT_THAT(inspect.output, HasSubstr("approach"));
  EXPECT_THAT(inspect.output, HasSubstr("release"));
  EXPECT_THAT(inspect.output, HasSubstr("ball"));
  EXPECT_THAT(inspect.output, HasSubstr("env_type 4"));
}

}  // namespace
}  // namespace bcbench
