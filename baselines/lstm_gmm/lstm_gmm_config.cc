#include "baselines/lstm_gmm/lstm_gmm_config.h"

#include <limits>
#include <stdexcept>

#include "policies/policy_registry.h"

namespace bcbench {

const std::vector<PolicyPreset>& LstmGmmPresets() {
  static const std::vector<PolicyPreset> presets = {
#include "lstm_gmm_presets.inc"
  };
  return presets;
}

const ConfigSchema<LstmGmmConfig>& LstmGmmConfig::Schema() {
  static const ConfigSchema<LstmGmmConfig> schema = [] {
    using C = LstmGmmConfig;
    ConfigSchema<C> s("lstm_gmm config");
    s.Int("seq_length", &C::seq_length, 1, 1024,
          "training sequence length (To of the windows; robomimic rnn horizon)")
        .Int("action_horizon", &C::action_horizon, 1, 1024,
             "Ta, actions per decision (one GMM over the Ta actions when > 1)")
        .Int("reset_every", &C::reset_every, 0, 1000000,
             "rollout: zero the LSTM state every this many observations (robomimic: the rnn "
             "horizon); 0 = carry it through the episode")
        .Int("rnn_hidden", &C::rnn_hidden, 1, 65536, "LSTM hidden size (paper: 400)")
        .Int("rnn_layers", &C::rnn_layers, 1, 16, "stacked LSTM layers")
        .Int("num_modes", &C::num_modes, 1, 1024, "GMM components")
        .Number("min_std", &C::min_std, 0, 10, "added to softplus(scale)")
        .Bool("low_noise_eval", &C::low_noise_eval,
              "evaluation draws with scales 1e-4 (the sampled component's mean)")
        .Include(&C::training, TrainingSchema())
        .Int("seed", &C::seed, 0, std::numeric_limits<int64_t>::max(),
             "seed of init, batches and sampling");
    return s;
  }();
  return schema;
}

std::vector<std::string> LstmGmmConfig::EvalKeys() { return {"reset_every", "low_noise_eval"}; }

void LstmGmmConfig::Validate() const {
  Schema().CheckRanges(*this);
  if (reset_every != 0 && reset_every < action_horizon) {
    throw std::invalid_argument(
        "lstm_gmm config: reset_every=" + std::to_string(reset_every) +
        " is invalid; must be 0 (never) or >= action_horizon = " +
        std::to_string(action_horizon) + " (a decision feeds the Ta observations since the last)");
  }
}

}  // namespace bcbench
