// A realistic suite output folder for the report tests, built from the
// committed fixture (report_fixture/: manifest.json, cells.csv) plus the two
// long files generated here so that they stay consistent with it:
// episodes.csv (20 episodes per done cell, the successes cells.csv counts)
// and probe.csv (Push-T probe rollouts going round the left or the right of
// the T, drawn with the env's own geometry).
#pragma once

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "datasets/atomic_file.h"
#include "envs/pusht/pusht_env.h"
#include "envs/pusht/pusht_geometry.h"

namespace bcbench::testing {

struct FixtureCell {
  const char* id;
  const char* experiment;
  const char* env;
  const char* policy;
  const char* variant;
  int successes;  // of 20, as cells.csv's success column
};

// The done cells of report_fixture/manifest.json (e4-pusht-mlp-To=4-s0 is pending).
inline const std::vector<FixtureCell>& FixtureCells() {
  static const std::vector<FixtureCell> cells = {
      {"main-pusht-diffusion-s0", "main", "pusht", "diffusion", "", 15},
      {"main-pusht-lstm_gmm-s0", "main", "pusht", "lstm_gmm", "", 6},
      {"main-pusht-mlp-s0", "main", "pusht", "mlp", "", 3},
      {"main-claw-diffusion-s0", "main", "claw", "diffusion", "", 12},
      {"main-claw-lstm_gmm-s0", "main", "claw", "lstm_gmm", "", 7},
      {"main-claw-mlp-s0", "main", "claw", "mlp", "", 2},
      {"e4-pusht-diffusion-To=1-s0", "e4", "pusht", "diffusion", "To=1", 9},
      {"e4-pusht-diffusion-To=2-s0", "e4", "pusht", "diffusion", "To=2", 15},
      {"e4-pusht-diffusion-To=4-s0", "e4", "pusht", "diffusion", "To=4", 13},
      {"e4-pusht-mlp-To=1-s0", "e4", "pusht", "mlp", "To=1", 4},
      {"e4-pusht-mlp-To=2-s0", "e4", "pusht", "mlp", "To=2", 3},
  };
  return cells;
}
inline constexpr int kFixtureEpisodes = 20;

inline std::string FixtureEpisodesCsv() {
  std::string out =
      "suite,cell,experiment,variant,train_seed,env,policy,seed,success,max_reward,"
      "final_reward,steps,mode,phase_sequence,idle_fraction,longest_idle_streak,stalled,stuck,"
      "mean_squared_jerk,partial_scores,policy_calls\n";
  for (const FixtureCell& c : FixtureCells()) {
    const bool pusht = std::string(c.env) == "pusht";
    for (int e = 0; e < kFixtureEpisodes; ++e) {
      const bool success = e < c.successes;
      const char* mode = pusht ? (e % 2 ? "right" : "left") : (e % 3 == 0 ? "ball" : "cube");
      out += fmt::format(
          "fixture,{},{},{},0,{},{},{},{},{:.6f},{:.6f},{},{},{},{:.4f},{},{},{},{:.4f},,{}\n",
          c.id, c.experiment, c.variant, c.env, c.policy, 100000 + e, success ? 1 : 0,
          success ? 1.0 : 0.4 + 0.02 * e, success ? 1.0 : 0.3, success ? 120 : 300, mode,
          pusht ? "transit>push" : "approach>descend>grasp", 0.05, 4, e == 19 ? 1 : 0, 0, 1.5,
          success ? 15 : 38);
    }
  }
  return out;
}

// Probe rollouts in the probe block's frame (the bar's outer edge on y = 0,
// the stem's tip at y = 120, the agent starting 70 px below the bar): round
// the bar's end on one side, up past the stem, then in to push the stem's
// tip back. `side` is -1 (block-frame -x, labelled left) or +1.
inline std::vector<pusht::Vec2> ProbePathInBlockFrame(int side, double spread) {
  std::vector<pusht::Vec2> path;
  const pusht::Vec2 waypoints[] = {{0, -70},
                                   {side * (40 + spread), -55},
                                   {side * (85 + spread), -20},
                                   {side * (85 + spread), 60},
                                   {side * (45 + spread), 140},
                                   {side * 5.0, 150 + spread / 4},
                                   {0, 136}};
  for (size_t w = 0; w + 1 < std::size(waypoints); ++w) {
    for (int k = 0; k < 6; ++k) {
      const double t = k / 6.0;
      path.push_back({waypoints[w].x + t * (waypoints[w + 1].x - waypoints[w].x),
                      waypoints[w].y + t * (waypoints[w + 1].y - waypoints[w].y)});
    }
  }
  path.push_back(waypoints[std::size(waypoints) - 1]);
  return path;
}

// 8 rollouts per Push-T policy of the main experiment: diffusion 4 left /
// 4 right, lstm_gmm 7 left / 1 right, mlp 5 left / 3 right.
inline std::string FixtureProbeCsv() {
  std::string out = "cell,env,policy,variant,rollout,step,x,y,mode\n";
  const pusht::Pose2 probe = PushTEnv::ProbeBlockPose();
  const struct {
    const char* cell;
    const char* policy;
    int left;
  } methods[] = {{"main-pusht-diffusion-s0", "diffusion", 4},
                 {"main-pusht-lstm_gmm-s0", "lstm_gmm", 7},
                 {"main-pusht-mlp-s0", "mlp", 5}};
  for (const auto& m : methods) {
    for (int r = 0; r < 8; ++r) {
      const int side = r < m.left ? -1 : 1;
      const auto path = ProbePathInBlockFrame(side, 6.0 * (r % 4));
      for (size_t s = 0; s < path.size(); ++s) {
        const pusht::Vec2 w = pusht::ToWorld(probe, path[s]);
        // The label is decided once the agent is past the bar's end.
        const char* mode = s < 8 ? "none" : (side < 0 ? "left" : "right");
        out += fmt::format("{},pusht,{},,{},{},{:.3f},{:.3f},{}\n", m.cell, m.policy, r, s, w.x,
                           w.y, mode);
      }
    }
  }
  return out;
}

// Copies the fixture into `dir` and adds episodes.csv and probe.csv.
inline void WriteFixtureSuite(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path source = fs::path(BCBENCH_SOURCE_DIR) / "tests/benchmarks/report_fixture";
  fs::create_directories(dir);
  for (const char* file : {"manifest.json", "cells.csv"}) {
    fs::copy_file(source / file, fs::path(dir) / file, fs::copy_options::overwrite_existing);
  }
  WriteFileAtomically((fs::path(dir) / "episodes.csv").string(), FixtureEpisodesCsv());
  WriteFileAtomically((fs::path(dir) / "probe.csv").string(), FixtureProbeCsv());
}

}  // namespace bcbench::testing
