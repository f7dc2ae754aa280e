// bcbench quickstart: the main job on the embedded default suite. Until the
// suite runner exists it runs the most complete path that works: expert demos
// for Push-T, then their validation and summary.
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"

namespace bcbench {

void AddQuickstartCommand(CLI::App& app, CommandActions& actions) {
  auto out_dir = std::make_shared<std::string>("runs/quickstart");
  auto episodes = std::make_shared<int>(50);
  auto* cmd = app.add_subcommand(
      "quickstart",
      "The main job. Today: record Push-T expert demos and validate/summarise them. Training, "
      "evaluation and the suite runner join as their issues land.");
  cmd->add_option("--out", *out_dir, "output folder")->capture_default_str();
  cmd->add_option("--episodes", *episodes, "Push-T demos to record")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  actions["quickstart"] = [out_dir, episodes]() {
    DemosArgs demos;
    demos.env = "pusht";
    demos.episodes = *episodes;
    demos.out = *out_dir + "/pusht_demos.hdf5";
    demos.obs = "keypoints";
    demos.idle_prob = 0.1;
    spdlog::info("quickstart 1/2: {} Push-T expert demos -> {}", demos.episodes, demos.out);
    RunDemos(demos);
    spdlog::info("quickstart 2/2: validate and summarise {}", demos.out);
    InspectDemoFile(demos.out);
    spdlog::info("quickstart: training, evaluation and the suite runner are not available yet; "
                 "this run stops after the demos.");
  };
}

}  // namespace bcbench
