#include "baselines/ibc/ibc_config.h"

#include <limits>
#include <stdexcept>

#include "policies/policy_registry.h"

namespace bcbench {
namespace {

[[noreturn]] void Invalid(const std::string& field, const std::string& value,
                          const std::string& valid) {
  throw std::invalid_argument("ibc config: " + field + "=" + value + " is invalid; " + valid);
}

}  // namespace

const std::vector<PolicyPreset>& IbcPresets() {
  // presets/*.yaml, embedded at build time: {name, text} pairs.
  static const std::vector<PolicyPreset> presets = {
#include "ibc_presets.inc"
  };
  return presets;
}

const ConfigSchema<IbcConfig>& IbcConfig::Schema() {
  static const ConfigSchema<IbcConfig> schema = [] {
    using C = IbcConfig;
    ConfigSchema<C> s("ibc config");
    s.Int("obs_horizon", &C::obs_horizon, 1, 64, "To, observation steps the energy sees")
        .Int("chunk_steps", &C::chunk_steps, 1, 64,
             "action steps predicted per decision from the current one on, scored as one vector")
        .Int("action_horizon", &C::action_horizon, 1, 64,
             "Ta, steps executed per chunk; Ta + latency_steps <= chunk_steps")
        .Int("latency_steps", &C::latency_steps, 0, 63,
             "control steps the world advances while the policy computes (executing the "
             "previous chunk, or holding)")
        .IntList("hidden_dims", &C::hidden_dims, 1, 16, 1, 16384,
                 "energy MLP hidden widths, e.g. 256,256,256,256 (paper 1024 x 4)")
        .Number("dropout", &C::dropout, 0, 0.9, "dropout after each hidden ReLU (training only)")
        .Int("counter_examples", &C::counter_examples, 1, 65536,
             "N uniform negatives per window in InfoNCE")
        .Number("temperature", &C::temperature, 0, 1000,
                "InfoNCE and DFO logits are -energy / temperature", /*min_exclusive=*/true)
        .Int("inference_samples", &C::inference_samples, 1, 16384,
             "M DFO candidates per decision")
        .Int("inference_iterations", &C::inference_iterations, 0, 100,
             "DFO resample-and-perturb rounds")
        .Number("noise_scale", &C::noise_scale, 0, 10,
                "DFO noise std of the first round, as a fraction of the bounds' range")
        .Number("noise_shrink", &C::noise_shrink, 0, 1, "DFO noise std factor per round")
        .Choice("final_choice", &C::final_choice, {"argmin", "sample"},
                "action from the last DFO round: lowest energy, or drawn from softmax(-E / T)")
        .Include(&C::training, TrainingSchema())
        .Int("seed", &C::seed, 0, std::numeric_limits<int64_t>::max(),
             "seed of init, batches and counter-examples");
    return s;
  }();
  return schema;
}

std::vector<std::string> IbcConfig::EvalKeys() {
  return {"action_horizon", "latency_steps", "inference_samples", "inference_iterations",
          "noise_scale",    "noise_shrink",  "final_choice"};
}

void IbcConfig::Validate() const {
  Schema().CheckRanges(*this);
  if (action_horizon + latency_steps > chunk_steps) {
    Invalid("action_horizon", std::to_string(action_horizon),
            "action_horizon + latency_steps must be <= chunk_steps = " +
                std::to_string(chunk_steps) + " (latency_steps = " +
                std::to_string(latency_steps) + "); raise chunk_steps or lower action_horizon");
  }
}

}  // namespace bcbench
