#include "baselines/ibc/ibc_policy.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "baselines/ibc/info_nce.h"
#include "policies/nn/random_draws.h"
#include "policies/policy_registry.h"
#include "policies/row_by_row.h"

namespace bcbench {

IbcPolicy::IbcPolicy(const IbcConfig& config, int obs_dim, int action_dim, torch::Device device)
    : config_(config), obs_dim_(obs_dim), action_dim_(action_dim), device_(device) {
  config_.Validate();
  torch::manual_seed(config_.seed);
  energy_ = EnergyMlp(config_.obs_horizon * obs_dim, config_.ChunkVectorSize(action_dim),
                      config_.hidden_dims, config_.dropout);
  energy_->to(device);
}

DfoSettings IbcPolicy::Dfo() const {
  DfoSettings s;
  s.samples = config_.inference_samples;
  s.iterations = config_.inference_iterations;
  s.noise_scale = config_.noise_scale;
  s.noise_shrink = config_.noise_shrink;
  s.temperature = config_.temperature;
  s.sample_final = config_.final_choice == "sample";
  return s;
}

void IbcPolicy::StartEpisode(int slot, int slots, uint64_t stream_seed) {
  if (slot < 0 || slot >= slots) throw std::invalid_argument("episode slot out of range");
  if (static_cast<int>(slot_gens_.size()) != slots) {
    slot_gens_.assign(static_cast<size_t>(slots), torch::Generator());
  }
  slot_gens_[static_cast<size_t>(slot)] = at::make_generator<at::CPUGeneratorImpl>(stream_seed);
}

void IbcPolicy::SetNormalizers(Normalizer obs, Normalizer actions) {
  if (static_cast<int>(obs.dim()) != obs_dim_ || static_cast<int>(actions.dim()) != action_dim_) {
    throw std::invalid_argument("normalizer dimensions do not match the policy's obs/action dims");
  }
  obs_norm_ = std::move(obs);
  action_norm_ = std::move(actions);
}

PreparedLoss IbcPolicy::PrepareLoss(const torch::Tensor& obs, const torch::Tensor& actions,
                                    torch::Generator& gen) {
  const int64_t batch = obs.size(0);
  const int64_t size = config_.ChunkVectorSize(action_dim_);
  // The positive: the chunk from the window's current step (its last
  // observation) on, as one vector; then N uniform counter-examples.
  const auto positive =
      actions.narrow(1, config_.obs_horizon - 1, config_.chunk_steps).reshape({batch, 1, size});
  const auto negatives =
      RandOn({batch, config_.counter_examples, size}, gen, actions.options()) * 2 - 1;
  const auto candidates = torch::cat({positive, negatives}, 1);
  const auto flat_obs = obs.reshape({batch, -1});
  PreparedLoss prepared;
  prepared.rows = batch;
  prepared.splittable = true;
  prepared.on_rows = [this, flat_obs, candidates](int64_t first, int64_t count) {
    return InfoNceLoss(
        energy_->forward(flat_obs.narrow(0, first, count), candidates.narrow(0, first, count)),
        config_.temperature);
  };
  return prepared;
}

torch::Tensor IbcPolicy::Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                              torch::Generator& gen) {
  const auto prepared = PrepareLoss(obs, actions, gen);
  return prepared.on_rows(0, prepared.rows);
}

ActionChunk IbcPolicy::Act(const ObsHistory& obs) {
  if (obs.steps != ObsHorizon() || obs.dim != obs_dim_) {
    throw std::invalid_argument("observation history of " + std::to_string(obs.steps) + " x " +
                                std::to_string(obs.dim) + ", the policy needs " +
                                std::to_string(ObsHorizon()) + " x " + std::to_string(obs_dim_));
  }
  if (static_cast<int>(obs.slots.size()) != obs.batch) {
    throw std::invalid_argument("observation history without one episode slot per row");
  }
  for (int slot : obs.slots) {
    if (slot < 0 || slot >= static_cast<int>(slot_gens_.size()) ||
        !slot_gens_[static_cast<size_t>(slot)].defined()) {
      throw std::logic_error("Act on episode slot " + std::to_string(slot) +
                             " before StartEpisode");
    }
  }
  std::vector<float> values = obs.values;
  obs_norm_.Normalize(values.data(), static_cast<size_t>(obs.batch) * obs.steps);
  const int64_t obs_size = static_cast<int64_t>(obs.steps) * obs.dim;
  const int64_t size = config_.ChunkVectorSize(action_dim_);
  const auto all_obs =
      torch::from_blob(values.data(), {obs.batch, obs_size}, torch::kFloat32).to(device_);
  const DfoSettings settings = Dfo();
  ActionChunk chunk;
  chunk.batch = obs.batch;
  chunk.steps = ChunkSteps();
  chunk.dim = action_dim_;
  chunk.values.resize(static_cast<size_t>(obs.batch * size));
  // Each row is optimised by itself (its GEMMs always have M rows, run
  // single-threaded), so its numbers do not depend on the batch or threads.
  ForEachRowAlone(obs.batch, [&](int64_t b) {
    c10::InferenceMode inference;
    const auto row_obs = all_obs.narrow(0, b, 1);
    auto energy = [&](const torch::Tensor& candidates) {
      return energy_->Score(row_obs, candidates.unsqueeze(0)).squeeze(0);
    };
    auto& gen = slot_gens_[static_cast<size_t>(obs.slots[static_cast<size_t>(b)])];
    const auto best = DfoMinimize(energy, size, settings, gen, all_obs.options())
                          .best.to(torch::kCPU)
                          .contiguous();
    std::memcpy(chunk.values.data() + b * size, best.data_ptr<float>(), sizeof(float) * size);
  });
  action_norm_.Unnormalize(chunk.values.data(), static_cast<size_t>(chunk.batch) * chunk.steps);
  return chunk;
}

// Registered from here: nothing outside baselines/ibc names the policy.
static const PolicyRegistrar kRegistrar(MakePolicyEntry(
    "ibc",
    "Implicit BC (Florence et al. 2021): an energy MLP over (observations, action chunk) trained "
    "with InfoNCE against uniform counter-examples; acts by derivative-free optimisation "
    "(resample by softmax(-E), perturb, shrink)",
    IbcConfig::Schema(), IbcPresets(), IbcConfig::EvalKeys(),
    [](const IbcConfig& config, int obs_dim, int action_dim, torch::Device device) {
      return std::make_unique<IbcPolicy>(config, obs_dim, action_dim, device);
    }));

}  // namespace bcbench
