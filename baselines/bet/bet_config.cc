#include "baselines/bet/bet_config.h"

#include <limits>
#include <stdexcept>

#include "policies/policy_registry.h"

namespace bcbench {

const std::vector<PolicyPreset>& BetPresets() {
  // presets/*.yaml, embedded at build time: {name, text} pairs.
  static const std::vector<PolicyPreset> presets = {
#include "bet_presets.inc"
  };
  return presets;
}

const ConfigSchema<BetConfig>& BetConfig::Schema() {
  static const ConfigSchema<BetConfig> schema = [] {
    using C = BetConfig;
    ConfigSchema<C> s("bet config");
    s.Int("window", &C::window, 1, 64,
          "training window: observations the transformer reads, one action target each")
        .Int("eval_window", &C::eval_window, 1, 64,
             "observations read in rollouts (To at evaluation); <= window")
        .Int("bins", &C::bins, 1, 1024, "k-means action bins (24 for 2-D tasks, 64 for larger)")
        .Int("kmeans_iters", &C::kmeans_iters, 1, 10000, "k-means (Lloyd) iterations")
        .Int("n_layer", &C::n_layer, 1, 64, "transformer blocks")
        .Int("n_head", &C::n_head, 1, 64, "attention heads; divides n_embd")
        .Int("n_embd", &C::n_embd, 1, 4096, "embedding width")
        .Number("embd_pdrop", &C::embd_pdrop, 0.0, 0.99, "dropout on the input embedding")
        .Number("attn_pdrop", &C::attn_pdrop, 0.0, 0.99, "dropout on the attention weights")
        .Number("resid_pdrop", &C::resid_pdrop, 0.0, 0.99,
                "dropout on each block's residual branches")
        .Number("focal_gamma", &C::focal_gamma, 0.0, 10.0,
                "focal loss gamma on the bin (0: cross-entropy)")
        .Number("offset_loss_scale", &C::offset_loss_scale, 0.0, 1e7,
                "weight of the target bin's offset MSE")
        .Number("temperature", &C::temperature, 0.0, 100.0,
                "sampling temperature of the bin distribution", /*min_exclusive=*/true)
        .Include(&C::training, TrainingSchema())
        .Int("seed", &C::seed, 0, std::numeric_limits<int64_t>::max(), "init, k-means, batches and dropout seed");
    return s;
  }();
  return schema;
}

std::vector<std::string> BetConfig::EvalKeys() { return {"temperature", "eval_window"}; }

void BetConfig::Validate() const {
  Schema().CheckRanges(*this);
  if (eval_window > window) {
    throw std::invalid_argument("bet config: eval_window=" + std::to_string(eval_window) +
                                " is invalid; it must be <= window (" + std::to_string(window) +
                                "), the positions the transformer learned");
  }
  if (n_embd % n_head != 0) {
    throw std::invalid_argument("bet config: n_head=" + std::to_string(n_head) +
                                " is invalid; it must divide n_embd (" + std::to_string(n_embd) +
                                ")");
  }
}

}  // namespace bcbench
