#include "benchmarks/runner/episode_stepper.h"

#include <algorithm>
#include <utility>

namespace bcbench {

EpisodeStepper::EpisodeStepper(std::unique_ptr<Env> env, std::string obs_key, int to, int ta,
                               int latency, const RolloutOptions& options)
    : env_(std::move(env)),
      key_(obs_key.empty() ? env_->ObsKeys().front() : std::move(obs_key)),
      to_(to),
      ta_(ta),
      latency_(latency),
      obs_dim_(env_->ObsSpec(key_).dim()),
      options_(options) {}

void EpisodeStepper::Start(uint64_t seed) {
  env_->Reset(seed);
  record_ = EpisodeRecord{};
  record_.seed = seed;
  record_.initial_target = env_->CommandedTarget();
  record_.initial_effector = env_->EffectorPosition();
  record_.max_reward = env_->Reward();
  record_.final_reward = env_->Reward();
  record_.partial_scores = env_->PartialScores();
  history_.clear();
  queued_.clear();
  pending_.clear();
  chunk_.clear();
  // Before the first step the history is padded with the first observation,
  // as the sampler pads episode starts.
  const auto first = env_->Observation(key_);
  for (int i = 0; i < to_; ++i) history_.push_back(first);
  start_ = std::chrono::steady_clock::now();
  done_ = false;
  if (options_.on_state) options_.on_state(*env_, seed);
}

void EpisodeStepper::AppendObs(std::vector<float>& values) const {
  for (const auto& frame : history_) {
    for (double v : frame) values.push_back(static_cast<float>(v));
  }
}

std::vector<double> EpisodeStepper::HoldAction() const {
  if (env_->GetActionMode() == ActionMode::kDelta) {
    return std::vector<double>(static_cast<size_t>(env_->ActionSpec().dim()), 0.0);
  }
  return env_->CommandedTarget();
}

void EpisodeStepper::Decide(const ActionChunk& chunk, int b) {
  ++record_.policy_calls;
  chunk_.assign(static_cast<size_t>(chunk.steps), {});
  for (int i = 0; i < chunk.steps; ++i) {
    const float* a =
        chunk.values.data() + (static_cast<size_t>(b) * chunk.steps + i) * chunk.dim;
    chunk_[static_cast<size_t>(i)].assign(a, a + chunk.dim);
  }
  pending_.clear();
  for (int k = 0; k < latency_; ++k) {
    if (k < static_cast<int>(queued_.size())) {
      pending_.emplace_back(queued_[static_cast<size_t>(k)]);
    } else {
      pending_.emplace_back(std::nullopt);
    }
  }
  for (int k = 0; k < ta_; ++k) pending_.emplace_back(chunk_[static_cast<size_t>(latency_ + k)]);
  queued_.assign(chunk_.begin() + latency_ + ta_, chunk_.end());
}

void EpisodeStepper::StepOnce() {
  if (done_ || pending_.empty()) return;
  const std::vector<double> action = pending_.front() ? *pending_.front() : HoldAction();
  pending_.pop_front();
  const StepResult r = env_->Step(action);
  EpisodeRecord& rec = record_;
  ++rec.steps;
  rec.phases.push_back(r.phase);
  rec.modes.push_back(env_->StepMode());
  rec.targets.push_back(env_->CommandedTarget());
  rec.effector.push_back(env_->EffectorPosition());
  rec.max_reward = std::max(rec.max_reward, r.reward);
  const auto partial = env_->PartialScores();
  for (size_t i = 0; i < partial.size() && i < rec.partial_scores.size(); ++i) {
    rec.partial_scores[i].second = std::max(rec.partial_scores[i].second, partial[i].second);
  }
  rec.final_reward = r.reward;
  rec.success = rec.success || r.success;
  history_.push_back(env_->Observation(key_));
  while (static_cast<int>(history_.size()) > to_) history_.pop_front();
  if (options_.on_state) options_.on_state(*env_, rec.seed);
  if (r.done || (options_.max_steps > 0 && rec.steps >= options_.max_steps)) {
    done_ = true;
    rec.mode = env_->Mode();
    rec.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
}

void EpisodeStepper::StepDecision() {
  while (!done_ && !pending_.empty()) StepOnce();
}

}  // namespace bcbench
