// The offscreen renderer draws what the simulator holds: Push-T's T and agent
// where their world positions project through the camera, a frame that
// follows the state, the whole image at sizes beyond the model's offscreen
// buffer, the `task` camera or the free camera, and overlays with the env's
// own labels. Each test runs under its own Xvfb (tests/viz/with_xvfb.sh).
#include <array>
#include <cmath>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "envs/pusht/pusht_env.h"
#include "envs/registry.h"
#include "support/test_support.h"
#include "viz/scene_checks.h"
#include "viz/offscreen_renderer.h"
#include "viz/chunk_geoms.h"
#include "viz/render_error.h"

namespace bcbench {
namespace {

using ::testing::HasSubstr;
using namespace testing;  // NOLINT: the scene checks

ImagePoint Project(const OffscreenRenderer& renderer, const mjtNum world[3]) {
  const auto p = ProjectToImage(renderer.Scene(), world, renderer.width(), renderer.height());
  EXPECT_TRUE(p.has_value());
  return p.value_or(ImagePoint{-1, -1});
}

class PushTRender : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = MakeEnv("pusht");
    expert_ = MakeExpert(*env_);
    env_->Reset(0);
    expert_->Reset(0);
  }
  void StepExpert(int steps) {
    for (int i = 0; i < steps; ++i) env_->Step(expert_->Act());
  }
  const mjModel* model() const { return env_->Model(); }
  const PushTEnv& pusht() const { return static_cast<const PushTEnv&>(*env_); }

  std::unique_ptr<Env> env_;
  std::unique_ptr<Expert> expert_;
};

TEST_F(PushTRender, FrameShowsTheTAndTheAgentWhereTheyAre) {
  StepExpert(3);
  OffscreenRenderer renderer(model(), RenderOptions{});
  EXPECT_EQ(renderer.CameraDescription(), "camera 'task'");
  const Image image = renderer.Render(env_->Data());
  ASSERT_EQ(image.width, 512);
  ASSERT_EQ(image.height, 512);
  ASSERT_EQ(image.rgb.size(), 512u * 512u * 3u);

  // Not blank: the floor is the most common colour, yet far from all of it.
  std::map<std::string, int> counts;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) ++counts[NearestMaterial(model(), image.pixel(x, y))];
  }
  const int pixels = image.width * image.height;
  EXPECT_GT(counts["floor"], pixels / 2);
  EXPECT_GT(counts["block"], 3000) << "the T (6300 mm^2) covers 6430 px at this scale";
  EXPECT_GT(counts["agent"], 300) << "the agent covers 484 px (its darker rim counts elsewhere)";

  for (const double local_y : {15.0, 75.0}) {  // the bar's centre, the stem's
    const auto top = OnTheT(pusht(), 0.0, local_y);
    const auto [hits, total] = MaterialAround(model(), image, Project(renderer, top.data()), "block");
    EXPECT_EQ(hits, total) << "the T's colour is not around its projected point (0, " << local_y
                           << ") px";
  }
  const auto agent = AgentCentre(pusht());
  const ImagePoint agent_at = Project(renderer, agent.data());
  const auto [agent_hits, agent_total] = MaterialAround(model(), image, agent_at, "agent");
  EXPECT_EQ(agent_hits, agent_total) << "the agent's colour is not at its projected centre ("
                                     << agent_at.x << ", " << agent_at.y << ")";
  // The projection is exact to a pixel. The floor meets the right wall's
  // inner face (x = 504 mm, the floor 20 mm below the plane) in a sharp edge
  // where that point projects; beyond it the camera sees the wall's face.
  const mjtNum edge[3] = {0.504, 0.256, -0.02};
  const ImagePoint edge_at = Project(renderer, edge);
  int last_floor = 0;
  for (int x = 0; x < image.width; ++x) {
    if (NearestMaterial(model(), image.pixel(x, 256)) == std::string("floor")) last_floor = x;
  }
  EXPECT_NEAR(last_floor + 1.0, edge_at.x, 0.5) << "the floor's last pixel ends at the edge";
  // The agent's pixels centre on its projected centre. Off the optical axis
  // the camera also sees the sphere's side that faces the middle, lit less by
  // the overhead light and so counted less: the centroid sits outward by a
  // fraction of a pixel (0.4 and 0.7 px measured for offsets of 56 and 96 px).
  double sum_x = 0, sum_y = 0;
  int n = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      if (NearestMaterial(model(), image.pixel(x, y)) != std::string("agent")) continue;
      sum_x += x + 0.5, sum_y += y + 0.5, ++n;
    }
  }
  ASSERT_GT(n, 0);
  EXPECT_NEAR(sum_x / n, agent_at.x, 1.0);
  EXPECT_NEAR(sum_y / n, agent_at.y, 1.0);
  if (HasFailure()) {
    const std::string path = testing::ScratchDir() + "/frame.png";
    WritePng(path, image);
    ADD_FAILURE() << "the frame is " << path;
  }

  // And not everywhere: the workspace's far corner from the T shows the floor.
  const pusht::Pose2 block = pusht().BlockPose();
  const mjtNum corner[3] = {block.x < 256 ? 0.48 : 0.03, block.y < 256 ? 0.48 : 0.03, -0.02};
  const auto [floor_hits, floor_total] =
      MaterialAround(model(), image, Project(renderer, corner), "floor");
  EXPECT_EQ(floor_hits, floor_total);
}

TEST_F(PushTRender, FrameFollowsTheState) {
  OffscreenRenderer renderer(model(), RenderOptions{});
  const Image before = renderer.Render(env_->Data());
  EXPECT_EQ(DifferingPixels(before, renderer.Render(env_->Data())), 0)
      << "the same state must draw the same frame";
  StepExpert(5);
  const Image after = renderer.Render(env_->Data());
  // The agent (a sphere 30 mm, about 29 px, across) has moved by more than its size.
  EXPECT_GT(DifferingPixels(before, after), 300);
}

// Push-T's MJCF asks for a 512 x 512 offscreen buffer; a larger image is drawn
// whole (without the enlarged buffer its right and top bands stay black).
TEST_F(PushTRender, ImagesLargerThanTheModelsOffscreenBufferAreDrawnWhole) {
  StepExpert(3);
  RenderOptions options;
  options.width = 800;
  options.height = 600;
  OffscreenRenderer renderer(model(), options);
  const Image image = renderer.Render(env_->Data());
  ASSERT_EQ(image.width, 800);
  ASSERT_EQ(image.height, 600);
  // Floor just inside the workspace's right and top edges: beyond 512 px.
  const mjtNum right_top[3] = {0.49, 0.49, -0.02};
  const ImagePoint p = Project(renderer, right_top);
  EXPECT_GT(p.x, 600);
  EXPECT_LT(p.y, 100);  // 500 px above the bottom row
  const auto [hits, total] = MaterialAround(model(), image, p, "floor");
  EXPECT_EQ(hits, total);
  // The projection follows the wider aspect ratio too.
  const auto top = OnTheT(pusht(), 0.0, 15.0);
  const auto [block_hits, block_total] =
      MaterialAround(model(), image, Project(renderer, top.data()), "block");
  EXPECT_EQ(block_hits, block_total);
}

TEST(OffscreenRenderer, ModelWithoutATaskCameraIsFramedByTheFreeCamera) {
  const std::string dir = testing::ScratchDir();
  const std::string path = dir + "/box.xml";
  std::ofstream(path) << R"(<mujoco>
  <visual><headlight ambient="0.4 0.4 0.4" diffuse="0.6 0.6 0.6" specular="0 0 0"/></visual>
  <worldbody>
    <geom name="floor" type="plane" size="1 1 0.1" rgba="0.9 0.9 0.9 1"/>
    <geom name="box" type="box" pos="0.3 -0.2 0.1" size="0.1 0.1 0.1" rgba="0.9 0.1 0.1 1"/>
  </worldbody>
</mujoco>)";
  const MjModelPtr model = LoadModel(path);
  const MjDataPtr data = MakeData(model.get());
  mj_forward(model.get(), data.get());
  OffscreenRenderer renderer(model.get(), RenderOptions{});
  EXPECT_EQ(renderer.Camera().type, mjCAMERA_FREE);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(renderer.Camera().lookat[i], model->stat.center[i]);
  EXPECT_DOUBLE_EQ(renderer.Camera().distance, 1.5 * model->stat.extent);
  const Image image = renderer.Render(data.get());
  const mjtNum top[3] = {0.3, -0.2, 0.2};
  const ImagePoint p = Project(renderer, top);
  ASSERT_GE(p.x, 0);
  ASSERT_LT(p.x, image.width);
  ASSERT_GE(p.y, 0);
  ASSERT_LT(p.y, image.height);
  const uint8_t* pixel = image.pixel(static_cast<int>(p.x), static_cast<int>(p.y) + 2);
  EXPECT_GT(pixel[0], 2 * pixel[1]) << "the red box is not where it projects";
  EXPECT_GT(pixel[0], 2 * pixel[2]);
}

TEST_F(PushTRender, UnknownCameraNamesTheModelsCameras) {
  RenderOptions options;
  options.camera = "side";
  try {
    OffscreenRenderer renderer(model(), options);
    FAIL() << "an unknown camera must throw";
  } catch (const RenderError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'task'"));
    EXPECT_THAT(e.what(), HasSubstr("free"));
  }
  options.camera = "free";
  OffscreenRenderer free_camera(model(), options);
  EXPECT_EQ(free_camera.Camera().type, mjCAMERA_FREE);
}

// An env's labels come from the env: a Push-T with other names shows them.
class RelabelledPushT : public PushTEnv {
 public:
  using PushTEnv::PushTEnv;
  std::vector<std::string> PhaseNames() const override { return {"approach", "shove"}; }
  std::vector<std::string> ModeNames() const override { return {"west", "east"}; }
};

TEST(Overlay, ShowsTheEnvsOwnLabels) {
  RelabelledPushT env(EnvOptions{});
  env.Reset(0);
  FrameLabels labels = LabelsOf(env, "expert");
  EXPECT_EQ(labels.env, "pusht");
  EXPECT_EQ(labels.phase, "approach");
  EXPECT_EQ(labels.mode, "undecided");
  EXPECT_EQ(labels.step, 0);
  EXPECT_EQ(labels.max_steps, 300);
  auto expert = MakeExpert(env);
  expert->Reset(0);
  while (env.Mode() < 0 && env.StepCount() < env.MaxSteps()) env.Step(expert->Act());
  ASSERT_GE(env.Mode(), 0) << "the expert commits to a side";
  labels = LabelsOf(env, "expert");
  EXPECT_EQ(labels.mode, env.Mode() == 0 ? "west" : "east");
  EXPECT_EQ(labels.step, env.StepCount());
  const OverlayText text = OverlayTextOf(labels);
  EXPECT_THAT(text.titles, HasSubstr("phase"));
  EXPECT_THAT(text.values, HasSubstr(labels.mode));
  EXPECT_THAT(text.values, HasSubstr(fmt::format("{} / 300", env.StepCount())));
}

TEST_F(PushTRender, OverlayIsDrawnInTheTopLeftCornerOnly) {
  OffscreenRenderer renderer(model(), RenderOptions{});
  const Image plain = renderer.Render(env_->Data());
  const OverlayText text = OverlayTextOf(LabelsOf(*env_, "expert"));
  const Image labelled = renderer.Render(env_->Data(), &text);
  int top_left = 0, elsewhere = 0;
  for (int y = 0; y < plain.height; ++y) {
    for (int x = 0; x < plain.width; ++x) {
      const bool differs = !std::equal(plain.pixel(x, y), plain.pixel(x, y) + 3, labelled.pixel(x, y));
      if (!differs) continue;
      (x < plain.width / 2 && y < plain.height / 2 ? top_left : elsewhere)++;
    }
  }
  EXPECT_GT(top_left, 2000) << "the overlay's box and text";
  EXPECT_EQ(elsewhere, 0);
}

}  // namespace
}  // namespace bcbench

namespace bcbench {
namespace {

// How many pixels within `radius` of `at` are within 60 (of 441) of `rgba`.
int ColourAround(const Image& image, ImagePoint at, const float rgba[4], int radius) {
  const testing::Rgb c = {255.0 * rgba[0], 255.0 * rgba[1], 255.0 * rgba[2]};
  int hits = 0;
  for (int dy = -radius; dy <= radius; ++dy) {
    for (int dx = -radius; dx <= radius; ++dx) {
      const int x = static_cast<int>(at.x) + dx, y = static_cast<int>(at.y) + dy;
      if (x < 0 || y < 0 || x >= image.width || y >= image.height) continue;
      if (testing::Distance(image.pixel(x, y), c) < 60) ++hits;
    }
  }
  return hits;
}

// A hand-made chunk drawn into Push-T's scene: the executed actions in red
// and the rest of the executed sample in orange, each where its world point
// projects; another sample in blue; nothing red where no chunk was drawn.
TEST(ChunkGeoms, ExecutedAndPlannedActionsAndOtherSamplesAreDrawnWhereTheyProject) {
  auto env = MakeEnv("pusht");
  env->Reset(0);
  ChunkDrawing chunk;
  std::vector<std::array<double, 3>> executed, other;
  for (int i = 0; i < 8; ++i) {
    executed.push_back({0.10 + 0.02 * i, 0.40, 0.015});  // along y = 400 px
    other.push_back({0.10 + 0.02 * i, 0.10, 0.015});     // along y = 100 px
  }
  chunk.samples = {executed, other};
  chunk.executed_first = 0;
  chunk.executed_count = 4;
  OffscreenRenderer renderer(env->Model(), RenderOptions{});
  const Image plain = renderer.Render(env->Data());
  const Image drawn = renderer.Render(env->Data(), nullptr, &chunk);
  for (int i = 0; i < 8; ++i) {
    const ImagePoint p = Project(renderer, executed[static_cast<size_t>(i)].data());
    const float* colour = i < 4 ? kExecutedChunkRgba : kPlannedChunkRgba;
    EXPECT_GT(ColourAround(drawn, p, colour, 2), 5) << "action " << i;
    EXPECT_EQ(ColourAround(plain, p, kExecutedChunkRgba, 2), 0) << "action " << i;
    const ImagePoint q = Project(renderer, other[static_cast<size_t>(i)].data());
    EXPECT_GT(ColourAround(drawn, q, kOtherSampleRgba, 2), 0) << "other sample, action " << i;
  }
  // The scene holds a sphere per action and a segment between neighbours.
  mjvScene scene;
  mjv_defaultScene(&scene);
  mjv_makeScene(env->Model(), &scene, 100);
  EXPECT_EQ(AddChunkGeoms(chunk, env->Model()->stat.extent, &scene), 2 * (8 + 7));
  scene.ngeom = scene.maxgeom - 3;  // a full scene takes what fits
  EXPECT_EQ(AddChunkGeoms(chunk, env->Model()->stat.extent, &scene), 3);
  mjv_freeScene(&scene);
}

}  // namespace
}  // namespace bcbench
