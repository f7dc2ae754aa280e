// `bcbench inspect` on good and bad files: exit 0 with a summary when valid,
// exit 2 with a message naming the file, demo and key when not.
#include <hdf5.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/demo_file.h"
#include "datasets/hdf5_handles.h"
#include "support/demo_fixtures.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

using testing::RunBcbench;
using testing::ScratchDir;
using ::testing::HasSubstr;

// A valid three-demo file, then `mutate` applied with the raw HDF5 API.
std::string BadFile(const std::string& name, const std::function<void(hid_t file)>& mutate) {
  const std::string path = ScratchDir() + "/" + name + ".hdf5";
  testing::WriteDemoFile(path, {6, 7, 8});
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  EXPECT_GE(file, 0);
  mutate(file);
  H5Fclose(file);
  return path;
}

void ReplaceFloat(hid_t file, const std::string& path, const FloatArray& values) {
  ASSERT_GE(H5Ldelete(file, path.c_str(), H5P_DEFAULT), 0) << path;
  const auto slash = path.rfind('/');
  H5Id parent(H5Gopen2(file, path.substr(0, slash).c_str(), H5P_DEFAULT), H5Gclose);
  H5WriteFloat(parent.get(), path.substr(slash + 1), values, true);
}

void ExpectRejected(const std::string& path, const std::vector<std::string>& fragments) {
  const auto result = RunBcbench("inspect " + path);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr(path));
  for (const auto& f : fragments) EXPECT_THAT(result.output, HasSubstr(f));
  EXPECT_THAT(result.output, ::testing::Not(HasSubstr("internal error")));
}

TEST(Inspect, ValidFileSummarisesAndExitsZero) {
  const std::string path = ScratchDir() + "/good.hdf5";
  testing::WriteDemoFile(path, {6, 7, 8});
  const auto result = RunBcbench("inspect " + path);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("demos     3   steps 21   length min 6 / mean 7.0 / max 8"));
  EXPECT_THAT(result.output, HasSubstr("state (3,) float32"));
  EXPECT_THAT(result.output, HasSubstr("dim 2 float32"));
  EXPECT_THAT(result.output, HasSubstr("left 2 (66.7%)   right 1 (33.3%)"));
  EXPECT_THAT(result.output, HasSubstr("transit 11"));
  // A foreign env: idle steps against the file's own action range, step 0
  // uncounted (its target is unknown): 5 + 6 + 7 steps, each moving 10 of
  // a range of 2070 (< 1%).
  EXPECT_THAT(result.output, HasSubstr("idle      100.0% of counted steps (18 of 18;"));
  EXPECT_THAT(result.output, HasSubstr("the file's own action range [2070, 2070]"));
  EXPECT_THAT(result.output, HasSubstr("env 'toy' is not a bcbench env"));
  EXPECT_THAT(result.output, HasSubstr("3 of 3 demos counted without their ends"));
  EXPECT_THAT(result.output, HasSubstr("valid"));
}

TEST(Inspect, MissingFile) {
  ExpectRejected(ScratchDir() + "/absent.hdf5", {"no such file"});
}

TEST(Inspect, NotHdf5) {
  const std::string path = ScratchDir() + "/text.hdf5";
  std::ofstream(path) << "this is not an HDF5 file\n";
  ExpectRejected(path, {"not an HDF5 file"});
}

TEST(Inspect, TruncatedFile) {
  const std::string path = ScratchDir() + "/truncated.hdf5";
  testing::WriteDemoFile(path, {60, 70, 80});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  ExpectRejected(path, {"truncated"});
}

TEST(Inspect, NoDataGroup) {
  const std::string path = ScratchDir() + "/nodata.hdf5";
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(H5Gcreate2(file, "other", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Fclose(file);
  ExpectRejected(path, {"no 'data' group"});
}

TEST(Inspect, DemoWithoutActions) {
  ExpectRejected(BadFile("noactions", [](hid_t f) { H5Ldelete(f, "data/demo_1/actions", H5P_DEFAULT); }),
                 {"demo_1", "no 'actions' dataset"});
}

TEST(Inspect, ObsLengthDiffersFromActions) {
  ExpectRejected(BadFile("shortobs",
                         [](hid_t f) {
                           ReplaceFloat(f, "data/demo_2/obs/state", FloatArray::Zeros({7, 3}));
                         }),
                 {"demo_2", "obs/state", "(7, 3)", "8 steps"});
}

TEST(Inspect, EmptyDemo) {
  ExpectRejected(BadFile("empty",
                         [](hid_t f) {
                           ReplaceFloat(f, "data/demo_0/actions", FloatArray::Zeros({0, 2}));
                         }),
                 {"demo_0", "empty"});
}

TEST(Inspect, NanInActions) {
  ExpectRejected(BadFile("nan",
                         [](hid_t f) {
                           FloatArray a = testing::MakeDemo(1, 7).actions;
                           a.row(3)[1] = std::numeric_limits<float>::quiet_NaN();
                           ReplaceFloat(f, "data/demo_1/actions", a);
                         }),
                 {"demo_1", "'actions' holds NaN at step 3"});
}

TEST(Inspect, InfInObservations) {
  ExpectRejected(BadFile("inf",
                         [](hid_t f) {
                           FloatArray o = testing::MakeDemo(2, 8).obs.at("state");
                           o.row(5)[0] = std::numeric_limits<float>::infinity();
                           ReplaceFloat(f, "data/demo_2/obs/state", o);
                         }),
                 {"demo_2", "'obs/state' holds Inf at step 5"});
}

TEST(Inspect, DimensionDisagreesAcrossDemos) {
  ExpectRejected(BadFile("dims",
                         [](hid_t f) {
                           ReplaceFloat(f, "data/demo_1/obs/state", FloatArray::Zeros({7, 4}));
                         }),
                 {"demo_1", "obs/state", "(4,)", "demo_0 has (3,)"});
}

TEST(Inspect, WrongTotal) {
  ExpectRejected(BadFile("total", [](hid_t f) {
                   H5Id data(H5Gopen2(f, "data", H5P_DEFAULT), H5Gclose);
                   H5WriteAttrInt64(data.get(), "total", 999);
                 }),
                 {"data.total = 999", "21 steps"});
}

TEST(Inspect, MaskNamesMissingDemo) {
  ExpectRejected(BadFile("mask", [](hid_t f) {
                   H5Id mask(H5Gcreate2(f, "mask", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
                   H5WriteStrings(mask.get(), "train", {"demo_0", "demo_9"});
                 }),
                 {"mask/train", "demo_9"});
}

TEST(Inspect, MasksThatShareADemo) {
  ExpectRejected(BadFile("mask_overlap", [](hid_t f) {
                   H5Id mask(H5Gcreate2(f, "mask", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
                   H5WriteStrings(mask.get(), "train", {"demo_0", "demo_1"});
                   H5WriteStrings(mask.get(), "valid", {"demo_1"});
                 }),
                 {"mask/train and mask/valid both name demo_1"});
}

TEST(Inspect, NumSamplesDisagreesWithActions) {
  ExpectRejected(BadFile("numsamples", [](hid_t f) {
                   H5Id demo(H5Gopen2(f, "data/demo_0", H5P_DEFAULT), H5Gclose);
                   H5WriteAttrInt64(demo.get(), "num_samples", 5);
                 }),
                 {"demo_0", "num_samples = 5"});
}

}  // namespace
}  // namespace bcbench
