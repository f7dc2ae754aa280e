// Diffusion Policy as a trainable policy: normalises observation histories,
// samples normalised action chunks from DiffusionModel and unnormalises them.
#pragma once

#include <memory>

#include "policies/diffusion/diffusion_model.h"
#include "policies/trainable_policy.h"

namespace bcbench {

class DiffusionPolicy : public TrainablePolicy {
 public:
  DiffusionPolicy(const DiffusionConfig& config, int obs_dim, int action_dim,
                  torch::Device device);

  std::string Name() const override { return "diffusion"; }
  int ObsHorizon() const override { return model_.config().obs_horizon; }
  int PredHorizon() const override { return model_.config().pred_horizon; }
  int ActionHorizon() const override { return model_.config().action_horizon; }
  int LatencySteps() const override { return model_.config().latency_steps; }
  void Reset(uint64_t seed) override;
  ActionChunk Act(const ObsHistory& obs) override;

  torch::nn::Module& Network() override { return *model_.unet(); }
  torch::Tensor Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                     torch::Generator& gen) override {
    return model_.Loss(obs, actions, gen);
  }
  PreparedLoss PrepareLoss(const torch::Tensor& obs, const torch::Tensor& actions,
                           torch::Generator& gen) override {
    return model_.PrepareLoss(obs, actions, gen);
  }
  TrainOptions GetTrainOptions() const override;
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
  torch::Generator sample_gen_;
};

}  // namespace bcbench
