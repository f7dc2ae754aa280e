#include "datasets/sequence_sampler.h"

#include <algorithm>
#include <stdexcept>

#include "datasets/demo_file.h"

namespace bcbench {

std::vector<Episode> LoadEpisodes(const DemoFile& file, const std::vector<std::string>& names,
                                  const std::vector<std::string>& obs_keys) {
  if (obs_keys.empty()) throw DemoFileError("no observation keys requested");
  std::vector<Episode> episodes;
  episodes.reserve(names.size());
  for (const auto& name : names) {
    const Demo demo = file.ReadDemo(name, obs_keys);
    Episode ep;
    ep.name = name;
    ep.actions = demo.actions;
    const size_t n = demo.num_samples();
    size_t width = 0;
    for (const auto& key : obs_keys) width += demo.obs.at(key).row_size();
    ep.obs = FloatArray::Zeros({n, width});
    for (size_t t = 0; t < n; ++t) {
      float* out = ep.obs.row(t);
      for (const auto& key : obs_keys) {
        const FloatArray& a = demo.obs.at(key);
        std::copy(a.row(t), a.row(t) + a.row_size(), out);
        out += a.row_size();
      }
    }
    episodes.push_back(std::move(ep));
  }
  return episodes;
}

uint64_t UniformIndex(uint64_t bound, uint64_t& state) {
  // One splitmix64 step per draw; rejection keeps the modulo exactly uniform.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  while (true) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    if (z < limit) return z % bound;
  }
}

void SeededShuffle(std::vector<size_t>& items, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[UniformIndex(i, state)]);
  }
}

DemoSplit SplitDemos(const std::vector<std::string>& names,
                     const std::map<std::string, std::vector<std::string>>& masks,
                     double valid_ratio, uint64_t seed) {
  DemoSplit split;
  // robomimic's masks: `train` and/or `valid`. A file with one of them
  // splits by it, the other side being the rest of the demos; a demo in both
  // would be validated on what it trained on, so that is refused.
  const auto train_it = masks.find("train");
  const auto valid_it = masks.find("valid");
  if (train_it != masks.end() || valid_it != masks.end()) {
    split.source = "mask";
    const auto rest = [&names](const std::vector<std::string>& taken) {
      std::vector<std::string> out;
      for (const auto& n : names) {
        if (std::find(taken.begin(), taken.end(), n) == taken.end()) out.push_back(n);
      }
      return out;
    };
    split.train = train_it != masks.end() ? train_it->second : rest(valid_it->second);
    split.valid = valid_it != masks.end() ? valid_it->second : rest(split.train);
    for (const auto& v : split.valid) {
      if (std::find(split.train.begin(), split.train.end(), v) != split.train.end()) {
        throw std::invalid_argument("mask/train and mask/valid both name " + v +
                                    ": a demo cannot train and validate; fix the masks or "
                                    "delete mask/valid to validate on the demos mask/train "
                                    "leaves out");
      }
    }
    SortDemoNames(split.train);
    SortDemoNames(split.valid);
    return split;
  }
  split.source = "ratio";
  std::vector<size_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  SeededShuffle(order, seed);
  size_t n_valid = static_cast<size_t>(valid_ratio * static_cast<double>(names.size()) + 0.5);
  if (valid_ratio > 0 && n_valid == 0 && names.size() >= 2) n_valid = 1;
  n_valid = std::min(n_valid, names.size() > 0 ? names.size() - 1 : 0);
  for (size_t i = 0; i < order.size(); ++i) {
    (i < n_valid ? split.valid : split.train).push_back(names[order[i]]);
  }
  SortDemoNames(split.train);
  SortDemoNames(split.valid);
  return split;
}

SequenceSampler::SequenceSampler(const std::vector<Episode>& episodes, Horizons horizons)
    : episodes_(episodes), horizons_(horizons) {
  if (horizons.obs < 1 || horizons.pred < 1 || horizons.action < 1) {
    throw std::invalid_argument("horizons must be >= 1 (To, Tp, Ta)");
  }
  if (horizons.obs > horizons.pred) {
    throw std::invalid_argument("To = " + std::to_string(horizons.obs) + " exceeds Tp = " +
                                std::to_string(horizons.pred) + "; need To <= Tp");
  }
  if (episodes.empty()) throw std::invalid_argument("no episodes to sample from");
  obs_dim_ = episodes.front().obs.row_size();
  action_dim_ = episodes.front().actions.row_size();
  const long pad_before = horizons.obs - 1;
  const long pad_after = horizons.action - 1;
  for (size_t e = 0; e < episodes.size(); ++e) {
    const long n = static_cast<long>(episodes[e].actions.rows());
    // Windows start from -pad_before; the last starts so that the window ends
    // pad_after steps past the final step (at least one window per episode).
    const long last_start = std::max(-pad_before, n - horizons.pred + pad_after);
    for (long s = -pad_before; s <= last_start; ++s) windows_.push_back({e, s});
  }
}

void SequenceSampler::Fill(size_t i, float* obs_out, float* actions_out) const {
  const Window& w = windows_.at(i);
  const Episode& ep = episodes_[w.episode];
  const long last = static_cast<long>(ep.actions.rows()) - 1;
  auto clamp = [last](long t) { return static_cast<size_t>(std::clamp(t, 0L, last)); };
  for (int k = 0; k < horizons_.obs; ++k) {
    const float* src = ep.obs.row(clamp(w.start + k));
    std::copy(src, src + obs_dim_, obs_out + static_cast<size_t>(k) * obs_dim_);
  }
  for (int k = 0; k < horizons_.pred; ++k) {
    const float* src = ep.actions.row(clamp(w.start + k));
    std::copy(src, src + action_dim_, actions_out + static_cast<size_t>(k) * action_dim_);
  }
}

std::vector<size_t> SequenceSampler::Shuffled(uint64_t seed, uint64_t epoch) const {
  std::vector<size_t> order(windows_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  SeededShuffle(order, seed * 0x100000001B3ULL + epoch);
  return order;
}

}  // namespace bcbench
