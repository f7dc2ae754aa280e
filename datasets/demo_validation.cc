#include "datasets/demo_validation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "datasets/demo_file.h"
#include "datasets/demo_layout.h"
#include "datasets/sequence_sampler.h"
#include "envs/registry.h"

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

std::vector<double> RowOf(const FloatArray& array, size_t t) {
  return std::vector<double>(array.row(t), array.row(t) + array.row_size());
}

// The env the file's demos were recorded in, built from its env_args, when
// bcbench can build it; else nullptr and `why_not` says why.
std::unique_ptr<Env> FileEnv(const DemoFile& file, size_t action_dim, std::string& why_not) {
  if (!file.has_env_args()) {
    why_not = "the file has no env_args";
    return nullptr;
  }
  const EnvArgs& args = file.env_args();
  const std::vector<std::string> names = EnvNames();
  if (std::find(names.begin(), names.end(), args.env_name) == names.end()) {
    why_not = "env '" + args.env_name + "' is not a bcbench env";
    return nullptr;
  }
  std::unique_ptr<Env> env;
  try {
    env = MakeEnv(args.env_name, args.env_kwargs);
  } catch (const EnvError& e) {
    why_not = std::string("env_args do not build the env: ") + e.what();
    return nullptr;
  }
  if (static_cast<size_t>(env->TargetSpec().dim()) != action_dim) {
    why_not = args.env_name + "'s target has " + std::to_string(env->TargetSpec().dim()) +
              " dimensions but the actions " + std::to_string(action_dim);
    return nullptr;
  }
  return env;
}

// What a rollout records and a demo file does not: the target before step 0
// (absolute mode; from the first simulator state) and the effector after the
// last step (the last state stepped with the last action, when the demo has
// effector positions). `ends` holds the demo's first and last state. False
// when the env does not accept them.
bool RecoverEpisodeEnds(Env& env, const FloatArray& ends, IdleSequence& sequence) {
  const size_t n = sequence.commanded.rows();
  const bool wants_effector = sequence.effector.rows() == n;
  std::vector<double> initial_target, last_effector;
  try {
    if (sequence.mode == ActionMode::kAbsolute) {
      env.SetSimState(RowOf(ends, 0));
      initial_target = env.CommandedTarget();
    }
    if (wants_effector) {
      env.SetSimState(RowOf(ends, 1));
      env.Step(RowOf(sequence.commanded, n - 1));
      last_effector = env.EffectorPosition();
    }
  } catch (const EnvError&) {
    return false;
  }
  if (wants_effector && last_effector.size() != sequence.effector.row_size()) return false;
  for (double v : initial_target) sequence.initial_target.push_back(static_cast<float>(v));
  if (wants_effector) sequence.effector.AppendRow(last_effector);
  return true;
}

}  // namespace

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
  // Kept for the idle pass (small: N x (A + k) floats per demo): the actions,
  // effector positions and dones, and the first and last simulator state.
  std::vector<IdleSequence> idle_per_demo;
  std::vector<FloatArray> ends_per_demo;  // empty where a demo has no states
  idle_per_demo.reserve(s.num_demos);

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
      IdleSequence idle;
      idle.commanded = std::move(actions);
      if (H5Exists(g, layout::kEffector)) idle.effector = H5ReadFloat(g, layout::kEffector);
      if (H5Exists(g, layout::kDones)) {
        for (float done : H5ReadFloat(g, layout::kDones).values) idle.done.push_back(done != 0);
      }
      idle_per_demo.push_back(std::move(idle));
      FloatArray ends;
      if (H5Exists(g, layout::kStates)) {
        const FloatArray states = H5ReadFloat(g, layout::kStates);
        ends.AppendRow(RowOf(states, 0));
        ends.AppendRow(RowOf(states, n - 1));
      }
      ends_per_demo.push_back(std::move(ends));
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
  try {  // the split training would make: refuses a demo in both train and valid
    SplitDemos(file.demo_names(), file.ReadMasks(), 0.0, 0);
  } catch (const std::invalid_argument& e) {
    throw DemoFileError(path + ": " + e.what());
  }
  for (const auto& [label, info] : seen) {
    if (label.rfind("obs/", 0) == 0) s.obs[label.substr(4)] = info;
    if (label.rfind("next_obs/", 0) == 0) s.next_obs[label.substr(9)] = info;
    if (label == layout::kStates) s.states = info;
  }

  s.action_dim = idle_per_demo.front().commanded.row_size();
  s.action_min.assign(s.action_dim, std::numeric_limits<float>::max());
  s.action_max.assign(s.action_dim, std::numeric_limits<float>::lowest());
  for (const auto& demo : idle_per_demo) {
    const FloatArray& a = demo.commanded;
    for (size_t t = 0; t < a.rows(); ++t) {
      for (size_t d = 0; d < s.action_dim; ++d) {
        s.action_min[d] = std::min(s.action_min[d], a.row(t)[d]);
        s.action_max[d] = std::max(s.action_max[d], a.row(t)[d]);
      }
    }
  }

  // Idle steps, against the env's workspace when bcbench can build the env,
  // else against the file's own action range.
  const std::unique_ptr<Env> env = FileEnv(file, s.action_dim, s.idle_workspace_note);
  ActionMode mode = ActionMode::kAbsolute;
  if (env) {
    s.idle_env_workspace = true;
    s.idle_workspace = WorkspaceRange(*env);
    mode = env->GetActionMode();
  } else {
    for (size_t d = 0; d < s.action_dim; ++d) {
      s.idle_workspace.push_back(
          std::max(1e-9, static_cast<double>(s.action_max[d]) - s.action_min[d]));
    }
    const auto it = s.env_args.env_kwargs.find("action_mode");
    if (it != s.env_args.env_kwargs.end() && it->second == "delta") mode = ActionMode::kDelta;
  }
  s.idle_uses_effector = true;
  for (size_t k = 0; k < idle_per_demo.size(); ++k) {
    IdleSequence& demo = idle_per_demo[k];
    demo.mode = mode;
    s.idle_uses_effector = s.idle_uses_effector && demo.effector.rows() > 0;
    if (!env || ends_per_demo[k].rows() == 0 || !RecoverEpisodeEnds(*env, ends_per_demo[k], demo)) {
      ++s.idle_demos_without_ends;
    }
    const IdleCount count = CountIdleSteps(demo, s.idle_workspace);
    s.idle_steps += count.idle_steps;
    s.idle_counted_steps += count.counted_steps;
    s.longest_idle_streak = std::max(s.longest_idle_streak, count.longest_streak);
    s.idle_per_demo.push_back(count);
  }
  s.idle_fraction = IdleFraction(s.idle_steps, s.idle_counted_steps);
  return s;
}

}  // namespace bcbench
