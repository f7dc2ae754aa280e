// `bcbench report`: the CSV reader, the summary's numbers and sections, the
// figures (real PNGs through gnuplot), partial folders and malformed input.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "benchmarks/report/csv_table.h"
#include "benchmarks/report/figures.h"
#include "benchmarks/report/gnuplot.h"
#include "benchmarks/report/suite_data.h"
#include "benchmarks/report/summary.h"
#include "benchmarks/report_fixture_suite.h"
#include "support/test_support.h"
#include "viz/image.h"

namespace bcbench {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- the CSV reader ----

TEST(ReportCsv, ReadsFieldsByColumnNameAndEmptyOrNanAsNoValue) {
  const CsvTable t = CsvTable::Parse("a,b,c\n1,x,\n2.5,y,nan\n", "t.csv");
  ASSERT_EQ(t.Rows(), 2u);
  EXPECT_EQ(t.Text(1, "b"), "y");
  EXPECT_DOUBLE_EQ(t.Number(1, "a"), 2.5);
  EXPECT_TRUE(std::isnan(t.Number(0, "c")));
  EXPECT_TRUE(std::isnan(t.Number(1, "c")));
  EXPECT_EQ(t.Line(1), 3);
}

TEST(ReportCsv, AShortLineIsAnErrorNamingFileAndLine) {
  try {
    CsvTable::Parse("a,b,c\n1,2,3\n4,5\n", "dir/cells.csv");
    FAIL() << "no error";
  } catch (const ReportInputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("dir/cells.csv:3: 2 fields where the header has 3"));
  }
}

TEST(ReportCsv, ANonNumberIsAnErrorNamingLineAndColumn) {
  const CsvTable t = CsvTable::Parse("a,score\n1,0.5\n2,0.5x\n", "e.csv");
  EXPECT_DOUBLE_EQ(t.Number(0, "score"), 0.5);
  try {
    t.Number(1, "score");
    FAIL() << "no error";
  } catch (const ReportInputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("e.csv:3: column 'score': '0.5x' is not a number"));
  }
}

TEST(ReportCsv, QuotedFieldsDuplicateAndMissingColumnsAreRefused) {
  EXPECT_THROW(CsvTable::Parse("a,b\n\"1,2\",3\n", "q.csv"), ReportInputError);
  EXPECT_THROW(CsvTable::Parse("a,a\n1,2\n", "d.csv"), ReportInputError);
  EXPECT_THROW(CsvTable::Parse("", "empty.csv"), ReportInputError);
  const CsvTable t = CsvTable::Parse("a,b\n1,2\n", "m.csv");
  try {
    t.RequireColumns({"a", "cell", "env"});
    FAIL() << "no error";
  } catch (const ReportInputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("m.csv:1: the header lacks the column(s) cell, env"));
  }
}

TEST(ReportVariant, SplitsKeyValuePairsAndRefusesAPartWithoutEquals) {
  const auto parts = ParseVariant("To=2;action_mode=delta", "x");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1], std::make_pair(std::string("action_mode"), std::string("delta")));
  EXPECT_TRUE(ParseVariant("", "x").empty());
  EXPECT_THROW(ParseVariant("To2", "x"), ReportInputError);
}

// ---- the summary from in-memory cells ----

TEST(ReportSummary, FormatsEstimatesWithThreeDecimalsAndTheirInterval) {
  const double nan = std::nan("");
  EXPECT_EQ(FormatEstimate({0.75, 0.5312993, 0.8881378}), "0.750 [0.531, 0.888]");
  EXPECT_EQ(FormatEstimate({0.0042, nan, nan}), "0.004");
  EXPECT_EQ(FormatEstimate({nan, nan, nan}), "n/a");
  EXPECT_EQ(FormatValue({0.25, 0.1, 0.4}), "0.250");
}

TEST(ReportSummary, PartialScoresGetATableWhenACellHasThem) {
  SuiteData data;
  data.dir = "d";
  CellResult c;
  c.cell = "main-stack-bet-s0";
  c.experiment = "main";
  c.env = "stack";
  c.policy = "bet";
  c.episodes = 50;
  c.metrics["success"] = {0.1, 0.04, 0.21};
  c.metrics["partial_p1"] = {0.96, 0.865, 0.989};
  c.metrics["partial_p2"] = {0.7, 0.562, 0.809};
  data.cells.push_back(c);
  const std::string md = SummaryMarkdown(data, {}, {});
  EXPECT_THAT(md, HasSubstr("## Partial scores"));
  EXPECT_THAT(md, HasSubstr("| experiment | env | policy | variant | p1 | p2 |"));
  EXPECT_THAT(md, HasSubstr("| main | stack | bet | default | 0.960 [0.865, 0.989] | "
                            "0.700 [0.562, 0.809] |"));
}

// ---- figures ----

TEST(ReportFigures, AnAblationFigureForEachNumericVariantKeyWithALinePerOtherValue) {
  SuiteData data;
  const std::vector<std::pair<std::string, double>> grid = {
      {"To=1;action_mode=absolute", 0.2}, {"To=2;action_mode=absolute", 0.5},
      {"To=8;action_mode=absolute", 0.7}, {"To=1;action_mode=delta", 0.6},
      {"To=2;action_mode=delta", 0.6},    {"To=8;action_mode=delta", 0.65}};
  for (const auto& [variant, success] : grid) {
    CellResult c;
    c.cell = "e4-pusht-diffusion-" + variant;
    c.experiment = "e4";
    c.env = "pusht";
    c.policy = "diffusion";
    c.variant = variant;
    c.metrics["success"] = {success, success - 0.1, success + 0.1};
    data.cells.push_back(c);
  }
  const std::vector<Figure> figures = AblationFigures(data);
  ASSERT_EQ(figures.size(), 1u);  // action_mode is not numeric: no figure of its own
  const Figure& f = figures[0];
  EXPECT_EQ(f.name, "ablation_e4_To");
  // Two lines (absolute, delta), each with its three To values in order.
  const std::string& dat = f.data.at("ablation_e4_To.dat");
  EXPECT_THAT(dat, HasSubstr("# block 0: pusht diffusion action_mode=absolute\n# To success low "
                             "high score low high\n1 0.2 0.1 0.3 NaN NaN NaN\n2 0.5 0.4 0.6 NaN "
                             "NaN NaN\n8 0.7 0.6 0.8 NaN NaN NaN\n"));
  EXPECT_THAT(dat, HasSubstr("# block 1: pusht diffusion action_mode=delta\n"));
  // 1 to 8: a log2 axis with a tic at each value.
  EXPECT_THAT(f.body, HasSubstr("set logscale x 2"));
  EXPECT_THAT(f.body, HasSubstr("set xtics (\"1\" 1, \"2\" 2, \"8\" 8)"));
}

// ---- gnuplot ----

TEST(ReportGnuplot, AFailingScriptLeavesNoFigureAndSaysWhy) {
  const auto gnuplot = FindGnuplot();
  if (!gnuplot) GTEST_SKIP() << "gnuplot is not installed";
  const std::string dir = testing::ScratchDir();
  Figure f;
  f.name = "broken";
  f.caption = "a figure whose data file does not exist";
  f.body = "plot 'gnuplot/absent.dat' using 1:2\n";
  try {
    RenderFigure(f, dir, *gnuplot);
    FAIL() << "no error";
  } catch (const FigureError& e) {
    EXPECT_THAT(e.what(), HasSubstr("gnuplot failed (exit status"));
    EXPECT_THAT(e.what(), HasSubstr("broken.gp"));
    EXPECT_THAT(e.what(), HasSubstr("absent.dat"));  // gnuplot's own message
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr("broken.png")));
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr("broken.svg")));
  }
}

// ---- bcbench report on the fixture suite ----

// Distinct RGB colours and the fraction of pixels that are not white.
std::pair<size_t, double> ColourStats(const Image& image) {
  std::set<std::tuple<int, int, int>> colours;
  size_t inked = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const uint8_t* p = image.pixel(x, y);
      colours.insert({p[0], p[1], p[2]});
      inked += (p[0] < 250 || p[1] < 250 || p[2] < 250);
    }
  }
  return {colours.size(), static_cast<double>(inked) / (image.width * image.height)};
}

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::ScratchDir() + "/suite";
    testing::WriteFixtureSuite(dir_);
  }
  std::string dir_;
};

TEST_F(ReportCli, WritesTheSummaryWithTheFixturesNumbersAndEveryFigure) {
  if (!FindGnuplot()) GTEST_SKIP() << "gnuplot is not installed";
  const auto r = testing::RunBcbench("report " + dir_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path report = fs::path(dir_) / "report";
  const std::string md = Slurp(report / "summary.md");
  // Header and the main table, numbers exactly as cells.csv has them.
  EXPECT_THAT(md, HasSubstr("# bcbench report: fixture"));
  EXPECT_THAT(md, HasSubstr("Results of 11 cells (11 of 12 done in the manifest)"));
  EXPECT_THAT(md, HasSubstr("| env | policy | train seeds | episodes | success [95% CI] | "
                            "score [95% CI] | mode JSD | stall rate | stuck rate |"));
  EXPECT_THAT(md, HasSubstr("| pusht | diffusion | 0 | 20 | 0.750 [0.531, 0.888] | "
                            "0.912 [0.861, 0.955] | 0.004 | 0.000 | 0.050 |"));
  EXPECT_THAT(md, HasSubstr("| claw | mlp | 0 | 20 | 0.100 [0.028, 0.301] | "
                            "0.100 [0.000, 0.250] | 0.380 | 0.450 | 0.300 |"));
  // The main table printed on stdout too.
  EXPECT_THAT(r.output, HasSubstr("| pusht | lstm_gmm | 0 | 20 | 0.300 [0.145, 0.519] |"));
  // The To experiment: variants as columns in numeric order, the pending
  // cell's column n/a.
  EXPECT_THAT(md, HasSubstr("## Experiment main\n\nIts 6 cells have no variant"));
  EXPECT_THAT(md, HasSubstr("## Experiment e4"));
  EXPECT_THAT(md, HasSubstr("| env | policy | To=1 | To=2 | To=4 |"));
  EXPECT_THAT(md, HasSubstr("| pusht | diffusion | 0.450 [0.258, 0.658] | 0.750 [0.531, 0.888] "
                            "| 0.650 [0.433, 0.819] |"));
  EXPECT_THAT(md, HasSubstr("| pusht | mlp | 0.200 [0.081, 0.416] | 0.150 [0.052, 0.360] | n/a |"));
  // Paired comparisons on the same seeds against the env's Diffusion Policy:
  // the fixture's LSTM-GMM solves episodes 0-5, DP 0-14, so 9 discordant
  // pairs all DP's (McNemar p = 2 / 2^9 = 0.0039); its scores trail DP's by
  // 0.6 - 0.02e on episodes 6-14 and tie elsewhere: a mean of -0.180.
  EXPECT_THAT(md, HasSubstr("## Paired comparisons"));
  EXPECT_THAT(md, HasSubstr("| pusht | lstm_gmm | diffusion | 20 | 0 / 9 | -0.450 ["));
  EXPECT_THAT(md, HasSubstr("] | 0.004 | -0.180 ["));
  EXPECT_THAT(md, HasSubstr("| claw | mlp | diffusion | 20 | 0 / 10 | -0.500 ["));
  // and what each setting cost to evaluate (cells.csv's eval_wall_s).
  EXPECT_THAT(md, HasSubstr("Evaluation wall time, seconds"));
  EXPECT_THAT(md, HasSubstr("| pusht | diffusion | 58.0 (20 ep.) | 61.0 (20 ep.) | 64.0 (20 ep.) |"));
  EXPECT_THAT(md, HasSubstr("| pusht | mlp | 67.0 (20 ep.) | 70.0 (20 ep.) | n/a |"));
  // Missing: the pending cell, and no file.
  EXPECT_THAT(md, HasSubstr("1 of 12 cells pending"));
  EXPECT_THAT(md, HasSubstr("| `e4-pusht-mlp-To=4-s0` | e4 | pusht | mlp | To=4 | 0 |"));
  EXPECT_THAT(md, Not(HasSubstr("not found")));
  // Every figure: linked, a real PNG with many colours and ink, and an SVG.
  for (const char* name : {"success", "modes", "probe_pusht", "ablation_e4_To", "transitions"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(md, HasSubstr(std::string("](") + name + ".png)"));
    const fs::path png = report / (std::string(name) + ".png");
    ASSERT_TRUE(fs::exists(png));
    EXPECT_GT(fs::file_size(png), 10000u);  // a blank frame of this size: ~3 kB
    const Image image = ReadPng(png.string());
    EXPECT_GE(image.width, 800);
    EXPECT_GE(image.height, 400);
    const auto [colours, ink] = ColourStats(image);
    EXPECT_GT(colours, 30u);  // bars, lines, text: far more than a blank frame's 1
    EXPECT_GT(ink, 0.02);
    const std::string svg = Slurp(report / (std::string(name) + ".svg"));
    EXPECT_THAT(svg, HasSubstr("<svg"));
    EXPECT_THAT(svg, HasSubstr("</svg>"));
    EXPECT_TRUE(fs::exists(report / "gnuplot" / (std::string(name) + ".gp")));
  }
  // The probe figure's panels name every method with its rollout counts.
  const std::string probe_svg = Slurp(report / "probe_pusht.svg");
  EXPECT_THAT(probe_svg, HasSubstr("diffusion: 8 rollouts"));
  EXPECT_THAT(probe_svg, HasSubstr("lstm_gmm: 8 rollouts"));
  EXPECT_THAT(probe_svg, HasSubstr("right (1)"));
  // No temporary file is left behind.
  for (const auto& entry : fs::recursive_directory_iterator(report)) {
    EXPECT_THAT(entry.path().string(), Not(HasSubstr(".tmp"))) << entry.path();
  }
}

TEST_F(ReportCli, AMalformedCsvExitsTwoNamingFileAndLineAndWritesNothing) {
  // Cut cells.csv's fourth line short, as a torn copy would be.
  const fs::path cells = fs::path(dir_) / "cells.csv";
  std::istringstream in(Slurp(cells));
  std::string text, line;
  for (int n = 1; std::getline(in, line); ++n) text += (n == 4 ? line.substr(0, 40) : line) + "\n";
  std::ofstream(cells, std::ios::trunc) << text;
  const auto r = testing::RunBcbench("report " + dir_);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cells.csv:4:"));
  EXPECT_THAT(r.output, HasSubstr("fields where the header has"));
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "report"));

  // A bad number in probe.csv: named by line and column.
  testing::WriteFixtureSuite(dir_);
  const fs::path probe = fs::path(dir_) / "probe.csv";
  std::string p = Slurp(probe);
  const size_t second_line = p.find('\n') + 1;
  const size_t x = p.find(",,0,0,") + 6;  // rollout 0, step 0, then x
  ASSERT_GT(x, second_line);
  p.replace(x, p.find(',', x) - x, "12a");
  std::ofstream(probe, std::ios::trunc) << p;
  const auto q = testing::RunBcbench("report " + dir_);
  EXPECT_EQ(q.exit_code, 2) << q.output;
  EXPECT_THAT(q.output, HasSubstr("probe.csv:2: column 'x': '12a' is not a number"));
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "report"));
}

TEST_F(ReportCli, APartialFolderIsSummarisedFromEpisodesAndSaysWhatIsMissing) {
  fs::remove(fs::path(dir_) / "cells.csv");
  fs::remove(fs::path(dir_) / "manifest.json");
  fs::remove(fs::path(dir_) / "probe.csv");
  const std::string out = (fs::path(dir_).parent_path() / "elsewhere").string();
  const auto r = testing::RunBcbench("report " + dir_ + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string md = Slurp(fs::path(out) / "summary.md");
  EXPECT_THAT(md, HasSubstr("Results of 11 cells, computed from episodes.csv"));
  // 15 of 20 successes: Wilson 95% [0.531, 0.888]; 1 stall in 20.
  EXPECT_THAT(md, HasSubstr("| pusht | diffusion | 0 | 20 | 0.750 [0.531, 0.888] |"));
  EXPECT_THAT(md, HasSubstr("| n/a | 0.050 | 0.000 |"));
  EXPECT_THAT(md, HasSubstr("file `manifest.json` not found"));
  EXPECT_THAT(md, HasSubstr("file `cells.csv` not found"));
  EXPECT_THAT(md, HasSubstr("file `probe.csv` not found: no probe figure"));
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "report"));
}

TEST_F(ReportCli, WithoutGnuplotTheSummaryIsWrittenAndSaysFiguresWereSkipped) {
  const auto r =
      testing::RunBinary(std::string("PATH=/nonexistent ") + BCBENCH_BINARY, "report " + dir_);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const fs::path report = fs::path(dir_) / "report";
  const std::string md = Slurp(report / "summary.md");
  EXPECT_THAT(md, HasSubstr("figures skipped (5): the gnuplot program is not on PATH"));
  EXPECT_THAT(md, HasSubstr("None drawn"));
  EXPECT_FALSE(fs::exists(report / "success.png"));
}

TEST_F(ReportCli, AFailingGnuplotExitsTwoNamingTheFiguresAndKeepsTheSummary) {
  // A gnuplot that starts but fails every script, first on PATH.
  const std::string bin = (fs::path(dir_).parent_path() / "fakebin").string();
  fs::create_directories(bin);
  {
    std::ofstream fake(bin + "/gnuplot");
    fake << "#!/bin/sh\necho 'line 1: unknown terminal' >&2\nexit 1\n";
  }
  fs::permissions(bin + "/gnuplot", fs::perms::owner_all);
  const auto r = testing::RunBinary("PATH=" + bin + ":/usr/bin:/bin " + BCBENCH_BINARY,
                                    "report " + dir_);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("gnuplot failed on 5 figure(s)"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("internal error")));
  const fs::path report = fs::path(dir_) / "report";
  EXPECT_THAT(Slurp(report / "summary.md"), HasSubstr("figure `success` failed"));
  EXPECT_FALSE(fs::exists(report / "success.png"));
}

TEST_F(ReportCli, AFolderThatIsNotASuiteIsAClearError) {
  const auto r = testing::RunBcbench("report " + dir_ + "/absent");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("is not a folder"));
  // A folder that exists but holds no run (a mistyped DIR, e.g. results/
  // instead of results/preview): refused, and no report folder appears.
  const fs::path other = fs::path(dir_).parent_path() / "not_a_run";
  fs::create_directories(other);
  std::ofstream(other / "notes.txt") << "not a suite run\n";
  const auto s = testing::RunBcbench("report " + other.string());
  EXPECT_EQ(s.exit_code, 2) << s.output;
  EXPECT_THAT(s.output, HasSubstr("holds none of a suite run's files"));
  EXPECT_FALSE(fs::exists(other / "report"));
}

}  // namespace
}  // namespace bcbench
