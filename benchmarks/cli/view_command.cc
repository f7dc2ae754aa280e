// bcbench view: the interactive MuJoCo viewer (viz/viewer.h). This file
// parses and prints; every user action in the window is logged as a line.
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/episode_source_options.h"
#include "benchmarks/cli/validators.h"
#include "datasets/atomic_file.h"
#include "policies/policy_registry.h"
#include "viz/viewer.h"

namespace bcbench {
namespace {

struct ViewArgs {
  EpisodeSourceArgs source;
  std::string camera;
  int width = 1100;
  int height = 850;
  double speed = 1.0;
  bool paused = false;
  bool no_overlay = false;
  int frames = 0;
  std::string screenshot;
};

void RunView(const ViewArgs& a) {
  ViewerOptions o;
  const EpisodeSource source = ToEpisodeSource(a.source);
  o.episode = source.spec;
  o.index = source.index;
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
  AddEpisodeSourceOptions(*cmd, a->source, "watch");
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
  actions["view"] = [a]() { RunView(*a); };
}

}  // namespace bcbench
