#include "benchmarks/perf/perf.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "benchmarks/runner/rollout.h"
#include "datasets/demo_recorder.h"
#include "policies/diffusion/conditional_unet1d.h"
#include "policies/diffusion/diffusion_policy.h"
#include "envs/mujoco_handles.h"
#include "envs/registry.h"
#include "policies/policy_registry.h"

namespace bcbench {
namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

double MeasureSgemmFlops() {
  torch::NoGradGuard no_grad;
  const int64_t n = 1024;
  torch::manual_seed(0);
  const auto a = torch::randn({n, n});
  const auto b = torch::randn({n, n});
  auto c = torch::mm(a, b);  // warm-up
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = Clock::now();
    for (int i = 0; i < 4; ++i) c = torch::mm(a, b);
    best = std::min(best, Seconds(start) / 4);
  }
  return 2.0 * static_cast<double>(n * n * n) / best;
}

namespace {

// What an env hands MuJoCo in each substep: positions and velocities (Push-T
// writes its kinematic agent and its quasi-static T there), actuator controls
// and mocap poses, plus the contact count found, to check the replay against.
// mjcb_control runs inside every mj_step and mj_forward (and Push-T's staged
// forward), after collision detection, so it sees exactly the inputs of each
// substep the env takes.
std::vector<double>* g_step_inputs = nullptr;

void RecordStepInputs(const mjModel* m, mjData* d) {
  auto& log = *g_step_inputs;
  log.push_back(d->ncon);
  log.insert(log.end(), d->qpos, d->qpos + m->nq);
  log.insert(log.end(), d->qvel, d->qvel + m->nv);
  log.insert(log.end(), d->ctrl, d->ctrl + m->nu);
  log.insert(log.end(), d->mocap_pos, d->mocap_pos + 3 * m->nmocap);
  log.insert(log.end(), d->mocap_quat, d->mocap_quat + 4 * m->nmocap);
}

// Installs the recorder for its lifetime and restores the previous callback.
class StepInputRecorder {
 public:
  explicit StepInputRecorder(std::vector<double>* log) : previous_(mjcb_control) {
    g_step_inputs = log;
    mjcb_control = RecordStepInputs;
  }
  ~StepInputRecorder() {
    mjcb_control = previous_;
    g_step_inputs = nullptr;
  }
  StepInputRecorder(const StepInputRecorder&) = delete;
  StepInputRecorder& operator=(const StepInputRecorder&) = delete;

 private:
  mjfGeneric previous_;
};

}  // namespace

EnvOverhead MeasureEnvOverhead(const std::string& env_name, int control_steps,
                               EnvOptions options, BareSubstep bare) {
  // One long episode, so no reset interrupts the trajectory the bare loop replays.
  options["max_steps"] = std::to_string(control_steps);
  EnvOverhead out;
  double best_env = 1e30, best_raw = 1e30;
  // Env and bare loops alternate, best of three each, so that a burst of load
  // from elsewhere on the machine does not land on one side only.
  for (int round = 0; round < 3; ++round) {
    auto env = MakeEnv(env_name, options);
    const auto spec = env->ActionSpec();
    env->Reset(0);
    const mjModel* model = env->Model();
    MjDataPtr raw = MakeData(model);
    mj_copyData(raw.get(), model, env->Data());

    // A fixed target sequence that sweeps the workspace (no RNG: reproducible).
    std::vector<double> action(static_cast<size_t>(spec.dim()));
    auto next_action = [&](int step) {
      for (int d = 0; d < spec.dim(); ++d) {
        const double u = 0.5 + 0.45 * std::sin(0.37 * step * (d + 1) + d);
        action[static_cast<size_t>(d)] = spec.low[d] + u * (spec.high[d] - spec.low[d]);
      }
    };
    const size_t stride = static_cast<size_t>(1 + model->nq + model->nv + model->nu + 7 * model->nmocap);
    std::vector<double> inputs;
    inputs.reserve(stride * static_cast<size_t>(control_steps) * env->Substeps());
    int done_steps = 0;
    {
      const StepInputRecorder recorder(&inputs);
      const auto start = Clock::now();
      while (done_steps < control_steps) {
        next_action(done_steps);
        ++done_steps;
        if (env->Step(action).done) break;  // solved by chance: time what ran
      }
      best_env = std::min(best_env, Seconds(start));
    }
    const long raw_steps = static_cast<long>(inputs.size() / std::max<size_t>(stride, 1));

    // The bare loop: mj_forward (collision and contact solve, the whole of a
    // Push-T substep's MuJoCo work) or mj_step (the same plus integration) on
    // the same inputs, nothing else.
    const auto start = Clock::now();
    const double* in = inputs.data();
    bool same_contacts = true;
    for (long i = 0; i < raw_steps; ++i, in += stride) {
      const double* q = in + 1;
      std::copy(q, q + model->nq, raw->qpos);
      q += model->nq;
      std::copy(q, q + model->nv, raw->qvel);
      q += model->nv;
      std::copy(q, q + model->nu, raw->ctrl);
      q += model->nu;
      std::copy(q, q + 3 * model->nmocap, raw->mocap_pos);
      std::copy(q + 3 * model->nmocap, in + stride, raw->mocap_quat);
      if (bare == BareSubstep::kStep) {
        mj_step(model, raw.get());
      } else {
        mj_forward(model, raw.get());
      }
      same_contacts = same_contacts && raw->ncon == static_cast<int>(in[0]);
    }
    best_raw = std::min(best_raw, Seconds(start));

    out.control_steps = done_steps;
    out.substeps = raw_steps;
    out.replay_exact = (round == 0 || out.replay_exact) &&
                       raw_steps == static_cast<long>(done_steps) * env->Substeps() &&
                       same_contacts;
  }
  out.env_substeps_per_s = static_cast<double>(out.substeps) / best_env;
  out.raw_steps_per_s = static_cast<double>(out.substeps) / best_raw;
  out.ratio = out.env_substeps_per_s / out.raw_steps_per_s;
  return out;
}

ExpertStats MeasureExpert(const std::string& env_name, int episodes, uint64_t first_seed) {
  auto env = MakeEnv(env_name);
  auto expert = MakeExpert(*env);
  ExpertStats stats;
  const auto start = Clock::now();
  for (int i = 0; i < episodes; ++i) {
    RecordDemo(*env, *expert, first_seed + static_cast<uint64_t>(i));
    stats.successes += env->Success() ? 1 : 0;
    ++stats.episodes;
  }
  stats.seconds = Seconds(start);
  stats.demos_per_s = stats.episodes / std::max(stats.seconds, 1e-9);
  return stats;
}

namespace {

const EnvOptions& PerfEnvOptions() {
  static const EnvOptions options{{"obs", "keypoints"}};
  return options;
}

// The CPU-default Diffusion Policy, untrained, normalised by the env's bounds.
std::unique_ptr<DiffusionPolicy> UntrainedPushTPolicy() {
  auto env = MakeEnv("pusht", PerfEnvOptions());
  const SpaceSpec obs = env->ObsSpec("keypoints"), act = env->ActionSpec();
  auto policy = std::make_unique<DiffusionPolicy>(DiffusionConfig{}, obs.dim(), act.dim(),
                                                  torch::kCPU);
  policy->SetNormalizers(Normalizer::FromMinMax(obs.low, obs.high),
                         Normalizer::FromMinMax(act.low, act.high));
  policy->Network().eval();
  return policy;
}

// Keypoint observations, all episodes stepped together.
RolloutOptions PerfRolloutOptions(int episodes) {
  RolloutOptions ro;
  ro.seeds = SeedRange(100000, episodes);
  ro.obs_key = "keypoints";
  return ro;
}

}  // namespace

EvalFloor MeasureEvalFloor(int episodes, int rounds) {
  auto policy = UntrainedPushTPolicy();
  const DiffusionConfig& config = policy->model().config();
  const RolloutOptions ro = PerfRolloutOptions(episodes);
  auto maker = [] { return MakeEnv("pusht", PerfEnvOptions()); };
  EvalFloor out;
  out.episodes = episodes;
  out.rounds = std::max(1, rounds);
  out.wall_seconds = out.env_seconds = 1e30;
  std::vector<EpisodeRecord> records;
  for (int round = 0; round < out.rounds; ++round) {
    out.sgemm_flops = std::max(out.sgemm_flops, MeasureSgemmFlops());
    const auto start = Clock::now();
    records = RunEpisodes(maker, *policy, ro);
    out.wall_seconds = std::min(out.wall_seconds, Seconds(start));

    // The env half of the floor: the same episodes, stepped with the
    // targets the policy commanded, nothing else.
    std::vector<std::unique_ptr<Env>> envs;
    for (const auto& r : records) {
      envs.push_back(maker());
      envs.back()->Reset(r.seed);
    }
    // Stepped over the same threads the evaluation spreads its envs on.
    const auto env_start = Clock::now();
    at::parallel_for(0, static_cast<int64_t>(envs.size()), 1, [&](int64_t begin, int64_t end) {
      for (int64_t e = begin; e < end; ++e) {
        for (const auto& target : records[static_cast<size_t>(e)].targets) {
          envs[static_cast<size_t>(e)]->Step(target);
        }
      }
    });
    out.env_seconds = std::min(out.env_seconds, Seconds(env_start));
  }
  const int evals_per_chunk =
      (config.sampler == "ddpm" ? config.num_train_timesteps : config.inference_steps) *
      (config.guidance_weight != 0 ? 2 : 1);
  out.control_steps = 0;
  out.denoiser_rows = 0;
  for (const auto& r : records) {
    out.control_steps += r.steps;
    out.denoiser_rows += static_cast<long>(r.policy_calls) * evals_per_chunk;
  }
  out.denoiser_flops = static_cast<double>(out.denoiser_rows) *
                       UnetForwardFlops(policy->model().unet()->options(), config.pred_horizon);
  out.floor_seconds = out.denoiser_flops / out.sgemm_flops + out.env_seconds;
  out.ratio = out.wall_seconds / out.floor_seconds;
  return out;
}

VecEvalSpeedup MeasureVecEvalSpeedup(int episodes) {
  auto policy_owner = UntrainedPushTPolicy();
  DiffusionPolicy& policy = *policy_owner;
  RolloutOptions ro = PerfRolloutOptions(episodes);
  auto maker = [] { return MakeEnv("pusht", PerfEnvOptions()); };
  VecEvalSpeedup out;
  out.episodes = episodes;
  auto start = Clock::now();
  RunEpisodes(maker, policy, ro);
  out.batched_seconds = Seconds(start);
  ro.batched = false;
  start = Clock::now();
  RunEpisodes(maker, policy, ro);
  out.unbatched_seconds = Seconds(start);
  out.speedup = out.unbatched_seconds / out.batched_seconds;
  return out;
}

PolicyInference MeasurePolicyInference(const std::string& name, int batch, int rounds) {
  const auto env = MakeEnv("pusht", PerfEnvOptions());
  const SpaceSpec obs = env->ObsSpec("keypoints"), act = env->ActionSpec();
  const PolicyEntry& entry = FindPolicy(name);
  auto policy = entry.create(entry.resolve(ConfigLayers{}), obs.dim(), act.dim(), torch::kCPU);
  policy->SetNormalizers(Normalizer::FromMinMax(obs.low, obs.high),
                         Normalizer::FromMinMax(act.low, act.high));
  policy->Network().eval();
  ObsHistory history;
  history.batch = batch;
  history.steps = policy->ObsHorizon();
  history.dim = obs.dim();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  const auto u = torch::rand({batch, history.steps, obs.dim()}, gen);
  for (int b = 0; b < batch; ++b) {
    history.slots.push_back(b);
    policy->StartEpisode(b, batch, static_cast<uint64_t>(b));
    for (int t = 0; t < history.steps; ++t) {
      for (int d = 0; d < obs.dim(); ++d) {
        const double x = u[b][t][d].item<double>();
        history.values.push_back(static_cast<float>(obs.low[d] + x * (obs.high[d] - obs.low[d])));
      }
    }
  }
  PolicyInference out;
  out.policy = name;
  out.batch = batch;
  out.action_horizon = policy->ActionHorizon();
  policy->Act(history);  // warm-up (fast-path setup, allocations)
  const int calls = batch == 1 ? 20 : 5;
  double best = 1e30;
  for (int round = 0; round < std::max(1, rounds); ++round) {
    std::vector<double> times;
    for (int i = 0; i < calls; ++i) {
      const auto start = Clock::now();
      policy->Act(history);
      times.push_back(Seconds(start));
    }
    std::sort(times.begin(), times.end());
    best = std::min(best, times[times.size() / 2]);
  }
  out.call_ms = best * 1e3;
  out.per_step_ms = out.call_ms / std::max(1, out.action_horizon);
  return out;
}

}  // namespace bcbench
