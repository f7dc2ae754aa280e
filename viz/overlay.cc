#include "viz/overlay.h"

#include <fmt/format.h>

namespace bcbench {
namespace {

std::string NameOf(const std::vector<std::string>& names, int index, const char* unset) {
  if (index < 0) return unset;
  if (static_cast<size_t>(index) < names.size()) return names[static_cast<size_t>(index)];
  return std::to_string(index);
}

}  // namespace

FrameLabels LabelsOf(const Env& env, const std::string& source) {
  FrameLabels labels;
  labels.env = env.Name();
  labels.source = source;
  labels.step = env.StepCount();
  labels.max_steps = env.MaxSteps();
  labels.reward = env.Reward();
  labels.success = env.Success();
  labels.phase = NameOf(env.PhaseNames(), env.Phase(), "none");
  const auto modes = env.ModeNames();
  labels.mode = NameOf(modes, env.Mode(), "undecided");
  labels.step_mode = NameOf(modes, env.StepMode(), "undecided");
  return labels;
}

OverlayText OverlayTextOf(const FrameLabels& l) {
  OverlayText text;
  text.titles = "env\npolicy\nstep\nreward\nsuccess\nphase\nmode";
  // The episode's mode, and the step's own when it has switched since.
  const std::string mode =
      l.step_mode == l.mode ? l.mode : fmt::format("{} (now {})", l.mode, l.step_mode);
  text.values = fmt::format("{}\n{}\n{} / {}\n{:.3f}\n{}\n{}\n{}", l.env, l.source, l.step,
                            l.max_steps, l.reward, l.success ? "yes" : "no", l.phase, mode);
  return text;
}

void DrawOverlay(const OverlayText& text, const mjrRect& viewport, const mjrContext* context) {
  mjr_overlay(mjFONT_NORMAL, mjGRID_TOPLEFT, viewport, text.titles.c_str(), text.values.c_str(),
              context);
}

}  // namespace bcbench
