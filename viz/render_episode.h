// One episode rendered to frames, as `bcbench render` runs it: the scripted
// expert, a trained policy (through the evaluation runner's stepper), or a
// recorded demo replayed (viz/live_episode.h). The episode is first run to
// the end, keeping the env's SimState and the policy's predicted chunk after
// its start and after every control step; then each kept state is restored
// into the env and drawn with its labels and chunk.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "viz/live_episode.h"
#include "viz/offscreen_renderer.h"

namespace bcbench {

struct RenderEpisodeSpec {
  LiveEpisodeSpec episode;  // what to show: the expert, a policy or a replay
  uint64_t index = 0;       // the expert's or policy's seed; a replay's demo number
  std::string out;          // DIR/, F.png or F.mp4 (frame_output.h)
  RenderOptions render;
  bool overlay = true;
  bool draw_chunks = true;  // a policy's predicted action chunks (episode.chunk_samples)
  int every = 1;      // render every N-th control step (and always the last)
  int max_steps = 0;  // > 0: stop the episode after this many control steps
  // Progress: a policy's control steps so far (with the episode's step
  // limit; the expert and replays take no time to speak of), then the frames
  // written so far (with their total).
  std::function<void(int step, int max_steps)> on_step;
  std::function<void(size_t done, size_t total)> on_frame;
};

struct RenderEpisodeResult {
  std::string env;
  std::string source;   // what the overlay calls it
  std::string camera;   // DescribeCamera
  std::string output;   // FrameOutput::Description
  int steps = 0;        // control steps of the episode
  size_t frames = 0;
  bool success = false;
  double final_reward = 0;
};

// The control steps drawn from an episode of `steps` steps: 0, every,
// 2 every, ... and always `steps` itself.
std::vector<int> FramesToRender(int steps, int every);

// Throws RenderError, EnvError, DemoFileError, CheckpointError or
// std::invalid_argument for input the user can fix, each naming the fix.
RenderEpisodeResult RenderEpisode(const RenderEpisodeSpec& spec);

}  // namespace bcbench
