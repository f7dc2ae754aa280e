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
  // Idle steps (see IsIdleStep) over all steps; from the actions, and from
  // the effector positions when the file has them (bcbench files do).
  double idle_fraction = 0.0;
  bool idle_uses_effector = false;
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
// `num_samples`, or a mask naming a missing demo.
DemoFileSummary ValidateDemoFile(const std::string& path);

// One home for the idle-step rule (SPEC 7). A step is idle when the commanded
// target moves by less than 1% of the workspace in every dimension (absolute
// actions: consecutive targets; delta actions: the delta against zero, pass
// previous = nullptr) and, when the effector's positions before and after the
// step are known, the effector moved less than 0.1% of the workspace: holding
// still, not pushing slowly. `range` is the workspace extent per dimension.
inline constexpr double kIdleTargetFraction = 0.01;
inline constexpr double kIdleEffectorFraction = 0.001;
bool IsIdleStep(const float* previous_target, const float* target, const std::vector<double>& range,
                const float* effector_before = nullptr, const float* effector_after = nullptr,
                size_t effector_dim = 0);

}  // namespace bcbench
