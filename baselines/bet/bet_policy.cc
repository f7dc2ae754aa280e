#include "baselines/bet/bet_policy.h"

#include <optional>
#include <stdexcept>
#include <string>

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include "baselines/bet/bet_losses.h"
#include "baselines/bet/kmeans.h"
#include "policies/policy_registry.h"
#include "policies/row_by_row.h"

namespace bcbench {
namespace {

// The k-means stream is apart from the trainer's (which also starts at the seed).
constexpr uint64_t kKMeansStream = 0x6b6d65616e73ULL;  // "kmeans"

MinGptOptions GptOptions(const BetConfig& c, int obs_dim, int action_dim) {
  MinGptOptions o;
  o.input_dim = obs_dim;
  o.output_dim = c.bins * (1 + action_dim);  // logits, then one offset per bin
  o.block_size = c.window;
  o.n_layer = c.n_layer;
  o.n_head = c.n_head;
  o.n_embd = c.n_embd;
  o.embd_pdrop = c.embd_pdrop;
  o.attn_pdrop = c.attn_pdrop;
  o.resid_pdrop = c.resid_pdrop;
  return o;
}

}  // namespace

BetNetworkImpl::BetNetworkImpl(const BetConfig& config, int obs_dim, int action_dim) {
  auto init = at::make_generator<at::CPUGeneratorImpl>(config.seed);
  gpt = register_module("gpt", MinGpt(GptOptions(config, obs_dim, action_dim), init));
  bin_centers = register_buffer("bin_centers", torch::zeros({config.bins, action_dim}));
}

BetPolicy::BetPolicy(const BetConfig& config, int obs_dim, int action_dim, torch::Device device)
    : config_(config), obs_dim_(obs_dim), action_dim_(action_dim), device_(device) {
  config_.Validate();
  if (obs_dim < 1 || action_dim < 1) {
    throw std::invalid_argument("BetPolicy: obs_dim and action_dim must be >= 1");
  }
  net_ = BetNetwork(config_, obs_dim, action_dim);
  net_->to(device);
}

void BetPolicy::StartEpisode(int slot, int slots, uint64_t stream_seed) {
  if (slot < 0 || slot >= slots) throw std::invalid_argument("episode slot out of range");
  if (static_cast<int>(slot_gens_.size()) != slots) {
    slot_gens_.assign(static_cast<size_t>(slots), torch::Generator());
  }
  slot_gens_[static_cast<size_t>(slot)] = at::make_generator<at::CPUGeneratorImpl>(stream_seed);
}

void BetPolicy::SetNormalizers(Normalizer obs, Normalizer actions) {
  if (static_cast<int>(obs.dim()) != obs_dim_ || static_cast<int>(actions.dim()) != action_dim_) {
    throw std::invalid_argument("normalizer dimensions do not match the policy's obs/action dims");
  }
  obs_norm_ = std::move(obs);
  action_norm_ = std::move(actions);
}

void BetPolicy::SetBinCenters(const torch::Tensor& centres) {
  if (centres.sizes() != net_->bin_centers.sizes()) {
    throw std::invalid_argument("BetPolicy: bin centres must be (bins, action_dim)");
  }
  torch::NoGradGuard no_grad;
  net_->bin_centers.copy_(centres);
}

void BetPolicy::Fit(const TrainingData& data) {
  TrainablePolicy::Fit(data);
  std::vector<float> actions;
  for (const FloatArray* demo : data.actions) {
    const size_t first = actions.size();
    actions.insert(actions.end(), demo->values.begin(), demo->values.end());
    action_norm_.Normalize(actions.data() + first, demo->rows());
  }
  const auto rows = static_cast<int64_t>(actions.size()) / action_dim_;
  if (rows == 0) throw std::invalid_argument("BetPolicy::Fit: no training actions");
  auto gen = at::make_generator<at::CPUGeneratorImpl>(config_.seed ^ kKMeansStream);
  const auto points = torch::from_blob(actions.data(), {rows, action_dim_}, torch::kFloat32);
  const auto fitted = KMeans(points, config_.bins, config_.kmeans_iters, gen);
  spdlog::info("bet: k-means of {} actions into {} bins ({} empty bins re-seeded)", rows,
               config_.bins, fitted.reinitialised);
  SetBinCenters(fitted.centres);
}

BinPrediction BetPolicy::Predict(const torch::Tensor& norm_obs, const DropoutMasks* dropout) {
  const auto out = net_->gpt->forward(norm_obs, dropout);  // (B, T, bins * (1 + A))
  const int64_t n = out.size(0) * out.size(1);
  const auto flat = out.reshape({n, -1});
  return {flat.narrow(1, 0, config_.bins),
          flat.narrow(1, config_.bins, config_.bins * action_dim_)
              .reshape({n, config_.bins, action_dim_})};
}

torch::Tensor BetPolicy::Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                              torch::Generator& gen) {
  return PrepareLoss(obs, actions, gen).on_rows(0, obs.size(0));
}

PreparedLoss BetPolicy::PrepareLoss(const torch::Tensor& obs, const torch::Tensor& actions,
                                    torch::Generator& gen) {
  // Every position of the window has its own target: the action of its step.
  const int64_t batch = obs.size(0), steps = obs.size(1);
  const auto target_actions = actions.reshape({-1, action_dim_});
  const auto centres = net_->bin_centers.detach();
  const auto target = NearestCentre(target_actions, centres);  // (B * T)
  const auto true_offsets = target_actions - centres.index_select(0, target);
  std::optional<DropoutMasks> masks;
  if (net_->is_training()) masks = net_->gpt->DrawDropoutMasks(batch, steps, gen);
  PreparedLoss prepared;
  prepared.rows = batch;
  prepared.splittable = true;
  prepared.on_rows = [this, obs, target, true_offsets, masks, steps](int64_t first,
                                                                     int64_t count) {
    const auto slice_masks = masks ? std::optional<DropoutMasks>(masks->Rows(first, count))
                                   : std::nullopt;
    const auto prediction =
        Predict(obs.narrow(0, first, count), slice_masks ? &*slice_masks : nullptr);
    const auto rows = [&](const torch::Tensor& t) { return t.narrow(0, first * steps, count * steps); };
    return FocalLoss(prediction.logits, rows(target), config_.focal_gamma) +
           config_.offset_loss_scale *
               TargetBinOffsetLoss(prediction.offsets, rows(target), rows(true_offsets));
  };
  return prepared;
}

torch::Tensor BetPolicy::SampleRow(const torch::Tensor& norm_obs, torch::Generator& gen) {
  const auto prediction = Predict(norm_obs);
  const int64_t last = prediction.logits.size(0) - 1;  // the newest observation
  const auto probs = torch::softmax(prediction.logits[last].to(torch::kCPU, torch::kFloat64) /
                                        config_.temperature,
                                    0);
  const double u = torch::rand({1}, gen, torch::kFloat64).item<double>();
  const double* p = probs.data_ptr<double>();
  int64_t bin = config_.bins - 1;
  double cumulative = 0;
  for (int64_t k = 0; k < config_.bins; ++k) {
    cumulative += p[k];
    if (u < cumulative) {
      bin = k;
      break;
    }
  }
  return (net_->bin_centers[bin] + prediction.offsets[last][bin]).to(torch::kCPU);
}

ActionChunk BetPolicy::Act(const ObsHistory& obs) {
  if (obs.steps < 1 || obs.steps > config_.window || obs.dim != obs_dim_) {
    throw std::invalid_argument("observation history of " + std::to_string(obs.steps) + " x " +
                                std::to_string(obs.dim) + ", the policy needs " +
                                std::to_string(ObsHorizon()) + " x " + std::to_string(obs_dim_));
  }
  if (static_cast<int>(obs.slots.size()) != obs.batch) {
    throw std::invalid_argument("observation history without one episode slot per row");
  }
  std::vector<torch::Generator> gens;
  gens.reserve(static_cast<size_t>(obs.batch));
  for (int slot : obs.slots) {
    if (slot < 0 || slot >= static_cast<int>(slot_gens_.size()) ||
        !slot_gens_[static_cast<size_t>(slot)].defined()) {
      throw std::logic_error("Act on episode slot " + std::to_string(slot) +
                             " before StartEpisode");
    }
    gens.push_back(slot_gens_[static_cast<size_t>(slot)]);
  }
  std::vector<float> values = obs.values;
  obs_norm_.Normalize(values.data(), static_cast<size_t>(obs.batch) * obs.steps);
  ActionChunk chunk{obs.batch, 1, action_dim_,
                    std::vector<float>(static_cast<size_t>(obs.batch) * action_dim_)};
  // Each row runs by itself (batch 1), so its numbers never depend on the
  // rows beside it; workers take the next row until none is left.
  const int64_t batch = obs.batch;
  ForEachRowAlone(batch, [&](int64_t b) {
    torch::NoGradGuard no_grad;
    const auto row = torch::from_blob(values.data() + b * obs.steps * obs.dim,
                                      {1, obs.steps, obs.dim}, torch::kFloat32)
                         .to(device_);
    const auto action = SampleRow(row, gens[static_cast<size_t>(b)]).contiguous();
    std::copy(action.data_ptr<float>(), action.data_ptr<float>() + action_dim_,
              chunk.values.data() + b * action_dim_);
  });
  action_norm_.Unnormalize(chunk.values.data(), static_cast<size_t>(obs.batch));
  return chunk;
}

// Registered from here: nothing outside baselines/bet names the policy.
static const PolicyRegistrar kRegistrar(MakePolicyEntry(
    "bet",
    "Behavior Transformer (Shafiullah et al. 2022): k-means action bins plus per-bin offsets "
    "predicted by a causal minGPT over the observation window; focal loss on the bin, MSE on "
    "the target bin's offset; a bin sampled per step with a temperature",
    BetConfig::Schema(), BetPresets(), BetConfig::EvalKeys(),
    [](const BetConfig& config, int obs_dim, int action_dim, torch::Device device) {
      return std::make_unique<BetPolicy>(config, obs_dim, action_dim, device);
    }));

}  // namespace bcbench
