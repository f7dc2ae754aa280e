#include "baselines/lstm_gmm/lstm_gmm_policy.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <stdexcept>

#include "policies/row_by_row.h"
#include "policies/policy_registry.h"

namespace bcbench {

LstmGmmPolicy::LstmGmmPolicy(const LstmGmmConfig& config, int obs_dim, int action_dim,
                             torch::Device device)
    : config_(config), obs_dim_(obs_dim), action_dim_(action_dim), device_(device) {
  torch::manual_seed(config.seed);
  net_ = lstm_gmm::LstmGmmNet(config, obs_dim, config.action_horizon * action_dim);
  net_->to(device);
}

void LstmGmmPolicy::StartEpisode(int slot, int slots, uint64_t stream_seed) {
  if (slot < 0 || slot >= slots) throw std::invalid_argument("episode slot out of range");
  if (static_cast<int>(slots_.size()) != slots) slots_.assign(static_cast<size_t>(slots), Slot{});
  Slot& s = slots_[static_cast<size_t>(slot)];
  s.gen = at::make_generator<at::CPUGeneratorImpl>(stream_seed);
  s.lstm = {};
  s.fed = 0;
}

void LstmGmmPolicy::SetNormalizers(Normalizer obs, Normalizer actions) {
  if (static_cast<int>(obs.dim()) != obs_dim_ || static_cast<int>(actions.dim()) != action_dim_) {
    throw std::invalid_argument("normalizer dimensions do not match the policy's obs/action dims");
  }
  obs_norm_ = std::move(obs);
  action_norm_ = std::move(actions);
}

ActionChunk LstmGmmPolicy::Act(const ObsHistory& obs) {
  if (obs.steps != ObsHorizon() || obs.dim != obs_dim_) {
    throw std::invalid_argument("observation history of " + std::to_string(obs.steps) + " x " +
                                std::to_string(obs.dim) + ", the lstm_gmm policy needs " +
                                std::to_string(ObsHorizon()) + " x " + std::to_string(obs_dim_));
  }
  if (static_cast<int>(obs.slots.size()) != obs.batch) {
    throw std::invalid_argument("observation history without one episode slot per row");
  }
  for (int b = 0; b < obs.batch; ++b) {
    const int slot = obs.slots[static_cast<size_t>(b)];
    if (slot < 0 || slot >= static_cast<int>(slots_.size()) ||
        !slots_[static_cast<size_t>(slot)].gen.defined()) {
      throw std::logic_error("Act on episode slot " + std::to_string(slot) +
                             " before StartEpisode");
    }
    if (std::count(obs.slots.begin(), obs.slots.end(), slot) > 1) {
      throw std::invalid_argument("episode slot " + std::to_string(slot) +
                                  " appears twice in one observation batch");
    }
  }
  std::vector<float> values = obs.values;
  obs_norm_.Normalize(values.data(), static_cast<size_t>(obs.batch) * obs.steps);
  const auto input = torch::from_blob(values.data(), {obs.batch, obs.steps, obs.dim});
  const int64_t row = static_cast<int64_t>(config_.action_horizon) * action_dim_;
  ActionChunk chunk{obs.batch, ChunkSteps(), action_dim_, {}};
  chunk.values.resize(static_cast<size_t>(obs.batch * row));
  // Each row by itself with its slot's state and stream, so that an episode's
  // actions do not depend on the episodes beside it.
  ForEachRowAlone(obs.batch, [&](int64_t b) {
    c10::InferenceMode inference;
    Slot& s = slots_[static_cast<size_t>(obs.slots[static_cast<size_t>(b)])];
    if (config_.reset_every > 0 && s.fed + obs.steps > config_.reset_every) {
      s.lstm = {};
      s.fed = 0;
    }
    const auto features = net_->Run(input.narrow(0, b, 1).to(device_), s.lstm);
    s.fed += obs.steps;
    const auto gmm = net_->Head(features[0][obs.steps - 1], config_.low_noise_eval);
    const auto action = lstm_gmm::SampleGmm(gmm, s.gen).to(torch::kCPU).contiguous();
    std::copy(action.data_ptr<float>(), action.data_ptr<float>() + row,
              chunk.values.begin() + b * row);
  });
  action_norm_.Unnormalize(chunk.values.data(), static_cast<size_t>(obs.batch) * ChunkSteps());
  return chunk;
}

torch::Tensor LstmGmmPolicy::Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                                  torch::Generator&) {
  lstm_gmm::LstmState zero;
  const auto features = net_->Run(obs, zero);  // (B, L, H)
  const auto gmm = net_->Head(features, /*low_noise=*/false);
  // Step k's target: window actions k .. k + Ta - 1 as one vector (B, L, Ta * A).
  const int64_t ta = config_.action_horizon;
  const auto targets = actions.unfold(1, ta, 1).transpose(2, 3).reshape(
      {obs.size(0), obs.size(1), ta * action_dim_});
  return -lstm_gmm::GmmLogLikelihood(gmm, targets).mean();
}

// Rows are independent and the loss draws nothing: any row range by itself.
PreparedLoss LstmGmmPolicy::PrepareLoss(const torch::Tensor& obs, const torch::Tensor& actions,
                                        torch::Generator& gen) {
  PreparedLoss prepared;
  prepared.rows = obs.size(0);
  prepared.splittable = true;
  prepared.on_rows = [this, obs, actions, &gen](int64_t first, int64_t count) {
    return Loss(obs.narrow(0, first, count), actions.narrow(0, first, count), gen);
  };
  return prepared;
}

static const PolicyRegistrar kRegistrar(MakePolicyEntry(
    "lstm_gmm",
    "LSTM-GMM (robomimic BC-RNN-GMM): a stacked LSTM over the observation sequence with a "
    "Gaussian-mixture action head, trained by negative log-likelihood on sequences; its state is "
    "carried across steps at rollout",
    LstmGmmConfig::Schema(), LstmGmmPresets(), LstmGmmConfig::EvalKeys(),
    [](const LstmGmmConfig& config, int obs_dim, int action_dim, torch::Device device) {
      return std::make_unique<LstmGmmPolicy>(config, obs_dim, action_dim, device);
    }));

}  // namespace bcbench
