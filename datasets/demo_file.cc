#include "datasets/demo_file.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "datasets/atomic_file.h"
#include "datasets/demo_layout.h"

namespace bcbench {
namespace {

std::string JoinPath(const std::string& a, const std::string& b) { return a + "/" + b; }

void WriteDemoGroup(hid_t data, const std::string& name, const Demo& demo, bool compress) {
  const size_t n = demo.num_samples();
  auto check_rows = [&](const std::string& key, size_t rows) {
    if (rows != n) {
      throw DemoFileError("cannot write " + name + ": '" + key + "' has " + std::to_string(rows) +
                          " rows but actions has " + std::to_string(n));
    }
  };
  H5Id group = H5CreateGroup(data, name);
  H5WriteAttrInt64(group.get(), layout::kNumSamples, static_cast<int64_t>(n));
  H5WriteFloat(group.get(), layout::kActions, demo.actions, compress);
  check_rows(layout::kRewards, demo.rewards.size());
  H5WriteFloat(group.get(), layout::kRewards, FloatArray({n}, demo.rewards), compress);
  check_rows(layout::kDones, demo.dones.size());
  H5WriteUInt8(group.get(), layout::kDones, demo.dones, compress);
  if (demo.states) {
    check_rows(layout::kStates, demo.states->rows());
    H5WriteFloat(group.get(), layout::kStates, *demo.states, compress);
  }
  for (const auto* obs_map : {&demo.obs, &demo.next_obs}) {
    if (obs_map->empty()) continue;
    const char* group_name = obs_map == &demo.obs ? layout::kObs : layout::kNextObs;
    H5Id obs_group = H5CreateGroup(group.get(), group_name);
    for (const auto& [key, array] : *obs_map) {
      check_rows(std::string(group_name) + "/" + key, array.rows());
      H5WriteFloat(obs_group.get(), key, array, compress);
    }
  }
  if (!demo.phase.empty()) {
    check_rows(layout::kPhase, demo.phase.size());
    H5WriteInt32(group.get(), layout::kPhase, demo.phase, compress);
  }
  if (!demo.mode_t.empty()) {
    check_rows(layout::kModeT, demo.mode_t.size());
    H5WriteInt32(group.get(), layout::kModeT, demo.mode_t, compress);
  }
  if (demo.effector.rows() > 0) {
    check_rows(layout::kEffector, demo.effector.rows());
    H5WriteFloat(group.get(), layout::kEffector, demo.effector, compress);
  }
  if (demo.mode) H5WriteAttrInt64(group.get(), layout::kMode, *demo.mode);
  if (demo.seed) H5WriteAttrUInt64(group.get(), layout::kSeed, *demo.seed);
}

std::vector<std::string> ParseNameList(const std::optional<std::string>& json_text) {
  if (!json_text) return {};
  try {
    return nlohmann::json::parse(*json_text).get<std::vector<std::string>>();
  } catch (const std::exception&) {
    return {};  // labels are cosmetic: a foreign or damaged list is ignored
  }
}

}  // namespace

long DemoIndex(const std::string& name) {
  const std::string prefix = layout::kDemoPrefix;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string digits = name.substr(prefix.size());
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      digits.size() > 12) {
    return -1;
  }
  return std::stol(digits);
}

void SortDemoNames(std::vector<std::string>& names) {
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    const long ia = DemoIndex(a), ib = DemoIndex(b);
    if ((ia < 0) != (ib < 0)) return ia >= 0;  // numbered demos first
    if (ia >= 0 && ia != ib) return ia < ib;
    return a < b;
  });
}

std::string EnvArgsToJson(const EnvArgs& args) {
  nlohmann::json j;
  j["env_name"] = args.env_name;
  j["env_type"] = args.env_type;
  j["env_kwargs"] = nlohmann::json::object();
  for (const auto& [k, v] : args.env_kwargs) j["env_kwargs"][k] = v;
  return j.dump();
}

EnvArgs EnvArgsFromJson(const std::string& text) {
  EnvArgs args;
  try {
    const auto j = nlohmann::json::parse(text);
    args.env_name = j.value("env_name", "");
    args.env_type = j.value("env_type", 0);
    if (j.contains("env_kwargs") && j["env_kwargs"].is_object()) {
      // robomimic's kwargs hold arbitrary JSON; keep scalars as text.
      for (const auto& [k, v] : j["env_kwargs"].items()) {
        args.env_kwargs[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw DemoFileError(std::string("attribute data.env_args is not valid JSON: ") + e.what());
  }
  return args;
}

// ---------------------------------------------------------------- writer

DemoWriter::DemoWriter(std::string path, EnvArgs env_args, LabelNames labels, bool compress)
    : path_(std::move(path)), compress_(compress) {
  SilenceHdf5Errors();
  const std::filesystem::path target(path_);
  if (target.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(target.parent_path(), ec);
  }
  RemoveStaleTempFiles(target.has_parent_path() ? target.parent_path().string() : ".");
  temp_path_ = TempPathFor(path_);
  // No modification times (the root group's either): the same demos give the same bytes.
  H5Id fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  H5Pset_obj_track_times(fcpl.get(), false);
  const hid_t file = H5Fcreate(temp_path_.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT);
  if (file < 0) {
    throw DemoFileError("cannot create " + path_ + " (is the directory writable?)");
  }
  file_ = H5Id(file, H5Fclose);
  data_ = H5CreateGroup(file_.get(), layout::kData);
  H5WriteAttrString(data_.get(), layout::kEnvArgs, EnvArgsToJson(env_args));
  if (!labels.phases.empty()) {
    H5WriteAttrString(data_.get(), layout::kPhaseNames, nlohmann::json(labels.phases).dump());
  }
  if (!labels.modes.empty()) {
    H5WriteAttrString(data_.get(), layout::kModeNames, nlohmann::json(labels.modes).dump());
  }
}

DemoWriter::~DemoWriter() {
  if (!finished_) {
    data_.Reset();
    file_.Reset();
    std::remove(temp_path_.c_str());
  }
}

std::string DemoWriter::Append(const Demo& demo) {
  if (finished_) throw DemoFileError("DemoWriter::Append after Finish for " + path_);
  if (demo.num_samples() == 0) {
    throw DemoFileError("cannot write an empty demo to " + path_);
  }
  const std::string name = layout::kDemoPrefix + std::to_string(num_demos_);
  WriteDemoGroup(data_.get(), name, demo, compress_);
  ++num_demos_;
  total_ += static_cast<int64_t>(demo.num_samples());
  return name;
}

void DemoWriter::SetMask(const std::string& name, std::vector<std::string> demo_names) {
  masks_[name] = std::move(demo_names);
}

void DemoWriter::Finish() {
  if (finished_) return;
  H5WriteAttrInt64(data_.get(), layout::kTotal, total_);
  if (!masks_.empty()) {
    H5Id mask = H5CreateGroup(file_.get(), layout::kMask);
    for (const auto& [name, demos] : masks_) H5WriteStrings(mask.get(), name, demos);
  }
  data_.Reset();
  if (H5Fflush(file_.get(), H5F_SCOPE_GLOBAL) < 0) {
    throw DemoFileError("cannot flush " + temp_path_);
  }
  file_.Reset();
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    throw DemoFileError("cannot rename " + temp_path_ + " to " + path_);
  }
  finished_ = true;
}

// ---------------------------------------------------------------- reader

DemoFile DemoFile::Open(const std::string& path) {
  SilenceHdf5Errors();
  if (!std::filesystem::exists(path)) {
    throw DemoFileError(path + ": no such file");
  }
  if (std::filesystem::is_directory(path)) {
    throw DemoFileError(path + ": is a directory, expected an HDF5 demo file");
  }
  if (!std::filesystem::is_regular_file(path)) {  // a FIFO or device would block the read
    throw DemoFileError(path + ": not a regular file (a FIFO, socket or device); give an HDF5 "
                        "demo file");
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw DemoFileError(path + ": not an HDF5 file");
  }
  DemoFile f;
  f.path_ = path;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) {
    throw DemoFileError(path + ": HDF5 cannot open it (truncated or corrupt file?)");
  }
  f.file_ = H5Id(file, H5Fclose);
  if (!H5IsGroup(file, layout::kData)) {
    throw DemoFileError(path + ": no 'data' group (not a robomimic-layout demo file)");
  }
  f.data_ = H5OpenGroup(file, layout::kData);
  for (const auto& name : H5ListChildren(f.data_.get())) {
    if (H5IsGroup(f.data_.get(), name)) f.demo_names_.push_back(name);
  }
  SortDemoNames(f.demo_names_);
  if (auto json = H5ReadAttrString(f.data_.get(), layout::kEnvArgs)) {
    try {
      f.env_args_ = EnvArgsFromJson(*json);
    } catch (const DemoFileError& e) {
      throw DemoFileError(path + ": " + e.what());
    }
    f.has_env_args_ = true;
  }
  f.labels_.phases = ParseNameList(H5ReadAttrString(f.data_.get(), layout::kPhaseNames));
  f.labels_.modes = ParseNameList(H5ReadAttrString(f.data_.get(), layout::kModeNames));
  return f;
}

std::optional<int64_t> DemoFile::total_attr() const {
  return H5ReadAttrInt64(data_.get(), layout::kTotal);
}

std::map<std::string, std::vector<std::string>> DemoFile::ReadMasks() const {
  std::map<std::string, std::vector<std::string>> masks;
  if (!H5IsGroup(file_.get(), layout::kMask)) return masks;
  H5Id mask = H5OpenGroup(file_.get(), layout::kMask);
  for (const auto& name : H5ListChildren(mask.get())) {
    try {
      masks[name] = H5ReadStrings(mask.get(), name);
    } catch (const DemoFileError& e) {
      throw DemoFileError(path_ + ": mask/" + name + ": " + e.what());
    }
  }
  return masks;
}

Demo DemoFile::ReadDemo(const std::string& name) const {
  std::vector<std::string> keys;
  const std::string obs_path = JoinPath(name, layout::kObs);
  if (H5IsGroup(data_.get(), obs_path)) {
    H5Id obs = H5OpenGroup(data_.get(), obs_path);
    keys = H5ListChildren(obs.get());
  }
  Demo demo = ReadDemo(name, keys);
  H5Id group = H5OpenGroup(data_.get(), name);
  const hid_t g = group.get();
  if (H5Exists(g, layout::kStates)) demo.states = H5ReadFloat(g, layout::kStates);
  if (H5IsGroup(g, layout::kNextObs)) {
    H5Id next = H5OpenGroup(g, layout::kNextObs);
    for (const auto& key : H5ListChildren(next.get())) {
      demo.next_obs[key] = H5ReadFloat(next.get(), key);
    }
  }
  return demo;
}

Demo DemoFile::ReadDemo(const std::string& name, const std::vector<std::string>& obs_keys) const {
  Demo demo;
  demo.name = name;
  try {
    if (!H5IsGroup(data_.get(), name)) throw DemoFileError("no such demo group");
    H5Id group = H5OpenGroup(data_.get(), name);
    const hid_t g = group.get();
    if (!H5Exists(g, layout::kActions)) throw DemoFileError("no 'actions' dataset");
    demo.actions = H5ReadFloat(g, layout::kActions);
    const size_t n = demo.actions.rows();
    if (H5Exists(g, layout::kRewards)) {
      demo.rewards = H5ReadFloat(g, layout::kRewards).values;
    } else {
      demo.rewards.assign(n, 0.0f);
    }
    if (H5Exists(g, layout::kDones)) {
      for (float v : H5ReadFloat(g, layout::kDones).values) demo.dones.push_back(v != 0.0f);
    } else {
      demo.dones.assign(n, 0);
      if (n > 0) demo.dones.back() = 1;
    }
    for (const auto& key : obs_keys) {
      const std::string path = JoinPath(layout::kObs, key);
      if (!H5Exists(g, path)) throw DemoFileError("no observation key 'obs/" + key + "'");
      demo.obs[key] = H5ReadFloat(g, path);
    }
    if (H5Exists(g, layout::kPhase)) demo.phase = H5ReadInt32(g, layout::kPhase);
    if (H5Exists(g, layout::kModeT)) {
      // Optional (foreign robomimic files lack it), but checked when present.
      demo.mode_t = H5ReadInt32(g, layout::kModeT);
      if (demo.mode_t.size() != n) {
        throw DemoFileError("'mode_t' has " + std::to_string(demo.mode_t.size()) +
                            " rows but actions has " + std::to_string(n));
      }
      const int32_t modes = static_cast<int32_t>(labels_.modes.size());
      for (int32_t m : demo.mode_t) {
        if (m < -1 || (modes > 0 && m >= modes)) {
          throw DemoFileError("'mode_t' holds " + std::to_string(m) +
                              "; valid: -1 (undecided) or a mode index below " +
                              std::to_string(modes));
        }
      }
    }
    if (H5Exists(g, layout::kEffector)) demo.effector = H5ReadFloat(g, layout::kEffector);
    if (auto mode = H5ReadAttrInt64(g, layout::kMode)) demo.mode = static_cast<int32_t>(*mode);
    if (auto seed = H5ReadAttrUInt64(g, layout::kSeed)) demo.seed = *seed;
  } catch (const DemoFileError& e) {
    throw DemoFileError(path_ + ": " + name + ": " + e.what());
  }
  return demo;
}

std::vector<Demo> ReadAllDemos(const std::string& path) {
  const DemoFile file = DemoFile::Open(path);
  std::vector<Demo> demos;
  for (const auto& name : file.demo_names()) demos.push_back(file.ReadDemo(name));
  return demos;
}

}  // namespace bcbench
