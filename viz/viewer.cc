#include "viz/viewer.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <stdexcept>

#include <GLFW/glfw3.h>
#include <fmt/format.h>

#include "viz/gl_window.h"
#include "viz/image.h"
#include "viz/overlay.h"
#include "viz/render_error.h"
#include "viz/render_handles.h"
#include "viz/scene_view.h"

namespace bcbench {
namespace {

enum class Action { kTogglePause, kStep, kRestart, kPrevious, kNext, kScreenshot, kHelp, kQuit };

struct Click {
  int button = 0;
  double x = 0, y = 0;  // window coordinates
};

// What the GLFW callbacks share with the loop. Keys and double clicks are
// queued and applied in order by the loop, one screenshot per frame, so a
// screenshot shows exactly the actions before it.
struct InputState {
  const mjModel* model = nullptr;
  SceneView* view = nullptr;
  std::deque<Action> actions;
  std::deque<Click> double_clicks;
  bool left = false, right = false, middle = false;
  double last_x = 0, last_y = 0;
  double last_press[3] = {-1.0, -1.0, -1.0};
};

InputState& StateOf(GLFWwindow* window) {
  return *static_cast<InputState*>(glfwGetWindowUserPointer(window));
}

void OnKey(GLFWwindow* window, int key, int /*scancode*/, int action, int mods) {
  if (action == GLFW_RELEASE) return;
  InputState& s = StateOf(window);
  const bool press = action == GLFW_PRESS;
  switch (key) {
    case GLFW_KEY_SPACE:
      if (press) s.actions.push_back(Action::kTogglePause);
      break;
    case GLFW_KEY_RIGHT:  // held down, it keeps stepping
      s.actions.push_back(Action::kStep);
      break;
    case GLFW_KEY_BACKSPACE:
      if (press) s.actions.push_back(Action::kRestart);
      break;
    case GLFW_KEY_LEFT_BRACKET:
      if (press) s.actions.push_back(Action::kPrevious);
      break;
    case GLFW_KEY_RIGHT_BRACKET:
      if (press) s.actions.push_back(Action::kNext);
      break;
    case GLFW_KEY_P:
      if (press && (mods & GLFW_MOD_CONTROL)) s.actions.push_back(Action::kScreenshot);
      break;
    case GLFW_KEY_F1:
      if (press) s.actions.push_back(Action::kHelp);
      break;
    case GLFW_KEY_ESCAPE:
      if (press) s.actions.push_back(Action::kQuit);
      break;
    default:
      break;
  }
}

void OnMouseButton(GLFWwindow* window, int button, int action, int /*mods*/) {
  InputState& s = StateOf(window);
  const bool down = action == GLFW_PRESS;
  if (button == GLFW_MOUSE_BUTTON_LEFT) s.left = down;
  if (button == GLFW_MOUSE_BUTTON_RIGHT) s.right = down;
  if (button == GLFW_MOUSE_BUTTON_MIDDLE) s.middle = down;
  glfwGetCursorPos(window, &s.last_x, &s.last_y);
  if (!down || button < 0 || button > 2) return;
  const double now = glfwGetTime();
  if (s.last_press[button] >= 0 && now - s.last_press[button] < 0.4) {
    s.double_clicks.push_back({button, s.last_x, s.last_y});
    s.last_press[button] = -1.0;
  } else {
    s.last_press[button] = now;
  }
}

void OnCursor(GLFWwindow* window, double x, double y) {
  InputState& s = StateOf(window);
  const double dx = x - s.last_x, dy = y - s.last_y;
  s.last_x = x;
  s.last_y = y;
  if (!s.left && !s.right && !s.middle) return;
  int width = 0, height = 0;
  glfwGetWindowSize(window, &width, &height);
  if (height <= 0) return;
  const bool shift = glfwGetKey(window, GLFW_KEY_LEFT_SHIFT) == GLFW_PRESS ||
                     glfwGetKey(window, GLFW_KEY_RIGHT_SHIFT) == GLFW_PRESS;
  // As in `simulate`: left rotates, right moves, middle zooms; shift turns
  // vertical motion horizontal.
  mjtMouse action = mjMOUSE_ZOOM;
  if (s.right) {
    action = shift ? mjMOUSE_MOVE_H : mjMOUSE_MOVE_V;
  } else if (s.left) {
    action = shift ? mjMOUSE_ROTATE_H : mjMOUSE_ROTATE_V;
  }
  mjv_moveCamera(s.model, action, dx / height, dy / height, s.view->scene(),
                 &s.view->camera());
}

void OnScroll(GLFWwindow* window, double /*xoffset*/, double yoffset) {
  InputState& s = StateOf(window);
  mjv_moveCamera(s.model, mjMOUSE_ZOOM, 0, -0.05 * yoffset, s.view->scene(), &s.view->camera());
}

// F.png, then F-1.png, F-2.png, ...
std::string ScreenshotPath(const std::string& first, int index) {
  if (index == 0) return first;
  const std::filesystem::path p(first);
  return (p.parent_path() / fmt::format("{}-{}{}", p.stem().string(), index,
                                        p.extension().string()))
      .string();
}

constexpr char kHelpTitles[] =
    "space\nright arrow\nbackspace\n[  ]\nCtrl+P\nleft / right drag\nscroll\ndouble-click\nF1\nEsc";
constexpr char kHelpValues[] =
    "pause\nstep (paused)\nrestart\nprevious / next seed\nscreenshot\nrotate / move\nzoom\n"
    "select (left), look at (right)\nhide this help\nquit";

}  // namespace

ViewerResult RunViewer(const ViewerOptions& o) {
  if (o.width < 64 || o.height < 64 || o.width > 8192 || o.height > 8192) {
    throw std::invalid_argument(fmt::format("window size {}x{}: each side must be in 64..8192",
                                            o.width, o.height));
  }
  if (!(o.speed > 0.0 && o.speed <= 100.0)) {
    throw std::invalid_argument(fmt::format("--speed {} must be in (0, 100]", o.speed));
  }
  if (o.max_frames < 0) {
    throw std::invalid_argument(fmt::format("--frames {} must be >= 0", o.max_frames));
  }
  // The display first: without one nothing else matters.
  GlWindowOptions wo;
  wo.width = o.width;
  wo.height = o.height;
  wo.visible = true;
  wo.title = "bcbench view";
  wo.no_display_hint =
      "The viewer needs a display. Without one, render the episode headless instead: "
      "`xvfb-run -a bcbench render --env E [--checkpoint DIR | --replay F --demo k] "
      "--out F.mp4|F.gif|DIR/` (Debian package xvfb)";
  GlWindow window(wo);
  std::unique_ptr<LiveEpisode> episode = MakeLiveEpisode(o.episode);
  Env& env = episode->env();
  const mjModel* model = env.Model();
  // MuJoCo's font at 100% fits windows up to about 1200 px wide.
  MjrContextHandle context(model, o.width >= 1400 ? mjFONTSCALE_150 : mjFONTSCALE_100);
  mjr_setBuffer(mjFB_WINDOW, context.get());
  SceneView view(model, o.camera);
  mjvPerturb perturb;
  mjv_defaultPerturb(&perturb);
  glfwSetWindowTitle(window.get(), fmt::format("bcbench view: {}, {}", env.Name(),
                                               episode->Label()).c_str());

  InputState input;
  input.model = model;
  input.view = &view;
  glfwSetWindowUserPointer(window.get(), &input);
  glfwSetKeyCallback(window.get(), OnKey);
  glfwSetMouseButtonCallback(window.get(), OnMouseButton);
  glfwSetCursorPosCallback(window.get(), OnCursor);
  glfwSetScrollCallback(window.get(), OnScroll);

  const auto event = [&](const std::string& line) {
    if (o.on_event) o.on_event(line);
  };
  ViewerResult result;
  uint64_t index = o.index;
  bool announced_end = false;
  const auto start = [&](uint64_t i) {
    episode->Start(i);
    index = i;
    announced_end = false;
  };
  start(index);
  event(fmt::format("{} {}: started ({})", episode->IndexName(), index, episode->Label()));
  bool paused = o.start_paused;
  bool help = false;
  const double period = 1.0 / (env.ControlHz() * o.speed);
  double next_step = glfwGetTime();
  const auto try_start = [&](uint64_t i, const char* what) {
    try {
      start(i);
      event(fmt::format("{} {}: {}", episode->IndexName(), i, what));
    } catch (const std::invalid_argument& e) {
      event(fmt::format("cannot show {} {}: {}", episode->IndexName(), i, e.what()));
    }
    next_step = glfwGetTime();
  };

  while (!glfwWindowShouldClose(window.get())) {
    // About 60 frames a second; events wake the loop at once.
    glfwWaitEventsTimeout(1.0 / 60.0);
    bool screenshot = false;
    while (!input.actions.empty() && !screenshot) {
      const Action a = input.actions.front();
      input.actions.pop_front();
      switch (a) {
        case Action::kTogglePause:
          paused = !paused;
          next_step = glfwGetTime();
          event(fmt::format("{} at step {}", paused ? "paused" : "resumed", env.StepCount()));
          break;
        case Action::kStep:
          if (!paused) break;
          if (episode->Done()) {
            event(fmt::format("the episode is over at step {}; backspace restarts it",
                              env.StepCount()));
          } else {
            episode->Step();
            event(fmt::format("stepped to step {}", env.StepCount()));
          }
          break;
        case Action::kRestart:
          try_start(index, "restarted");
          break;
        case Action::kPrevious:
          if (index == 0) {
            event(fmt::format("{} 0 is the first", episode->IndexName()));
          } else {
            try_start(index - 1, "started");
          }
          break;
        case Action::kNext:
          try_start(index + 1, "started");
          break;
        case Action::kScreenshot:
          screenshot = true;
          break;
        case Action::kHelp:
          help = !help;
          break;
        case Action::kQuit:
          glfwSetWindowShouldClose(window.get(), GLFW_TRUE);
          break;
      }
    }
    if (glfwWindowShouldClose(window.get()) && !o.screenshot_at_exit) break;

    // Double clicks pick from the last drawn scene.
    int fb_width = 0, fb_height = 0, win_width = 0, win_height = 0;
    glfwGetFramebufferSize(window.get(), &fb_width, &fb_height);
    glfwGetWindowSize(window.get(), &win_width, &win_height);
    while (!input.double_clicks.empty()) {
      const Click c = input.double_clicks.front();
      input.double_clicks.pop_front();
      if (win_width <= 0 || win_height <= 0) continue;
      mjtNum point[3];
      int geom = -1, skin = -1;
      const int body = mjv_select(model, view.drawn(), &view.option(),
                                  static_cast<mjtNum>(fb_width) / fb_height, c.x / win_width,
                                  (win_height - c.y) / win_height, view.scene(), point, &geom,
                                  &skin);
      const char* name = body >= 0 ? mj_id2name(model, mjOBJ_BODY, body) : nullptr;
      const std::string body_name = name ? name : fmt::format("body {}", body);
      if (c.button == GLFW_MOUSE_BUTTON_LEFT) {
        perturb.select = body > 0 ? body : 0;
        event(body > 0 ? fmt::format("selected {}", body_name) : "selection cleared");
      } else if (c.button == GLFW_MOUSE_BUTTON_RIGHT && body >= 0) {
        mju_copy3(view.camera().lookat, point);
        event(fmt::format("looking at {:.3f} {:.3f} {:.3f} ({})", point[0], point[1], point[2],
                          body_name));
      }
    }

    // Real time: control steps as the clock says, without catching up
    // after a stall.
    if (!paused && !episode->Done()) {
      const double now = glfwGetTime();
      int steps = 0;
      while (now >= next_step && steps < 5 && !episode->Done()) {
        episode->Step();
        next_step += period;
        ++steps;
      }
      if (now >= next_step) next_step = now + period;
    }
    if (episode->Done() && !announced_end) {
      announced_end = true;
      event(fmt::format("episode over at step {}: success {}, reward {:.3f}", env.StepCount(),
                        env.Success() ? "yes" : "no", env.Reward()));
    }

    const mjrRect viewport = {0, 0, fb_width, fb_height};
    const ChunkDrawing chunk = episode->Chunks();
    view.Update(env.Data(), &chunk, &perturb);
    mjr_render(viewport, view.scene(), context.get());
    if (o.overlay) {
      OverlayText text = OverlayTextOf(LabelsOf(env, episode->Label()));
      text.titles += "\n" + episode->IndexName() + "\n ";
      text.values += fmt::format("\n{}\n{}", index,
                                 paused ? "PAUSED" : (episode->Done() ? "episode over" : ""));
      DrawOverlay(text, viewport, context.get());
      if (help) {
        mjr_overlay(mjFONT_NORMAL, mjGRID_BOTTOMLEFT, viewport, kHelpTitles, kHelpValues,
                    context.get());
      } else {
        mjr_overlay(mjFONT_NORMAL, mjGRID_BOTTOMLEFT, viewport, "F1", "help", context.get());
      }
    }
    ++result.frames;
    const bool last = (o.max_frames > 0 && result.frames >= o.max_frames) ||
                      glfwWindowShouldClose(window.get());
    if (screenshot || (last && o.screenshot_at_exit)) {
      const std::string path = ScreenshotPath(o.screenshot, result.screenshots);
      WritePng(path, ReadImage(viewport, context.get()));
      ++result.screenshots;
      event(fmt::format("saved screenshot {} (step {})", path, env.StepCount()));
    }
    glfwSwapBuffers(window.get());
    if (last) break;
  }
  result.steps = env.StepCount();
  result.index = index;
  return result;
}

}  // namespace bcbench
