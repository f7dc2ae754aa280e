// bcbench view: an interactive window (GLFW + MuJoCo's renderer) that shows
// an episode live: the scripted expert, a trained policy acting (with its
// predicted action chunks drawn in the scene) or a recorded demo replayed.
// Controls follow MuJoCo's own `simulate` viewer:
//   mouse   left drag rotates, right drag moves, scroll zooms,
//           double-click left selects a body, double-click right looks at
//           the clicked point;
//   keys    space pauses, right arrow steps one control step when paused,
//           backspace restarts the episode, [ and ] change the episode seed
//           (the demo of a replay), Ctrl+P saves a screenshot, F1 shows the
//           keys, Esc quits.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "viz/live_episode.h"

namespace bcbench {

struct ViewerOptions {
  LiveEpisodeSpec episode;
  uint64_t index = 0;  // the first episode's seed (demo number of a replay)
  int width = 1100;    // window size, screen pixels
  int height = 850;
  std::string camera;  // see ChooseCamera
  double speed = 1.0;  // playback speed: control steps per second = ControlHz x speed
  bool start_paused = false;
  bool overlay = true;
  // > 0: close after this many frames (scripted runs, tests); 0: until the
  // window is closed or Esc.
  int max_frames = 0;
  // Where Ctrl+P saves PNG screenshots: the first at this path, later ones
  // numbered (F-1.png, F-2.png, ...). Default "bcbench-view.png".
  std::string screenshot = "bcbench-view.png";
  // Saves a screenshot of the last frame when the viewer closes.
  bool screenshot_at_exit = false;
  // Every user action as one line ("paused at step 12", "seed 3: restarted",
  // "saved screenshot F"), for the log.
  std::function<void(const std::string&)> on_event;
};

struct ViewerResult {
  int frames = 0;
  int steps = 0;  // control steps of the episode on screen at the end
  uint64_t index = 0;
  int screenshots = 0;
};

// Throws RenderError when no window can be opened (the message names
// `bcbench render` as the headless way), and the errors of MakeLiveEpisode.
ViewerResult RunViewer(const ViewerOptions& options);

}  // namespace bcbench
