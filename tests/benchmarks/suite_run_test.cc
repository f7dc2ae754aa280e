// `bcbench bench` end to end through the real binary: the smoke suite writes
// every file with metrics in range; a second run does no work and touches no
// file; a run killed mid-cell and restarted, and two shards merged by
// copying, give the same episodes as one uninterrupted run.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cli_checks.h"

namespace bcbench {
namespace {

namespace fs = std::filesystem;
using testing::FileLines;
using testing::RunBcbench;
using testing::ScratchDir;
using ::testing::HasSubstr;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  for (std::string f; std::getline(ss, f, ',');) out.push_back(f);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

// Every file under `dir` with its bytes and modification time (ns).
std::map<std::string, std::pair<std::string, int64_t>> Snapshot(const std::string& dir) {
  std::map<std::string, std::pair<std::string, int64_t>> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    struct stat st {};
    ::stat(e.path().c_str(), &st);
    files[e.path().string()] = {ReadText(e.path().string()),
                                static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                                    st.st_mtim.tv_nsec};
  }
  return files;
}

// cells.csv without the wall-time columns (train_wall_s, eval_wall_s: 9, 10).
std::vector<std::string> CellsWithoutWallTimes(const std::string& path) {
  std::vector<std::string> rows;
  for (const auto& line : FileLines(path)) {
    auto f = Split(line);
    std::string row;
    for (size_t i = 0; i < f.size(); ++i) {
      if (i != 9 && i != 10) row += f[i] + ",";
    }
    rows.push_back(row);
  }
  return rows;
}

// A suite big enough to be killed in the middle of a training run: Push-T
// with a small Diffusion Policy and the MLP, 200 steps, checkpoints every 40.
// The `ta` cell changes only the MLP's action horizon, an eval key, so it
// evaluates the training of main-pusht-mlp-s0 (one training group).
std::string WriteResumeSuite(const std::string& dir) {
  const std::string path = dir + "/resume.yaml";
  std::ofstream out(path);
  out << "demos: {episodes: 6, seed: 0}\n"
         "train: {steps: 200, log_every: 10, checkpoint_every: 40, valid_every: 0}\n"
         "eval: {episodes: 2, probe_episodes: 2}\n"
         "envs: {pusht: {obs: keypoints}}\n"
         "policies:\n"
         "  diffusion: {set: {down_dims: [16, 32], step_embed_dim: 16, pred_horizon: 8,\n"
         "                    action_horizon: 4, batch_size: 32, warmup_steps: 5,\n"
         "                    inference_steps: 3}}\n"
         "  mlp: {set: {hidden_dims: [64, 64], batch_size: 32, warmup_steps: 5}}\n"
         "experiments:\n"
         "  main: {}\n"
         "  ta:\n"
         "    policies: [mlp]\n"
         "    grid: {action_horizon: [2]}\n";
  return path;
}

// The training step a cell's log has reached (0 before its first row).
int64_t LoggedStep(const std::string& cell_dir) {
  const auto lines = FileLines(cell_dir + "/train/train_log.csv");
  if (lines.size() < 2) return 0;
  return std::stoll(lines.back().substr(0, lines.back().find(',')));
}

// Starts `bcbench args` in the background (output to `log`), waits until the
// cell's training log passes `step`, sends `sig` and reaps it; returns its
// exit status (128 + signal when the signal ended it).
int KillMidCell(const std::string& args, const std::string& log, const std::string& cell_dir,
                int64_t step, int sig) {
  const std::string command = "exec " + std::string(BCBENCH_BINARY) + " " + args + " >" + log +
                              " 2>&1";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      ADD_FAILURE() << "the run ended before it could be killed:\n" << ReadText(log);
      return -1;
    }
    if (LoggedStep(cell_dir) >= step) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, sig);
  ::waitpid(pid, &status, 0);
  // The cell process dies with the runner (SIGKILL on the parent's death, or
  // SIGTERM from it); give the kernel a moment to finish it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

TEST(SuiteRun, SmokeWritesEveryFileAndASecondRunChangesNothing) {
  const std::string dir = ScratchDir();
  const std::string out = dir + "/smoke";
  const auto first = RunBcbench("bench --suite smoke --out " + out + " --jobs 2");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("15 of 15 cells complete (15 run now"));

  const nlohmann::json manifest = nlohmann::json::parse(ReadText(out + "/manifest.json"));
  EXPECT_EQ(manifest.at("suite"), "smoke");
  EXPECT_EQ(manifest.at("suite_hash").get<std::string>().size(), 16u);
  EXPECT_FALSE(manifest.at("git_commit").get<std::string>().empty());
  // The commit the binary was built from. `./bcbench test` builds before it
  // tests, so here that is the source tree's HEAD ("+dirty" when tracked
  // files differ from it), whatever the current directory's repository is.
  const auto head = testing::RunBinary("git", "-C '" BCBENCH_SOURCE_DIR "' rev-parse HEAD");
  if (head.exit_code == 0) {
    const std::string sha = head.output.substr(0, head.output.find('\n'));
    ASSERT_EQ(sha.size(), 40u) << head.output;
    EXPECT_THAT(manifest.at("git_commit").get<std::string>(),
                ::testing::MatchesRegex(sha + "(\\+dirty)?"));
  }
  EXPECT_GT(manifest.at("machine").at("cores").get<int>(), 0);
  EXPECT_FALSE(manifest.at("libtorch").get<std::string>().empty());
  EXPECT_EQ(manifest.at("mujoco"), "2.2.2");
  EXPECT_TRUE(manifest.at("shard").is_null());
  ASSERT_EQ(manifest.at("cells").size(), 15u);
  std::string first_finished = "9999";
  for (const auto& cell : manifest.at("cells")) {
    first_finished = std::min(first_finished, cell.at("finished").get<std::string>());
  }
  // `started` is when the run began (the manifest is written before the
  // demos and the first cell), not when its first cell ended.
  EXPECT_LT(manifest.at("started").get<std::string>(), first_finished);
  for (const auto& cell : manifest.at("cells")) {
    EXPECT_EQ(cell.at("status"), "done") << cell.dump();
    const std::string id = cell.at("id");
    EXPECT_TRUE(fs::exists(out + "/cells/" + id + "/done.json")) << id;
    EXPECT_TRUE(fs::exists(out + "/cells/" + id + "/train/checkpoint.pt")) << id;
    // Provenance per cell, since resumed runs and shards can come from other
    // machines or commits: the manifest repeats what done.json recorded.
    const auto done = nlohmann::json::parse(ReadText(out + "/cells/" + id + "/done.json"));
    EXPECT_EQ(cell.at("git_commit"), manifest.at("git_commit")) << id;
    EXPECT_EQ(cell.at("git_commit"), done.at("git_commit")) << id;
    EXPECT_EQ(cell.at("cpu"), done.at("cpu")) << id;
    EXPECT_EQ(cell.at("finished").get<std::string>().size(), 20u) << id;
  }

  // episodes.csv: 15 cells x 2 episodes, every row as wide as the header.
  const auto episodes = FileLines(out + "/episodes.csv");
  ASSERT_EQ(episodes.size(), 1u + 15 * 2);
  const auto header = Split(episodes[0]);
  EXPECT_EQ(std::vector<std::string>(header.begin(), header.begin() + 7),
            (std::vector<std::string>{"suite", "cell", "experiment", "variant", "train_seed",
                                      "env", "policy"}));
  EXPECT_EQ(std::find(header.begin(), header.end(), "wall_s"), header.end());
  const size_t max_reward_column =
      std::find(header.begin(), header.end(), "max_reward") - header.begin();
  ASSERT_LT(max_reward_column, header.size());
  for (size_t i = 1; i < episodes.size(); ++i) {
    const auto f = Split(episodes[i]);
    ASSERT_EQ(f.size(), header.size()) << episodes[i];
    EXPECT_EQ(f[0], "smoke");
    const double max_reward = std::stod(f[max_reward_column]);
    EXPECT_TRUE(max_reward >= 0 && max_reward <= 1) << episodes[i];
  }

  // cells.csv: every metric in range, estimates inside their intervals.
  const auto cells = FileLines(out + "/cells.csv");
  ASSERT_EQ(cells.size(), 16u);
  const auto columns = Split(cells[0]);
  for (const char* name : {"success", "score", "idle_fraction", "stall_rate", "stuck_rate",
                           "mean_squared_jerk", "mode_frac_left", "partial_p1"}) {
    EXPECT_NE(std::find(columns.begin(), columns.end(), name), columns.end()) << name;
  }
  for (size_t r = 1; r < cells.size(); ++r) {
    const auto f = Split(cells[r]);
    ASSERT_EQ(f.size(), columns.size()) << cells[r];
    EXPECT_EQ(f[7], "2");  // episodes
    for (size_t c = 11; c + 2 < f.size() + 1; c += 3) {
      const std::string& name = columns[c];
      if (f[c].empty()) continue;  // a metric another env has
      const double v = std::stod(f[c]);
      EXPECT_TRUE(std::isfinite(v)) << name;
      // Rates, fractions and divergences lie in [0, 1]; counts, steps and
      // jerk are >= 0.
      const bool unit = name == "success" || name == "score" || name == "mode_entropy" ||
                        name == "mode_jsd" || name.find("_rate") != std::string::npos ||
                        name.find("_fraction") != std::string::npos ||
                        name.find("mode_frac_") != std::string::npos ||
                        name.rfind("partial_", 0) == 0 || name.rfind("tr_", 0) == 0;
      EXPECT_GE(v, 0) << name << " in " << cells[r];
      if (unit) {
        EXPECT_LE(v, 1) << name << " in " << cells[r];
      }
      if (!f[c + 1].empty()) {
        EXPECT_LE(std::stod(f[c + 1]), v + 1e-9) << name;
        EXPECT_GE(std::stod(f[c + 2]), v - 1e-9) << name;
      }
    }
  }

  // probe.csv: only Push-T has a probe start; 5 policies x 2 rollouts.
  const auto probe = FileLines(out + "/probe.csv");
  ASSERT_GT(probe.size(), 1u);
  EXPECT_EQ(probe[0], "cell,env,policy,variant,rollout,step,x,y,mode");
  std::set<std::string> rollouts;
  for (size_t i = 1; i < probe.size(); ++i) {
    const auto f = Split(probe[i]);
    ASSERT_EQ(f.size(), 9u) << probe[i];
    EXPECT_EQ(f[1], "pusht");
    rollouts.insert(f[0] + "/" + f[4]);
    const double x = std::stod(f[6]), y = std::stod(f[7]);
    EXPECT_TRUE(x >= 0 && x <= 512 && y >= 0 && y <= 512) << probe[i];
  }
  EXPECT_EQ(rollouts.size(), 10u);

  const auto before = Snapshot(out);
  const auto second = RunBcbench("bench --suite smoke --out " + out + " --jobs 2");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("15 complete, 0 to run"));
  const auto after = Snapshot(out);
  EXPECT_EQ(before.size(), after.size());
  for (const auto& [path, content] : before) {
    ASSERT_TRUE(after.count(path)) << path;
    EXPECT_EQ(after.at(path).first, content.first) << path << " changed";
    EXPECT_EQ(after.at(path).second, content.second) << path << " was rewritten";
  }
}

TEST(SuiteRun, AKilledRunResumesToTheSameEpisodes) {
  const std::string dir = ScratchDir();
  const std::string suite = WriteResumeSuite(dir);
  const std::string bench = "--threads 1 bench --suite " + suite + " --out ";
  const auto whole = RunBcbench(bench + dir + "/whole");
  ASSERT_EQ(whole.exit_code, 0) << whole.output;

  const std::string out = dir + "/killed";
  // SIGTERM in the first cell's training: the runner stops its child and exits.
  EXPECT_EQ(KillMidCell(bench + out, dir + "/run1.log", out + "/cells/main-pusht-diffusion-s0",
                        70, SIGTERM),
            128 + SIGTERM)
      << ReadText(dir + "/run1.log");
  EXPECT_FALSE(fs::exists(out + "/cells/main-pusht-diffusion-s0/done.json"));
  // SIGKILL in the second cell's training: the child dies with the runner.
  EXPECT_EQ(KillMidCell(bench + out, dir + "/run2.log", out + "/cells/main-pusht-mlp-s0", 70,
                        SIGKILL),
            128 + SIGKILL)
      << ReadText(dir + "/run2.log");
  EXPECT_TRUE(fs::exists(out + "/cells/main-pusht-diffusion-s0/done.json"));
  EXPECT_FALSE(fs::exists(out + "/cells/main-pusht-mlp-s0/done.json"));
  EXPECT_THAT(ReadText(dir + "/run2.log"), HasSubstr("0 complete, 3 to run"));
  const auto resumed = RunBcbench(bench + out);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_THAT(resumed.output, HasSubstr("3 of 3 cells complete (2 run now, 1 already done)"));
  EXPECT_THAT(ReadText(out + "/cells/main-pusht-mlp-s0/log.txt"), HasSubstr("resuming from"));

  const std::string episodes = ReadText(dir + "/whole/episodes.csv");
  EXPECT_EQ(FileLines(dir + "/whole/episodes.csv").size(), 1u + 3 * 2);
  EXPECT_EQ(ReadText(out + "/episodes.csv"), episodes);
  EXPECT_EQ(ReadText(out + "/probe.csv"), ReadText(dir + "/whole/probe.csv"));
  EXPECT_EQ(CellsWithoutWallTimes(out + "/cells.csv"),
            CellsWithoutWallTimes(dir + "/whole/cells.csv"));
}

// The ta cell trained nothing: it evaluated main-pusht-mlp-s0's network with
// action_horizon=2, exactly as `bcbench eval --set action_horizon=2` does.
TEST(SuiteRun, ACellDifferingOnlyInEvalKeysEvaluatesTheSharedTraining) {
  const std::string dir = ScratchDir();
  const std::string suite = WriteResumeSuite(dir);
  const std::string out = dir + "/run";
  const auto run = RunBcbench("--threads 2 bench --suite " + suite + " --out " + out +
                              " --jobs 2");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string owner = out + "/cells/main-pusht-mlp-s0";
  const std::string ta = out + "/cells/ta-pusht-mlp-action_horizon=2-s0";
  EXPECT_TRUE(fs::exists(owner + "/train/checkpoint.pt"));
  EXPECT_FALSE(fs::exists(ta + "/train"));
  // It waited for the training instead of running beside it and redoing it:
  // one log whose steps only increase, to 200.
  const auto log = FileLines(owner + "/train/train_log.csv");
  ASSERT_GE(log.size(), 2u);
  int64_t last = 0;
  for (size_t i = 1; i < log.size(); ++i) {
    const int64_t step = std::stoll(log[i].substr(0, log[i].find(',')));
    EXPECT_GT(step, last) << "row " << i;
    last = step;
  }
  EXPECT_EQ(last, 200);
  const nlohmann::json done = nlohmann::json::parse(ReadText(ta + "/done.json"));
  EXPECT_EQ(done.at("train_dir"), "cells/main-pusht-mlp-s0/train");
  EXPECT_EQ(done.at("train_group_cells"), 2);
  EXPECT_EQ(done.at("train_steps_done"), 200);
  const nlohmann::json owner_done = nlohmann::json::parse(ReadText(owner + "/done.json"));
  EXPECT_EQ(done.at("train_key"), owner_done.at("train_key"));

  const auto eval = RunBcbench("--threads 1 eval --checkpoint " + owner +
                               "/train --episodes 2 --set action_horizon=2 --csv " + dir +
                               "/eval.csv");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  const auto expected = FileLines(dir + "/eval.csv");
  const auto got = FileLines(ta + "/episodes.csv");
  ASSERT_EQ(expected.size(), got.size());
  for (size_t i = 1; i < got.size(); ++i) {  // eval's rows end with wall_s
    EXPECT_EQ(expected[i].substr(0, expected[i].rfind(',')), got[i]) << "row " << i;
  }
  // and the horizon mattered: the owner's own rows (the default Ta) differ.
  EXPECT_NE(FileLines(owner + "/episodes.csv"), got);
}

// `--reuse DIR`: a cell whose training finished in another suite's folder
// evaluates a copy of it; a cell whose trained config differs trains anew.
TEST(SuiteRun, AnotherSuitesFinishedTrainingIsReusedOnlyWhereItIsTheSameRun) {
  const std::string dir = ScratchDir();
  const std::string first = dir + "/first";
  const auto a = RunBcbench("--threads 1 bench --suite " + WriteResumeSuite(dir) + " --out " +
                            first);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const auto before = Snapshot(first);

  // The same demos and trainings under other names, DP with another DDIM
  // step count (an eval key), and an MLP with a shorter schedule (not the same run).
  const std::string suite = dir + "/second.yaml";
  {
    std::ofstream out(suite);
    out << "demos: {episodes: 6, seed: 0}\n"
           "train: {steps: 200, log_every: 10, checkpoint_every: 40, valid_every: 0}\n"
           "eval: {episodes: 2, probe_episodes: 2}\n"
           "envs: {pusht: {obs: keypoints}}\n"
           "policies:\n"
           "  diffusion: {set: {down_dims: [16, 32], step_embed_dim: 16, pred_horizon: 8,\n"
           "                    action_horizon: 4, batch_size: 32, warmup_steps: 5,\n"
           "                    inference_steps: 2}}\n"
           "  mlp: {set: {hidden_dims: [64, 64], batch_size: 32, warmup_steps: 5}}\n"
           "experiments:\n"
           "  again: {}\n"
           "  short: {policies: [mlp], set: {train_steps: 100}}\n";
  }
  const std::string second = dir + "/second";
  const auto b = RunBcbench("--threads 1 bench --suite " + suite + " --out " + second +
                            " --reuse " + first);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  for (const char* id : {"again-pusht-diffusion-s0", "again-pusht-mlp-s0"}) {
    const std::string cell = second + "/cells/" + id;
    const std::string donor =
        first + "/cells/main-pusht-" + std::string(id).substr(12, std::string(id).size() - 15) +
        "-s0/train";
    EXPECT_THAT(ReadText(cell + "/log.txt"), HasSubstr("reusing the finished training")) << id;
    EXPECT_EQ(ReadText(cell + "/train/train_log.csv"), ReadText(donor + "/train_log.csv")) << id;
    const nlohmann::json done = nlohmann::json::parse(ReadText(cell + "/done.json"));
    EXPECT_EQ(done.at("train_reused_from"), fs::weakly_canonical(donor).string()) << id;
  }
  // The same network, the same eval keys: the same episodes.
  EXPECT_EQ(ReadText(second + "/cells/again-pusht-mlp-s0/episodes.csv"),
            ReadText(first + "/cells/main-pusht-mlp-s0/episodes.csv"));
  // A different schedule is a different run: trained here, 100 steps.
  const std::string short_cell = second + "/cells/short-pusht-mlp-s0";
  EXPECT_FALSE(fs::exists(short_cell + "/train/reused_from.txt"));
  EXPECT_THAT(ReadText(short_cell + "/log.txt"), ::testing::Not(HasSubstr("reusing")));
  const auto log = FileLines(short_cell + "/train/train_log.csv");
  ASSERT_GE(log.size(), 2u);
  EXPECT_EQ(log.back().substr(0, log.back().find(',')), "100");
  // The folder reused from is untouched.
  EXPECT_EQ(Snapshot(first), before);
  // A folder that is not a bench output is refused before any work.
  const auto bad = RunBcbench("bench --suite " + suite + " --out " + dir + "/third --reuse " + dir);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("holds no suite.yaml"));
  EXPECT_FALSE(fs::exists(dir + "/third"));
}

TEST(SuiteRun, TwoShardsMergedByCopyingEqualOneRun) {
  const std::string dir = ScratchDir();
  const std::string suite = WriteResumeSuite(dir);
  const std::string bench = "--threads 1 bench --suite " + suite;
  const auto whole = RunBcbench(bench + " --out " + dir + "/whole --jobs 2");
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  for (const char* shard : {"1/2", "2/2"}) {
    const std::string out = dir + "/shard" + std::string(1, shard[0]);
    const auto r = RunBcbench(bench + " --out " + out + " --shard " + shard);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const nlohmann::json manifest = nlohmann::json::parse(ReadText(out + "/manifest.json"));
    EXPECT_EQ(manifest.at("shard"), shard);
  }
  // shard 1/2 holds training group 0 (cell 0), shard 2/2 group 1 (cells 1 and 2)
  EXPECT_EQ(FileLines(dir + "/shard1/episodes.csv").size(), 1u + 1 * 2);
  EXPECT_EQ(FileLines(dir + "/shard2/episodes.csv").size(), 1u + 2 * 2);
  const std::string merged = dir + "/merged";
  for (const char* shard : {"/shard1", "/shard2"}) {
    fs::copy(dir + shard, merged, fs::copy_options::recursive | fs::copy_options::skip_existing);
  }
  const auto rebuilt = RunBcbench(bench + " --out " + merged);
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.output;
  EXPECT_THAT(rebuilt.output, HasSubstr("3 complete, 0 to run"));
  EXPECT_EQ(ReadText(merged + "/episodes.csv"), ReadText(dir + "/whole/episodes.csv"));
  EXPECT_EQ(ReadText(merged + "/probe.csv"), ReadText(dir + "/whole/probe.csv"));
  EXPECT_EQ(CellsWithoutWallTimes(merged + "/cells.csv"),
            CellsWithoutWallTimes(dir + "/whole/cells.csv"));
  const nlohmann::json manifest = nlohmann::json::parse(ReadText(merged + "/manifest.json"));
  EXPECT_TRUE(manifest.at("shard").is_null());
  for (const auto& cell : manifest.at("cells")) EXPECT_EQ(cell.at("status"), "done");
}

}  // namespace
}  // namespace bcbench
