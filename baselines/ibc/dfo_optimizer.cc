#include "baselines/ibc/dfo_optimizer.h"

#include <stdexcept>

#include "policies/nn/random_draws.h"

namespace bcbench {

DfoResult DfoMinimize(const EnergyFunction& energy, int64_t dim, const DfoSettings& settings,
                      torch::Generator& gen, const torch::TensorOptions& options) {
  if (settings.samples < 1 || dim < 1 || !(settings.high > settings.low)) {
    throw std::invalid_argument("DfoMinimize: needs samples >= 1, dim >= 1 and high > low");
  }
  const int64_t m = settings.samples;
  const double range = settings.high - settings.low;
  auto candidates = RandOn({m, dim}, gen, options) * range + settings.low;
  double noise_std = settings.noise_scale * range;
  for (int i = 0; i < settings.iterations; ++i) {
    const auto probs = torch::softmax(-energy(candidates) / settings.temperature, 0);
    const auto picked = MultinomialOn(probs, m, /*replacement=*/true, gen);
    candidates = (candidates.index_select(0, picked) +
                  RandnOn({m, dim}, gen, options) * noise_std)
                     .clamp(settings.low, settings.high);
    noise_std *= settings.noise_shrink;
  }
  DfoResult result;
  result.energies = energy(candidates);
  const int64_t chosen =
      settings.sample_final
          ? MultinomialOn(torch::softmax(-result.energies / settings.temperature, 0), 1,
                          /*replacement=*/true, gen)
                .item<int64_t>()
          : result.energies.argmin().item<int64_t>();
  result.best = candidates[chosen];
  result.candidates = candidates;
  return result;
}

}  // namespace bcbench
