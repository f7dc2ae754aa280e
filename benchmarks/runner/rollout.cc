#include "benchmarks/runner/rollout.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <stdexcept>

#include <ATen/Parallel.h>

namespace bcbench {
namespace {

using Clock = std::chrono::steady_clock;

// One episode in flight: its env, its observation history, the rest of its
// last chunk and its record.
struct Slot {
  std::unique_ptr<Env> env;
  int index = 0;                            // the policy's episode slot
  std::deque<std::vector<double>> history;  // newest last, exactly To entries
  std::vector<std::vector<double>> queued;  // the last chunk's actions after those executed
  EpisodeRecord record;
  Clock::time_point start;
  bool done = false;
};

void PushObservation(Slot& slot, const std::string& key, int to) {
  slot.history.push_back(slot.env->Observation(key));
  while (static_cast<int>(slot.history.size()) > to) slot.history.pop_front();
}

void StartEpisode(Slot& slot, uint64_t seed, const std::string& key, int to,
                  const RolloutOptions& options) {
  slot.env->Reset(seed);
  slot.record = EpisodeRecord{};
  slot.record.seed = seed;
  slot.record.initial_target = slot.env->CommandedTarget();
  slot.record.initial_effector = slot.env->EffectorPosition();
  slot.record.max_reward = slot.env->Reward();
  slot.record.final_reward = slot.env->Reward();
  slot.record.partial_scores = slot.env->PartialScores();
  slot.history.clear();
  slot.queued.clear();
  // Before the first step the history is padded with the first observation,
  // as the sampler pads episode starts.
  const auto first = slot.env->Observation(key);
  for (int i = 0; i < to; ++i) slot.history.push_back(first);
  slot.start = Clock::now();
  slot.done = false;
  if (options.on_state) options.on_state(*slot.env, seed);
}

std::vector<double> HoldAction(const Env& env) {
  if (env.GetActionMode() == ActionMode::kDelta) {
    return std::vector<double>(static_cast<size_t>(env.ActionSpec().dim()), 0.0);
  }
  return env.CommandedTarget();
}

void StepOnce(Slot& slot, const std::vector<double>& action, const std::string& key, int to,
              const RolloutOptions& options) {
  const StepResult r = slot.env->Step(action);
  EpisodeRecord& rec = slot.record;
  ++rec.steps;
  rec.phases.push_back(r.phase);
  rec.modes.push_back(slot.env->StepMode());
  rec.targets.push_back(slot.env->CommandedTarget());
  rec.effector.push_back(slot.env->EffectorPosition());
  rec.max_reward = std::max(rec.max_reward, r.reward);
  const auto partial = slot.env->PartialScores();
  for (size_t i = 0; i < partial.size() && i < rec.partial_scores.size(); ++i) {
    rec.partial_scores[i].second = std::max(rec.partial_scores[i].second, partial[i].second);
  }
  rec.final_reward = r.reward;
  rec.success = rec.success || r.success;
  PushObservation(slot, key, to);
  if (options.on_state) options.on_state(*slot.env, rec.seed);
  if (r.done || (options.max_steps > 0 && rec.steps >= options.max_steps)) {
    slot.done = true;
    rec.mode = slot.env->Mode();
    rec.wall_seconds = std::chrono::duration<double>(Clock::now() - slot.start).count();
  }
}

// Runs the latency steps, then Ta actions of chunk row `b` from index
// `latency`, until done; keeps the chunk's remaining actions.
void Execute(Slot& slot, const ActionChunk& chunk, int b, int latency, int ta,
             const std::string& key, int to, const RolloutOptions& options) {
  ++slot.record.policy_calls;
  for (int k = 0; k < latency && !slot.done; ++k) {
    const auto action = k < static_cast<int>(slot.queued.size())
                            ? slot.queued[static_cast<size_t>(k)]
                            : HoldAction(*slot.env);
    StepOnce(slot, action, key, to, options);
  }
  std::vector<std::vector<double>> actions(static_cast<size_t>(chunk.steps));
  for (int i = 0; i < chunk.steps; ++i) {
    const float* a =
        chunk.values.data() + (static_cast<size_t>(b) * chunk.steps + i) * chunk.dim;
    actions[static_cast<size_t>(i)].assign(a, a + chunk.dim);
  }
  for (int k = 0; k < ta && !slot.done; ++k) {
    StepOnce(slot, actions[static_cast<size_t>(latency + k)], key, to, options);
  }
  slot.queued.assign(actions.begin() + latency + ta, actions.end());
}

ObsHistory Gather(const std::vector<Slot*>& active, int to, int dim) {
  ObsHistory obs;
  obs.batch = static_cast<int>(active.size());
  obs.steps = to;
  obs.dim = dim;
  obs.values.reserve(static_cast<size_t>(obs.batch) * to * dim);
  for (const Slot* s : active) {
    obs.slots.push_back(s->index);
    for (const auto& frame : s->history) {
      for (double v : frame) obs.values.push_back(static_cast<float>(v));
    }
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
  std::vector<Slot> slots(static_cast<size_t>(width));
  for (int i = 0; i < width; ++i) {
    slots[static_cast<size_t>(i)].env = make_env();
    slots[static_cast<size_t>(i)].index = i;
  }
  const std::string key = options.obs_key.empty() ? slots[0].env->ObsKeys().front()
                                                  : options.obs_key;
  const int dim = slots[0].env->ObsSpec(key).dim();

  std::vector<EpisodeRecord> records;
  records.reserve(static_cast<size_t>(n));
  for (int first = 0; first < n; first += width) {
    const int count = std::min(width, n - first);
    std::vector<Slot*> active;
    for (int i = 0; i < count; ++i) {
      Slot& s = slots[static_cast<size_t>(i)];
      const uint64_t seed = options.seeds[static_cast<size_t>(first + i)];
      StartEpisode(s, seed, key, to, options);
      policy.StartEpisode(s.index, width, EpisodeStreamSeed(options.policy_seed, seed));
      active.push_back(&s);
    }
    while (!active.empty()) {
      const ActionChunk chunk = policy.Act(Gather(active, to, dim));
      if (chunk.batch != static_cast<int>(active.size()) || chunk.steps != steps) {
        throw std::runtime_error("policy returned a chunk of the wrong shape");
      }
      // Episodes are independent (each env owns its MuJoCo model and data),
      // so their steps spread over the LibTorch threads; results do not
      // depend on the split.
      at::parallel_for(0, static_cast<int64_t>(active.size()), 1, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) {
          Execute(*active[static_cast<size_t>(b)], chunk, static_cast<int>(b), latency, ta, key,
                  to, options);
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
