// Diffusion Policy as a trainable policy: normalises observation histories,
// samples normalised action chunks from DiffusionModel (one random stream
// per episode slot), unnormalises them and returns the part from the current
// step on (the prediction starts To - 1 steps in the past, where the
// training windows put it).
#pragma once

#include <memory>
#include <vector>

#include "policies/diffusion/diffusion_model.h"
#include "policies/trainable_policy.h"

namespace bcbench {

class DiffusionPolicy : public TrainablePolicy {
 public:
  DiffusionPolicy(const DiffusionConfig& config, int obs_dim, int action_dim,
                  torch::Device device);

  std::string Name() const override { return "diffusion"; }
  int ObsHorizon() const override { return model_.config().obs_horizon; }
  int ChunkSteps() const override {
    return model_.config().pred_horizon - model_.config().obs_horizon + 1;
  }
  int ActionHorizon() const override { return model_.config().action_horizon; }
  int LatencySteps() const override { return model_.config().latency_steps; }
  void StartEpisode(int slot, int slots, uint64_t stream_seed) override;
  ActionChunk Act(const ObsHistory& obs) override;

  torch::nn::Module& Network() override { return model_.network(); }
  Horizons TrainingWindow() const override {
    const auto& c = model_.config();
    return {c.obs_horizon, c.pred_horizon, c.action_horizon};
  }
  torch::Tensor Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                     torch::Generator& gen) override {
    return model_.Loss(obs, actions, gen);
  }
  PreparedLoss PrepareLoss(const torch::Tensor& obs, const torch::Tensor& actions,
                           torch::Generator& gen) override {
    return model_.PrepareLoss(obs, actions, gen);
  }
  const TrainingConfig& Training() const override { return model_.config().training; }
  uint64_t Seed() const override { return model_.config().seed; }
  nlohmann::json ConfigJson() const override { return model_.config().ToJson(); }
  void SetNormalizers(Normalizer obs, Normalizer actions) override;
  const Normalizer& ObsNormalizer() const override { return obs_norm_; }
  const Normalizer& ActionNormalizer() const override { return action_norm_; }
  torch::Device GetDevice() const override { return device_; }

  DiffusionModel& model() { return model_; }

 private:
  DiffusionModel model_;
  torch::Device device_;
  Normalizer obs_norm_, action_norm_;
  std::vector<torch::Generator> slot_gens_;  // one stream per episode slot
};

}  // namespace bcbench
