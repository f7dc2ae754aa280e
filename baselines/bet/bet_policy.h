// BET (Behavior Transformer, Shafiullah et al. 2022) as a trainable policy:
// actions are split into a k-means bin and a residual offset; a causal
// minGPT over the observation window predicts, per position, logits over
// the bins and one offset per bin. Training: focal loss on the nearest bin
// of each normalised action plus offset_loss_scale x MSE of that bin's
// offset. Rollouts: the last eval_window observations, a bin drawn from
// softmax(logits / temperature) at the newest position from the slot's own
// stream, and the action centre + offset (Ta = 1).
#pragma once

#include <vector>

#include "baselines/bet/bet_config.h"
#include "baselines/bet/min_gpt.h"
#include "policies/trainable_policy.h"

namespace bcbench {

// The trained and saved state: the transformer and the k-means bin centres
// (a buffer, so checkpoints carry them with the weights).
class BetNetworkImpl : public torch::nn::Module {
 public:
  BetNetworkImpl(const BetConfig& config, int obs_dim, int action_dim);
  MinGpt gpt{nullptr};
  torch::Tensor bin_centers;  // (bins, A), normalised action units
};
TORCH_MODULE(BetNetwork);

// The network's output split per position: (N, bins) logits, (N, bins, A) offsets.
struct BinPrediction {
  torch::Tensor logits;
  torch::Tensor offsets;
};

class BetPolicy : public TrainablePolicy {
 public:
  BetPolicy(const BetConfig& config, int obs_dim, int action_dim, torch::Device device);

  std::string Name() const override { return "bet"; }
  int ObsHorizon() const override { return config_.eval_window; }
  int ChunkSteps() const override { return 1; }
  int ActionHorizon() const override { return 1; }
  void StartEpisode(int slot, int slots, uint64_t stream_seed) override;
  ActionChunk Act(const ObsHistory& obs) override;

  torch::nn::Module& Network() override { return *net_; }
  Horizons TrainingWindow() const override { return {config_.window, config_.window, 1}; }
  // Loss is PrepareLoss over the whole batch: the same masks, the same numbers.
  torch::Tensor Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                     torch::Generator& gen) override;
  // Splittable by rows: the bins' targets and the whole batch's dropout
  // masks are drawn first (in training mode), then each slice uses its rows.
  PreparedLoss PrepareLoss(const torch::Tensor& obs, const torch::Tensor& actions,
                           torch::Generator& gen) override;
  const TrainingConfig& Training() const override { return config_.training; }
  uint64_t Seed() const override { return config_.seed; }
  nlohmann::json ConfigJson() const override { return BetConfig::Schema().ToJson(config_); }
  // The normalisers, then k-means over the normalised training actions.
  void Fit(const TrainingData& data) override;
  void SetNormalizers(Normalizer obs, Normalizer actions) override;
  const Normalizer& ObsNormalizer() const override { return obs_norm_; }
  const Normalizer& ActionNormalizer() const override { return action_norm_; }
  torch::Device GetDevice() const override { return device_; }

  const BetConfig& config() const { return config_; }
  // Bins and offsets at every position of normalised windows (B, T, obs_dim).
  BinPrediction Predict(const torch::Tensor& norm_obs, const DropoutMasks* dropout = nullptr);
  const torch::Tensor& BinCenters() const { return net_->bin_centers; }
  // Sets the bins directly (tests; Fit computes them).
  void SetBinCenters(const torch::Tensor& centres);

 private:
  // The normalised action of one row (1, T, obs_dim), drawing from `gen`.
  torch::Tensor SampleRow(const torch::Tensor& norm_obs, torch::Generator& gen);

  BetConfig config_;
  int obs_dim_, action_dim_;
  torch::Device device_;
  BetNetwork net_{nullptr};
  Normalizer obs_norm_, action_norm_;
  std::vector<torch::Generator> slot_gens_;  // one stream per episode slot
};

}  // namespace bcbench
