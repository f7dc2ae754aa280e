#include "benchmarks/runner/rollout.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <stdexcept>

#include <ATen/Parallel.h>

namespace bcbench {
namespace {

using Clock = std::chrono::steady_clock;

// One episode in flight: its env, its observation history and its record.
struct Slot {
  std::unique_ptr<Env> env;
  std::deque<std::vector<double>> history;  // newest last, exactly To entries
  EpisodeRecord record;
  Clock::time_point start;
  bool done = false;
};

void PushObservation(Slot& slot, const std::string& key, int to) {
  slot.history.push_back(slot.env->Observation(key));
  while (static_cast<int>(slot.history.size()) > to) slot.history.pop_front();
}

void StartEpisode(Slot& slot, uint64_t seed, const std::string& key, int to) {
  slot.env->Reset(seed);
  slot.record = EpisodeRecord{};
  slot.record.seed = seed;
  slot.record.initial_target = slot.env->CommandedTarget();
  slot.record.initial_effector = slot.env->EffectorPosition();
  slot.record.max_reward = slot.env->Reward();
  slot.record.final_reward = slot.env->Reward();
  slot.history.clear();
  // Before the first step the history is padded with the first observation,
  // as the sampler pads episode starts.
  const auto first = slot.env->Observation(key);
  for (int i = 0; i < to; ++i) slot.history.push_back(first);
  slot.start = Clock::now();
  slot.done = false;
}

// Executes chunk row `b` of `chunk` in `slot` until Ta actions ran or the episode ended.
void Execute(Slot& slot, const ActionChunk& chunk, int b, int first_index, int ta,
             const std::string& key, int to) {
  ++slot.record.policy_calls;
  std::vector<double> action(static_cast<size_t>(chunk.dim));
  for (int k = 0; k < ta && !slot.done; ++k) {
    const float* a = chunk.values.data() +
                     (static_cast<size_t>(b) * chunk.steps + first_index + k) * chunk.dim;
    for (int d = 0; d < chunk.dim; ++d) action[static_cast<size_t>(d)] = a[d];
    const StepResult r = slot.env->Step(action);
    EpisodeRecord& rec = slot.record;
    ++rec.steps;
    rec.phases.push_back(r.phase);
    rec.modes.push_back(slot.env->StepMode());
    rec.targets.push_back(slot.env->CommandedTarget());
    rec.effector.push_back(slot.env->EffectorPosition());
    rec.max_reward = std::max(rec.max_reward, r.reward);
    rec.final_reward = r.reward;
    rec.success = rec.success || r.success;
    PushObservation(slot, key, to);
    if (r.done) {
      slot.done = true;
      rec.mode = slot.env->Mode();
      rec.wall_seconds = std::chrono::duration<double>(Clock::now() - slot.start).count();
    }
  }
}

ObsHistory Gather(const std::vector<Slot*>& active, int to, int dim) {
  ObsHistory obs;
  obs.batch = static_cast<int>(active.size());
  obs.steps = to;
  obs.dim = dim;
  obs.values.reserve(static_cast<size_t>(obs.batch) * to * dim);
  for (const Slot* s : active) {
    for (const auto& frame : s->history) {
      for (double v : frame) obs.values.push_back(static_cast<float>(v));
    }
  }
  return obs;
}

}  // namespace

std::vector<EpisodeRecord> RunEpisodes(const EnvMaker& make_env, Policy& policy,
                                       const RolloutOptions& options) {
  const int to = policy.ObsHorizon();
  const int tp = policy.PredHorizon();
  const int ta = policy.ActionHorizon();
  const int first_index = to - 1 + policy.LatencySteps();
  if (first_index + ta > tp) {
    throw std::invalid_argument("policy horizons do not fit: To - 1 + latency + Ta = " +
                                std::to_string(first_index + ta) + " > Tp = " + std::to_string(tp));
  }
  const int n = options.episodes;
  const int width = options.batched ? n : 1;
  std::vector<Slot> slots(static_cast<size_t>(width));
  for (auto& s : slots) s.env = make_env();
  const std::string key = options.obs_key.empty() ? slots[0].env->ObsKeys().front()
                                                  : options.obs_key;
  const int dim = slots[0].env->ObsSpec(key).dim();

  std::vector<EpisodeRecord> records;
  records.reserve(static_cast<size_t>(n));
  policy.Reset(options.policy_seed);
  for (int first = 0; first < n; first += width) {
    const int count = std::min(width, n - first);
    std::vector<Slot*> active;
    for (int i = 0; i < count; ++i) {
      Slot& s = slots[static_cast<size_t>(i)];
      StartEpisode(s, options.seed_base + static_cast<uint64_t>(first + i), key, to);
      active.push_back(&s);
    }
    if (!options.batched) policy.Reset(options.policy_seed + static_cast<uint64_t>(first));
    while (!active.empty()) {
      const ActionChunk chunk = policy.Act(Gather(active, to, dim));
      if (chunk.batch != static_cast<int>(active.size()) || chunk.steps != tp) {
        throw std::runtime_error("policy returned a chunk of the wrong shape");
      }
      // Episodes are independent (each env owns its MuJoCo model and data),
      // so their steps spread over the LibTorch threads; results do not
      // depend on the split.
      at::parallel_for(0, static_cast<int64_t>(active.size()), 1, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) {
          Execute(*active[static_cast<size_t>(b)], chunk, static_cast<int>(b), first_index, ta,
                  key, to);
        }
      });
      std::vector<Slot*> still;
      for (Slot* s : active) {
        if (s->done) {
          if (options.on_episode) options.on_episode(s->record);
        } else {
          still.push_back(s);
        }
      }
      active.swap(still);
    }
    for (int i = 0; i < count; ++i) records.push_back(std::move(slots[static_cast<size_t>(i)].record));
  }
  return records;
}

}  // namespace bcbench
