// One episode under receding-horizon execution, a control step at a time:
// the one home of the rules in rollout.h (observation history padded at the
// start, latency steps that finish the previous chunk or hold, then Ta
// actions of the new chunk from index `latency`). RunEpisodes drives many of
// them in lockstep for evaluation; the interactive viewer drives one, a
// step per frame, so that what it shows is exactly what `bcbench eval` runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "benchmarks/runner/rollout.h"

namespace bcbench {

class EpisodeStepper {
 public:
  // `to`, `ta`, `latency`: the policy's ObsHorizon, ActionHorizon and
  // LatencySteps. `options` (hooks, max_steps) must outlive the stepper.
  EpisodeStepper(std::unique_ptr<Env> env, std::string obs_key, int to, int ta, int latency,
                 const RolloutOptions& options);

  // Resets the env with `seed` and starts a new record (calls on_state).
  void Start(uint64_t seed);
  // True once the env ended the episode or max_steps was reached.
  bool done() const { return done_; }
  // True when the actions of the last decision are used up: the next step
  // needs a new chunk from the policy (AppendObs, then Decide).
  bool NeedsDecision() const { return pending_.empty(); }
  // Appends this episode's last To observations (To x obs_dim floats) to
  // `values`, in the layout of ObsHistory.
  void AppendObs(std::vector<float>& values) const;
  int ObsDim() const { return obs_dim_; }
  // Takes row `b` of `chunk` as the new decision: `latency` steps of the
  // previous chunk's rest (or holds), then Ta of its actions.
  void Decide(const ActionChunk& chunk, int b);
  // One control step with the next pending action (calls on_state).
  void StepOnce();
  // Steps until the decision's actions are used up or the episode ends.
  void StepDecision();

  Env& env() { return *env_; }
  const Env& env() const { return *env_; }
  const EpisodeRecord& record() const { return record_; }
  EpisodeRecord TakeRecord() { return std::move(record_); }
  // The actions of the last decision's chunk (env units, chunk steps) and
  // the index range [first, first + count) that the decision executes.
  const std::vector<std::vector<double>>& last_chunk() const { return chunk_; }
  int executed_first() const { return latency_; }
  int executed_count() const { return ta_; }

 private:
  std::vector<double> HoldAction() const;

  std::unique_ptr<Env> env_;
  std::string key_;
  int to_, ta_, latency_;
  int obs_dim_;
  const RolloutOptions& options_;
  std::deque<std::vector<double>> history_;  // newest last, exactly To entries
  std::vector<std::vector<double>> queued_;  // the last chunk's actions after the decision's
  // The decision's actions in order; nullopt = hold (computed at its step).
  std::deque<std::optional<std::vector<double>>> pending_;
  std::vector<std::vector<double>> chunk_;
  EpisodeRecord record_;
  std::chrono::steady_clock::time_point start_;
  bool done_ = false;
};

}  // namespace bcbench
