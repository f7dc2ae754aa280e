// A toy policy that lives only in this folder: a linear map from the newest
// observation to the next Ta actions, trained by MSE. It registers itself as
// "toy" the way every method does (a static PolicyRegistrar), and the test
// binary that links this folder trains and evaluates it through the CLI: the
// proof that adding a method needs no edit outside its own folder.
#include <torch/torch.h>

#include "policies/policy_registry.h"

namespace bcbench {
namespace {

struct ToyConfig {
  int action_horizon = 4;
  TrainingConfig training = [] {
    TrainingConfig t;
    t.lr = 1e-2;
    t.warmup_steps = 0;
    t.lr_schedule = "constant";
    t.batch_size = 64;
    t.ema = false;
    return t;
  }();
  uint64_t seed = 0;

  static const ConfigSchema<ToyConfig>& Schema() {
    static const ConfigSchema<ToyConfig> schema = [] {
      ConfigSchema<ToyConfig> s("toy config");
      s.Int("action_horizon", &ToyConfig::action_horizon, 1, 64, "Ta, actions per decision")
          .Include(&ToyConfig::training, TrainingSchema())
          .Int("seed", &ToyConfig::seed, 0, 1000000, "init seed");
      return s;
    }();
    return schema;
  }
  void Validate() const {}
};

class ToyPolicy : public TrainablePolicy {
 public:
  ToyPolicy(const ToyConfig& config, int obs_dim, int action_dim, torch::Device device)
      : config_(config), action_dim_(action_dim), device_(device) {
    torch::manual_seed(config.seed);
    net_ = torch::nn::Linear(obs_dim, config.action_horizon * action_dim);
    net_->to(device);
  }
  std::string Name() const override { return "toy"; }
  int ObsHorizon() const override { return 1; }
  int ChunkSteps() const override { return config_.action_horizon; }
  int ActionHorizon() const override { return config_.action_horizon; }
  void StartEpisode(int, int, uint64_t) override {}
  ActionChunk Act(const ObsHistory& obs) override {
    std::vector<float> values = obs.values;
    obs_norm_.Normalize(values.data(), static_cast<size_t>(obs.batch));
    torch::NoGradGuard no_grad;
    const auto out = net_->forward(torch::from_blob(values.data(), {obs.batch, obs.dim}))
                         .contiguous();
    ActionChunk chunk{obs.batch, ChunkSteps(), action_dim_, {}};
    chunk.values.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
    action_norm_.Unnormalize(chunk.values.data(),
                             static_cast<size_t>(obs.batch) * ChunkSteps());
    return chunk;
  }
  torch::nn::Module& Network() override { return *net_; }
  Horizons TrainingWindow() const override {
    return {1, config_.action_horizon, config_.action_horizon};
  }
  torch::Tensor Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                     torch::Generator&) override {
    const auto predicted = net_->forward(obs.select(1, 0));
    return torch::mse_loss(predicted, actions.reshape({actions.size(0), -1}));
  }
  const TrainingConfig& Training() const override { return config_.training; }
  uint64_t Seed() const override { return config_.seed; }
  nlohmann::json ConfigJson() const override { return ToyConfig::Schema().ToJson(config_); }
  void SetNormalizers(Normalizer obs, Normalizer actions) override {
    obs_norm_ = std::move(obs);
    action_norm_ = std::move(actions);
  }
  const Normalizer& ObsNormalizer() const override { return obs_norm_; }
  const Normalizer& ActionNormalizer() const override { return action_norm_; }
  torch::Device GetDevice() const override { return device_; }

 private:
  ToyConfig config_;
  int action_dim_;
  torch::Device device_;
  torch::nn::Linear net_{nullptr};
  Normalizer obs_norm_, action_norm_;
};

const PolicyRegistrar kToy(MakePolicyEntry(
    "toy", "a linear map from the newest observation to the next Ta actions (test only)",
    ToyConfig::Schema(), {{"default", "# the toy's defaults\n"}}, {"action_horizon"},
    [](const ToyConfig& c, int obs_dim, int action_dim, torch::Device device) {
      return std::make_unique<ToyPolicy>(c, obs_dim, action_dim, device);
    }));

}  // namespace
}  // namespace bcbench
