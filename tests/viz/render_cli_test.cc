// `bcbench render` through the real binary: frames of the expert, a policy or
// a replayed demo with the expected count, size and motion; a still; MP4 when
// ffmpeg is installed; exit 2 with the fix for bad input and for no display.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/demo_file.h"
#include "support/cli_checks.h"
#include "support/test_support.h"
#include "viz/scene_checks.h"
#include "viz/chunk_geoms.h"
#include "viz/frame_output.h"
#include "viz/gif_writer.h"
#include "viz/image.h"
#include "viz/video_writer.h"

namespace bcbench {
namespace {

using testing::DifferingPixels;
using testing::RunBcbench;
using testing::ScratchDir;
using ::testing::HasSubstr;

std::vector<Image> ReadFrames(const std::string& dir) {
  std::vector<Image> frames;
  for (size_t k = 0; std::filesystem::exists(dir + "/" + FrameFileName(k)); ++k) {
    frames.push_back(ReadPng(dir + "/" + FrameFileName(k)));
  }
  return frames;
}

TEST(RenderCli, ExpertEpisodeWritesOneFramePerRenderedStep) {
  const std::string dir = ScratchDir() + "/frames/";
  const auto r = RunBcbench("render --env pusht --seed 3 --steps 12 --every 4 --width 160 "
                            "--height 120 --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("wrote 4 PNG frames"));
  const auto frames = ReadFrames(dir);
  ASSERT_EQ(frames.size(), 4u) << "steps 0, 4, 8 and 12";
  for (const Image& f : frames) {
    EXPECT_EQ(f.width, 160);
    EXPECT_EQ(f.height, 120);
  }
  for (size_t k = 1; k < frames.size(); ++k) {
    EXPECT_GT(DifferingPixels(frames[k - 1], frames[k]), 50) << "frame " << k << " did not change";
  }

  // The still is the last frame, drawn the same.
  const std::string still = ScratchDir() + "/still.png";
  const auto s = RunBcbench("render --env pusht --seed 3 --steps 12 --width 160 --height 120 "
                            "--out " + still);
  ASSERT_EQ(s.exit_code, 0) << s.output;
  EXPECT_EQ(ReadPng(still).rgb, frames.back().rgb);
}

TEST(RenderCli, ProbeStartsFromTheEnvsProbeStateAsViewDoes) {
  const std::string dir = ScratchDir();
  const std::string size = " --steps 0 --no-overlay --width 96 --height 96 --out ";
  const auto probe = RunBcbench("render --env pusht --probe" + size + dir + "/probe.png");
  ASSERT_EQ(probe.exit_code, 0) << probe.output;
  const auto opt = RunBcbench("render --env pusht --env-opt start=probe" + size + dir + "/opt.png");
  ASSERT_EQ(opt.exit_code, 0) << opt.output;
  const auto seeded = RunBcbench("render --env pusht --seed 0" + size + dir + "/seed.png");
  ASSERT_EQ(seeded.exit_code, 0) << seeded.output;
  EXPECT_EQ(ReadPng(dir + "/probe.png").rgb, ReadPng(dir + "/opt.png").rgb);
  EXPECT_GT(DifferingPixels(ReadPng(dir + "/probe.png"), ReadPng(dir + "/seed.png")), 50);
}

TEST(RenderCli, ReplayedDemoDrawsTheRecordedEpisode) {
  const std::string dir = ScratchDir();
  const std::string demos = testing::RecordPushTDemos(dir, 2);
  const Demo demo = DemoFile::Open(demos).ReadDemo("demo_1");
  ASSERT_TRUE(demo.seed.has_value());
  // The whole demo: its steps and the state after the last one.
  const auto whole = RunBcbench("render --replay " + demos + " --demo 1 --every 1000 --width 64 "
                                "--height 64 --out " + dir + "/whole/");
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  EXPECT_THAT(whole.output, HasSubstr(fmt::format("{} steps", demo.num_samples())));
  EXPECT_EQ(ReadFrames(dir + "/whole").size(), demo.num_samples() < 1000 ? 2u : 3u);

  // Without overlays the replay's frames are the expert's on the demo's seed.
  const std::string common = " --steps 20 --every 5 --no-overlay --width 128 --height 128 --out ";
  const auto replay = RunBcbench("render --replay " + demos + " --demo 1" + common + dir + "/replay/");
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  const auto expert = RunBcbench("render --env pusht --seed " + std::to_string(*demo.seed) +
                                 common + dir + "/expert/");
  ASSERT_EQ(expert.exit_code, 0) << expert.output;
  const auto a = ReadFrames(dir + "/replay"), b = ReadFrames(dir + "/expert");
  ASSERT_EQ(a.size(), 5u);
  ASSERT_EQ(b.size(), 5u);
  for (size_t k = 0; k < a.size(); ++k) EXPECT_EQ(a[k].rgb, b[k].rgb) << "frame " << k;
  EXPECT_GT(DifferingPixels(a.front(), a.back()), 20);
}

TEST(RenderCli, PolicyCheckpointIsRenderedThroughTheEvaluationRunner) {
  const std::string dir = ScratchDir();
  const std::string demos = testing::RecordPushTDemos(dir, 2);
  const std::string run = dir + "/run";
  const auto train = RunBcbench("train --env pusht --policy mlp --data " + demos + " --out " + run +
                                " --set hidden_dims=32,32 --set batch_size=16 --set "
                                "warmup_steps=2 --steps 20");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const auto r = RunBcbench("render --checkpoint " + run + " --seed 100000 --steps 10 --width 96 "
                            "--height 96 --out " + dir + "/frames/");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("rendered mlp ("));
  EXPECT_THAT(r.output, HasSubstr("10 steps"));
  const auto frames = ReadFrames(dir + "/frames");
  ASSERT_EQ(frames.size(), 11u);
  EXPECT_GT(DifferingPixels(frames.front(), frames.back()), 10);
  // The checkpoint names its env; another --env is an error.
  const auto wrong = RunBcbench("render --checkpoint " + run + " --env claw --out " + dir + "/x.png");
  EXPECT_EQ(wrong.exit_code, 2) << wrong.output;
  EXPECT_THAT(wrong.output, HasSubstr("pusht"));
}

TEST(RenderCli, GifHasEveryFrameAtTheControlRateAndLoops) {
  const std::string dir = ScratchDir();
  const auto r = RunBcbench("render --env pusht --seed 3 --steps 12 --width 96 --height 80 "
                            "--out " + dir + "/episode.gif");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("13 frames as the animated GIF"));
  const GifAnimation gif = ReadGif(dir + "/episode.gif");
  EXPECT_EQ(gif.width, 96);
  EXPECT_EQ(gif.height, 80);
  ASSERT_EQ(gif.frames.size(), 13u) << "steps 0..12";
  EXPECT_TRUE(gif.loops);
  for (const int delay : gif.delays) EXPECT_EQ(delay, 10) << "Push-T runs at 10 Hz";
  for (size_t k = 1; k < gif.frames.size(); ++k) {
    EXPECT_GT(DifferingPixels(gif.frames[k - 1], gif.frames[k]), 10) << "frame " << k;
  }
  // Each frame is the PNG frame reduced to 256 colours: close, pixel by pixel.
  ASSERT_EQ(RunBcbench("render --env pusht --seed 3 --steps 12 --width 96 --height 80 --out " +
                       dir + "/png/").exit_code, 0);
  const auto png = ReadFrames(dir + "/png");
  ASSERT_EQ(png.size(), gif.frames.size());
  for (size_t k = 0; k < png.size(); k += 6) {
    double error = 0;
    for (size_t i = 0; i < png[k].rgb.size(); ++i) {
      error += std::abs(static_cast<int>(png[k].rgb[i]) - static_cast<int>(gif.frames[k].rgb[i]));
    }
    EXPECT_LT(error / static_cast<double>(png[k].rgb.size()), 4.0) << "frame " << k;
  }
}

TEST(RenderCli, PolicyChunksAreDrawnUnlessTurnedOff) {
  const std::string dir = ScratchDir();
  const std::string demos = testing::RecordPushTDemos(dir, 2);
  const std::string run = dir + "/run";
  ASSERT_EQ(RunBcbench("train --env pusht --policy mlp --data " + demos + " --out " + run +
                       " --set hidden_dims=32,32 --set batch_size=16 --set warmup_steps=2 "
                       "--steps 20").exit_code, 0);
  const std::string common = " --seed 100000 --steps 3 --width 160 --height 160 --no-overlay --out ";
  ASSERT_EQ(RunBcbench("render --checkpoint " + run + common + dir + "/chunks.png").exit_code, 0);
  const auto off = RunBcbench("render --checkpoint " + run + " --no-chunks" + common + dir +
                              "/plain.png");
  ASSERT_EQ(off.exit_code, 0) << off.output;
  const auto count = [](const Image& image, const float rgba[4]) {
    int n = 0;
    for (size_t i = 0; i < image.rgb.size(); i += 3) {
      const double d = std::hypot(image.rgb[i] - 255.0 * rgba[0], image.rgb[i + 1] - 255.0 * rgba[1],
                                  image.rgb[i + 2] - 255.0 * rgba[2]);
      if (d < 60) ++n;
    }
    return n;
  };
  const Image chunks = ReadPng(dir + "/chunks.png"), plain = ReadPng(dir + "/plain.png");
  EXPECT_GT(count(chunks, kExecutedChunkRgba), 20) << "no executed actions drawn";
  EXPECT_EQ(count(plain, kExecutedChunkRgba), 0);
  // The chunk changes nothing else: the agent and T are where they were.
  EXPECT_LT(DifferingPixels(chunks, plain), 160 * 160 / 4);
  // --samples needs a policy.
  const auto bad = RunBcbench("render --env pusht --samples 3 --out " + dir + "/x.png");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("--samples"));
}

TEST(RenderCli, Mp4HasEveryFrameAtTheControlRate) {
  if (!FindProgram("ffmpeg") || !FindProgram("ffprobe")) {
    GTEST_SKIP() << "ffmpeg is not installed (apt-get install ffmpeg): MP4 output is untested here";
  }
  const std::string video = ScratchDir() + "/episode.mp4";
  const auto r = RunBcbench("render --env pusht --seed 0 --steps 30 --width 160 --height 120 "
                            "--out " + video);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto probe = testing::RunBinary(
      "ffprobe", "-v error -count_frames -select_streams v:0 -show_entries "
                 "stream=nb_read_frames,width,height,r_frame_rate -of default=noprint_wrappers=1 " +
                     video);
  EXPECT_THAT(probe.output, HasSubstr("width=160"));
  EXPECT_THAT(probe.output, HasSubstr("height=120"));
  EXPECT_THAT(probe.output, HasSubstr("r_frame_rate=10/1"));
  EXPECT_THAT(probe.output, HasSubstr("nb_read_frames=31"));
}

// A stand-in `ffmpeg` on PATH records what it was given: the arguments and
// the bytes piped to it. This checks the pipe's side of MP4 output on
// machines without ffmpeg (the encoding itself is the test above).
std::string FakeFfmpeg(const std::string& dir, const std::string& body) {
  const std::string bin = dir + "/bin";
  std::filesystem::create_directories(bin);
  std::ofstream(bin + "/ffmpeg") << "#!/bin/bash\n" << body;
  std::filesystem::permissions(bin + "/ffmpeg", std::filesystem::perms::owner_all);
  return "PATH=" + bin + ":/usr/bin:/bin ";
}

TEST(RenderCli, Mp4PipesEveryFrameAsRawRgbToFfmpeg) {
  const std::string dir = ScratchDir();
  const std::string path = FakeFfmpeg(dir, R"(out="${@: -1}"
bytes=$(wc -c | tr -d ' ')
printf 'args %s\nbytes %s\n' "$*" "$bytes" > "$out"
)");
  const auto r = testing::RunBinary(path + BCBENCH_BINARY, "render --env pusht --seed 0 --steps 30 "
                                    "--every 2 --width 160 --height 120 --out " + dir + "/v.mp4");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto lines = testing::FileLines(dir + "/v.mp4");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("-f rawvideo -pix_fmt rgb24 -s 160x120 -framerate 5 -i pipe:0"))
      << "10 Hz control, every 2nd step: 5 frames per second";
  EXPECT_THAT(lines[0], HasSubstr("-c:v libx264 -pix_fmt yuv420p"));
  EXPECT_EQ(lines[1], "bytes " + std::to_string(16 * 160 * 120 * 3)) << "steps 0, 2, ..., 30";
  // Only the finished video remains, under its own name.
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    EXPECT_THAT(e.path().filename().string(), ::testing::Not(HasSubstr(".tmp-")));
  }
}

TEST(RenderCli, FfmpegThatFailsLeavesNoVideoAndExitsTwo) {
  const std::string dir = ScratchDir();
  const std::string path = FakeFfmpeg(dir, "echo 'Unknown encoder' >&2; exit 1\n");
  const auto r = testing::RunBinary(path + BCBENCH_BINARY, "render --env pusht --steps 30 "
                                    "--out " + dir + "/v.mp4");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Unknown encoder"));  // ffmpeg's own message
  EXPECT_THAT(r.output, HasSubstr("ffmpeg"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/v.mp4"));
}

TEST(RenderCli, Mp4WithoutFfmpegNamesTheInstallAndThePngAlternative) {
  const std::string dir = ScratchDir();
  // An empty PATH hides any installed ffmpeg.
  const auto r = testing::RunBinary("PATH=" + dir + " " BCBENCH_BINARY,
                                    "render --env pusht --steps 2 --out " + dir + "/v.mp4");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("apt-get install ffmpeg"));
  EXPECT_THAT(r.output, HasSubstr("--out DIR/"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/v.mp4"));
}

TEST(RenderCli, WithoutADisplayTheErrorSaysToUseXvfb) {
  const std::string dir = ScratchDir();
  const auto r = testing::RunBinary("env -u DISPLAY " BCBENCH_BINARY,
                                    "render --env pusht --steps 2 --out " + dir + "/s.png");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("xvfb-run -a bcbench render"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/s.png"));
  // An unreachable X server is reported the same way.
  const auto gone = testing::RunBinary("DISPLAY=:9999 " BCBENCH_BINARY,
                                       "render --env pusht --steps 2 --out " + dir + "/s.png");
  EXPECT_EQ(gone.exit_code, 2) << gone.output;
  EXPECT_THAT(gone.output, HasSubstr(":9999"));
  EXPECT_THAT(gone.output, HasSubstr("xvfb-run -a bcbench render"));
}

TEST(RenderCli, BadInputExitsTwoNamingTheFix) {
  const std::string dir = ScratchDir();
  const std::string demos = testing::RecordPushTDemos(dir, 2);
  std::ofstream(dir + "/file") << "in the way";
  struct Case {
    std::string args;
    std::string says;
  };
  const Case cases[] = {
      {"--env nosuch --out " + dir + "/a.png", "pusht"},  // lists the valid envs
      {"--out " + dir + "/a.png", "--env is required"},
      {"--replay " + demos + " --demo 7 --out " + dir + "/a.png", "holds 2 demos"},
      {"--replay " + dir + "/missing.hdf5 --out " + dir + "/a.png", "missing.hdf5"},
      {"--env pusht --out " + dir + "/file/sub/a.png", "is a file, not a folder"},
      {"--env pusht --out " + dir + "/a.avi", "a .mp4 file"},
      {"--env pusht --camera side --out " + dir + "/a.png", "'task'"},
      {"--env pusht --width 4 --out " + dir + "/a.png", "--width"},
      {"--env pusht --every 0 --out " + dir + "/a.png", "--every"},
      {"--replay " + demos + " --checkpoint " + dir + " --out " + dir + "/a.png", "excludes"},
      // The episode options and their checks are view's (episode_source_options.h).
      {"--replay " + demos + " --seed 3 --out " + dir + "/a.png", "--demo k"},
      {"--env pusht --demo 1 --out " + dir + "/a.png", "--replay"},
      {"--env pusht --samples 3 --out " + dir + "/a.png", "--checkpoint"},
      {"--env pusht --device cuda --out " + dir + "/a.png", "leave --device out"},
      {"--env pusht --probe --env-opt start=random --out " + dir + "/a.png", "disagree"},
  };
  for (const Case& c : cases) {
    const auto r = RunBcbench("render " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.says)) << c.args;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/a.png"));
}

}  // namespace
}  // namespace bcbench
