// bcbench train: fit a policy on a demo file; checkpoints and a training log
// in --out; resumes when --out already holds a checkpoint. The run itself is
// benchmarks/runner/train_run; this file parses and prints.
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "benchmarks/runner/train_run.h"
#include "policies/policy_registry.h"

namespace bcbench {

void RunTrain(const TrainArgs& a) {
  TrainRunSpec spec;
  spec.env = a.env;
  spec.policy = a.policy;
  spec.data = a.data;
  spec.out = a.out;
  spec.obs_key = a.obs_key;
  spec.device = a.device;
  spec.config.preset = a.preset;
  spec.config.yaml_path = a.config;
  spec.config.seed = a.seed;
  for (const auto& s : a.sets) spec.config.sets.push_back(ParseSetting(s));
  // Flags are run keys too; --set of the same key wins (it comes last).
  auto flag = [&](const char* key, const auto& value) {
    if (value) spec.config.sets.insert(spec.config.sets.begin(), {key, std::to_string(*value)});
  };
  flag("train_steps", a.steps);
  flag("log_every", a.log_every);
  flag("valid_every", a.valid_every);
  flag("checkpoint_every", a.checkpoint_every);
  flag("eval_every", a.eval_every);
  flag("eval_episodes", a.eval_episodes);
  spec.stop_after = a.stop_after;
  RunTraining(spec);
}

void AddTrainCommand(CLI::App& app, CommandActions& actions) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand(
      "train",
      "Train a policy on a demo file. Writes DIR/checkpoint.pt (atomically, every "
      "checkpoint_every steps and at the end) and DIR/train_log.csv (loss, lr, validation "
      "loss, periodic evaluation). Run it again on the same DIR to resume: the result equals "
      "an uninterrupted run; a different policy, config, train_steps or demo file is refused. "
      "Policy keys: --preset, --config Y.yaml, --set key=value (see `bcbench policies NAME`); "
      "run keys (train_steps, valid_ratio, log_every, valid_every, checkpoint_every, "
      "eval_every, eval_episodes) by flag or --set.");
  cmd->add_option("--env", a->env, "environment the demos come from (e.g. pusht)")->required();
  cmd->add_option("--policy", a->policy, "policy name (`bcbench policies` lists them)")
      ->required();
  cmd->add_option("--data", a->data, "demo file (.hdf5, robomimic layout)")->required();
  cmd->add_option("--out", a->out, "run folder for checkpoints and logs")->required();
  cmd->add_option("--preset", a->preset,
                  "the policy's named starting config (a YAML file in its folder), applied "
                  "before --config and --set");
  cmd->add_option("--config", a->config, "YAML file of policy (and run) config keys");
  cmd->add_option("--set", a->sets, "override one config key: key=value (repeatable)");
  cmd->add_option("--seed", a->seed, "training seed (overrides the config's seed)")
      ->check(WholeNumber(0));
  cmd->add_option("--steps", a->steps, "optimiser steps (run key train_steps; default 20000)")
      ->check(WholeNumber(1, 1000000000));
  cmd->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--obs-key", a->obs_key,
                  "observation key to train on (default: the demos' recorded default)");
  cmd->add_option("--log-every", a->log_every, "steps between progress lines (default 100)")
      ->check(WholeNumber(1));
  cmd->add_option("--valid-every", a->valid_every,
                  "steps between validation losses (0: end; default 500)")
      ->check(WholeNumber(0));
  cmd->add_option("--checkpoint-every", a->checkpoint_every,
                  "steps between checkpoints (default 1000)")
      ->check(WholeNumber(0));
  cmd->add_option("--eval-every", a->eval_every,
                  "steps between evaluation rollouts with the EMA weights (0: off, the default)")
      ->check(WholeNumber(0));
  cmd->add_option("--eval-episodes", a->eval_episodes,
                  "episodes per periodic evaluation (seeds 100000..; default 10)")
      ->check(WholeNumber(1, 10000));
  cmd->add_option("--stop-after", a->stop_after,
                  "stop after this step as if interrupted (checkpoint written); for resume tests")
      ->group("");
  actions["train"] = [a]() { RunTrain(*a); };
}

}  // namespace bcbench
