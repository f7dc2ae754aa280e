// The text drawn over every frame: which env and policy, step, reward,
// success, and the env's own phase and mode labels (Env::PhaseNames,
// ModeNames, Phase, Mode, StepMode), so nothing here knows any one env.
// Shared by the headless renderer and the interactive viewer.
#pragma once

#include <string>

#include <mujoco/mujoco.h>

#include "envs/env.h"

namespace bcbench {

struct FrameLabels {
  std::string env;
  std::string source;  // "expert", "replay F demo_k" or "<policy> (<checkpoint>)"
  int step = 0;
  int max_steps = 0;
  double reward = 0;
  bool success = false;
  std::string phase;      // Env::PhaseNames()[Phase()]
  std::string mode;       // the episode's mode (Env::Mode), "undecided" while -1
  std::string step_mode;  // the mode as of this step (Env::StepMode)
};

// The labels of `env`'s current state. Indices outside the name lists are
// shown as numbers rather than hidden.
FrameLabels LabelsOf(const Env& env, const std::string& source);

// The two columns mjr_overlay draws: titles and values, one line each.
struct OverlayText {
  std::string titles;
  std::string values;
};
OverlayText OverlayTextOf(const FrameLabels& labels);

// Draws the overlay in the top-left corner of `viewport` on the current
// buffer, with MuJoCo's normal font (mjr_overlay's shaded box).
void DrawOverlay(const OverlayText& text, const mjrRect& viewport, const mjrContext* context);

}  // namespace bcbench
