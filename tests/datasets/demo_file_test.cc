// Demo files in robomimic's layout: what we write reads back identically, and
// files shaped the way robomimic's own tools write them load as they are.
#include <hdf5.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "datasets/demo_file.h"
#include "datasets/demo_validation.h"
#include "support/demo_fixtures.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

using testing::MakeDemo;
using testing::ScratchDir;

TEST(DemoFile, RoundTripGivesIdenticalArraysAndAttributes) {
  const std::string path = ScratchDir() + "/round.hdf5";
  EnvArgs args{"pusht", kBcbenchEnvType, {{"obs", "keypoints"}, {"action_mode", "absolute"}}};
  LabelNames labels{{"transit", "push"}, {"left", "right"}};
  std::vector<Demo> written;
  {
    DemoWriter writer(path, args, labels);
    for (int k = 0; k < 3; ++k) {
      Demo d = MakeDemo(k, 5 + k);
      d.obs["image_like"] = FloatArray::Zeros({d.num_samples(), 2, 3});
      d.next_obs["state"] = d.obs["state"];
      writer.Append(d);
      written.push_back(d);
    }
    writer.SetMask("train", {"demo_0", "demo_1"});
    writer.SetMask("valid", {"demo_2"});
    writer.Finish();
  }
  const DemoFile file = DemoFile::Open(path);
  EXPECT_EQ(file.env_args(), args);
  EXPECT_EQ(file.labels().phases, labels.phases);
  EXPECT_EQ(file.labels().modes, labels.modes);
  EXPECT_EQ(file.total_attr(), 5 + 6 + 7);
  ASSERT_EQ(file.demo_names(), (std::vector<std::string>{"demo_0", "demo_1", "demo_2"}));
  const auto masks = file.ReadMasks();
  EXPECT_EQ(masks.at("train"), (std::vector<std::string>{"demo_0", "demo_1"}));
  EXPECT_EQ(masks.at("valid"), (std::vector<std::string>{"demo_2"}));
  for (int k = 0; k < 3; ++k) {
    const Demo got = file.ReadDemo(file.demo_names()[k]);
    const Demo& want = written[k];
    EXPECT_EQ(got.actions, want.actions);
    EXPECT_EQ(got.rewards, want.rewards);
    EXPECT_EQ(got.dones, want.dones);
    ASSERT_TRUE(got.states.has_value());
    EXPECT_EQ(*got.states, *want.states);
    EXPECT_EQ(got.obs, want.obs);
    EXPECT_EQ(got.next_obs, want.next_obs);
    EXPECT_EQ(got.phase, want.phase);
    EXPECT_EQ(got.mode_t, want.mode_t);
    EXPECT_EQ(got.mode, want.mode);
    EXPECT_EQ(got.seed, want.seed);
  }
}

TEST(DemoFile, UnfinishedWriterLeavesNoFile) {
  const std::string dir = ScratchDir();
  const std::string path = dir + "/partial.hdf5";
  {
    DemoWriter writer(path, EnvArgs{"toy", kBcbenchEnvType, {}});
    writer.Append(MakeDemo(0, 4));
    // Destroyed without Finish(), as when an exception unwinds a recording.
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "temporary file left behind";
}

TEST(DemoFile, PerStepModesAreValidatedOnRead) {
  const std::string dir = ScratchDir();
  const LabelNames labels{{"transit", "push"}, {"left", "right"}};
  const auto write = [&](const std::string& path, std::vector<int32_t> mode_t) {
    DemoWriter writer(path, EnvArgs{"toy", kBcbenchEnvType, {}}, labels);
    Demo demo = MakeDemo(0, 4);
    demo.mode_t = std::move(mode_t);
    writer.Append(demo);
    writer.Finish();
  };
  write(dir + "/good.hdf5", {-1, 0, 1, 0});
  const DemoFileSummary s = ValidateDemoFile(dir + "/good.hdf5");
  EXPECT_EQ(s.demos_with_mode_t, 1u);
  EXPECT_EQ(s.mode_t_switches, 2u);
  EXPECT_EQ(DemoFile::Open(dir + "/good.hdf5").ReadDemo("demo_0").mode_t,
            (std::vector<int32_t>{-1, 0, 1, 0}));
  write(dir + "/unknown_mode.hdf5", {-1, 0, 2, 0});
  try {
    ValidateDemoFile(dir + "/unknown_mode.hdf5");
    ADD_FAILURE() << "a mode_t of 2 with two mode names passed";
  } catch (const DemoFileError& e) {
    EXPECT_NE(std::string(e.what()).find("mode_t"), std::string::npos) << e.what();
  }
  EXPECT_THROW(DemoFile::Open(dir + "/unknown_mode.hdf5").ReadDemo("demo_0"), DemoFileError);
  // A length that disagrees with the actions is refused when writing.
  EXPECT_THROW(write(dir + "/short.hdf5", {-1, 0, 1}), DemoFileError);
}

TEST(DemoFile, DemoNamesSortNumerically) {
  std::vector<std::string> names{"demo_10", "demo_2", "demo_1", "extra", "demo_0"};
  SortDemoNames(names);
  EXPECT_EQ(names, (std::vector<std::string>{"demo_0", "demo_1", "demo_2", "demo_10", "extra"}));
}

// Writes a file the way robomimic's conversion scripts (h5py) do: float64
// actions and rewards, int64 dones, gzip-chunked obs, two obs keys, next_obs,
// fixed-length string masks, demos created out of order, a string env_args
// attribute, and no bcbench extras.
void WriteRobomimicStyleFile(const std::string& path) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t data = H5Gcreate2(file, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  auto write = [](hid_t loc, const char* name, hid_t file_type, hid_t mem_type,
                  std::vector<hsize_t> dims, const void* values, bool gzip) {
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    if (gzip) {
      std::vector<hsize_t> chunk = dims;
      chunk[0] = std::min<hsize_t>(dims[0], 4);
      H5Pset_chunk(plist, static_cast<int>(chunk.size()), chunk.data());
      H5Pset_deflate(plist, 4);
    }
    const hid_t ds = H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    H5Dclose(ds);
    H5Pclose(plist);
    H5Sclose(space);
  };
  const int order[] = {2, 0, 1};  // created out of order
  const hsize_t lengths[] = {6, 4, 5};
  hsize_t total = 0;
  for (int k : order) {
    const hsize_t n = lengths[k];
    total += n;
    const std::string name = "demo_" + std::to_string(k);
    const hid_t g = H5Gcreate2(data, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t scalar = H5Screate(H5S_SCALAR);
    const int64_t num_samples = static_cast<int64_t>(n);
    const hid_t attr = H5Acreate2(g, "num_samples", H5T_STD_I64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, H5T_NATIVE_INT64, &num_samples);
    H5Aclose(attr);
    H5Sclose(scalar);
    std::vector<double> actions(n * 7), rewards(n), eef(n * 3), joints(n * 9);
    std::vector<int64_t> dones(n, 0);
    dones[n - 1] = 1;
    for (hsize_t t = 0; t < n; ++t) {
      for (hsize_t d = 0; d < 7; ++d) actions[t * 7 + d] = 0.1 * k + 0.01 * t - 0.001 * d;
      for (hsize_t d = 0; d < 3; ++d) eef[t * 3 + d] = k + t + d;
      for (hsize_t d = 0; d < 9; ++d) joints[t * 9 + d] = -double(k) - t - d;
      rewards[t] = t + 1 == n ? 1.0 : 0.0;
    }
    write(g, "actions", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n, 7}, actions.data(), true);
    write(g, "rewards", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n}, rewards.data(), true);
    write(g, "dones", H5T_STD_I64LE, H5T_NATIVE_INT64, {n}, dones.data(), true);
    write(g, "states", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n, 9}, joints.data(), false);
    for (const char* group : {"obs", "next_obs"}) {
      const hid_t og = H5Gcreate2(g, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      write(og, "robot0_eef_pos", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n, 3}, eef.data(), true);
      write(og, "robot0_joint_pos", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n, 9}, joints.data(), true);
      H5Gclose(og);
    }
    H5Gclose(g);
  }
  // Attributes robomimic puts on `data`.
  const hid_t scalar = H5Screate(H5S_SCALAR);
  const hid_t total_attr = H5Acreate2(data, "total", H5T_STD_I64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
  const int64_t total_value = static_cast<int64_t>(total);
  H5Awrite(total_attr, H5T_NATIVE_INT64, &total_value);
  H5Aclose(total_attr);
  const hid_t str = H5Tcopy(H5T_C_S1);
  H5Tset_size(str, H5T_VARIABLE);
  H5Tset_cset(str, H5T_CSET_UTF8);
  const char* env_args =
      R"({"env_name": "Lift", "env_type": 1, "env_kwargs": {"has_renderer": false, "control_freq": 20}})";
  const hid_t env_attr = H5Acreate2(data, "env_args", str, scalar, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(env_attr, str, &env_args);
  H5Aclose(env_attr);
  H5Tclose(str);
  H5Sclose(scalar);
  // mask/train and mask/valid as numpy 'S7' arrays.
  const hid_t mask = H5Gcreate2(file, "mask", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t s7 = H5Tcopy(H5T_C_S1);
  H5Tset_size(s7, 7);
  const char train[] = "demo_0\0demo_2\0";
  const char valid[] = "demo_1\0";
  write(mask, "train", s7, s7, {2}, train, false);
  write(mask, "valid", s7, s7, {1}, valid, false);
  H5Tclose(s7);
  H5Gclose(mask);
  H5Gclose(data);
  H5Fclose(file);
}

TEST(DemoFile, RobomimicStyleFileLoads) {
  const std::string path = ScratchDir() + "/robomimic_like.hdf5";
  WriteRobomimicStyleFile(path);
  if (HasFatalFailure()) return;

  const DemoFileSummary summary = ValidateDemoFile(path);
  EXPECT_EQ(summary.num_demos, 3u);
  EXPECT_EQ(summary.total_steps, 15u);
  EXPECT_EQ(summary.action_dim, 7u);
  EXPECT_EQ(summary.action_dtype, "float64");
  EXPECT_EQ(summary.obs.size(), 2u);
  EXPECT_EQ(summary.obs.at("robot0_joint_pos").row_shape, (std::vector<size_t>{9}));
  EXPECT_EQ(summary.next_obs.size(), 2u);
  EXPECT_EQ(summary.masks.at("train"), 2u);
  EXPECT_EQ(summary.masks.at("valid"), 1u);
  EXPECT_EQ(summary.demos_with_mode, 0u);
  EXPECT_FALSE(summary.has_phase);

  const DemoFile file = DemoFile::Open(path);
  EXPECT_EQ(file.env_args().env_name, "Lift");
  EXPECT_EQ(file.env_args().env_type, 1);
  EXPECT_EQ(file.env_args().env_kwargs.at("control_freq"), "20");
  ASSERT_EQ(file.demo_names(), (std::vector<std::string>{"demo_0", "demo_1", "demo_2"}));
  EXPECT_EQ(file.ReadMasks().at("train"), (std::vector<std::string>{"demo_0", "demo_2"}));
  const Demo d2 = file.ReadDemo("demo_2");
  ASSERT_EQ(d2.actions.shape, (std::vector<size_t>{5, 7}));
  EXPECT_FLOAT_EQ(d2.actions.row(3)[4], static_cast<float>(0.2 + 0.03 - 0.004));
  EXPECT_EQ(d2.dones, (std::vector<uint8_t>{0, 0, 0, 0, 1}));
  EXPECT_FLOAT_EQ(d2.obs.at("robot0_eef_pos").row(4)[2], 2 + 4 + 2);
  EXPECT_FLOAT_EQ(d2.next_obs.at("robot0_joint_pos").row(1)[8], -2 - 1 - 8);
  EXPECT_TRUE(d2.phase.empty());
  EXPECT_FALSE(d2.mode.has_value());
}

}  // namespace
}  // namespace bcbench

namespace bcbench {
namespace {

// A dataset's shape is a declaration: a 20 KB file can declare 2^40 rows
// whose chunks were never written. Reading refuses it instead of asking for
// terabytes (std::bad_alloc) or returning fill values as data.
TEST(DemoFile, DeclaredSizesMustBeHeldByTheFile) {
  const std::string path = testing::ScratchDir() + "/forged.hdf5";
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hsize_t huge[2] = {hsize_t{1} << 40, 2}, chunk[2] = {1024, 2};
  const hid_t space = H5Screate_simple(2, huge, nullptr);
  const hid_t chunked = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(chunked, 2, chunk);
  H5Dclose(H5Dcreate2(file, "sparse", H5T_NATIVE_FLOAT, space, H5P_DEFAULT, chunked,
                      H5P_DEFAULT));
  const hsize_t small[2] = {1000, 2};
  const hid_t small_space = H5Screate_simple(2, small, nullptr);
  H5Dclose(H5Dcreate2(file, "unwritten", H5T_NATIVE_INT32, small_space, H5P_DEFAULT, H5P_DEFAULT,
                      H5P_DEFAULT));
  H5Sclose(small_space);
  H5Pclose(chunked);
  H5Sclose(space);
  H5Fclose(file);
  EXPECT_LT(std::filesystem::file_size(path), 100000u);

  const hid_t in = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(in, 0);
  try {
    H5ReadFloat(in, "sparse");
    ADD_FAILURE() << "a dataset of unwritten chunks was read";
  } catch (const DemoFileError& e) {
    EXPECT_NE(std::string(e.what()).find("declares 2199023255552 values"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("holds only 0 of them"), std::string::npos) << e.what();
  }
  try {
    H5ReadInt32(in, "unwritten");
    ADD_FAILURE() << "a contiguous dataset with no storage was read";
  } catch (const DemoFileError& e) {
    EXPECT_NE(std::string(e.what()).find("declares 2000 values"), std::string::npos) << e.what();
  }
  H5Fclose(in);
}

}  // namespace
}  // namespace bcbench
