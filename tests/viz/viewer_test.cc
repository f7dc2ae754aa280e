// `bcbench view` in a real window under Xvfb (tests/viz/with_xvfb.sh): its
// screenshots show the scene (the T's and the agent's colours where their
// world positions project), keys and double clicks sent by xdotool act as in
// MuJoCo's simulate, stepping changes the picture, and without a display
// the error names `bcbench render`.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/demo_recorder.h"
#include "envs/registry.h"
#include "support/test_support.h"
#include "support/cli_checks.h"
#include "viz/chunk_geoms.h"
#include "viz/offscreen_renderer.h"
#include "viz/scene_checks.h"
#include "viz/video_writer.h"

namespace bcbench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace testing;  // NOLINT: the scene checks

constexpr int kWidth = 800;
constexpr int kHeight = 600;

// Push-T on `seed` after `steps` expert steps, as the viewer runs them.
std::unique_ptr<Env> PushTAfter(uint64_t seed, int steps) {
  auto env = MakeEnv("pusht");
  auto expert = MakeExpert(*env);
  env->Reset(seed);
  expert->Reset(seed);
  for (int i = 0; i < steps; ++i) env->Step(StoredAction(*env, expert->Act()));
  return env;
}

// Where a world point lands in the viewer's window (its task camera, same size).
ImagePoint InWindow(const Env& env, const std::array<mjtNum, 3>& world) {
  RenderOptions options;
  options.width = kWidth;
  options.height = kHeight;
  OffscreenRenderer renderer(env.Model(), options);
  renderer.Render(env.Data());
  const auto p = ProjectToImage(renderer.Scene(), world.data(), kWidth, kHeight);
  EXPECT_TRUE(p.has_value());
  return p.value_or(ImagePoint{-1, -1});
}

// The screenshot shows Push-T as `env` holds it: not blank, the T's colour
// around its projected bar and stem, the agent's around its centre.
void ExpectShowsPushT(const Image& image, const Env& env) {
  ASSERT_EQ(image.width, kWidth);
  ASSERT_EQ(image.height, kHeight);
  const mjModel* m = env.Model();
  std::map<std::string, int> counts;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) ++counts[NearestMaterial(m, image.pixel(x, y))];
  }
  EXPECT_GT(counts["floor"], kWidth * kHeight / 3) << "blank or wrong scene";
  EXPECT_GT(counts["block"], 2000) << "no T";
  EXPECT_GT(counts["agent"], 150) << "no agent";
  const auto& pusht = static_cast<const PushTEnv&>(env);
  for (const double local_y : {15.0, 75.0}) {
    const auto [hits, total] =
        MaterialAround(m, image, InWindow(env, OnTheT(pusht, 0.0, local_y)), "block");
    EXPECT_EQ(hits, total) << "the T's colour is not around its projected point (0, " << local_y
                           << ")";
  }
  const auto [hits, total] = MaterialAround(m, image, InWindow(env, AgentCentre(pusht)), "agent", 2);
  EXPECT_EQ(hits, total) << "the agent's colour is not around its projected centre";
}

TEST(Viewer, OpensAWindowAndItsScreenshotShowsTheScene) {
  const std::string dir = ScratchDir();
  const std::string size = fmt::format(" --width {} --height {}", kWidth, kHeight);
  const auto plain = RunBcbench("view --env pusht --seed 0 --paused --no-overlay --frames 3 "
                                "--screenshot " + dir + "/plain.png" + size);
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_THAT(plain.output, HasSubstr("view: seed 0: started (expert)"));
  EXPECT_THAT(plain.output, HasSubstr("saved screenshot " + dir + "/plain.png (step 0)"));
  const Image image = ReadPng(dir + "/plain.png");
  ExpectShowsPushT(image, *PushTAfter(0, 0));

  // The overlay (labels top left, key help bottom left) is drawn over the
  // same scene: the pictures differ on the left, not on the right.
  const auto labelled = RunBcbench("view --env pusht --seed 0 --paused --frames 3 --screenshot " +
                                   dir + "/labelled.png" + size);
  ASSERT_EQ(labelled.exit_code, 0) << labelled.output;
  const Image with_text = ReadPng(dir + "/labelled.png");
  int left = 0, right = 0;
  for (int y = 0; y < kHeight; ++y) {
    for (int x = 0; x < kWidth; ++x) {
      const bool differs = !std::equal(image.pixel(x, y), image.pixel(x, y) + 3, with_text.pixel(x, y));
      (x < kWidth / 3 ? left : right) += differs ? 1 : 0;
    }
  }
  EXPECT_GT(left, 2000) << "no overlay drawn";
  EXPECT_LT(right, left / 10) << "the overlay should not cover the scene's right part";
}

TEST(Viewer, KeysAndDoubleClicksActAsInMujocosSimulate) {
  if (!FindProgram("xdotool")) GTEST_SKIP() << "xdotool is not installed (./bcbench installs it)";
  const std::string dir = ScratchDir();
  const auto start = PushTAfter(0, 0);
  const ImagePoint t = InWindow(*start, OnTheT(static_cast<const PushTEnv&>(*start), 0.0, 75.0));
  // A script drives the real window: double-click the T, take a screenshot,
  // step 15 times, another screenshot, next seed, restart, resume, quit.
  const std::string script = dir + "/drive.sh";
  std::ofstream(script) << fmt::format(R"(set -u
"{bin}" view --env pusht --seed 0 --paused --no-overlay --width {w} --height {h} \
  --screenshot "{dir}/shot.png" > "{dir}/view.log" 2>&1 &
pid=$!
wid=$(timeout 60 xdotool search --sync --name "bcbench view" | head -n 1)
[ -n "$wid" ] || {{ echo "no viewer window"; kill $pid; exit 1; }}
sleep 1
# No window manager: keys go to the window under the pointer.
xdotool mousemove --window "$wid" {tx} {ty}
sleep 0.3
xdotool click --repeat 2 --delay 80 1
sleep 0.5
xdotool key ctrl+p
sleep 0.5
xdotool key --delay 60 Right Right Right Right Right Right Right Right Right Right Right Right Right Right Right
sleep 0.5
xdotool key ctrl+p
sleep 0.5
xdotool key bracketright
sleep 0.3
xdotool key BackSpace
sleep 0.3
xdotool key space
sleep 0.5
xdotool key Escape
for i in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then echo "viewer still running after Esc"; kill $pid; exit 1; fi
wait $pid
echo "viewer exit $?"
)",
                                       fmt::arg("bin", BCBENCH_BINARY), fmt::arg("dir", dir),
                                       fmt::arg("w", kWidth), fmt::arg("h", kHeight),
                                       fmt::arg("tx", static_cast<int>(t.x)),
                                       fmt::arg("ty", static_cast<int>(t.y)));
  const auto r = RunBinary("bash", script);
  std::ifstream in(dir + "/view.log");
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_THAT(r.output, HasSubstr("viewer exit 0")) << r.output << log;
  EXPECT_THAT(log, HasSubstr("view: selected block"));
  EXPECT_THAT(log, HasSubstr("saved screenshot " + dir + "/shot.png (step 0)"));
  EXPECT_THAT(log, HasSubstr("view: stepped to step 15"));
  EXPECT_THAT(log, HasSubstr("saved screenshot " + dir + "/shot-1.png (step 15)"));
  EXPECT_THAT(log, HasSubstr("view: seed 1: started"));
  EXPECT_THAT(log, HasSubstr("view: seed 1: restarted"));
  EXPECT_THAT(log, HasSubstr("view: resumed at step 0"));
  EXPECT_THAT(log, HasSubstr("viewer closed after"));

  // Both screenshots show the scene as the expert left it, and they differ.
  const Image before = ReadPng(dir + "/shot.png");
  const Image after = ReadPng(dir + "/shot-1.png");
  ExpectShowsPushT(before, *PushTAfter(0, 0));
  ExpectShowsPushT(after, *PushTAfter(0, 15));
  EXPECT_GT(DifferingPixels(before, after), 500) << "stepping did not change the picture";
}

TEST(Viewer, APolicyActsLiveWithItsPredictedChunksDrawn) {
  const std::string dir = ScratchDir();
  const std::string demos = RecordPushTDemos(dir, 2);
  const std::string run = dir + "/run";
  ASSERT_EQ(RunBcbench("train --env pusht --policy mlp --data " + demos + " --out " + run +
                       " --set hidden_dims=32,32 --set batch_size=16 --set warmup_steps=2 "
                       "--steps 20").exit_code, 0);
  // Unpaused for 40 frames at 5x speed: the policy steps the episode.
  const auto r = RunBcbench(fmt::format("view --checkpoint {} --seed 100000 --probe --samples 3 "
                                        "--speed 5 --frames 40 --no-overlay --width {} --height "
                                        "{} --screenshot {}/policy.png",
                                        run, kWidth, kHeight, dir));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("view: seed 100000: started (mlp (" + run + "))"));
  EXPECT_THAT(r.output, Not(HasSubstr("(step 0)"))) << "the policy did not act";
  const Image image = ReadPng(dir + "/policy.png");
  const testing::Rgb red = {255.0 * kExecutedChunkRgba[0], 255.0 * kExecutedChunkRgba[1],
                            255.0 * kExecutedChunkRgba[2]};
  int executed = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) executed += Distance(image.pixel(x, y), red) < 60;
  }
  EXPECT_GT(executed, 30) << "the executed actions of the chunk are not drawn";
}

TEST(Viewer, EveryEnvOpensWithItsTaskCamera) {
  const std::string dir = ScratchDir();
  std::map<std::string, Image> shots;
  for (const std::string& env : EnvNames()) {
    const std::string path = dir + "/" + env + ".png";
    const auto r = RunBcbench("view --env " + env + " --paused --frames 2 --width 320 --height 240 "
                              "--screenshot " + path);
    ASSERT_EQ(r.exit_code, 0) << env << ": " << r.output;
    const Image image = ReadPng(path);
    std::set<std::tuple<int, int, int>> colours;
    for (size_t i = 0; i < image.rgb.size(); i += 3) {
      colours.insert({image.rgb[i], image.rgb[i + 1], image.rgb[i + 2]});
    }
    EXPECT_GT(colours.size(), 50u) << env << ": a blank or flat picture";
    for (const auto& [other, picture] : shots) {
      EXPECT_GT(DifferingPixels(picture, image), 320 * 240 / 4) << env << " looks like " << other;
    }
    shots[env] = image;
  }
}

TEST(Viewer, WithoutADisplayTheErrorNamesTheHeadlessRender) {
  const auto none = RunBinary("env -u DISPLAY " + std::string(BCBENCH_BINARY), "view --env pusht");
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_THAT(none.output, HasSubstr("DISPLAY is not set"));
  EXPECT_THAT(none.output, HasSubstr("bcbench render"));
  EXPECT_THAT(none.output, HasSubstr("xvfb-run"));
  EXPECT_THAT(none.output, Not(HasSubstr("internal error")));
}

TEST(Viewer, BadInputExitsTwoNamingTheFix) {
  const std::string dir = ScratchDir();
  const std::map<std::string, std::string> cases = {
      {"view", "--env is required"},
      {"view --env nosuch", "nosuch"},
      {"view --env pusht --samples 3", "--samples"},
      {"view --env pusht --demo 2", "--replay"},
      {"view --env pusht --device cuda", "leave --device out"},
      {"view --replay " + dir + "/missing.hdf5", "missing.hdf5"},
      {"view --env pusht --speed 0", "--speed"},
      {"view --env pusht --camera nosuch --frames 1", "nosuch"},
      {"view --env pusht --probe --env-opt start=random", "--probe"},
      {"view --env pusht --screenshot " + dir, "--screenshot"},
  };
  for (const auto& [args, expected] : cases) {
    const auto r = RunBcbench(args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(expected)) << args;
    EXPECT_THAT(r.output, Not(HasSubstr("internal error"))) << args;
  }
}

}  // namespace
}  // namespace bcbench
