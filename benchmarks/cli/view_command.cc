// bcbench view: the interactive MuJoCo viewer (viz/viewer.h). This file
// parses and prints; every user action in the window is logged as a line.
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "datasets/atomic_file.h"
#include "policies/policy_registry.h"
#include "viz/viewer.h"

namespace bcbench {
namespace {

struct ViewArgs {
  std::string env;
  std::string checkpoint;
  std::string replay;
  int demo = 0;
  uint64_t seed = 0;
  bool probe = false;
  std::vector<std::string> env_opts;
  std::string device = "cpu";
  uint64_t policy_seed = 0;
  int samples = 1;
  std::string camera;
  int width = 1100;
  int height = 850;
  double speed = 1.0;
  bool paused = false;
  bool no_overlay = false;
  int frames = 0;
  std::string screenshot;
};

void RunView(const ViewArgs& a, const CLI::Option* demo_given, const CLI::Option* seed_given) {
  ViewerOptions o;
  o.episode.env_name = a.env;
  for (const auto& s : a.env_opts) o.episode.env_options.push_back(ParseSetting(s));
  if (a.probe) {
    for (const auto& [key, value] : o.episode.env_options) {
      if (key == "start" && value != "probe") {
        throw UsageError("--probe and --env-opt start=" + value + " disagree; pass one of them");
      }
    }
    o.episode.env_options.emplace_back("start", "probe");
  }
  o.episode.checkpoint = a.checkpoint;
  o.episode.replay = a.replay;
  o.episode.device = a.device;
  o.episode.policy_seed = a.policy_seed;
  o.episode.chunk_samples = a.samples;
  if (!a.replay.empty() && seed_given->count() > 0) {
    throw UsageError("--seed does not apply to --replay, which shows a recorded demo: choose it "
                     "with --demo k");
  }
  if (a.replay.empty() && demo_given->count() > 0) {
    throw UsageError("--demo k chooses a demo of --replay F.hdf5; without --replay use --seed");
  }
  if (a.samples > 1 && a.checkpoint.empty()) {
    throw UsageError("--samples draws a policy's predicted chunks: it needs --checkpoint DIR");
  }
  o.index = a.replay.empty() ? a.seed : static_cast<uint64_t>(a.demo);
  o.camera = a.camera;
  o.width = a.width;
  o.height = a.height;
  o.speed = a.speed;
  o.start_paused = a.paused;
  o.overlay = !a.no_overlay;
  o.max_frames = a.frames;
  if (!a.screenshot.empty()) {
    o.screenshot = a.screenshot;
    o.screenshot_at_exit = a.frames > 0;
  }
  CheckWritableFile("--screenshot", o.screenshot);
  o.on_event = [](const std::string& line) { spdlog::info("view: {}", line); };
  const ViewerResult r = RunViewer(o);
  spdlog::info("viewer closed after {} frames ({} screenshots)", r.frames, r.screenshots);
}

}  // namespace

void AddViewCommand(CLI::App& app, CommandActions& actions) {
  auto a = std::make_shared<ViewArgs>();
  auto* cmd = app.add_subcommand(
      "view",
      "Watch an episode in an interactive MuJoCo window: the scripted expert (default), a "
      "trained policy acting live (--checkpoint; its predicted action chunk is drawn in the "
      "scene, the executed Ta steps in red, other samples in blue with --samples), or a recorded "
      "demo (--replay F --demo k). Mouse as in MuJoCo's simulate: left drag rotates, right "
      "drag moves, scroll zooms, double-click selects (left) or looks at (right). Keys: space "
      "pauses, right arrow steps when paused, backspace restarts, [ and ] change the seed (the "
      "demo of a replay), Ctrl+P saves a screenshot, F1 lists the keys, Esc quits. Needs a "
      "display; headless, use "
      "`bcbench render`.");
  cmd->add_option("--env", a->env,
                  "environment (required for the expert; taken from the checkpoint or demo "
                  "file otherwise)");
  auto* checkpoint = cmd->add_option("--checkpoint", a->checkpoint,
                                     "watch this policy (run folder or checkpoint.pt from train)");
  auto* replay = cmd->add_option("--replay", a->replay, "replay the demos of this demo file");
  checkpoint->excludes(replay);
  auto* demo = cmd->add_option("--demo", a->demo, "first demo of --replay shown: data/demo_<k>")
                   ->check(WholeNumber(0))
                   ->capture_default_str();
  auto* seed = cmd->add_option("--seed", a->seed, "first episode seed (expert or policy)")
                   ->check(WholeNumber(0))
                   ->capture_default_str();
  cmd->add_flag("--probe", a->probe, "start every episode from the env's probe state");
  cmd->add_option("--env-opt", a->env_opts,
                  "env option key=value (repeatable; over the checkpoint's or demo file's)");
  cmd->add_option("--device", a->device, "policy device: cpu or cuda")->capture_default_str();
  cmd->add_option("--policy-seed", a->policy_seed, "seed of the policy's sampling noise")
      ->check(WholeNumber(0))
      ->capture_default_str();
  cmd->add_option("--samples", a->samples,
                  "predicted chunks drawn per decision: the executed one plus samples from "
                  "other random streams (shows a policy's multimodality live)")
      ->check(WholeNumber(1, 64))
      ->capture_default_str();
  cmd->add_option("--camera", a->camera,
                  "model camera to start from (default: the env's `task` camera; `free`: "
                  "MuJoCo's free camera)");
  cmd->add_option("--width", a->width, "window width, screen pixels")
      ->check(WholeNumber(64, 8192))
      ->capture_default_str();
  cmd->add_option("--height", a->height, "window height, screen pixels")
      ->check(WholeNumber(64, 8192))
      ->capture_default_str();
  cmd->add_option("--speed", a->speed, "playback speed (1 = the env's control rate)")
      ->check(NumberIn(0.01, 100.0))
      ->capture_default_str();
  cmd->add_flag("--paused", a->paused, "start paused (right arrow steps)");
  cmd->add_flag("--no-overlay", a->no_overlay, "hide the text overlay and key help");
  cmd->add_option("--frames", a->frames,
                  "close after N frames (scripted runs; with --screenshot, the last frame is "
                  "saved); 0: until Esc or the window closes")
      ->check(WholeNumber(0, 100000000))
      ->capture_default_str();
  cmd->add_option("--screenshot", a->screenshot,
                  "PNG path of Ctrl+P screenshots (later ones numbered F-1.png, ...); default "
                  "bcbench-view.png");
  actions["view"] = [a, demo, seed]() { RunView(*a, demo, seed); };
}

}  // namespace bcbench
