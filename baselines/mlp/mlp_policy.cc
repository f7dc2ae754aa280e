// MLP behaviour cloning (SPEC 5, baselines/mlp): an MLP maps the flattened To
// normalised observations to the normalised action window of Tp steps and is
// trained by mean squared error. It is the explicit, unimodal reference: where
// the demos split between modes it regresses to their mean.
//
// Its windows are Diffusion Policy's: the Tp actions start To - 1 steps in the
// past (at the oldest observation), so Act returns the Tp - To + 1 steps from
// the current one, of which the runner executes Ta.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "policies/row_by_row.h"
#include "policies/policy_registry.h"

namespace bcbench {
namespace {

struct MlpConfig {
  int obs_horizon = 2;     // To
  int pred_horizon = 16;   // Tp: the training window's actions, from To - 1 steps back
  int action_horizon = 8;  // Ta: steps executed per chunk
  // Hidden layers, each Linear + ReLU; a Linear to Tp x A follows. No public
  // reference fixes these: 3 x 256 is a small CPU-sized choice.
  std::vector<int> hidden_dims = {256, 256, 256};
  // Diffusion Policy's machinery at an MLP's learning rate: AdamW 1e-3,
  // cosine with 500 warm-up steps, EMA 0.75 / 0.9999, batch 256.
  TrainingConfig training = [] {
    TrainingConfig t;
    t.lr = 1e-3;
    return t;
  }();
  uint64_t seed = 0;

  int ChunkSteps() const { return pred_horizon - obs_horizon + 1; }

  static const ConfigSchema<MlpConfig>& Schema() {
    static const ConfigSchema<MlpConfig> schema = [] {
      using C = MlpConfig;
      ConfigSchema<C> s("mlp config");
      s.Int("obs_horizon", &C::obs_horizon, 1, 64, "To, observation steps the MLP reads")
          .Int("pred_horizon", &C::pred_horizon, 1, 1024,
               "Tp, action steps regressed, from To - 1 steps back; >= To")
          .Int("action_horizon", &C::action_horizon, 1, 1024,
               "Ta, steps executed per chunk; <= Tp - To + 1")
          .IntList("hidden_dims", &C::hidden_dims, 1, 16, 1, 65536,
                   "hidden layer widths (Linear + ReLU each), e.g. 256,256,256")
          .Include(&C::training, TrainingSchema())
          .Int("seed", &C::seed, 0, std::numeric_limits<int64_t>::max(),
               "seed of init and batches");
      return s;
    }();
    return schema;
  }

  void Validate() const {
    Schema().CheckRanges(*this);
    if (obs_horizon > pred_horizon) {
      throw std::invalid_argument("mlp config: obs_horizon=" + std::to_string(obs_horizon) +
                                  " is invalid; must be <= pred_horizon = " +
                                  std::to_string(pred_horizon) +
                                  " (the window covers the observed steps and the ones ahead)");
    }
    if (action_horizon > ChunkSteps()) {
      throw std::invalid_argument(
          "mlp config: action_horizon=" + std::to_string(action_horizon) +
          " is invalid; must be <= pred_horizon - obs_horizon + 1 = " +
          std::to_string(ChunkSteps()) + " (the predicted steps from the current one on)");
    }
  }
};

const std::vector<PolicyPreset>& MlpPresets() {
  static const std::vector<PolicyPreset> presets = {
#include "mlp_presets.inc"
  };
  return presets;
}

torch::nn::Sequential MakeMlp(int in, const std::vector<int>& hidden, int out) {
  torch::nn::Sequential net;
  for (int width : hidden) {
    net->push_back(torch::nn::Linear(in, width));
    net->push_back(torch::nn::ReLU());
    in = width;
  }
  net->push_back(torch::nn::Linear(in, out));
  return net;
}

class MlpPolicy : public TrainablePolicy {
 public:
  MlpPolicy(const MlpConfig& config, int obs_dim, int action_dim, torch::Device device)
      : config_(config), obs_dim_(obs_dim), action_dim_(action_dim), device_(device) {
    torch::manual_seed(config.seed);
    net_ = MakeMlp(config.obs_horizon * obs_dim, config.hidden_dims,
                   config.pred_horizon * action_dim);
    net_->to(device);
  }

  std::string Name() const override { return "mlp"; }
  int ObsHorizon() const override { return config_.obs_horizon; }
  int ChunkSteps() const override { return config_.ChunkSteps(); }
  int ActionHorizon() const override { return config_.action_horizon; }
  // Deterministic: no random stream, no recurrent state.
  void StartEpisode(int slot, int slots, uint64_t) override {
    if (slot < 0 || slot >= slots) throw std::invalid_argument("episode slot out of range");
  }

  ActionChunk Act(const ObsHistory& obs) override {
    if (obs.steps != config_.obs_horizon || obs.dim != obs_dim_) {
      throw std::invalid_argument("observation history of " + std::to_string(obs.steps) + " x " +
                                  std::to_string(obs.dim) + ", the mlp policy needs " +
                                  std::to_string(config_.obs_horizon) + " x " +
                                  std::to_string(obs_dim_));
    }
    std::vector<float> values = obs.values;
    obs_norm_.Normalize(values.data(), static_cast<size_t>(obs.batch) * obs.steps);
    const auto input = torch::from_blob(values.data(), {obs.batch, obs.steps * obs.dim});
    const int64_t window = static_cast<int64_t>(config_.pred_horizon) * action_dim_;
    std::vector<float> predicted(static_cast<size_t>(obs.batch) * window);
    // Each row by itself, so its numbers do not depend on the batch.
    ForEachRowAlone(obs.batch, [&](int64_t b) {
      c10::InferenceMode inference;
      const auto out = net_->forward(input.narrow(0, b, 1).to(device_)).to(torch::kCPU).contiguous();
      std::copy(out.data_ptr<float>(), out.data_ptr<float>() + window,
                predicted.begin() + b * window);
    });
    // The window starts To - 1 steps back; the chunk starts at the current step.
    ActionChunk chunk{obs.batch, ChunkSteps(), action_dim_, {}};
    chunk.values.reserve(static_cast<size_t>(obs.batch) * ChunkSteps() * action_dim_);
    for (int b = 0; b < obs.batch; ++b) {
      const auto first = predicted.begin() + b * window + (config_.obs_horizon - 1) * action_dim_;
      chunk.values.insert(chunk.values.end(), first, first + ChunkSteps() * action_dim_);
    }
    action_norm_.Unnormalize(chunk.values.data(), static_cast<size_t>(obs.batch) * ChunkSteps());
    return chunk;
  }

  torch::nn::Module& Network() override { return *net_; }
  Horizons TrainingWindow() const override {
    return {config_.obs_horizon, config_.pred_horizon, config_.action_horizon};
  }
  torch::Tensor Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                     torch::Generator&) override {
    const auto predicted = net_->forward(obs.reshape({obs.size(0), -1}));
    return torch::mse_loss(predicted, actions.reshape({actions.size(0), -1}));
  }
  // Rows are independent and the loss draws nothing: any row range by itself.
  PreparedLoss PrepareLoss(const torch::Tensor& obs, const torch::Tensor& actions,
                           torch::Generator& gen) override {
    PreparedLoss prepared;
    prepared.rows = obs.size(0);
    prepared.splittable = true;
    prepared.on_rows = [this, obs, actions, &gen](int64_t first, int64_t count) {
      return Loss(obs.narrow(0, first, count), actions.narrow(0, first, count), gen);
    };
    return prepared;
  }
  const TrainingConfig& Training() const override { return config_.training; }
  uint64_t Seed() const override { return config_.seed; }
  nlohmann::json ConfigJson() const override { return MlpConfig::Schema().ToJson(config_); }
  void SetNormalizers(Normalizer obs, Normalizer actions) override {
    if (static_cast<int>(obs.dim()) != obs_dim_ ||
        static_cast<int>(actions.dim()) != action_dim_) {
      throw std::invalid_argument(
          "normalizer dimensions do not match the policy's obs/action dims");
    }
    obs_norm_ = std::move(obs);
    action_norm_ = std::move(actions);
  }
  const Normalizer& ObsNormalizer() const override { return obs_norm_; }
  const Normalizer& ActionNormalizer() const override { return action_norm_; }
  torch::Device GetDevice() const override { return device_; }

 private:
  MlpConfig config_;
  int obs_dim_;
  int action_dim_;
  torch::Device device_;
  torch::nn::Sequential net_{nullptr};
  Normalizer obs_norm_, action_norm_;
};

const PolicyRegistrar kMlp(MakePolicyEntry(
    "mlp",
    "MLP behaviour cloning: regresses the normalised action chunk from the To observations "
    "by MSE (the unimodal reference: it averages modes)",
    MlpConfig::Schema(), MlpPresets(), {"action_horizon"},
    [](const MlpConfig& config, int obs_dim, int action_dim, torch::Device device) {
      return std::make_unique<MlpPolicy>(config, obs_dim, action_dim, device);
    }));

}  // namespace
}  // namespace bcbench
