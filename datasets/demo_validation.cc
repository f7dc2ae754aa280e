#include "datasets/demo_validation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "datasets/demo_file.h"
#include "datasets/demo_layout.h"

namespace bcbench {
namespace {

std::string ShapeText(const std::vector<size_t>& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");
}

std::vector<size_t> RowShape(const std::vector<size_t>& shape) {
  return shape.empty() ? shape : std::vector<size_t>(shape.begin() + 1, shape.end());
}

// Per-demo checks raise this; the caller prefixes file and demo.
[[noreturn]] void Fail(const std::string& what) { throw DemoFileError(what); }

void CheckFinite(const FloatArray& array, const std::string& key) {
  const size_t row = std::max<size_t>(array.row_size(), 1);
  for (size_t i = 0; i < array.values.size(); ++i) {
    if (!std::isfinite(array.values[i])) {
      Fail("'" + key + "' holds " + (std::isnan(array.values[i]) ? "NaN" : "Inf") +
           " at step " + std::to_string(i / row) + "; clean or drop this demo");
    }
  }
}

// Checks rows, finiteness and that the per-row shape matches the first demo's.
void CheckKey(hid_t group, const std::string& key, size_t rows,
              std::map<std::string, KeyInfo>& seen, const std::string& first_demo,
              const std::string& label, bool check_values) {
  const H5DatasetInfo info = H5Describe(group, key);
  if (!info.is_numeric) Fail("'" + label + "' holds " + info.dtype + ", expected numbers");
  if (info.shape.empty() || info.shape[0] != rows) {
    Fail("'" + label + "' has shape " + ShapeText(info.shape) + " but actions has " +
         std::to_string(rows) + " steps; every per-step dataset needs one row per action");
  }
  const KeyInfo now{RowShape(info.shape), info.dtype};
  auto it = seen.find(label);
  if (it == seen.end()) {
    seen[label] = now;
  } else if (it->second.row_shape != now.row_shape) {
    Fail("'" + label + "' has rows of shape " + ShapeText(now.row_shape) + " but " + first_demo +
         " has " + ShapeText(it->second.row_shape) + "; all demos must agree");
  }
  if (check_values && info.is_float) CheckFinite(H5ReadFloat(group, key), label);
}

}  // namespace

bool IsIdleStep(const float* previous_target, const float* target, const std::vector<double>& range,
                const float* effector_before, const float* effector_after, size_t effector_dim) {
  for (size_t d = 0; d < range.size(); ++d) {
    const double from = previous_target != nullptr ? previous_target[d] : 0.0;
    if (std::abs(static_cast<double>(target[d]) - from) >= kIdleTargetFraction * range[d]) {
      return false;
    }
  }
  if (effector_before == nullptr || effector_after == nullptr) return true;
  for (size_t d = 0; d < std::min(effector_dim, range.size()); ++d) {
    const double moved = std::abs(static_cast<double>(effector_after[d]) - effector_before[d]);
    if (moved >= kIdleEffectorFraction * range[d]) return false;
  }
  return true;
}

DemoFileSummary ValidateDemoFile(const std::string& path) {
  const DemoFile file = DemoFile::Open(path);
  DemoFileSummary s;
  s.path = path;
  s.env_args = file.env_args();
  s.has_env_args = file.has_env_args();
  s.labels = file.labels();
  s.num_demos = file.demo_names().size();
  if (s.num_demos == 0) throw DemoFileError(path + ": 'data' holds no demo groups");
  if (!s.has_env_args) s.warnings.push_back("data has no env_args attribute");

  std::map<std::string, KeyInfo> seen;  // label -> row shape of the first demo
  const std::string& first = file.demo_names().front();
  s.min_length = std::numeric_limits<size_t>::max();
  const bool delta = s.env_args.env_kwargs.count("action_mode") &&
                     s.env_args.env_kwargs.at("action_mode") == "delta";
  std::vector<FloatArray> actions_per_demo;  // kept for the idle pass (small: N x A floats)
  std::vector<FloatArray> effector_per_demo;  // empty arrays where a demo has none
  actions_per_demo.reserve(s.num_demos);

  for (const auto& name : file.demo_names()) {
    try {
      H5Id group = H5OpenGroup(file.data_group(), name);
      const hid_t g = group.get();
      if (!H5Exists(g, layout::kActions)) Fail("no 'actions' dataset");
      const H5DatasetInfo ainfo = H5Describe(g, layout::kActions);
      if (!ainfo.is_numeric || ainfo.shape.size() != 2) {
        Fail("'actions' must be a 2-D numeric array (N, A), found " + ainfo.dtype + " " +
             ShapeText(ainfo.shape));
      }
      const size_t n = ainfo.shape[0];
      if (n == 0) Fail("demo is empty (0 steps); remove it or re-record it");
      if (auto ns = H5ReadAttrInt64(g, layout::kNumSamples); ns && *ns != static_cast<int64_t>(n)) {
        Fail("attribute num_samples = " + std::to_string(*ns) + " but actions has " +
             std::to_string(n) + " steps");
      }
      CheckKey(g, layout::kActions, n, seen, first, "actions", false);
      FloatArray actions = H5ReadFloat(g, layout::kActions);
      CheckFinite(actions, "actions");
      s.action_dtype = ainfo.dtype;

      for (const char* key : {layout::kRewards, layout::kDones, layout::kStates, layout::kEffector}) {
        if (H5Exists(g, key)) CheckKey(g, key, n, seen, first, key, true);
      }
      for (const char* group_name : {layout::kObs, layout::kNextObs}) {
        if (!H5IsGroup(g, group_name)) continue;
        H5Id obs = H5OpenGroup(g, group_name);
        for (const auto& key : H5ListChildren(obs.get())) {
          CheckKey(obs.get(), key, n, seen, first, std::string(group_name) + "/" + key, true);
        }
      }
      // Every demo must carry the same obs keys as the first one.
      for (const auto& [label, info] : seen) {
        if (label.rfind("obs/", 0) == 0 && !H5Exists(g, label)) {
          Fail("missing '" + label + "', which " + first + " has");
        }
      }
      if (H5Exists(g, layout::kPhase)) {
        CheckKey(g, layout::kPhase, n, seen, first, layout::kPhase, false);
        for (int32_t p : H5ReadInt32(g, layout::kPhase)) ++s.phase_counts[p];
        s.has_phase = true;
      }
      // mode_t (bcbench files; foreign robomimic files need not have it): one
      // label per step, -1 (undecided) or a mode index.
      if (H5Exists(g, layout::kModeT)) {
        CheckKey(g, layout::kModeT, n, seen, first, layout::kModeT, false);
        const std::vector<int32_t> modes = H5ReadInt32(g, layout::kModeT);
        const int32_t known = static_cast<int32_t>(s.labels.modes.size());
        int32_t last = -1;
        for (int32_t m : modes) {
          if (m < -1 || (known > 0 && m >= known)) {
            Fail("mode_t holds " + std::to_string(m) + "; valid: -1 (undecided) or 0.." +
                 std::to_string(known - 1) + " (bcbench_mode_names)");
          }
          if (m >= 0 && last >= 0 && m != last) ++s.mode_t_switches;
          if (m >= 0) last = m;
        }
        ++s.demos_with_mode_t;
      }
      if (auto mode = H5ReadAttrInt64(g, layout::kMode)) {
        ++s.mode_histogram[static_cast<int>(*mode)];
        ++s.demos_with_mode;
      }
      s.total_steps += n;
      s.min_length = std::min(s.min_length, n);
      s.max_length = std::max(s.max_length, n);
      actions_per_demo.push_back(std::move(actions));
      effector_per_demo.push_back(H5Exists(g, layout::kEffector) ? H5ReadFloat(g, layout::kEffector)
                                                                  : FloatArray{});
    } catch (const DemoFileError& e) {
      throw DemoFileError(path + ": " + name + ": " + e.what());
    }
  }
  s.mean_length = static_cast<double>(s.total_steps) / static_cast<double>(s.num_demos);

  if (auto total = file.total_attr()) {
    if (*total != static_cast<int64_t>(s.total_steps)) {
      throw DemoFileError(path + ": attribute data.total = " + std::to_string(*total) +
                          " but the demos hold " + std::to_string(s.total_steps) + " steps");
    }
  } else {
    s.warnings.push_back("data has no 'total' attribute");
  }
  for (const auto& [mask, demos] : file.ReadMasks()) {
    for (const auto& demo : demos) {
      if (!H5IsGroup(file.data_group(), demo)) {
        throw DemoFileError(path + ": mask/" + mask + " names '" + demo +
                            "', which is not a demo in data/");
      }
    }
    s.masks[mask] = demos.size();
  }
  for (const auto& [label, info] : seen) {
    if (label.rfind("obs/", 0) == 0) s.obs[label.substr(4)] = info;
    if (label.rfind("next_obs/", 0) == 0) s.next_obs[label.substr(9)] = info;
    if (label == layout::kStates) s.states = info;
  }

  // Action range, then idle steps relative to it.
  s.action_dim = actions_per_demo.front().row_size();
  s.action_min.assign(s.action_dim, std::numeric_limits<float>::max());
  s.action_max.assign(s.action_dim, std::numeric_limits<float>::lowest());
  for (const auto& a : actions_per_demo) {
    for (size_t t = 0; t < a.rows(); ++t) {
      for (size_t d = 0; d < s.action_dim; ++d) {
        s.action_min[d] = std::min(s.action_min[d], a.row(t)[d]);
        s.action_max[d] = std::max(s.action_max[d], a.row(t)[d]);
      }
    }
  }
  std::vector<double> range(s.action_dim);
  for (size_t d = 0; d < s.action_dim; ++d) {
    range[d] = std::max(1e-9, static_cast<double>(s.action_max[d]) - s.action_min[d]);
  }
  size_t idle = 0;
  s.idle_uses_effector = true;
  for (size_t k = 0; k < actions_per_demo.size(); ++k) {
    const FloatArray& a = actions_per_demo[k];
    const FloatArray& e = effector_per_demo[k];
    const bool has_effector = e.rows() == a.rows();
    s.idle_uses_effector = s.idle_uses_effector && has_effector;
    for (size_t t = 1; t < a.rows(); ++t) {
      // effector[t] is before action t, effector[t + 1] after it.
      const bool known = has_effector && t + 1 < e.rows();
      if (IsIdleStep(delta ? nullptr : a.row(t - 1), a.row(t), range, known ? e.row(t) : nullptr,
                     known ? e.row(t + 1) : nullptr, e.row_size())) {
        ++idle;
      }
    }
  }
  s.idle_fraction = static_cast<double>(idle) / static_cast<double>(s.total_steps);
  return s;
}

}  // namespace bcbench
