// `bcbench report DIR --renders` under Xvfb: one animated GIF per main-table
// cell that kept its checkpoint, shown in summary.md; cells without one and
// a missing display are named in the summary's Missing section, and the
// report is still written.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "benchmarks/report_fixture_suite.h"
#include "support/cli_checks.h"
#include "support/test_support.h"
#include "viz/gif_writer.h"

namespace bcbench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(ReportRenders, OneGifPerMethodWithACheckpointIsShownInTheSummary) {
  const std::string scratch = testing::ScratchDir();
  const std::string dir = scratch + "/suite";
  testing::WriteFixtureSuite(dir);
  // The fixture's Push-T MLP cell gets a real (tiny) checkpoint.
  const std::string demos = testing::RecordPushTDemos(scratch, 2);
  const std::string train = dir + "/cells/main-pusht-mlp-s0/train";
  const auto t = testing::RunBcbench("train --env pusht --policy mlp --data " + demos + " --out " +
                                     train + " --set hidden_dims=32,32 --set batch_size=16 --set "
                                     "warmup_steps=2 --steps 20");
  ASSERT_EQ(t.exit_code, 0) << t.output;

  const auto r = testing::RunBcbench("report " + dir + " --renders --render-seed 100003");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string gif = dir + "/report/rollouts/main-pusht-mlp-s0.gif";
  ASSERT_TRUE(std::filesystem::exists(gif)) << r.output;
  const GifAnimation animation = ReadGif(gif);
  EXPECT_EQ(animation.width, 256);
  EXPECT_GT(animation.frames.size(), 10u);
  const std::string md = Slurp(dir + "/report/summary.md");
  EXPECT_THAT(md, HasSubstr("## Rollouts"));
  EXPECT_THAT(md, HasSubstr("seed 100003"));
  EXPECT_THAT(md, HasSubstr("](rollouts/main-pusht-mlp-s0.gif)"));
  EXPECT_THAT(md, HasSubstr("without a checkpoint"));
  EXPECT_THAT(md, HasSubstr("main-claw-diffusion-s0"));
  EXPECT_THAT(r.output, HasSubstr("1 rollouts"));

  // Without a display the report is still written, and says why there are
  // no rollouts.
  const auto none = testing::RunBinary("env -u DISPLAY " + std::string(BCBENCH_BINARY),
                                       "report " + dir + " --out " + scratch + "/r2 --renders");
  ASSERT_EQ(none.exit_code, 0) << none.output;
  const std::string md2 = Slurp(scratch + "/r2/summary.md");
  EXPECT_THAT(md2, HasSubstr("rollouts not rendered"));
  EXPECT_THAT(md2, HasSubstr("DISPLAY"));
  EXPECT_FALSE(std::filesystem::exists(scratch + "/r2/rollouts/main-pusht-mlp-s0.gif"));
  // Without --renders there is no such section.
  ASSERT_EQ(testing::RunBcbench("report " + dir + " --out " + scratch + "/r3").exit_code, 0);
  EXPECT_THAT(Slurp(scratch + "/r3/summary.md"), Not(HasSubstr("## Rollouts")));
}

}  // namespace
}  // namespace bcbench
