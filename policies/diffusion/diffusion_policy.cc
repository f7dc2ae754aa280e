#include "policies/diffusion/diffusion_policy.h"

#include <stdexcept>

#include "policies/policy_registry.h"

namespace bcbench {

DiffusionPolicy::DiffusionPolicy(const DiffusionConfig& config, int obs_dim, int action_dim,
                                 torch::Device device)
    : model_(config, obs_dim, action_dim), device_(device) {
  model_.to(device);
}

void DiffusionPolicy::StartEpisode(int slot, int slots, uint64_t stream_seed) {
  if (slot < 0 || slot >= slots) throw std::invalid_argument("episode slot out of range");
  if (static_cast<int>(slot_gens_.size()) != slots) {
    slot_gens_.assign(static_cast<size_t>(slots), torch::Generator());
  }
  slot_gens_[static_cast<size_t>(slot)] = at::make_generator<at::CPUGeneratorImpl>(stream_seed);
}

void DiffusionPolicy::SetNormalizers(Normalizer obs, Normalizer actions) {
  if (static_cast<int>(obs.dim()) != model_.obs_dim() ||
      static_cast<int>(actions.dim()) != model_.action_dim()) {
    throw std::invalid_argument("normalizer dimensions do not match the policy's obs/action dims");
  }
  obs_norm_ = std::move(obs);
  action_norm_ = std::move(actions);
}

ActionChunk DiffusionPolicy::Act(const ObsHistory& obs) {
  if (obs.steps != ObsHorizon() || obs.dim != model_.obs_dim()) {
    throw std::invalid_argument("observation history of " + std::to_string(obs.steps) + " x " +
                                std::to_string(obs.dim) + ", the policy needs " +
                                std::to_string(ObsHorizon()) + " x " +
                                std::to_string(model_.obs_dim()));
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
  torch::NoGradGuard no_grad;
  const auto input = torch::from_blob(values.data(), {obs.batch, obs.steps, obs.dim},
                                      torch::kFloat32).to(device_);
  // (B, Tp, A) from To - 1 steps back; the chunk starts at the current step.
  // One stream per row; on the CPU each row is computed by itself, so its
  // numbers do not depend on the batch (DiffusionModel::Sample).
  const auto sampled = model_.Sample(input, gens)
                           .narrow(1, ObsHorizon() - 1, ChunkSteps())
                           .to(torch::kCPU)
                           .contiguous();
  ActionChunk chunk;
  chunk.batch = obs.batch;
  chunk.steps = ChunkSteps();
  chunk.dim = model_.action_dim();
  chunk.values.assign(sampled.data_ptr<float>(), sampled.data_ptr<float>() + sampled.numel());
  action_norm_.Unnormalize(chunk.values.data(), static_cast<size_t>(chunk.batch) * chunk.steps);
  return chunk;
}

// Registered from here: nothing outside policies/diffusion names the policy.
static PolicyEntry DiffusionEntry() {
  PolicyEntry entry = MakePolicyEntry(
    "diffusion",
    "Diffusion Policy (Chi et al. 2023): a 1-D conditional UNet (DP-C, the default) or a "
    "causal transformer with cross-attention to the observations (DP-T, --preset transformer) "
    "denoises action chunks; DDPM training, DDIM or DDPM sampling, classifier-free guidance",
    DiffusionConfig::Schema(), DiffusionPresets(), DiffusionConfig::EvalKeys(),
    [](const DiffusionConfig& config, int obs_dim, int action_dim, torch::Device device) {
        return std::make_unique<DiffusionPolicy>(config, obs_dim, action_dim, device);
      });
  entry.variants = {"transformer"};  // DP-T
  return entry;
}

static const PolicyRegistrar kRegistrar(DiffusionEntry());

}  // namespace bcbench
