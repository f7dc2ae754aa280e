// Checks through the real binary that every policy's CLI tests share: demo
// recording, CSV rows, the printed score, rows that must not depend on
// batching, threads or shards, and trained-vs-untrained on held-out seeds.
#pragma once

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace bcbench::testing {

inline std::vector<std::string> FileLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A CSV's rows without the header and the wall-time field (the last), which
// no run repeats.
inline std::vector<std::string> CsvRows(const std::string& csv) {
  std::vector<std::string> rows;
  const auto lines = FileLines(csv);
  for (size_t i = 1; i < lines.size(); ++i) rows.push_back(lines[i].substr(0, lines[i].rfind(',')));
  return rows;
}

// `episodes` Push-T expert demos (keypoints) in dir/demos.hdf5.
inline std::string RecordPushTDemos(const std::string& dir, int episodes,
                                    const std::string& extra = "") {
  const std::string demos = dir + "/demos.hdf5";
  const auto r = RunBcbench("demos --env pusht --episodes " + std::to_string(episodes) +
                            " --obs keypoints --out " + demos + " " + extra);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return demos;
}

// The score the eval summary prints: "score (mean max reward) 0.161 [...".
inline double PrintedScore(const std::string& output) {
  const std::string key = "score (mean max reward) ";
  const auto at = output.find(key);
  if (at == std::string::npos) return -1;
  return std::stod(output.substr(at + key.size()));
}

// Runs `eval_prefix` (e.g. "eval --checkpoint DIR ") + args with --csv into
// dir/name.csv and returns its rows.
inline std::vector<std::string> EvalRows(const std::string& dir, const std::string& args,
                                         const std::string& name) {
  const std::string csv = dir + "/" + name + ".csv";
  const auto r = RunBcbench(args + " --csv " + csv);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return CsvRows(csv);
}

// Seeds 100000..100009 batched, one by one, on one thread and as two shards
// of 5 give the same rows; returns the batched rows for further checks.
inline std::vector<std::string> ExpectRowsIndependentOfBatching(const std::string& dir,
                                                                const std::string& eval_prefix) {
  const auto batched = EvalRows(dir, eval_prefix + "--episodes 10", "batched");
  EXPECT_EQ(batched.size(), 10u);
  EXPECT_EQ(EvalRows(dir, eval_prefix + "--episodes 10 --unbatched", "single"), batched);
  EXPECT_EQ(EvalRows(dir, "--threads 1 " + eval_prefix + "--episodes 10", "one_thread"), batched);
  auto shards = EvalRows(dir, eval_prefix + "--episodes 5", "shard0");
  const auto second = EvalRows(dir, eval_prefix + "--episodes 5 --seed-base 100005", "shard1");
  shards.insert(shards.end(), second.begin(), second.end());
  EXPECT_EQ(shards, batched);
  return batched;
}

struct HeldOutScores {
  double trained = -1, untrained = -1;
  std::string output;  // both evaluations' output, for failure messages
};

// Trains `train_command --out dir/trained --steps steps` and the same with
// --steps 1 (with warm-up its one step has learning rate 0: the untrained
// network), evaluates both on seeds 100000..100019 and prints both scores.
inline HeldOutScores TrainedVsUntrained(const std::string& dir, const std::string& train_command,
                                        int steps, const std::string& label) {
  HeldOutScores s;
  const auto trained =
      RunBcbench(train_command + " --out " + dir + "/trained --steps " + std::to_string(steps));
  EXPECT_EQ(trained.exit_code, 0) << trained.output;
  const auto untrained = RunBcbench(train_command + " --out " + dir + "/untrained --steps 1");
  EXPECT_EQ(untrained.exit_code, 0) << untrained.output;
  const std::string eval = " --episodes 20 --seed-base 100000";
  const auto a = RunBcbench("eval --checkpoint " + dir + "/trained" + eval);
  const auto b = RunBcbench("eval --checkpoint " + dir + "/untrained" + eval);
  EXPECT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(b.exit_code, 0) << b.output;
  s.trained = PrintedScore(a.output);
  s.untrained = PrintedScore(b.output);
  s.output = a.output + b.output;
  std::printf("%s held-out score: trained %.3f, untrained %.3f\n", label.c_str(), s.trained,
              s.untrained);
  return s;
}

}  // namespace bcbench::testing
