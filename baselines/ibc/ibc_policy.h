// Implicit BC (Florence et al. 2021) as a trainable policy: an energy MLP
// over (observations, action chunk) trained with InfoNCE against uniform
// counter-examples, acting by derivative-free optimisation of the energy
// in the normalised action bounds [-1, 1]. The chunk (chunk_steps actions
// from the current step on) is one vector to the energy and the optimiser.
// Each episode slot draws its DFO samples from its own stream, and each row
// is optimised by itself, so an episode's actions do not depend on the
// episodes beside it.
#pragma once

#include <vector>

#include "baselines/ibc/dfo_optimizer.h"
#include "baselines/ibc/energy_mlp.h"
#include "baselines/ibc/ibc_config.h"
#include "policies/trainable_policy.h"

namespace bcbench {

class IbcPolicy : public TrainablePolicy {
 public:
  IbcPolicy(const IbcConfig& config, int obs_dim, int action_dim, torch::Device device);

  std::string Name() const override { return "ibc"; }
  int ObsHorizon() const override { return config_.obs_horizon; }
  int ChunkSteps() const override { return config_.chunk_steps; }
  int ActionHorizon() const override { return config_.action_horizon; }
  int LatencySteps() const override { return config_.latency_steps; }
  void StartEpisode(int slot, int slots, uint64_t stream_seed) override;
  ActionChunk Act(const ObsHistory& obs) override;

  torch::nn::Module& Network() override { return *energy_; }
  // Windows of To observations and the actions from their first step: the
  // chunk starts at the window's last observation (index To - 1).
  Horizons TrainingWindow() const override {
    return {config_.obs_horizon, config_.obs_horizon - 1 + config_.chunk_steps,
            config_.action_horizon};
  }
  torch::Tensor Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                     torch::Generator& gen) override;
  // Draws all counter-examples first, then scores any row range.
  PreparedLoss PrepareLoss(const torch::Tensor& obs, const torch::Tensor& actions,
                           torch::Generator& gen) override;
  const TrainingConfig& Training() const override { return config_.training; }
  uint64_t Seed() const override { return config_.seed; }
  nlohmann::json ConfigJson() const override { return IbcConfig::Schema().ToJson(config_); }
  void SetNormalizers(Normalizer obs, Normalizer actions) override;
  const Normalizer& ObsNormalizer() const override { return obs_norm_; }
  const Normalizer& ActionNormalizer() const override { return action_norm_; }
  torch::Device GetDevice() const override { return device_; }

  const IbcConfig& config() const { return config_; }
  EnergyMlp& energy() { return energy_; }
  DfoSettings Dfo() const;

 private:
  IbcConfig config_;
  int obs_dim_;
  int action_dim_;
  torch::Device device_;
  EnergyMlp energy_{nullptr};
  Normalizer obs_norm_, action_norm_;
  std::vector<torch::Generator> slot_gens_;  // one stream per episode slot
};

}  // namespace bcbench
