#include "benchmarks/runner/rollout.h"

#include <algorithm>
#include <stdexcept>

#include <ATen/Parallel.h>

#include "benchmarks/runner/episode_stepper.h"

namespace bcbench {
namespace {

ObsHistory Gather(const std::vector<EpisodeStepper*>& active, const std::vector<int>& slots,
                  int to, int dim) {
  ObsHistory obs;
  obs.batch = static_cast<int>(active.size());
  obs.steps = to;
  obs.dim = dim;
  obs.values.reserve(static_cast<size_t>(obs.batch) * to * dim);
  for (size_t i = 0; i < active.size(); ++i) {
    obs.slots.push_back(slots[i]);
    active[i]->AppendObs(obs.values);
  }
  return obs;
}

}  // namespace

std::vector<uint64_t> SeedRange(uint64_t first, int count) {
  std::vector<uint64_t> seeds;
  for (int i = 0; i < count; ++i) seeds.push_back(first + static_cast<uint64_t>(i));
  return seeds;
}

std::vector<EpisodeRecord> RunEpisodes(const EnvMaker& make_env, Policy& policy,
                                       const RolloutOptions& options) {
  const int to = policy.ObsHorizon();
  const int steps = policy.ChunkSteps();
  const int ta = policy.ActionHorizon();
  const int latency = policy.LatencySteps();
  if (latency < 0 || ta < 1 || latency + ta > steps) {
    throw std::invalid_argument("policy horizons do not fit: latency + Ta = " +
                                std::to_string(latency + ta) + " > chunk steps = " +
                                std::to_string(steps));
  }
  const int n = static_cast<int>(options.seeds.size());
  if (n == 0) return {};
  const int width = options.batched ? n : 1;
  std::vector<EpisodeStepper> steppers;
  steppers.reserve(static_cast<size_t>(width));
  for (int i = 0; i < width; ++i) {
    steppers.emplace_back(make_env(), options.obs_key, to, ta, latency, options);
  }
  const int dim = steppers[0].ObsDim();

  std::vector<EpisodeRecord> records;
  records.reserve(static_cast<size_t>(n));
  for (int first = 0; first < n; first += width) {
    const int count = std::min(width, n - first);
    std::vector<EpisodeStepper*> active;
    std::vector<int> active_slots;
    for (int i = 0; i < count; ++i) {
      EpisodeStepper& s = steppers[static_cast<size_t>(i)];
      const uint64_t seed = options.seeds[static_cast<size_t>(first + i)];
      s.Start(seed);
      policy.StartEpisode(i, width, EpisodeStreamSeed(options.policy_seed, seed));
      active.push_back(&s);
      active_slots.push_back(i);
    }
    while (!active.empty()) {
      const ActionChunk chunk = policy.Act(Gather(active, active_slots, to, dim));
      if (chunk.batch != static_cast<int>(active.size()) || chunk.steps != steps) {
        throw std::runtime_error("policy returned a chunk of the wrong shape");
      }
      // Episodes are independent (each env owns its MuJoCo model and data),
      // so their steps spread over the LibTorch threads; results do not
      // depend on the split.
      at::parallel_for(0, static_cast<int64_t>(active.size()), 1, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) {
          EpisodeStepper& s = *active[static_cast<size_t>(b)];
          s.Decide(chunk, static_cast<int>(b));
          s.StepDecision();
        }
      });
      std::vector<EpisodeStepper*> still;
      std::vector<int> still_slots;
      for (size_t i = 0; i < active.size(); ++i) {
        if (active[i]->done()) {
          if (options.on_episode) options.on_episode(active[i]->record());
        } else {
          still.push_back(active[i]);
          still_slots.push_back(active_slots[i]);
        }
      }
      active.swap(still);
      active_slots.swap(still_slots);
    }
    for (int i = 0; i < count; ++i) records.push_back(steppers[static_cast<size_t>(i)].TakeRecord());
  }
  return records;
}

}  // namespace bcbench
