#include "policies/policy.h"

#include "policies/trainable_policy.h"

namespace bcbench {

uint64_t EpisodeStreamSeed(uint64_t policy_seed, uint64_t episode_seed) {
  uint64_t z = policy_seed * 0x9E3779B97F4A7C15ULL + episode_seed + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::vector<ParameterGroup> TrainablePolicy::ParameterGroups() {
  if (Training().decay_all) return {{Network().parameters(), true}};
  ParameterGroup decayed{{}, true}, undecayed{{}, false};
  for (const auto& item : Network().named_parameters()) {
    const std::string& name = item.key();
    const bool embedding = name.find("embedding") != std::string::npos ||
                           name.find("pos_emb") != std::string::npos;
    (item.value().dim() < 2 || embedding ? undecayed : decayed).params.push_back(item.value());
  }
  std::vector<ParameterGroup> groups;
  if (!decayed.params.empty()) groups.push_back(std::move(decayed));
  if (!undecayed.params.empty()) groups.push_back(std::move(undecayed));
  return groups;
}

}  // namespace bcbench
