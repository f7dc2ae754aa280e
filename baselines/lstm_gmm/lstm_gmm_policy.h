// LSTM-GMM (robomimic's BC-RNN-GMM) as a trainable policy. Training: the
// negative log-likelihood of every step's action under the GMM the LSTM
// emits after reading the sequence up to that step (lstm_gmm_config.h says
// how the windows map). Rollout: each episode slot keeps its own LSTM state
// and random stream; a decision feeds the LSTM only the observations since
// the previous one (ObsHorizon() = Ta: with the default Ta = 1, the newest),
// carrying the state from step to step and zeroing it every reset_every
// observations (robomimic resets every rnn horizon), then draws the next Ta
// actions from the mixture with the slot's stream.
#pragma once

#include <string>
#include <vector>

#include "baselines/lstm_gmm/lstm_gmm_config.h"
#include "baselines/lstm_gmm/lstm_gmm_model.h"
#include "policies/trainable_policy.h"

namespace bcbench {

class LstmGmmPolicy : public TrainablePolicy {
 public:
  LstmGmmPolicy(const LstmGmmConfig& config, int obs_dim, int action_dim, torch::Device device);

  std::string Name() const override { return "lstm_gmm"; }
  int ObsHorizon() const override { return config_.action_horizon; }
  int ChunkSteps() const override { return config_.action_horizon; }
  int ActionHorizon() const override { return config_.action_horizon; }
  void StartEpisode(int slot, int slots, uint64_t stream_seed) override;
  ActionChunk Act(const ObsHistory& obs) override;

  torch::nn::Module& Network() override { return *net_; }
  Horizons TrainingWindow() const override {
    return {config_.seq_length, config_.seq_length + config_.action_horizon - 1,
            config_.action_horizon};
  }
  torch::Tensor Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                     torch::Generator& gen) override;
  PreparedLoss PrepareLoss(const torch::Tensor& obs, const torch::Tensor& actions,
                           torch::Generator& gen) override;
  const TrainingConfig& Training() const override { return config_.training; }
  uint64_t Seed() const override { return config_.seed; }
  nlohmann::json ConfigJson() const override { return LstmGmmConfig::Schema().ToJson(config_); }
  void SetNormalizers(Normalizer obs, Normalizer actions) override;
  const Normalizer& ObsNormalizer() const override { return obs_norm_; }
  const Normalizer& ActionNormalizer() const override { return action_norm_; }
  torch::Device GetDevice() const override { return device_; }

  lstm_gmm::LstmGmmNet& net() { return net_; }
  const LstmGmmConfig& config() const { return config_; }

 private:
  struct Slot {
    torch::Generator gen;
    lstm_gmm::LstmState lstm;  // (layers, 1, hidden); undefined: zero
    int fed = 0;               // observations fed since the last reset
  };

  LstmGmmConfig config_;
  int obs_dim_;
  int action_dim_;
  torch::Device device_;
  lstm_gmm::LstmGmmNet net_{nullptr};
  Normalizer obs_norm_, action_norm_;
  std::vector<Slot> slots_;
};

}  // namespace bcbench
