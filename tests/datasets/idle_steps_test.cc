// The idle-step count (datasets/idle_steps.h) on hand-built episodes whose
// answers are worked out by hand. The workspace is 1000 x 2000, so a target
// is idle below a move of 10 in x and 20 in y, an effector below 1 and 2.
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "datasets/idle_steps.h"
#include "envs/registry.h"

namespace bcbench {
namespace {

const std::vector<double> kRange = {1000, 2000};

FloatArray Rows(const std::vector<std::vector<double>>& rows) {
  FloatArray array;
  for (const auto& row : rows) array.AppendRow(row);
  return array;
}

// Targets: t1 moves 5 in x (idle), t2 19.5 in y (idle), t3 195 in x, t4 20 in
// y (exactly 1%: not idle), t5 still (idle), t6 9.5 in x (idle), t7 still (idle).
IdleSequence AbsoluteTargets() {
  IdleSequence s;
  s.mode = ActionMode::kAbsolute;
  s.commanded = Rows({{100, 500}, {105, 500}, {105, 519.5}, {300, 519.5}, {300, 539.5},
                      {300, 539.5}, {309.5, 539.5}, {309.5, 539.5}});
  return s;
}

void ExpectCount(const IdleCount& c, size_t idle, size_t counted, size_t longest, size_t final) {
  EXPECT_EQ(c.idle_steps, idle);
  EXPECT_EQ(c.counted_steps, counted);
  EXPECT_EQ(c.longest_streak, longest);
  EXPECT_EQ(c.final_streak, final);
}

TEST(IdleSteps, AbsoluteTargetsWithoutTheInitialTargetSkipStepZero) {
  const IdleCount c = CountIdleSteps(AbsoluteTargets(), kRange);
  ExpectCount(c, 5, 7, 3, 3);  // idle: t1 t2 t5 t6 t7
  EXPECT_DOUBLE_EQ(c.Fraction(), 5.0 / 7.0);
}

TEST(IdleSteps, AbsoluteTargetsCountStepZeroAgainstTheInitialTarget) {
  IdleSequence s = AbsoluteTargets();
  s.initial_target = {100, 500};  // step 0 holds still: idle, joining t1 t2
  ExpectCount(CountIdleSteps(s, kRange), 6, 8, 3, 3);
  s.initial_target = {0, 500};  // step 0 moves 100
  ExpectCount(CountIdleSteps(s, kRange), 5, 8, 3, 3);
}

TEST(IdleSteps, DeltaRowsAreTargetChangesAndStepZeroAlwaysCounts) {
  IdleSequence s;
  s.mode = ActionMode::kDelta;
  s.commanded = Rows({{5, 0}, {0, 0}, {30, 0}, {0, 19.5}, {0, -20}, {-9.5, 0}});
  s.initial_target = {400, 400};  // ignored: a delta row is the change itself
  const IdleCount c = CountIdleSteps(s, kRange);
  ExpectCount(c, 4, 6, 2, 1);  // idle: t0 t1 t3 t5
  EXPECT_DOUBLE_EQ(c.Fraction(), 4.0 / 6.0);
}

// The target holds still for four steps; the effector moves 0.5 (idle), 1
// (exactly 0.1%: not idle), 1.5 in y (idle), 2 in y (not idle).
IdleSequence StillTargetMovingEffector() {
  IdleSequence s;
  s.commanded = Rows({{50, 50}, {50, 50}, {50, 50}, {50, 50}});
  s.initial_target = {50, 50};
  s.effector = Rows({{0, 0}, {0.5, 0}, {1.5, 0}, {1.5, 1.5}, {1.5, 3.5}});
  return s;
}

TEST(IdleSteps, EffectorMotionOverTheStepJoinsTheRuleWhenKnown) {
  ExpectCount(CountIdleSteps(StillTargetMovingEffector(), kRange), 2, 4, 1, 0);  // t0 t2
}

TEST(IdleSteps, AStepWithoutTheEffectorAfterItIsJudgedByItsTargetAlone) {
  IdleSequence s = StillTargetMovingEffector();
  // Positions before each step only (a demo file): the last step, which moved
  // the effector by 2, has no position after it and counts as idle.
  s.effector = Rows({{0, 0}, {0.5, 0}, {1.5, 0}, {1.5, 1.5}});
  ExpectCount(CountIdleSteps(s, kRange), 3, 4, 2, 2);  // t0 t2 t3
  s.effector = FloatArray{};  // no effector at all: the target rule alone
  ExpectCount(CountIdleSteps(s, kRange), 4, 4, 4, 4);
}

TEST(IdleSteps, StepsAfterTheTaskIsDoneDoNotCount) {
  IdleSequence s;
  s.commanded = Rows({{9, 9}, {9, 9}, {60, 9}, {60, 9}, {60, 9}, {60, 9}});
  s.initial_target = {9, 9};
  s.done = {0, 0, 0, 1, 0, 0};  // done after step 3: steps 4 and 5 hold still after success
  ExpectCount(CountIdleSteps(s, kRange), 3, 4, 2, 1);  // idle: t0 t1 t3
  s.done = {0, 0, 0, 0, 0, 1};  // done only at the end, as bcbench demos: every step counts
  ExpectCount(CountIdleSteps(s, kRange), 5, 6, 3, 3);
}

TEST(IdleSteps, NothingCountedIsFractionZero) {
  IdleSequence s;
  s.commanded = Rows({{1, 1}});  // absolute, initial target unknown: step 0 does not count
  ExpectCount(CountIdleSteps(s, kRange), 0, 0, 0, 0);
  EXPECT_EQ(CountIdleSteps(s, kRange).Fraction(), 0.0);
  EXPECT_EQ(IdleFraction(0, 0), 0.0);
  EXPECT_EQ(CountIdleSteps(IdleSequence{}, kRange).counted_steps, 0u);
}

TEST(IdleSteps, InconsistentSequencesAreRejected) {
  IdleSequence s = StillTargetMovingEffector();
  s.effector.AppendRow({0, 0});  // N + 2 rows
  EXPECT_THROW(CountIdleSteps(s, kRange), std::invalid_argument);
  s = StillTargetMovingEffector();
  s.done = {0, 1};
  EXPECT_THROW(CountIdleSteps(s, kRange), std::invalid_argument);
  s = StillTargetMovingEffector();
  s.initial_target = {50};
  EXPECT_THROW(CountIdleSteps(s, kRange), std::invalid_argument);
  EXPECT_THROW(CountIdleSteps(StillTargetMovingEffector(), {1000}), std::invalid_argument);
}

TEST(IdleSteps, PushTWorkspaceIsItsTargetBoundsInBothActionModes) {
  for (const char* mode : {"absolute", "delta"}) {
    const auto env = MakeEnv("pusht", {{"action_mode", mode}});
    EXPECT_EQ(WorkspaceRange(*env), (std::vector<double>{512, 512})) << mode;
  }
}

}  // namespace
}  // namespace bcbench
