// Validates a demo file against everything the suite relies on, reading one
// demo at a time, and summarises it (what `bcbench inspect` prints).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "datasets/demo.h"
#include "datasets/hdf5_handles.h"
#include "datasets/idle_steps.h"

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
  // Idle steps (datasets/idle_steps.h), counted as for a rollout of each
  // demo. The workspace is the commanded-target extent of the file's env,
  // built through the env registry from env_args; for a file whose env
  // bcbench cannot build, the range of the file's own actions, and
  // idle_workspace_note says why.
  std::vector<IdleCount> idle_per_demo;  // in demo order (DemoFile::demo_names)
  size_t idle_steps = 0;                 // over all demos
  size_t idle_counted_steps = 0;
  double idle_fraction = 0.0;            // idle_steps / idle_counted_steps
  size_t longest_idle_streak = 0;
  std::vector<double> idle_workspace;    // the extent used, per dimension
  bool idle_env_workspace = false;       // from the env, not the actions
  std::string idle_workspace_note;       // why not from the env, when not
  bool idle_uses_effector = false;       // every demo has effector positions
  // Demos whose first and last simulator states could not be replayed in the
  // env: their step 0 does not count (absolute mode) and their last step is
  // judged by its target alone.
  size_t idle_demos_without_ends = 0;
  // Extras, present in bcbench files.
  std::map<int, size_t> mode_histogram;       // mode -> demos
  size_t demos_with_mode = 0;
  std::map<int, size_t> phase_counts;         // phase -> steps
  size_t demos_with_mode_t = 0;               // demos with a per-step mode_t
  size_t mode_t_switches = 0;                 // changes between decided modes, all demos
  bool has_phase = false;
  std::vector<std::string> warnings;          // valid, but worth knowing
};

// Throws DemoFileError naming the file, the demo and the key when the file is
// not HDF5 or truncated, lacks `data` or `actions`, has a demo that is empty,
// obs/next_obs/states/rewards/dones/phase/mode_t lengths that differ from actions,
// mode_t values outside -1..(mode names - 1),
// NaN/Inf values, dimensions that disagree across demos, a wrong `total` or
// `num_samples`, or a mask naming a missing demo. Builds the file's env (when
// bcbench knows it) for the idle pass's workspace and episode ends.
DemoFileSummary ValidateDemoFile(const std::string& path);

}  // namespace bcbench
