#include "policies/diffusion/diffusion_bench.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "policies/diffusion/diffusion_model.h"
#include "policies/diffusion/unet_fast_inference.h"
#include "policies/torch_runtime.h"
#include "policies/training/fused_adamw.h"
#include "policies/training/trainer.h"

namespace bcbench {
namespace {

using Clock = std::chrono::steady_clock;

// Median seconds of `reps` calls (after a few untimed ones): robust to the
// odd preempted call on a shared machine.
double MedianSeconds(int reps, const std::function<void()>& call) {
  for (int i = 0; i < std::min(reps, 5); ++i) call();
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) {
    const auto start = Clock::now();
    call();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + reps / 2, times.end());
  return times[static_cast<size_t>(reps / 2)];
}

// Keeps the smallest time in milliseconds.
void Best(double& best_ms, double seconds) { best_ms = std::min(best_ms, 1e3 * seconds); }


}  // namespace

DenoiserBench MeasureDenoiser(const DenoiserBenchOptions& options) {
  TorchThreadsScope restore_threads(0);
  const auto& config = options.config;
  DiffusionModel model(config, options.obs_dim, options.action_dim);
  DenoiserBench bench;
  bench.rounds = std::max(1, options.rounds);
  bench.parameters = model.unet()->ParameterCount();
  bench.forward_flops = UnetForwardFlops(model.unet()->options(), config.pred_horizon);

  // Training: the real step (loss, backward, AdamW) on fixed random data.
  if (options.train_threads > 0) torch::set_num_threads(options.train_threads);
  bench.train_threads = torch::get_num_threads();
  if (options.train) {
    torch::Generator gen = at::detail::createCPUGenerator(config.seed);
    const int64_t b = options.train_batch;
    const auto obs = torch::rand({b, config.obs_horizon, options.obs_dim}, gen) * 2 - 1;
    const auto actions = torch::rand({b, config.pred_horizon, options.action_dim}, gen) * 2 - 1;
    torch::optim::AdamW optimizer(
        model.parameters(), torch::optim::AdamWOptions(config.training.lr)
                                .betas({config.training.betas[0], config.training.betas[1]})
                                .weight_decay(config.training.weight_decay));
    auto step = [&] {
      OptimizerStep(optimizer, model.PrepareLoss(obs, actions, gen), config.training.grad_clip);
    };
    for (int i = 0; i < 2; ++i) step();
    for (int round = 0; round < bench.rounds; ++round) {
      if (options.measure_sgemm) {
        bench.sgemm_flops = std::max(bench.sgemm_flops, options.measure_sgemm());
      }
      const auto start = Clock::now();
      for (int i = 0; i < options.train_steps; ++i) step();
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      bench.train_samples_per_s =
          std::max(bench.train_samples_per_s, options.train_steps * static_cast<double>(b) / seconds);
    }
    // The optimiser step alone, on two random gradient parts per parameter.
    std::vector<torch::Tensor> params;
    std::vector<std::vector<torch::Tensor>> parts;
    for (const auto& group : optimizer.param_groups()) {
      for (const auto& p : group.params()) {
        params.push_back(p);
        parts.push_back({torch::randn_like(p) * 1e-3, torch::randn_like(p) * 1e-3});
      }
    }
    bench.adamw_fused_ms = bench.adamw_libtorch_ms = 1e30;
    for (int round = 0; round < bench.rounds; ++round) {
      Best(bench.adamw_fused_ms, MedianSeconds(9, [&] { FusedAdamWStep(optimizer, parts); }));
      Best(bench.adamw_libtorch_ms, MedianSeconds(9, [&] {
             torch::NoGradGuard no_grad;
             for (size_t j = 0; j < params.size(); ++j) {
               params[j].mutable_grad() = parts[j][0].clone();
               params[j].mutable_grad().add_(parts[j][1]);
             }
             optimizer.step();
           }));
    }
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    bench.train_flops_per_s = 3 * bench.forward_flops * bench.train_samples_per_s;
    if (bench.sgemm_flops > 0) {
      bench.train_flop_efficiency = bench.train_flops_per_s / bench.sgemm_flops;
    }
  }

  if (!options.compare_batches.empty()) {
    torch::set_num_threads(options.compare_threads);
    bench.compare_threads = torch::get_num_threads();
    for (int batch : options.compare_batches) {
      torch::Generator gen = at::detail::createCPUGenerator(config.seed + 3);
      const auto obs = torch::rand({batch, config.obs_horizon, options.obs_dim}, gen) * 2 - 1;
      std::vector<torch::Generator> gens;
      for (int b = 0; b < batch; ++b) gens.push_back(at::detail::createCPUGenerator(100 + b));
      DenoiserBench::SamplerTiming timing;
      timing.batch = batch;
      timing.per_row_ms = timing.whole_batch_ms = 1e30;
      for (int round = 0; round < bench.rounds; ++round) {
        Best(timing.whole_batch_ms,
             MedianSeconds(options.compare_reps, [&] { model.SampleWholeBatch(obs, gen); }));
        Best(timing.per_row_ms,
             MedianSeconds(options.compare_reps, [&] { model.Sample(obs, gens); }));
      }
      bench.samplers.push_back(timing);
    }
  }

  if (!options.inference) return bench;
  // Batch 1 on one thread: what a single environment waits for.
  torch::set_num_threads(1);
  {
    c10::InferenceMode inference;
    torch::Generator gen = at::detail::createCPUGenerator(config.seed + 1);
    const auto& unet_options = model.unet()->options();
    const auto x = torch::randn({1, config.pred_horizon, options.action_dim}, gen);
    const auto global = torch::randn({1, unet_options.global_cond_dim}, gen);
    const auto local =
        unet_options.local_cond_channels > 0
            ? torch::randn({1, config.pred_horizon, unet_options.local_cond_channels}, gen)
            : torch::Tensor();
    const auto t = torch::full({1}, 50, torch::kLong);
    UnetFastInference fast(*model.unet(), config.num_train_timesteps);
    bench.forward_module_ms = bench.forward_fast_ms = bench.forward_fast_cond_ms = 1e30;
    for (int round = 0; round < bench.rounds; ++round) {
      Best(bench.forward_module_ms, MedianSeconds(options.forward_reps, [&] {
             model.unet()->forward(x, t, global, local);
           }));
      fast.SetCondition(global, 1);
      Best(bench.forward_fast_ms,
           MedianSeconds(options.forward_reps, [&] { fast.Forward(x, 50, local); }));
      Best(bench.forward_fast_cond_ms, MedianSeconds(options.forward_reps, [&] {
             fast.SetCondition(global, 1);
             fast.Forward(x, 50, local);
           }));
    }
  }
  {
    torch::Generator gen = at::detail::createCPUGenerator(config.seed + 2);
    const auto obs = torch::rand({1, config.obs_horizon, options.obs_dim}, gen) * 2 - 1;
    bench.chunk_steps = config.sampler == "ddpm" ? config.num_train_timesteps : config.inference_steps;
    bench.chunk_fast_ms = bench.chunk_module_ms = 1e30;
    for (int round = 0; round < bench.rounds; ++round) {
      model.SetFastInference(true);
      Best(bench.chunk_fast_ms, MedianSeconds(options.chunk_reps, [&] { model.Sample(obs, gen); }));
      model.SetFastInference(false);
      Best(bench.chunk_module_ms,
           MedianSeconds(options.chunk_reps, [&] { model.Sample(obs, gen); }));
    }
    model.SetFastInference(true);
  }
  return bench;
}

}  // namespace bcbench
