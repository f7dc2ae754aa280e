#include "viz/live_episode.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/runner/episode_stepper.h"
#include "benchmarks/runner/eval_run.h"
#include "datasets/demo_file.h"
#include "datasets/demo_recorder.h"
#include "envs/registry.h"

namespace bcbench {
namespace {

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

// The scripted expert: the episode `bcbench demos` records for the seed.
class ExpertEpisode : public LiveEpisode {
 public:
  explicit ExpertEpisode(const LiveEpisodeSpec& spec) {
    if (spec.env_name.empty()) {
      throw std::invalid_argument("--env is required for the expert (or pass --checkpoint DIR or "
                                  "--replay F.hdf5)");
    }
    env_ = MakeEnv(spec.env_name, WithOverrides({}, spec.env_options));
    expert_ = MakeExpert(*env_);
  }
  void Start(uint64_t seed) override {
    env_->Reset(seed);
    expert_->Reset(seed);
    done_ = false;
  }
  bool Done() const override { return done_; }
  void Step() override {
    if (done_) return;
    done_ = env_->Step(StoredAction(*env_, expert_->Act())).done;
  }
  Env& env() override { return *env_; }
  std::string Label() const override { return "expert"; }

 private:
  std::unique_ptr<Env> env_;
  std::unique_ptr<Expert> expert_;
  bool done_ = true;
};

// A trained policy through the runner's stepper: slot 0 is the episode that
// `bcbench eval` runs for the seed; slots 1.. see the same observations
// with their own streams and are only drawn.
class PolicyEpisode : public LiveEpisode {
 public:
  explicit PolicyEpisode(const LiveEpisodeSpec& spec)
      : loaded_(LoadPolicy(spec.checkpoint, {}, spec.device, true)),
        policy_seed_(spec.policy_seed),
        samples_(std::max(1, spec.chunk_samples)) {
    CheckEnvMatches(spec.env_name, loaded_.env_name, "the checkpoint " + spec.checkpoint);
    options_ = EvalEnvOptions(loaded_, spec.env_options);
    label_ = fmt::format("{} ({})", loaded_.policy->Name(), spec.checkpoint);
    const Policy& p = *loaded_.policy;
    stepper_ = std::make_unique<EpisodeStepper>(MakeEnv(loaded_.env_name, options_),
                                                loaded_.obs_key, p.ObsHorizon(),
                                                p.ActionHorizon(), p.LatencySteps(), rollout_);
  }
  void Start(uint64_t seed) override {
    stepper_->Start(seed);
    for (int k = 0; k < samples_; ++k) {
      // Sample 0's stream is eval's for this seed; the others' are eval's
      // under policy seeds policy_seed + k.
      loaded_.policy->StartEpisode(k, samples_,
                                   EpisodeStreamSeed(policy_seed_ + static_cast<uint64_t>(k), seed));
    }
    // Decisions are taken as soon as the last one's actions are used up,
    // so Chunks() always shows the plan that acts from the current state.
    // The policy sees the same observations as when deciding just before
    // the next step: the actions are eval's.
    Decide();
  }
  bool Done() const override { return stepper_->done(); }
  void Step() override {
    if (stepper_->done()) return;
    stepper_->StepOnce();
    if (!stepper_->done() && stepper_->NeedsDecision()) Decide();
  }
  Env& env() override { return stepper_->env(); }
  std::string Label() const override { return label_; }
  ChunkDrawing Chunks() const override { return drawing_; }

 private:
  void Decide() {
    Policy& policy = *loaded_.policy;
    ObsHistory obs;
    obs.batch = samples_;
    obs.steps = policy.ObsHorizon();
    obs.dim = stepper_->ObsDim();
    for (int k = 0; k < samples_; ++k) {
      stepper_->AppendObs(obs.values);
      obs.slots.push_back(k);
    }
    const ActionChunk chunk = policy.Act(obs);
    if (chunk.batch != samples_ || chunk.steps != policy.ChunkSteps()) {
      throw std::runtime_error("policy returned a chunk of the wrong shape");
    }
    // The drawing starts from the target commanded now (delta actions add up from it).
    const Env& env = stepper_->env();
    const std::vector<double> base = env.CommandedTarget();
    const SpaceSpec bounds = env.TargetSpec();
    const bool delta = env.GetActionMode() == ActionMode::kDelta;
    drawing_ = ChunkDrawing{};
    drawing_.executed_first = stepper_->executed_first();
    drawing_.executed_count = stepper_->executed_count();
    for (int k = 0; k < samples_; ++k) {
      std::vector<std::array<double, 3>> points;
      std::vector<double> target = base;
      for (int i = 0; i < chunk.steps; ++i) {
        const float* a = chunk.values.data() + (static_cast<size_t>(k) * chunk.steps + i) * chunk.dim;
        for (size_t d = 0; d < target.size() && d < static_cast<size_t>(chunk.dim); ++d) {
          const double value = delta ? target[d] + a[d] : a[d];
          target[d] = d < bounds.low.size() ? std::clamp(value, bounds.low[d], bounds.high[d])
                                            : value;
        }
        if (const auto p = env.TargetWorldPoint(target)) points.push_back(*p);
      }
      if (!points.empty()) drawing_.samples.push_back(std::move(points));
    }
    stepper_->Decide(chunk, 0);
  }

  LoadedPolicy loaded_;
  uint64_t policy_seed_;
  int samples_;
  EnvOptions options_;
  RolloutOptions rollout_;  // no hooks: the viewer reads the env itself
  std::unique_ptr<EpisodeStepper> stepper_;
  std::string label_;
  ChunkDrawing drawing_;
};

// A recorded demo: its stored states (recorded before each action), then its
// last action from the last of them; a file without states is replayed by
// its actions from a reset with the demo's seed.
class ReplayEpisode : public LiveEpisode {
 public:
  explicit ReplayEpisode(const LiveEpisodeSpec& spec)
      : file_(DemoFile::Open(spec.replay)), path_(spec.replay) {
    if (!file_.has_env_args()) {
      throw std::invalid_argument(spec.replay + " names no env (no env_args attribute on data); "
                                  "only files with an env can be replayed");
    }
    const EnvArgs& args = file_.env_args();
    CheckEnvMatches(spec.env_name, args.env_name, "the demo file " + spec.replay);
    env_ = MakeEnv(args.env_name, WithOverrides(args.env_kwargs, spec.env_options));
  }
  void Start(uint64_t index) override {
    const std::string name = "demo_" + std::to_string(index);
    const auto& names = file_.demo_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      throw std::invalid_argument(fmt::format(
          "--demo {}: {} has no {}; it holds {} demos{}", index, path_, name, names.size(),
          names.empty() ? "" : fmt::format(" ({} .. {})", names.front(), names.back())));
    }
    demo_ = std::make_unique<Demo>(file_.ReadDemo(name));
    name_ = name;
    step_ = 0;
    const size_t n = demo_->num_samples();
    if (n == 0) throw std::invalid_argument(path_ + " " + name + " has no steps");
    with_states_ = demo_->states && demo_->states->rows() == n;
    if (with_states_) {
      env_->SetSimState(RowOf(*demo_->states, 0));
    } else {
      uint64_t seed = index;
      if (demo_->seed) {
        seed = *demo_->seed;
      } else {
        spdlog::warn("{} {} stores neither states nor its seed: replaying its actions from seed {}",
                     path_, name, seed);
      }
      env_->Reset(seed);
    }
  }
  bool Done() const override { return !demo_ || step_ >= demo_->num_samples(); }
  void Step() override {
    if (Done()) return;
    const size_t n = demo_->num_samples();
    ++step_;
    if (with_states_ && step_ < n) {
      env_->SetSimState(RowOf(*demo_->states, step_));
    } else {
      // States end before the last action (or the file has none): step it.
      env_->Step(RowOf(demo_->actions, step_ - 1));
    }
  }
  Env& env() override { return *env_; }
  std::string Label() const override {
    return fmt::format("replay {} {}", std::filesystem::path(path_).filename().string(), name_);
  }
  std::string IndexName() const override { return "demo"; }

 private:
  DemoFile file_;
  std::string path_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<Demo> demo_;
  std::string name_;
  size_t step_ = 0;
  bool with_states_ = false;
};

}  // namespace

std::unique_ptr<LiveEpisode> MakeLiveEpisode(const LiveEpisodeSpec& spec) {
  if (!spec.checkpoint.empty() && !spec.replay.empty()) {
    throw std::invalid_argument("--checkpoint and --replay exclude each other: show a policy "
                                "or a demo, not both");
  }
  if (spec.chunk_samples < 1) {
    throw std::invalid_argument(fmt::format("--samples {} must be >= 1", spec.chunk_samples));
  }
  if (!spec.checkpoint.empty()) return std::make_unique<PolicyEpisode>(spec);
  if (!spec.replay.empty()) return std::make_unique<ReplayEpisode>(spec);
  return std::make_unique<ExpertEpisode>(spec);
}

}  // namespace bcbench
