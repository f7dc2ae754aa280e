// bcbench perf: the performance table of SPEC 9, as ratios measured in one run.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "benchmarks/perf/perf.h"
#include "benchmarks/perf/pusht_perf.h"
#include "benchmarks/runner/bench_outputs.h"
#include "datasets/atomic_file.h"
#include "policies/blas_runtime.h"
#include "policies/policy_registry.h"
#include "policies/diffusion/diffusion_bench.h"
#include "policies/torch_runtime.h"

namespace bcbench {
namespace {

struct PerfArgs {
  std::string json;
  int env_steps = 3000;
  int expert_episodes = 200;
  int eval_episodes = 50;
  int rounds = 3;
  bool skip_policy = false;
  bool skip_one_by_one = false;
  std::vector<std::string> only;  // empty: every section

  bool Runs(const std::string& section) const {
    if (!only.empty()) return std::find(only.begin(), only.end(), section) != only.end();
    if (skip_policy && (section == "train" || section == "inference" || section == "policies" ||
                        section == "eval" ||
                        section == "one-by-one")) {
      return false;
    }
    if (section == "expert" && expert_episodes == 0) return false;
    return !(section == "one-by-one" && skip_one_by_one);
  }
};

const std::vector<std::string> kSections = {"env",      "expert", "train",     "inference",
                                            "policies", "eval",   "one-by-one"};

void RunPerf(const PerfArgs& a, const GlobalOptions& global) {
  if (!a.json.empty()) CheckWritableFile("--json", a.json);
  nlohmann::json out;
  out["threads"] = TorchThreads();
  out["torch_version"] = TorchVersion();
  out["rounds"] = a.rounds;
  const BlasKernel& blas = EnsureBlasKernel();
  out["blas_core"] = blas.openblas ? blas.core : "not OpenBLAS";
  out["blas_config"] = blas.config;
  out["blas_generic_kernel"] = blas.generic;
  out["blas_core_at_startup"] = blas.detected_core;
  out["cpu_simd"] = blas.cpu_simd;
  out["cpu_model"] = CpuModelName();
  fmt::print("CPU: {} ({}), {} LibTorch threads\n", out["cpu_model"].get<std::string>(),
             blas.cpu_simd, TorchThreads());
  fmt::print(
      "timed figures are the best of {} alternating rounds; ratios are taken within this "
      "run\n",
      a.rounds);
  fmt::print("{:<40}{:>14}  {}\n", "figure", "value", "target / note");
  fmt::print(
      "{:<40}{:>14}  {}\n", "blas_core", blas.openblas ? blas.core : "-",
      DescribeBlasKernel(blas) + (blas.generic ? "  <-- GENERIC KERNEL, see the warning" : ""));
  WarnIfGenericBlas(blas);

  ConfigureTorchThreads(1);
  const double sgemm1 = MeasureSgemmFlops();
  ConfigureTorchThreads(global.threads);
  const double sgemm = MeasureSgemmFlops();
  out["sgemm_gflops_1t"] = sgemm1 / 1e9;
  out["sgemm_gflops"] = sgemm / 1e9;
  fmt::print("{:<40}{:>14.1f}  1024^3, 1 thread\n", "sgemm_gflops_1t", sgemm1 / 1e9);
  fmt::print("{:<40}{:>14.1f}  1024^3, {} threads\n", "sgemm_gflops", sgemm / 1e9, TorchThreads());

  if (a.Runs("env")) {
    // Every env's overhead over the same MuJoCo work. Push-T's keys predate
    // the other envs (env_overhead_ratio, env_overhead_replay_exact).
    struct OverheadCase {
      std::string env, suffix;
      EnvOptions options;
      SubstepCall call;
    };
    const std::vector<OverheadCase> cases = {
        // Without Push-T's skipping of contact-free substeps: the figure is
        // what the env adds around the same MuJoCo work, not what it saves.
        {"pusht", "", {{"skip_free_substeps", "off"}}, SubstepCall::kForward},
        // The claw and the stack let MuJoCo integrate: their bare loops replay mj_step.
        {"claw", "_claw", {}, SubstepCall::kStep},
        {"stack", "_stack", {}, SubstepCall::kStep},
    };
    for (const auto& c : cases) {
      const EnvOverhead o = MeasureEnvOverhead(c.env, a.env_steps, c.options, c.call);
      const std::string ratio_key = "env_overhead_ratio" + c.suffix;
      out[ratio_key] = o.ratio;
      out[c.env + "_env_substeps_per_s"] = o.env_substeps_per_s;
      out[c.env + "_raw_mj_steps_per_s"] = o.raw_steps_per_s;
      out["env_overhead_replay_exact" + c.suffix] = o.replay_exact;
      fmt::print(
          "{:<40}{:>14.3f}  >= 0.9 ({:.0f} env substeps/s vs {:.0f} bare {}/s replaying the same "
          "{} substeps; replay {})\n",
          ratio_key, o.ratio, o.env_substeps_per_s, o.raw_steps_per_s,
          c.call == SubstepCall::kStep ? "mj_step" : "mj_forward", o.substeps,
          o.replay_exact ? "exact" : "NOT exact: the ratio is unreliable");
    }

    const PushTStepRate pusht_rate = MeasurePushTControlSteps(20);
    out["pusht_control_steps_per_s"] = pusht_rate.control_steps_per_s;
    fmt::print(
        "{:<40}{:>14.0f}  the Chipmunk replica of the original, timed the same way, is printed by "
        "the disabled PushTReference tests ({} steps of {} expert episodes replayed, 1 thread)\n",
        "pusht_control_steps_per_s", pusht_rate.control_steps_per_s, pusht_rate.control_steps,
        pusht_rate.episodes);
  }

  if (a.Runs("expert")) {
    for (const std::string env : {"pusht", "claw", "stack"}) {
      spdlog::info("recording {} {} expert episodes (seeds 0..{})", a.expert_episodes, env,
                   a.expert_episodes - 1);
      const ExpertStats expert = MeasureExpert(env, a.expert_episodes, 0);
      const double rate = static_cast<double>(expert.successes) / expert.episodes;
      out[env + "_demos_per_s"] = expert.demos_per_s;
      out[env + "_expert_success"] = rate;
      out[env + "_expert_episodes"] = expert.episodes;
      fmt::print("{:<40}{:>14.2f}  200 demos in < 120 s ({} demos took {:.1f} s, 1 thread)\n",
                 env + "_demos_per_s", expert.demos_per_s, expert.episodes, expert.seconds);
      fmt::print("{:<40}{:>14.3f}  >= 0.90 on seeds 0..{}\n", env + "_expert_success", rate,
                 expert.episodes - 1);
    }
  }
  if (a.Runs("train") || a.Runs("inference")) {
    spdlog::info("timing the CPU Diffusion Policy UNet (training at {} threads, inference at 1)",
                 TorchThreads());
    DenoiserBenchOptions bo;
    bo.rounds = a.rounds;
    bo.measure_sgemm = MeasureSgemmFlops;
    bo.train = a.Runs("train");
    bo.inference = a.Runs("inference");
    const DenoiserBench d = MeasureDenoiser(bo);
    out["dp_parameters"] = d.parameters;
    out["dp_forward_mflop"] = d.forward_flops / 1e6;
    if (bo.train) {
      out["dp_train_sgemm_gflops"] = d.sgemm_flops / 1e9;
      out["dp_train_samples_per_s"] = d.train_samples_per_s;
      out["dp_train_flop_efficiency"] = d.train_flop_efficiency;
      fmt::print(
          "{:<40}{:>14.0f}  batch 256, Tp 16, {} threads ({:.2f}M params, {:.1f} MFLOP/fwd)\n",
          "dp_train_samples_per_s", d.train_samples_per_s, d.train_threads, d.parameters / 1e6,
          d.forward_flops / 1e6);
      fmt::print("{:<40}{:>14.3f}  >= 0.8 (3 x fwd FLOPs x samples/s / sgemm {:.1f} GFLOP/s)\n",
                 "dp_train_flop_efficiency", d.train_flop_efficiency, d.sgemm_flops / 1e9);
      out["dp_adamw_step_ms"] = d.adamw_fused_ms;
      out["dp_adamw_step_libtorch_ms"] = d.adamw_libtorch_ms;
      fmt::print("{:<40}{:>14.2f}  fused, {} threads (LibTorch's gradient sum + AdamW::step {:.2f} ms)\n",
                 "dp_adamw_step_ms", d.adamw_fused_ms, d.train_threads, d.adamw_libtorch_ms);
    }
    if (bo.inference) {
      out["dp_denoise_fwd_b1_ms"] = d.forward_fast_cond_ms;
      out["dp_denoise_fwd_b1_cond_cached_ms"] = d.forward_fast_ms;
      out["dp_denoise_fwd_b1_module_ms"] = d.forward_module_ms;
      out["dp_ddim10_chunk_b1_ms"] = d.chunk_fast_ms;
      out["dp_ddim10_chunk_b1_module_ms"] = d.chunk_module_ms;
      fmt::print(
          "{:<40}{:>14.3f}  <= 1.0 ms, moonshot 0.6 (batch 1, 1 thread; module path {:.3f} ms, "
          "with the "
          "condition cached {:.3f} ms)\n",
          "dp_denoise_fwd_b1_ms", d.forward_fast_cond_ms, d.forward_module_ms, d.forward_fast_ms);
      fmt::print("{:<40}{:>14.3f}  whole DDIM-{} chunk, batch 1 (module path {:.3f} ms)\n",
                 "dp_ddim10_chunk_b1_ms", d.chunk_fast_ms, d.chunk_steps, d.chunk_module_ms);
    }
  }
  if (a.Runs("policies")) {
    ConfigureTorchThreads(global.threads);
    spdlog::info("timing one Act call of every registered policy (untrained; its default preset and its variants) at "
                 "batch 1 and {}", a.eval_episodes);
    // Every policy's default preset, and its variants as methods of their
    // own (policy_diffusion_transformer_...): {policy, preset, label}.
    struct Method {
      std::string policy, preset, label;
    };
    std::vector<Method> methods;
    for (const auto& name : PolicyNames()) {
      methods.push_back({name, "", name});
      for (const auto& variant : FindPolicy(name).variants) {
        methods.push_back({name, variant, name + "_" + variant});
      }
    }
    for (const auto& [name, preset, label] : methods) {
      for (const int batch : {1, a.eval_episodes}) {
        const PolicyInference p = MeasurePolicyInference(name, preset, batch, a.rounds);
        const std::string key = fmt::format("policy_{}_act_b{}_ms", label, batch);
        out[key] = p.call_ms;
        out[fmt::format("policy_{}_step_b{}_ms", label, batch)] = p.per_step_ms;
        fmt::print("{:<40}{:>14.3f}  no target (Push-T keypoints, {} threads; Ta {}: {:.3f} ms "
                   "per control step of the batch)\n",
                   key, p.call_ms, TorchThreads(), p.action_horizon, p.per_step_ms);
      }
    }
  }
  if (a.Runs("eval")) {
    ConfigureTorchThreads(global.threads);
    spdlog::info("timing {} Push-T evaluation episodes stepped together against their floor",
                 a.eval_episodes);
    const EvalFloor f = MeasureEvalFloor(a.eval_episodes, a.rounds);
    out["eval50_floor_ratio"] = f.ratio;
    out["eval_wall_s"] = f.wall_seconds;
    out["eval_floor_s"] = f.floor_seconds;
    out["eval_env_only_s"] = f.env_seconds;
    out["eval_denoiser_gflop"] = f.denoiser_flops / 1e9;
    out["eval_episodes"] = f.episodes;
    fmt::print(
        "{:<40}{:>14.2f}  <= 1.5, moonshot 1.2 ({} episodes, {} steps: {:.2f} s vs floor "
        "{:.2f} s = {:.0f} GFLOP at {:.1f} GFLOP/s + {:.2f} s env alone)\n",
        "eval50_floor_ratio", f.ratio, f.episodes, f.control_steps, f.wall_seconds, f.floor_seconds,
        f.denoiser_flops / 1e9, f.sgemm_flops / 1e9, f.env_seconds);
  }
  if (a.Runs("one-by-one")) {
    {
      ConfigureTorchThreads(global.threads);
      spdlog::info("timing the same {} episodes one at a time", a.eval_episodes);
      const VecEvalSpeedup v = MeasureVecEvalSpeedup(a.eval_episodes);
      out["vec_eval_speedup"] = v.speedup;
      out["vec_eval_batched_s"] = v.batched_seconds;
      out["vec_eval_unbatched_s"] = v.unbatched_seconds;
      fmt::print(
          "{:<40}{:>14.2f}  no target ({} episodes: {:.1f} s batched vs {:.1f} s one by "
          "one, one round)\n",
          "vec_eval_speedup", v.speedup, v.episodes, v.batched_seconds, v.unbatched_seconds);
    }
  }
  if (!a.json.empty()) {
    WriteFileAtomically(a.json, out.dump(2) + "\n");
    spdlog::info("wrote {}", a.json);
  }
}

}  // namespace

void AddPerfCommand(CLI::App& app, CommandActions& actions, const GlobalOptions& global) {
  auto a = std::make_shared<PerfArgs>();
  auto* cmd = app.add_subcommand(
      "perf",
      "Measure the performance figures of SPEC 9 in one run: sgemm FLOP/s, env step overhead vs "
      "raw mj_step, expert demo throughput and success, Diffusion Policy training throughput "
      "and FLOP efficiency, batch-1 denoiser latency, batched evaluation against its floor, "
      "batched vs one-by-one evaluation. Reports which BLAS kernel runs (blas_core) and warns "
      "when it is OpenBLAS's generic one. Prints a table; --json writes the figures under "
      "stable keys.");
  cmd->add_option("--json", a->json, "also write the figures to this JSON file");
  cmd->add_option("--env-steps", a->env_steps, "control steps for the env overhead figure")
      ->check(WholeNumber(10, 10000000))
      ->capture_default_str();
  cmd->add_option("--expert-episodes", a->expert_episodes,
                  "expert episodes for demos/s and success (0 skips)")
      ->check(WholeNumber(0, 100000))
      ->capture_default_str();
  cmd->add_option("--eval-episodes", a->eval_episodes,
                  "episodes for eval50_floor_ratio and vec_eval_speedup")
      ->check(WholeNumber(1, 10000))
      ->capture_default_str();
  cmd->add_option("--rounds", a->rounds,
                  "alternating rounds per timed figure; each figure is the best round")
      ->check(WholeNumber(1, 100))
      ->capture_default_str();
  cmd->add_option("--only", a->only,
                  "run only these sections (comma-separated): env, expert, train, inference, policies, "
                  "eval, one-by-one; BLAS and sgemm always run")
      ->delimiter(',')
      ->check(CLI::IsMember(kSections));
  cmd->add_flag("--skip-policy", a->skip_policy, "skip the Diffusion Policy figures");
  cmd->add_flag("--skip-one-by-one", a->skip_one_by_one,
                "skip the batched vs one-by-one evaluation figure (the slowest part)");
  actions["perf"] = [a, &global]() { RunPerf(*a, global); };
}

}  // namespace bcbench
