// bcbench render: one episode (expert, policy or recorded demo) drawn
// headless to PNG frames, a PNG still or an MP4 video. The work is
// viz/render_episode; this file parses and prints.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/episode_source_options.h"
#include "benchmarks/cli/validators.h"
#include "benchmarks/cli/progress.h"
#include "policies/policy_registry.h"
#include "viz/render_episode.h"

namespace bcbench {
namespace {

struct RenderArgs {
  EpisodeSourceArgs source;
  std::string out;
  int width = 512;
  int height = 512;
  std::string camera;
  int every = 1;
  int steps = 0;  // 0: the whole episode
  bool no_overlay = false;
  bool no_chunks = false;
};

void RunRender(const RenderArgs& a) {
  RenderEpisodeSpec spec;
  const EpisodeSource source = ToEpisodeSource(a.source);
  spec.episode = source.spec;
  spec.index = source.index;
  spec.out = a.out;
  spec.render.width = a.width;
  spec.render.height = a.height;
  spec.render.camera = a.camera;
  spec.overlay = !a.no_overlay;
  spec.draw_chunks = !a.no_chunks;
  spec.every = a.every;
  spec.max_steps = a.steps;
  // Progress lines once a second at most: the episode's steps, then frames.
  std::unique_ptr<Progress> stepping, drawing;
  spec.on_step = [&](int step, int max_steps) {
    const int total = a.steps > 0 ? std::min(a.steps, max_steps) : max_steps;
    if (!stepping) stepping = std::make_unique<Progress>("episode steps", static_cast<size_t>(total));
    stepping->Update(static_cast<size_t>(std::min(step, total)));
  };
  spec.on_frame = [&](size_t done, size_t total) {
    if (!drawing) drawing = std::make_unique<Progress>("frames", total);
    drawing->Update(done);
  };
  const RenderEpisodeResult r = RenderEpisode(spec);
  spdlog::info("rendered {} on {}{}: {} steps, success {}, final reward {:.3f}, from the {}",
               r.source, r.env,
               a.source.replay.empty() ? fmt::format(" seed {}", source.index) : "",
               r.steps, r.success ? "yes" : "no", r.final_reward, r.camera);
  fmt::print("wrote {}\n", r.output);
}

}  // namespace

void AddRenderCommand(CLI::App& app, CommandActions& actions) {
  auto a = std::make_shared<RenderArgs>();
  auto* cmd = app.add_subcommand(
      "render",
      "Render one episode headless: the scripted expert (default), a trained policy "
      "(--checkpoint) or a recorded demo (--replay F --demo k), with overlays (env, policy, "
      "step, reward, success, phase, mode) and a policy's predicted action chunk drawn in the "
      "scene (executed Ta steps in red). --out DIR/ writes DIR/frame_00000.png ..., F.png the "
      "last frame, F.gif an animated GIF, F.mp4 a video (needs the ffmpeg program). Needs an "
      "X display; on a "
      "machine without one run `xvfb-run -a bcbench render ...`.");
  AddEpisodeSourceOptions(*cmd, a->source, "render");
  cmd->add_option("--out", a->out,
                  "DIR/ (PNG frames), F.png (the last frame), F.gif (animation) or F.mp4 (video)")
      ->required();
  cmd->add_option("--width", a->width, "image width, pixels")
      ->check(WholeNumber(16, 8192))
      ->capture_default_str();
  cmd->add_option("--height", a->height, "image height, pixels")
      ->check(WholeNumber(16, 8192))
      ->capture_default_str();
  cmd->add_option("--camera", a->camera,
                  "model camera to render from (default: the env's `task` camera; `free`: "
                  "MuJoCo's free camera framing the whole model)");
  cmd->add_option("--every", a->every, "render every N-th control step (and the last)")
      ->check(WholeNumber(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--steps", a->steps, "stop after N control steps (0: the whole episode)")
      ->check(WholeNumber(0, 1000000))
      ->capture_default_str();
  cmd->add_flag("--no-overlay", a->no_overlay, "frames without the text overlay");
  cmd->add_flag("--no-chunks", a->no_chunks, "do not draw the policy's predicted action chunks");
  actions["render"] = [a]() { RunRender(*a); };
}

}  // namespace bcbench
