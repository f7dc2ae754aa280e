#include "viz/render_episode.h"

#include <stdexcept>

#include <fmt/format.h>

#include "viz/frame_output.h"
#include "viz/live_episode.h"

namespace bcbench {

std::vector<int> FramesToRender(int steps, int every) {
  if (every < 1) throw std::invalid_argument(fmt::format("--every {} must be >= 1", every));
  std::vector<int> frames;
  for (int k = 0; k <= steps; k += every) frames.push_back(k);
  if (frames.back() != steps) frames.push_back(steps);
  return frames;
}

RenderEpisodeResult RenderEpisode(const RenderEpisodeSpec& spec) {
  if (spec.every < 1) throw std::invalid_argument(fmt::format("--every {} must be >= 1", spec.every));
  if (spec.max_steps < 0) {
    throw std::invalid_argument(fmt::format("--steps {} must be >= 0", spec.max_steps));
  }
  FrameOutputKindOf("--out", spec.out);  // the form of --out, before any work
  const std::unique_ptr<LiveEpisode> episode = MakeLiveEpisode(spec.episode);
  Env& env = episode->env();
  // The display and the output are checked before the episode runs.
  OffscreenRenderer renderer(env.Model(), spec.render);
  FrameOutput output("--out", spec.out, spec.render.width, spec.render.height,
                     env.ControlHz() / spec.every);

  // The episode runs to the end first, keeping the state after its start and
  // after every control step, with the chunk the policy acts on from there.
  struct Kept {
    std::vector<double> state;
    ChunkDrawing chunk;
  };
  episode->Start(spec.index);
  std::vector<Kept> kept = {{env.SimState(), episode->Chunks()}};
  const bool report_steps = !spec.episode.checkpoint.empty() && spec.on_step;
  while (!episode->Done() &&
         (spec.max_steps == 0 || static_cast<int>(kept.size()) <= spec.max_steps)) {
    episode->Step();
    kept.push_back({env.SimState(), episode->Chunks()});
    if (report_steps) spec.on_step(env.StepCount(), env.MaxSteps());
  }

  RenderEpisodeResult result;
  result.env = env.Name();
  result.source = episode->Label();
  result.camera = renderer.CameraDescription();
  result.steps = static_cast<int>(kept.size()) - 1;
  const std::vector<int> frames = FramesToRender(result.steps, spec.every);
  for (size_t i = 0; i < frames.size(); ++i) {
    const Kept& k = kept[static_cast<size_t>(frames[i])];
    env.SetSimState(k.state);
    const OverlayText text = OverlayTextOf(LabelsOf(env, result.source));
    output.Add(renderer.Render(env.Data(), spec.overlay ? &text : nullptr,
                               spec.draw_chunks ? &k.chunk : nullptr));
    if (spec.on_frame) spec.on_frame(i + 1, frames.size());
  }
  output.Finish();
  result.frames = output.frames();
  result.output = output.Description();
  result.success = env.Success();
  result.final_reward = env.Reward();
  return result;
}

}  // namespace bcbench
