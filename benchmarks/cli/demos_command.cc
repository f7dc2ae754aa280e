// bcbench demos: record scripted-expert demonstrations into a robomimic-layout file.
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "datasets/atomic_file.h"
#include "benchmarks/cli/progress.h"
#include "datasets/demo_file.h"
#include "datasets/demo_recorder.h"
#include "envs/registry.h"

namespace bcbench {
namespace {


// A flag and an --env-opt may name the same env option; two different
// values would leave one silently ignored, so they are refused.
void SetFlagOption(EnvOptions& options, const std::string& key, const std::string& value,
                   const std::string& flag) {
  const auto it = options.find(key);
  if (it != options.end() && it->second != value) {
    throw UsageError(fmt::format("{} says {}={} but --env-opt says {}={}; give one of them", flag,
                                 key, value, key, it->second));
  }
  options[key] = value;
}

EnvOptions BuildEnvOptions(const DemosArgs& a) {
  EnvOptions options;
  for (const auto& kv : a.env_options) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("--env-opt '" + kv + "' must look like key=value");
    }
    const std::string key = kv.substr(0, eq);
    if (options.count(key) && options[key] != kv.substr(eq + 1)) {
      throw UsageError("--env-opt gives " + key + " twice (" + key + "=" + options[key] + ", " +
                       kv + "); give it once");
    }
    options[key] = kv.substr(eq + 1);
  }
  if (!a.obs.empty()) SetFlagOption(options, "obs", a.obs, "--obs");
  // --action-mode has a default: it only conflicts when given.
  if (a.action_mode_given || !options.count("action_mode")) {
    SetFlagOption(options, "action_mode", a.action_mode, "--action-mode");
  }
  if (a.probe) SetFlagOption(options, "start", "probe", "--probe");
  return options;
}

}  // namespace

void RunDemos(const DemosArgs& a) {
  CheckWritableFile("--out", a.out);
  if (a.idle_prob < 0 || a.idle_prob > 1 || std::isnan(a.idle_prob)) {
    throw UsageError(fmt::format("--idle-prob {} is not a probability; use a value in [0, 1]",
                                 a.idle_prob));
  }
  if (!(a.noise >= 0)) throw UsageError(fmt::format("--noise {} must be >= 0", a.noise));
  auto env = MakeEnv(a.env, BuildEnvOptions(a));
  const size_t num_modes = env->ModeNames().size();
  if (!a.mode_weights.empty()) {
    double sum = 0;
    for (double w : a.mode_weights) {
      if (!(w >= 0) || std::isinf(w)) {
        throw UsageError("--mode-weights must be finite and >= 0");
      }
      sum += w;
    }
    if (a.mode_weights.size() != num_modes || sum <= 0) {
      throw UsageError(fmt::format("--mode-weights needs {} non-negative weights ({}) with a "
                                   "positive sum, got {}",
                                   num_modes, fmt::join(env->ModeNames(), ","),
                                   a.mode_weights.size()));
    }
  }
  ExpertOptions expert_options;
  expert_options.idle_prob = a.idle_prob;
  expert_options.noise = a.noise;
  expert_options.mode_weights = a.mode_weights;
  auto expert = MakeExpert(*env, expert_options);

  DemoWriter writer(a.out, EnvArgsFor(*env), LabelNamesFor(*env));
  Progress progress("demos", static_cast<size_t>(a.episodes));
  // Failed expert episodes are skipped (unless --keep-failed) and the next
  // seed is tried, up to twice the requested count.
  const uint64_t max_attempts = 2 * static_cast<uint64_t>(a.episodes);
  uint64_t attempts = 0, failed = 0;
  std::map<int, size_t> modes;
  while (writer.num_demos() < static_cast<size_t>(a.episodes) && attempts < max_attempts) {
    const uint64_t seed = a.seed + attempts++;
    Demo demo = RecordDemo(*env, *expert, seed);
    const bool success = env->Success();
    if (!success) ++failed;
    if (!success && !a.keep_failed) continue;
    ++modes[demo.mode.value_or(-1)];
    writer.Append(demo);
    progress.Update(writer.num_demos(), fmt::format("expert failures {}", failed));
  }
  if (writer.num_demos() < static_cast<size_t>(a.episodes)) {
    throw UsageError(fmt::format(
        "the {} expert failed {} of {} episodes; only {} successful demos, {} requested. "
        "Lower --noise or pass --keep-failed",
        a.env, failed, attempts, writer.num_demos(), a.episodes));
  }
  writer.Finish();
  std::string hist;
  for (const auto& [mode, n] : modes) {
    const auto names = env->ModeNames();
    hist += fmt::format(" {}={}", mode >= 0 && static_cast<size_t>(mode) < names.size()
                                      ? names[mode] : "undecided", n);
  }
  spdlog::info("wrote {} demos to {} in {:.1f}s (expert success {}/{}; modes:{})",
               writer.num_demos(), a.out, progress.Elapsed(), attempts - failed, attempts, hist);
}

void AddDemosCommand(CLI::App& app, CommandActions& actions) {
  auto a = std::make_shared<DemosArgs>();
  auto* cmd = app.add_subcommand(
      "demos",
      "Record scripted-expert demonstrations (robomimic HDF5 layout: obs/<key>, actions, rewards, "
      "dones, states, plus per-step phase and per-demo mode and seed). Demo k uses seed S+k; "
      "failed expert episodes are skipped and the next seed is used. The file appears only when "
      "complete.");
  cmd->add_option("--env", a->env, "environment name (e.g. pusht)")->required();
  cmd->add_option("--episodes", a->episodes, "number of successful demos to record")
      ->check(WholeNumber(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "first episode seed")
      ->check(WholeNumber(0))->capture_default_str();
  cmd->add_option("--out", a->out, "output .hdf5 file (parent folders are created)")->required();
  cmd->add_option("--obs", a->obs, "default observation key recorded first (e.g. state, keypoints); every key is recorded");
  auto* action_mode =
      cmd->add_option("--action-mode", a->action_mode, "absolute (targets) or delta (target changes)")
          ->capture_default_str();
  cmd->add_flag("--probe", a->probe, "start every episode from the env's probe state");
  cmd->add_option("--idle-prob", a->idle_prob,
                  "probability that the expert pauses 3..10 steps at each phase change")
      ->capture_default_str();
  cmd->add_option("--noise", a->noise, "Gaussian noise std on the expert's targets (env units)")
      ->capture_default_str();
  cmd->add_option("--mode-weights", a->mode_weights,
                  "expert preference over modes, comma separated (e.g. 0.7,0.3); default uniform")
      ->delimiter(',');
  cmd->add_option("--env-opt", a->env_options, "extra env option key=value (repeatable)");
  cmd->add_flag("--keep-failed", a->keep_failed, "also keep episodes the expert failed");
  actions["demos"] = [a, action_mode]() {
    a->action_mode_given = action_mode->count() > 0;
    RunDemos(*a);
  };
}

}  // namespace bcbench
