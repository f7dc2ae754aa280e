#include "viz/render_episode.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/runner/eval_run.h"
#include "benchmarks/runner/rollout.h"
#include "datasets/demo_file.h"
#include "datasets/demo_recorder.h"
#include "envs/registry.h"
#include "viz/frame_output.h"

namespace bcbench {
namespace {

using States = std::vector<std::vector<double>>;

// Where an episode comes from: the env its states restore into, the
// overlay's name for it, and how to run it (returning the SimState after
// the reset and after every control step).
struct EpisodeSource {
  std::unique_ptr<Env> env;
  std::string label;
  std::function<States()> run;
};

EnvOptions WithOverrides(EnvOptions options,
                         const std::vector<std::pair<std::string, std::string>>& overrides) {
  for (const auto& [key, value] : overrides) options[key] = value;
  return options;
}

void CheckEnvMatches(const std::string& given, const std::string& actual,
                     const std::string& what) {
  if (!given.empty() && given != actual) {
    throw std::invalid_argument(fmt::format("--env {}: {} is for the env '{}'; drop --env or "
                                            "pass --env {}",
                                            given, what, actual, actual));
  }
}

std::vector<double> RowOf(const FloatArray& array, size_t row) {
  const float* values = array.row(row);
  return std::vector<double>(values, values + array.row_size());
}

// The scripted expert on `seed`: the episode `bcbench demos` records for that
// seed (the same recorder), kept to the state after its last step.
EpisodeSource ExpertSource(const RenderEpisodeSpec& spec) {
  if (spec.env_name.empty()) {
    throw std::invalid_argument("--env is required for the expert (or pass --checkpoint DIR or "
                                "--replay F.hdf5 --demo k)");
  }
  EpisodeSource source;
  source.env = MakeEnv(spec.env_name, WithOverrides({}, spec.env_options));
  source.label = "expert";
  Env* env = source.env.get();
  source.run = [env, &spec]() {
    const auto expert = MakeExpert(*env);
    const Demo demo = RecordDemo(*env, *expert, spec.seed);
    States states;
    for (size_t i = 0; i < demo.states->rows(); ++i) states.push_back(RowOf(*demo.states, i));
    states.push_back(env->SimState());
    return states;
  };
  return source;
}

// A trained policy on `seed`, through the evaluation runner (one episode,
// receding horizon and latency as `bcbench eval` runs them).
EpisodeSource PolicySource(const RenderEpisodeSpec& spec) {
  auto loaded = std::make_shared<LoadedPolicy>(LoadPolicy(spec.checkpoint, {}, spec.device, true));
  CheckEnvMatches(spec.env_name, loaded->env_name, "the checkpoint " + spec.checkpoint);
  const EnvOptions options = EvalEnvOptions(*loaded, spec.env_options);
  EpisodeSource source;
  source.env = MakeEnv(loaded->env_name, options);
  source.label = fmt::format("{} ({})", loaded->policy->Name(), spec.checkpoint);
  source.run = [loaded, options, &spec]() {
    States states;
    RolloutOptions ro;
    ro.seeds = {spec.seed};
    ro.obs_key = loaded->obs_key;
    ro.batched = false;
    ro.policy_seed = spec.policy_seed;
    ro.max_steps = spec.max_steps;
    // One episode, so the hook runs on this thread, one call at a time.
    ro.on_state = [&](const Env& env, uint64_t) {
      states.push_back(env.SimState());
      if (spec.on_step) spec.on_step(env.StepCount(), env.MaxSteps());
    };
    RunEpisodes([&]() { return MakeEnv(loaded->env_name, options); }, *loaded->policy, ro);
    return states;
  };
  return source;
}

// A recorded demo: its stored states (recorded before each action), then its
// last action from the last of them; a file without states is replayed by
// its actions from a reset with the demo's seed.
EpisodeSource ReplaySource(const RenderEpisodeSpec& spec) {
  auto file = std::make_shared<DemoFile>(DemoFile::Open(spec.replay));
  const std::string name = "demo_" + std::to_string(spec.demo);
  const auto& names = file->demo_names();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    throw std::invalid_argument(fmt::format(
        "--demo {}: {} has no {}; it holds {} demos{}", spec.demo, spec.replay, name,
        names.size(),
        names.empty() ? "" : fmt::format(" ({} .. {})", names.front(), names.back())));
  }
  if (!file->has_env_args()) {
    throw std::invalid_argument(spec.replay + " names no env (no env_args attribute on data); "
                                "only files with an env can be replayed");
  }
  const EnvArgs& args = file->env_args();
  CheckEnvMatches(spec.env_name, args.env_name, "the demo file " + spec.replay);
  EpisodeSource source;
  source.env = MakeEnv(args.env_name, WithOverrides(args.env_kwargs, spec.env_options));
  source.label = fmt::format("replay {} {}",
                             std::filesystem::path(spec.replay).filename().string(), name);
  Env* env = source.env.get();
  source.run = [env, file, name, &spec]() {
    const Demo demo = file->ReadDemo(name);
    const size_t n = demo.num_samples();
    States states;
    if (n == 0) throw std::invalid_argument(spec.replay + " " + name + " has no steps");
    if (demo.states && demo.states->rows() == n) {
      for (size_t i = 0; i < n; ++i) states.push_back(RowOf(*demo.states, i));
      env->SetSimState(states.back());
    } else {
      uint64_t seed = spec.seed;
      if (demo.seed) {
        seed = *demo.seed;
      } else {
        spdlog::warn("{} {} stores neither states nor its seed: replaying its actions from "
                     "seed {} (--seed)",
                     spec.replay, name, seed);
      }
      env->Reset(seed);
      states.push_back(env->SimState());
      for (size_t i = 0; i + 1 < n; ++i) {
        env->Step(RowOf(demo.actions, i));
        states.push_back(env->SimState());
      }
    }
    env->Step(RowOf(demo.actions, n - 1));
    states.push_back(env->SimState());
    return states;
  };
  return source;
}

EpisodeSource SourceFor(const RenderEpisodeSpec& spec) {
  if (!spec.checkpoint.empty() && !spec.replay.empty()) {
    throw std::invalid_argument("--checkpoint and --replay exclude each other: render a policy "
                                "or a demo, not both");
  }
  if (!spec.checkpoint.empty()) return PolicySource(spec);
  if (!spec.replay.empty()) return ReplaySource(spec);
  return ExpertSource(spec);
}

}  // namespace

std::vector<int> FramesToRender(int steps, int every) {
  if (every < 1) throw std::invalid_argument(fmt::format("--every {} must be >= 1", every));
  std::vector<int> frames;
  for (int k = 0; k <= steps; k += every) frames.push_back(k);
  if (frames.back() != steps) frames.push_back(steps);
  return frames;
}

RenderEpisodeResult RenderEpisode(const RenderEpisodeSpec& spec) {
  if (spec.every < 1) throw std::invalid_argument(fmt::format("--every {} must be >= 1", spec.every));
  if (spec.max_steps < 0) {
    throw std::invalid_argument(fmt::format("--steps {} must be >= 0", spec.max_steps));
  }
  FrameOutputKindOf("--out", spec.out);  // the form of --out, before any work
  EpisodeSource source = SourceFor(spec);
  Env& env = *source.env;
  // The display and the output are checked before the episode runs.
  OffscreenRenderer renderer(env.Model(), spec.render);
  FrameOutput output("--out", spec.out, spec.render.width, spec.render.height,
                     env.ControlHz() / spec.every);

  States states = source.run();
  if (spec.max_steps > 0 && states.size() > static_cast<size_t>(spec.max_steps) + 1) {
    states.resize(static_cast<size_t>(spec.max_steps) + 1);
  }

  RenderEpisodeResult result;
  result.env = env.Name();
  result.source = source.label;
  result.camera = renderer.CameraDescription();
  result.steps = static_cast<int>(states.size()) - 1;
  const std::vector<int> frames = FramesToRender(result.steps, spec.every);
  for (size_t i = 0; i < frames.size(); ++i) {
    env.SetSimState(states[static_cast<size_t>(frames[i])]);
    const OverlayText text = OverlayTextOf(LabelsOf(env, source.label));
    output.Add(renderer.Render(env.Data(), spec.overlay ? &text : nullptr));
    if (spec.on_frame) spec.on_frame(i + 1, frames.size());
  }
  output.Finish();
  result.frames = output.frames();
  result.output = output.Description();
  result.success = env.Success();
  result.final_reward = env.Reward();
  return result;
}

}  // namespace bcbench
