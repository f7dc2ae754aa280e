#include "benchmarks/perf/perf.h"

#include <algorithm>
#include <chrono>

#include <torch/torch.h>

#include "benchmarks/runner/rollout.h"
#include "datasets/demo_recorder.h"
#include "policies/diffusion/diffusion_policy.h"
#include "envs/mujoco_handles.h"
#include "envs/registry.h"

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

EnvOverhead MeasureEnvOverhead(const std::string& env_name, int control_steps) {
  auto env = MakeEnv(env_name);
  const auto spec = env->ActionSpec();
  env->Reset(0);
  MjDataPtr raw = MakeData(env->Model());
  mj_copyData(raw.get(), env->Model(), env->Data());

  // A fixed target sequence that sweeps the workspace (no RNG: reproducible).
  std::vector<double> action(static_cast<size_t>(spec.dim()));
  auto next_action = [&](int step) {
    for (int d = 0; d < spec.dim(); ++d) {
      const double u = 0.5 + 0.45 * std::sin(0.37 * step * (d + 1) + d);
      action[static_cast<size_t>(d)] = spec.low[d] + u * (spec.high[d] - spec.low[d]);
    }
  };
  auto start = Clock::now();
  int done_steps = 0;
  for (int t = 0; t < control_steps; ++t) {
    next_action(t);
    if (env->Step(action).done) env->Reset(static_cast<uint64_t>(t + 1));
    ++done_steps;
  }
  const double env_seconds = Seconds(start);
  const int substeps = env->Substeps();
  const long raw_steps = static_cast<long>(done_steps) * substeps;
  start = Clock::now();
  for (long i = 0; i < raw_steps; ++i) mj_step(env->Model(), raw.get());
  const double raw_seconds = Seconds(start);

  EnvOverhead out;
  out.env_substeps_per_s = static_cast<double>(raw_steps) / env_seconds;
  out.raw_steps_per_s = static_cast<double>(raw_steps) / raw_seconds;
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

VecEvalSpeedup MeasureVecEvalSpeedup(int episodes) {
  const EnvOptions options{{"obs", "keypoints"}};
  auto env = MakeEnv("pusht", options);
  const SpaceSpec obs = env->ObsSpec("keypoints"), act = env->ActionSpec();
  DiffusionPolicy policy(DiffusionConfig{}, obs.dim(), act.dim(), torch::kCPU);
  policy.SetNormalizers(Normalizer::FromMinMax(obs.low, obs.high),
                        Normalizer::FromMinMax(act.low, act.high));
  policy.Network().eval();
  RolloutOptions ro;
  ro.episodes = episodes;
  ro.obs_key = "keypoints";
  auto maker = [&]() { return MakeEnv("pusht", options); };
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

}  // namespace bcbench
