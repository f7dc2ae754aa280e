// Validates a demo file against everything the suite relies on, reading one
// demo at a time, and summarises it (what `bcbench inspect` prints).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "datasets/demo.h"
#include "datasets/hdf5_handles.h"

namespace bcbench {

struct KeyInfo {
  std::vector<size_t> row_shape;  // shape without the time dimension
  std::string dtype;
};

struct DemoFileSummary {
  std::string path;
  EnvArgs env_args;
  bool has_env_args = false;
  LabelNames labels;
  size_t num_demos = 0;
  size_t total_steps = 0;
  size_t min_length = 0, max_length = 0;
  double mean_length = 0.0;
  size_t action_dim = 0;
  std::string action_dtype;
  std::vector<float> action_min, action_max;  // per dimension
  std::map<std::string, KeyInfo> obs;         // obs/<key>
  std::map<std::string, KeyInfo> next_obs;
  std::optional<KeyInfo> states;
  std::map<std::string, size_t> masks;        // mask name -> demo count
  // Idle steps (see IsIdleAction) over all steps; computed from actions alone.
  double idle_fraction = 0.0;
  // Extras, present in bcbench files.
  std::map<int, size_t> mode_histogram;       // mode -> demos
  size_t demos_with_mode = 0;
  std::map<int, size_t> phase_counts;         // phase -> steps
  bool has_phase = false;
  std::vector<std::string> warnings;          // valid, but worth knowing
};

// Throws DemoFileError naming the file, the demo and the key when the file is
// not HDF5 or truncated, lacks `data` or `actions`, has a demo that is empty,
// obs/next_obs/states/rewards/dones/phase lengths that differ from actions,
// NaN/Inf values, dimensions that disagree across demos, a wrong `total` or
// `num_samples`, or a mask naming a missing demo.
DemoFileSummary ValidateDemoFile(const std::string& path);

// One home for the idle-action rule (SPEC 7): the commanded target moves by
// less than `fraction` of the action range in every dimension (absolute
// actions: compare consecutive targets; delta actions: compare the delta with
// zero). `range` holds high - low per dimension.
bool IsIdleAction(const float* previous, const float* current, const std::vector<double>& range,
                  double fraction = 0.01);

}  // namespace bcbench
