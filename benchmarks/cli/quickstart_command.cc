// bcbench quickstart: the main job. Until the suite runner and the other
// envs and policies exist, it runs the most complete path that works:
// Push-T expert demos -> validation -> Diffusion Policy training (CPU
// recipe) -> evaluation on held-out seeds with per-episode CSV.
#include <filesystem>

#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"

namespace bcbench {

struct QuickstartArgs {
  std::string out = "runs/quickstart";
  int episodes = 200;
  int train_steps = 2000;
  int eval_episodes = 50;
};

void AddQuickstartCommand(CLI::App& app, CommandActions& actions) {
  auto a = std::make_shared<QuickstartArgs>();
  auto* cmd = app.add_subcommand(
      "quickstart",
      "The main job. Today: record Push-T expert demos, validate them, train Diffusion Policy "
      "(CPU UNet) on them and evaluate it on seeds 100000.. (success with a Wilson interval, "
      "score, idle fraction, modes; per-episode CSV). Resumable: run it again to continue. "
      "The other envs, the baselines and the suite runner join as their issues land.");
  cmd->add_option("--out", a->out, "output folder")->capture_default_str();
  cmd->add_option("--episodes", a->episodes, "Push-T demos to record")
      ->check(CLI::Range(2, 100000))
      ->capture_default_str();
  cmd->add_option("--train-steps", a->train_steps, "Diffusion Policy optimiser steps (batch 256)")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  cmd->add_option("--eval-episodes", a->eval_episodes, "evaluation episodes")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  actions["quickstart"] = [a]() {
    DemosArgs demos;
    demos.env = "pusht";
    demos.episodes = a->episodes;
    demos.out = a->out + "/pusht_demos.hdf5";
    demos.obs = "keypoints";
    if (std::filesystem::exists(demos.out)) {
      spdlog::info("quickstart 1/4: demos already recorded in {}", demos.out);
    } else {
      spdlog::info("quickstart 1/4: {} Push-T expert demos -> {}", demos.episodes, demos.out);
      RunDemos(demos);
    }
    spdlog::info("quickstart 2/4: validate and summarise {}", demos.out);
    InspectDemoFile(demos.out);
    spdlog::info("quickstart 3/4: train Diffusion Policy for {} steps -> {}/diffusion",
                 a->train_steps, a->out);
    TrainArgs train;
    train.env = "pusht";
    train.policy = "diffusion";
    train.data = demos.out;
    train.out = a->out + "/diffusion";
    train.steps = a->train_steps;
    RunTrain(train);
    spdlog::info("quickstart 4/4: evaluate on {} held-out seeds", a->eval_episodes);
    EvalArgs eval;
    eval.checkpoint = train.out;
    eval.episodes = a->eval_episodes;
    eval.csv = a->out + "/diffusion/eval.csv";
    RunEval(eval);
  };
}

}  // namespace bcbench
