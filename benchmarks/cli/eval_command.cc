// bcbench eval: roll a trained policy out on held-out seeds, one CSV row per
// episode, and print success with its Wilson interval and the score. The
// evaluation itself is benchmarks/runner/eval_run; this file parses and prints.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "benchmarks/cli/progress.h"
#include "benchmarks/runner/eval_run.h"
#include "datasets/atomic_file.h"
#include "policies/policy_registry.h"

namespace bcbench {

void RunEval(const EvalArgs& a) {
  if (!a.csv.empty()) CheckWritableFile("--csv", a.csv);  // before the work, not after
  std::vector<std::pair<std::string, std::string>> sets, env_opts;
  for (const auto& s : a.sets) sets.push_back(ParseSetting(s));
  for (const auto& s : a.env_opts) {
    auto kv = ParseSetting(s);
    env_opts.push_back(kv);
  }
  LoadedPolicy loaded = LoadPolicy(a.checkpoint, sets, a.device, !a.raw_weights);
  EvalRunSpec spec;
  spec.env_name = loaded.env_name;
  spec.env_options = EvalEnvOptions(loaded, env_opts);
  spec.obs_key = loaded.obs_key;
  spec.seeds = SeedRange(a.seed_base, a.episodes);
  spec.batched = !a.unbatched;
  spec.policy_seed = a.policy_seed;
  Progress progress("episodes", static_cast<size_t>(a.episodes));
  size_t finished = 0;
  spec.on_episode = [&](const EpisodeRecord&) { progress.Update(++finished); };
  spdlog::info("evaluating {} on {} seeds {}..{} ({})", loaded.policy->Name(), loaded.env_name,
               a.seed_base, a.seed_base + a.episodes - 1,
               a.unbatched ? "one at a time" : "all episodes stepped together");
  const EvalRunResult result = RunEvaluation(*loaded.policy, spec);
  // The summary first: should the CSV write still fail, the run is not lost.
  fmt::print("{}\n", SummaryText(Summarize(result.rows)));
  if (!a.csv.empty()) {
    WriteFileAtomically(a.csv, EpisodeCsv(result.rows));
    spdlog::info("wrote {} rows to {}", result.rows.size(), a.csv);
  }
}

void AddEvalCommand(CLI::App& app, CommandActions& actions) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand(
      "eval",
      "Roll out a trained policy (EMA weights) on seeds seed-base.. and print success (Wilson "
      "95% interval), score (mean max reward, bootstrap 95% interval), idle fraction and the "
      "mode histogram. Every episode has its own random stream (from --policy-seed and its "
      "seed), so its row is the same alone, batched or in another shard. --csv writes one row "
      "per episode: env, policy, seed, success, max_reward, final_reward, steps, mode, "
      "phase_sequence, idle_fraction, longest_idle_streak, stalled, stuck, mean_squared_jerk, "
      "partial_scores (the env's, at their episode maximum, e.g. the stack's p1=1;p2=0; the "
      "summary gives the fraction of episodes reaching each), policy_calls, wall_s.");
  cmd->add_option("--checkpoint", a->checkpoint, "run folder (or checkpoint.pt) from train")
      ->required();
  cmd->add_option("--episodes", a->episodes, "evaluation episodes")
      ->check(WholeNumber(1, 100000))->capture_default_str();
  cmd->add_option("--seed-base", a->seed_base, "seed of the first episode")
      ->check(WholeNumber(0))->capture_default_str();
  cmd->add_option("--csv", a->csv, "write per-episode rows here");
  cmd->add_option("--set", a->sets,
                  "override an inference key: key=value (`bcbench policies NAME` lists the keys "
                  "eval may change, e.g. diffusion: inference_steps, sampler, guidance_weight, "
                  "action_horizon, latency_steps)");
  cmd->add_option("--env-opt", a->env_opts,
                  "env option over the checkpoint's: key=value, e.g. start=probe (repeatable; "
                  "obs and action_mode must stay as trained)");
  cmd->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  cmd->add_flag("--unbatched", a->unbatched, "step episodes one at a time (for speed comparisons)");
  cmd->add_option("--policy-seed", a->policy_seed,
                  "seed of the policy's sampling noise (each episode's stream mixes it with "
                  "the episode seed)")
      ->check(WholeNumber(0))->capture_default_str();
  cmd->add_flag("--raw-weights", a->raw_weights, "use the raw instead of the EMA weights");
  actions["eval"] = [a]() { RunEval(*a); };
}

}  // namespace bcbench
