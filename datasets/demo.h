// In-memory form of one demonstration and of a demo file's header, in the
// robomimic layout (SPEC 6). The layout itself (group, dataset and attribute
// names) lives in demo_layout.h and nowhere else.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bcbench {

// A dense row-major float array with an explicit shape; shape[0] is time.
struct FloatArray {
  std::vector<size_t> shape;
  std::vector<float> values;

  FloatArray() = default;
  FloatArray(std::vector<size_t> shape_in, std::vector<float> values_in);
  static FloatArray Zeros(std::vector<size_t> shape_in);

  size_t rows() const { return shape.empty() ? 0 : shape[0]; }
  // Elements per row (product of shape[1:]).
  size_t row_size() const;
  const float* row(size_t i) const { return values.data() + i * row_size(); }
  float* row(size_t i) { return values.data() + i * row_size(); }
  // Appends one row; the first row fixes the row size.
  void AppendRow(const std::vector<double>& row_values);
  bool operator==(const FloatArray& other) const {
    return shape == other.shape && values == other.values;
  }
};

// data.attrs["env_args"]: which env produced the demos, as robomimic writes it.
struct EnvArgs {
  std::string env_name;
  int env_type = 0;  // robomimic's EnvType; ours use kBcbenchEnvType
  std::map<std::string, std::string> env_kwargs;  // bcbench env options
  bool operator==(const EnvArgs& o) const {
    return env_name == o.env_name && env_type == o.env_type && env_kwargs == o.env_kwargs;
  }
};
// robomimic defines 1 robosuite, 2 gym, 3 ig_momart; 4 marks bcbench envs.
constexpr int kBcbenchEnvType = 4;

struct Demo {
  std::string name;  // "demo_<index>"
  FloatArray actions;                          // (N, A)
  std::vector<float> rewards;                  // (N)
  std::vector<uint8_t> dones;                  // (N)
  std::optional<FloatArray> states;            // (N, S)
  std::map<std::string, FloatArray> obs;       // (N, ...)
  std::map<std::string, FloatArray> next_obs;  // optional, (N, ...)
  // bcbench extras, absent from foreign files.
  std::vector<int32_t> phase;       // per step
  std::vector<int32_t> mode_t;      // per step, after it: the env's step mode (-1 undecided)
  FloatArray effector;              // per step, before the action (target units)
  std::optional<int32_t> mode;      // the behaviour the demo committed to
  std::optional<uint64_t> seed;     // env seed it was recorded from

  size_t num_samples() const { return actions.rows(); }
};

// Labels the env attaches to its phases and modes; stored as attributes on
// `data` so reports can print names instead of indices.
struct LabelNames {
  std::vector<std::string> phases;
  std::vector<std::string> modes;
};

}  // namespace bcbench
