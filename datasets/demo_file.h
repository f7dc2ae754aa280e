// Reading and writing demo files in robomimic's layout. Writers stream one
// demo at a time into a temporary file that is renamed into place only when
// complete; readers open the file once and read one demo at a time.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "datasets/demo.h"
#include "datasets/hdf5_handles.h"

namespace bcbench {

// "demo_12" -> 12; -1 when the name does not follow the pattern.
long DemoIndex(const std::string& name);
// Sorts demo names numerically (demo_2 before demo_10); others go last, by name.
void SortDemoNames(std::vector<std::string>& names);

std::string EnvArgsToJson(const EnvArgs& args);
EnvArgs EnvArgsFromJson(const std::string& json);  // throws DemoFileError

class DemoWriter {
 public:
  DemoWriter(std::string path, EnvArgs env_args, LabelNames labels = {}, bool compress = true);
  ~DemoWriter();  // an unfinished writer deletes its temporary file
  DemoWriter(const DemoWriter&) = delete;
  DemoWriter& operator=(const DemoWriter&) = delete;

  // Writes the demo as data/demo_<k> where k counts appended demos; returns the name.
  std::string Append(const Demo& demo);
  void SetMask(const std::string& name, std::vector<std::string> demo_names);
  // Writes `total` and the masks, closes and renames into place.
  void Finish();
  size_t num_demos() const { return num_demos_; }

 private:
  std::string path_;
  std::string temp_path_;
  bool compress_;
  H5Id file_;
  H5Id data_;
  size_t num_demos_ = 0;
  int64_t total_ = 0;
  std::map<std::string, std::vector<std::string>> masks_;
  bool finished_ = false;
};

// An open demo file. Open() checks only that it is HDF5 with a `data` group;
// ValidateDemoFile (demo_validation.h) checks everything else.
class DemoFile {
 public:
  static DemoFile Open(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& demo_names() const { return demo_names_; }  // sorted
  const EnvArgs& env_args() const { return env_args_; }
  bool has_env_args() const { return has_env_args_; }
  std::optional<int64_t> total_attr() const;
  const LabelNames& labels() const { return labels_; }
  // mask name -> demo names, as stored.
  std::map<std::string, std::vector<std::string>> ReadMasks() const;

  // Reads one demo whole (all datasets as float32).
  Demo ReadDemo(const std::string& name) const;
  // Reads only `actions` and the given obs keys, for training.
  Demo ReadDemo(const std::string& name, const std::vector<std::string>& obs_keys) const;

  hid_t data_group() const { return data_.get(); }

 private:
  DemoFile() = default;
  std::string path_;
  H5Id file_;
  H5Id data_;
  std::vector<std::string> demo_names_;
  EnvArgs env_args_;
  bool has_env_args_ = false;
  LabelNames labels_;
};

// Reads a whole file into memory (tests and small files).
std::vector<Demo> ReadAllDemos(const std::string& path);

}  // namespace bcbench
