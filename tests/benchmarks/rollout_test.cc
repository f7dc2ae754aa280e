// Receding-horizon execution: the runner executes exactly Ta actions per
// policy call, starting at the chunk index that the sequence sampler aligns
// with the newest observation, and steps many episodes with one call.
#include <gtest/gtest.h>

#include "benchmarks/runner/rollout.h"

namespace bcbench {
namespace {

// Observation = [steps taken]; appends every action it receives to `log`
// (which outlives the env: the runner owns and destroys its envs).
class CounterEnv : public Env {
 public:
  explicit CounterEnv(int max_steps, std::vector<double>* log = nullptr)
      : max_steps_(max_steps), log_(log) {}
  std::string Name() const override { return "counter"; }
  EnvOptions Options() const override { return {}; }
  std::vector<std::string> ObsKeys() const override { return {"t"}; }
  SpaceSpec ObsSpec(const std::string&) const override { return {{"t"}, {0}, {1e9}}; }
  SpaceSpec ActionSpec() const override { return {{"a"}, {-1e9}, {1e9}}; }
  ActionMode GetActionMode() const override { return ActionMode::kAbsolute; }
  void Reset(uint64_t seed) override {
    seed_ = seed;
    t_ = 0;
    actions.clear();
  }
  StepResult Step(const std::vector<double>& action) override {
    actions.push_back(action[0]);
    if (log_ != nullptr) log_->push_back(action[0]);
    ++t_;
    StepResult r;
    r.done = t_ >= max_steps_;
    return r;
  }
  std::vector<double> Observation(const std::string&) const override { return {double(t_)}; }
  std::vector<double> SimState() const override { return {double(t_)}; }
  void SetSimState(const std::vector<double>& s) override { t_ = static_cast<int>(s[0]); }
  double Reward() const override { return 0; }
  bool Success() const override { return false; }
  int StepCount() const override { return t_; }
  int MaxSteps() const override { return max_steps_; }
  double ControlHz() const override { return 10; }
  int Substeps() const override { return 1; }
  std::vector<std::string> PhaseNames() const override { return {"only"}; }
  int Phase() const override { return 0; }
  std::vector<std::string> ModeNames() const override { return {}; }
  int Mode() const override { return -1; }
  std::vector<double> CommandedTarget() const override {
    return {actions.empty() ? 0.0 : actions.back()};
  }
  std::vector<double> EffectorPosition() const override { return {double(t_)}; }
  const mjModel* Model() const override { return nullptr; }
  const mjData* Data() const override { return nullptr; }

  std::vector<double> actions;
  uint64_t seed_ = 0;

 private:
  int max_steps_;
  std::vector<double>* log_;
  int t_ = 0;
};

// Returns the chunk a perfect policy returns: it starts at the current step,
// so chunk index k holds the action for step newest + k (the counter env's
// observation is the step count, and the action for step t is t).
class ReplayPolicy : public Policy {
 public:
  ReplayPolicy(int to, int steps, int ta) : to_(to), steps_(steps), ta_(ta) {}
  std::string Name() const override { return "replay"; }
  int ObsHorizon() const override { return to_; }
  int ChunkSteps() const override { return steps_; }
  int ActionHorizon() const override { return ta_; }
  void StartEpisode(int slot, int slots, uint64_t stream) override {
    starts.push_back({slot, slots, stream});
  }
  ActionChunk Act(const ObsHistory& obs) override {
    ++calls;
    batches.push_back(obs.batch);
    EXPECT_EQ(obs.slots.size(), static_cast<size_t>(obs.batch));
    ActionChunk chunk{obs.batch, steps_, 1, {}};
    for (int b = 0; b < obs.batch; ++b) {
      const float newest = obs.values[static_cast<size_t>(b * obs.steps + obs.steps - 1)];
      const float oldest = obs.values[static_cast<size_t>(b * obs.steps)];
      // The history is consecutive steps, padded with the first frame at the start.
      EXPECT_EQ(oldest, std::max(0.0f, newest - (to_ - 1)));
      for (int k = 0; k < steps_; ++k) chunk.values.push_back(newest + k);
    }
    return chunk;
  }
  struct Start {
    int slot, slots;
    uint64_t stream;
  };
  int calls = 0;
  std::vector<int> batches;
  std::vector<Start> starts;

 private:
  int to_, steps_, ta_;
};

RolloutOptions Seeds(int n) {
  RolloutOptions options;
  options.seeds = SeedRange(100000, n);
  return options;
}

TEST(Rollout, ExecutesTaActionsPerCallFromTheCurrentStep) {
  ReplayPolicy policy(2, 15, 8);
  std::vector<double> log;
  const auto records =
      RunEpisodes([&]() { return std::make_unique<CounterEnv>(30, &log); }, policy, Seeds(1));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].steps, 30);
  EXPECT_EQ(records[0].policy_calls, 4);  // steps 0, 8, 16, 24
  EXPECT_EQ(policy.calls, 4);
  ASSERT_EQ(log.size(), 30u);
  for (int t = 0; t < 30; ++t) EXPECT_EQ(log[t], t) << "step " << t;
}

TEST(Rollout, LatencyStepsRunThePreviousChunkWhileThePolicyComputes) {
  class Late : public ReplayPolicy {
   public:
    Late() : ReplayPolicy(2, 15, 4) {}
    int LatencySteps() const override { return 2; }
  } policy;
  std::vector<double> log;
  RunEpisodes([&]() { return std::make_unique<CounterEnv>(14, &log); }, policy, Seeds(1));
  // First call (at step 0): no previous chunk, so the world holds the
  // commanded target (0) for 2 steps, then the chunk runs from its index 2,
  // the step the world reached. Later calls: the previous chunk's next 2
  // actions run during the latency, so every action lands on its own step.
  ASSERT_EQ(log.size(), 14u);
  const std::vector<double> expected = {0, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  EXPECT_EQ(log, expected);
  EXPECT_EQ(policy.calls, 3);  // at steps 0, 6, 12
}

TEST(Rollout, EveryEpisodeGetsItsOwnSlotAndStream) {
  ReplayPolicy policy(2, 15, 8);
  RolloutOptions options = Seeds(3);
  options.policy_seed = 7;
  RunEpisodes([]() { return std::make_unique<CounterEnv>(10); }, policy, options);
  ASSERT_EQ(policy.starts.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(policy.starts[i].slot, i);
    EXPECT_EQ(policy.starts[i].slots, 3);
    EXPECT_EQ(policy.starts[i].stream, EpisodeStreamSeed(7, 100000u + i));
  }
  EXPECT_NE(EpisodeStreamSeed(7, 100000), EpisodeStreamSeed(8, 100000));
  EXPECT_NE(EpisodeStreamSeed(7, 100000), EpisodeStreamSeed(7, 100001));
}

TEST(Rollout, BatchedRunUsesOneCallPerDecisionForAllEpisodes) {
  ReplayPolicy batched(2, 15, 8), single(2, 15, 8);
  RolloutOptions options = Seeds(5);
  auto make = []() { return std::make_unique<CounterEnv>(20); };
  const auto a = RunEpisodes(make, batched, options);
  options.batched = false;
  const auto b = RunEpisodes(make, single, options);
  EXPECT_EQ(batched.calls, 3);  // ceil(20 / 8) decisions, all 5 episodes in each
  EXPECT_EQ(batched.batches, (std::vector<int>{5, 5, 5}));
  EXPECT_EQ(single.calls, 15);
  ASSERT_EQ(a.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(a[i].seed, 100000u + i);
    EXPECT_EQ(a[i].targets, b[i].targets);
  }
}

TEST(Rollout, PartialScoresKeepTheirMaximumOverTheEpisode) {
  // "reached" is 1 only after steps 3 and 4, "never" stays 0: the record keeps
  // 1 and 0, in the env's order, though the episode ends with both at 0.
  class Partial : public CounterEnv {
   public:
    Partial() : CounterEnv(10) {}
    std::vector<std::pair<std::string, double>> PartialScores() const override {
      const int t = StepCount();
      return {{"reached", t == 3 || t == 4 ? 1.0 : 0.0}, {"never", 0.0}};
    }
  };
  ReplayPolicy policy(1, 4, 2);
  const auto records =
      RunEpisodes([]() { return std::make_unique<Partial>(); }, policy, Seeds(2));
  ASSERT_EQ(records.size(), 2u);
  for (const auto& record : records) {
    ASSERT_EQ(record.partial_scores.size(), 2u);
    EXPECT_EQ(record.partial_scores[0], (std::pair<std::string, double>{"reached", 1.0}));
    EXPECT_EQ(record.partial_scores[1], (std::pair<std::string, double>{"never", 0.0}));
  }
  // Envs without partial scores leave the record's list empty.
  const auto plain =
      RunEpisodes([]() { return std::make_unique<CounterEnv>(5); }, policy, Seeds(1));
  EXPECT_TRUE(plain[0].partial_scores.empty());
}

TEST(Rollout, StateHookSeesTheResetAndEveryStep) {
  ReplayPolicy policy(2, 15, 8);
  RolloutOptions options = Seeds(2);
  options.batched = false;
  std::vector<std::pair<uint64_t, double>> seen;  // (seed, step count from SimState)
  options.on_state = [&](const Env& env, uint64_t seed) {
    seen.emplace_back(seed, env.SimState()[0]);
  };
  RunEpisodes([]() { return std::make_unique<CounterEnv>(10); }, policy, options);
  ASSERT_EQ(seen.size(), 22u);  // per episode: after the reset, then after steps 1..10
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].first, 100000u + i / 11);
    EXPECT_EQ(seen[i].second, static_cast<double>(i % 11));
  }
}

TEST(Rollout, MaxStepsEndsEpisodesEarly) {
  ReplayPolicy policy(2, 15, 8);
  RolloutOptions options = Seeds(2);
  options.max_steps = 5;
  std::vector<double> log;
  const auto records =
      RunEpisodes([&]() { return std::make_unique<CounterEnv>(30, &log); }, policy, options);
  ASSERT_EQ(records.size(), 2u);
  for (const auto& r : records) {
    EXPECT_EQ(r.steps, 5);
    EXPECT_EQ(r.policy_calls, 1);
  }
  EXPECT_EQ(log.size(), 10u);
}

TEST(Rollout, RejectsHorizonsThatDoNotFit) {
  class Late : public ReplayPolicy {
   public:
    Late() : ReplayPolicy(2, 8, 7) {}
    int LatencySteps() const override { return 2; }  // 7 + 2 > 8
  } policy;
  EXPECT_THROW(RunEpisodes([]() { return std::make_unique<CounterEnv>(5); }, policy, Seeds(1)),
               std::invalid_argument);
}

}  // namespace
}  // namespace bcbench
