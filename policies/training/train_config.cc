#include "policies/training/train_config.h"

#include "policies/training/lr_schedule.h"

namespace bcbench {

const ConfigSchema<TrainingConfig>& TrainingSchema() {
  static const ConfigSchema<TrainingConfig> schema = [] {
    using C = TrainingConfig;
    ConfigSchema<C> s("training config");
    s.Choice("optimizer", &C::optimizer, {"adamw", "adam"},
             "adamw: decoupled weight decay; adam: L2 penalty in the gradient")
        .Number("lr", &C::lr, 0, 10, "base learning rate", /*min_exclusive=*/true)
        .NumberList("betas", &C::betas, 2, 2, 0, 0.999999, "Adam (beta1, beta2), e.g. 0.95,0.999")
        .Number("weight_decay", &C::weight_decay, 0, 10, "weight decay")
        .Bool("decay_all", &C::decay_all,
              "decay every parameter; false exempts biases, norm scales and embeddings "
              "(parameter groups)")
        .Choice("lr_schedule", &C::lr_schedule, {"cosine", "constant"},
                "after warm-up: cosine decay to 0 at train_steps, or constant")
        .Int("warmup_steps", &C::warmup_steps, 0, 1000000000, "linear LR warm-up steps")
        .Bool("ema", &C::ema, "keep and evaluate an EMA of the weights")
        .Number("ema_power", &C::ema_power, 0, 10, "EMA decay = 1 - (1 + step)^-power",
                /*min_exclusive=*/true)
        .Number("ema_max_decay", &C::ema_max_decay, 0, 1, "EMA decay cap")
        .Number("grad_clip", &C::grad_clip, 0, 1e9, "max global gradient norm; 0 = off")
        .Int("batch_size", &C::batch_size, 1, 65536, "training batch (windows per step)");
    return s;
  }();
  return schema;
}

const ConfigSchema<RunConfig>& RunConfig::Schema() {
  static const ConfigSchema<RunConfig> schema = [] {
    using C = RunConfig;
    ConfigSchema<C> s("run config");
    s.Int("train_steps", &C::train_steps, 1, 1000000000,
          "optimiser steps; the LR schedule ends here")
        .Number("valid_ratio", &C::valid_ratio, 0, 0.9,
                "fraction of demos held out for the validation loss (a file's mask/valid wins)")
        .Int("log_every", &C::log_every, 1, 1000000000, "steps between progress lines")
        .Int("valid_every", &C::valid_every, 0, 1000000000,
             "steps between validation losses; 0 = only at the end")
        .Int("checkpoint_every", &C::checkpoint_every, 0, 1000000000,
             "steps between checkpoints (always at the end)")
        .Int("eval_every", &C::eval_every, 0, 1000000000,
             "steps between evaluation rollouts with the EMA weights; 0 = off")
        .Int("eval_episodes", &C::eval_episodes, 1, 10000, "episodes per periodic evaluation");
    return s;
  }();
  return schema;
}

nlohmann::json RunConfig::IdentityJson() const {
  return {{"train_steps", train_steps}, {"valid_ratio", valid_ratio}};
}

double ScheduledLr(const TrainingConfig& config, int64_t step, int64_t total) {
  if (config.lr_schedule == "constant") {
    if (config.warmup_steps > 0 && step < config.warmup_steps) {
      return config.lr * static_cast<double>(step) / static_cast<double>(config.warmup_steps);
    }
    return config.lr;
  }
  return CosineWithWarmup(step, total, config.warmup_steps, config.lr);
}

}  // namespace bcbench
