// PNG encoding, the choice of output by path, which steps become frames, and
// finding ffmpeg.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "viz/frame_output.h"
#include "viz/image.h"
#include "viz/render_episode.h"
#include "viz/render_error.h"
#include "viz/video_writer.h"

namespace bcbench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Image Gradient(int width, int height) {
  Image image;
  image.width = width;
  image.height = height;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.rgb.push_back(static_cast<uint8_t>(x * 7));
      image.rgb.push_back(static_cast<uint8_t>(y * 5));
      image.rgb.push_back(static_cast<uint8_t>((x + y) * 3));
    }
  }
  return image;
}

TEST(Png, RoundTripKeepsEveryPixelAndTheOrientation) {
  const std::string path = testing::ScratchDir() + "/sub/gradient.png";
  const Image image = Gradient(37, 21);
  WritePng(path, image);
  const Image back = ReadPng(path);
  EXPECT_EQ(back.width, 37);
  EXPECT_EQ(back.height, 21);
  EXPECT_EQ(back.rgb, image.rgb);
  // The PNG signature: a real PNG, not raw bytes.
  std::ifstream in(path, std::ios::binary);
  char signature[8] = {};
  in.read(signature, 8);
  EXPECT_EQ(std::string(signature + 1, 3), "PNG");
}

TEST(Png, ReadingSomethingElseSaysWhat) {
  const std::string path = testing::ScratchDir() + "/not.png";
  std::ofstream(path) << "plain text";
  EXPECT_THROW(ReadPng(path), RenderError);
  EXPECT_THROW(ReadPng(path + ".missing"), RenderError);
}

TEST(FrameOutput, KindFollowsThePath) {
  const std::string dir = testing::ScratchDir();
  EXPECT_EQ(FrameOutputKindOf("--out", dir + "/frames/"), FrameOutputKind::kPngFrames);
  EXPECT_EQ(FrameOutputKindOf("--out", dir), FrameOutputKind::kPngFrames);  // an existing folder
  EXPECT_EQ(FrameOutputKindOf("--out", dir + "/a.png"), FrameOutputKind::kPngStill);
  EXPECT_EQ(FrameOutputKindOf("--out", dir + "/a.MP4"), FrameOutputKind::kMp4);
  try {
    FrameOutputKindOf("--out", dir + "/a.avi");
    FAIL() << "an unknown suffix must throw";
  } catch (const RenderError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--out"));
    EXPECT_THAT(e.what(), HasSubstr(".mp4"));
  }
}

TEST(FrameOutput, FolderHoldsExactlyTheFramesOfTheLastRender) {
  const std::string dir = testing::ScratchDir() + "/frames/";
  {
    FrameOutput out("--out", dir, 8, 4, 10.0);
    for (int i = 0; i < 5; ++i) out.Add(Gradient(8, 4));
    out.Finish();
    EXPECT_EQ(out.frames(), 5u);
  }
  std::ofstream(dir + "notes.txt") << "kept";
  FrameOutput out("--out", dir, 8, 4, 10.0);
  for (int i = 0; i < 2; ++i) out.Add(Gradient(8, 4));
  out.Finish();
  EXPECT_THAT(out.Description(), HasSubstr("removed 3 frames"));
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAre("frame_00000.png", "frame_00001.png", "notes.txt"));
}

TEST(FrameOutput, StepsToRenderStartAtZeroAndEndAtTheLast) {
  EXPECT_THAT(FramesToRender(10, 3), ElementsAre(0, 3, 6, 9, 10));
  EXPECT_THAT(FramesToRender(9, 3), ElementsAre(0, 3, 6, 9));
  EXPECT_THAT(FramesToRender(4, 1), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(FramesToRender(0, 5), ElementsAre(0));
  EXPECT_THROW(FramesToRender(4, 0), std::invalid_argument);
}

TEST(VideoWriter, FindsProgramsOnPath) {
  const auto sh = FindProgram("sh");
  ASSERT_TRUE(sh.has_value());
  EXPECT_TRUE(std::filesystem::exists(*sh));
  EXPECT_FALSE(FindProgram("bcbench-no-such-program").has_value());
}

TEST(VideoWriter, OddSizesAreRefusedBeforeEncoding) {
  if (!FindProgram("ffmpeg")) GTEST_SKIP() << "ffmpeg is not installed (apt-get install ffmpeg)";
  EXPECT_THROW(CheckMp4Possible(161, 120), RenderError);
  EXPECT_NO_THROW(CheckMp4Possible(160, 120));
}

}  // namespace
}  // namespace bcbench
