// The suite runner's ETA (BenchEta): the rate counts only the work done by
// this process, so a resumed run does not credit itself with the steps its
// cells had done before it started, and only the time it was not stopped.
#include <gtest/gtest.h>

#include "benchmarks/runner/bench.h"

namespace bcbench {
namespace {

TEST(BenchEta, AFreshRunExtrapolatesItsRateOverTheCellsLeft) {
  BenchEta eta;
  EXPECT_DOUBLE_EQ(BenchEta::Fraction(50, 100), 0.45);
  EXPECT_DOUBLE_EQ(BenchEta::Fraction(300, 100), 0.9);  // a log past the plan
  EXPECT_DOUBLE_EQ(BenchEta::Fraction(5, 0), 0.0);
  eta.Started("a", 0.0);
  eta.Started("b", 0.0);
  EXPECT_EQ(eta.Seconds(10, 2), -1) << "nothing done yet";
  // After 100 s both cells are half-way through training (0.45 each): 0.9
  // units done, 0.55 + 0.55 left in them and 2 cells not started.
  eta.Progress("a", BenchEta::Fraction(50, 100));
  eta.Progress("b", BenchEta::Fraction(50, 100));
  EXPECT_NEAR(eta.Seconds(100, 2), 100 * (0.55 + 0.55 + 2) / 0.9, 1e-9);
  // "a" finishes at 150 s: 1.45 units done, 0.55 (b) + 2 left.
  eta.Progress("b", BenchEta::Fraction(100, 100));
  eta.Finished("a");
  EXPECT_NEAR(eta.Seconds(150, 2), 150 * (0.1 + 2) / 1.9, 1e-9);
}

TEST(BenchEta, AResumedCellsEarlierStepsCountNeitherAsRateNorAsWorkLeft) {
  // A real resumed `quick` run (15 cells, --jobs 2): it restarted with 13
  // cells not complete, two of them resumed at steps 172600/192900 (LSTM-GMM)
  // and 49900/79400 (BET); 1340 s later they were at 190700 and 62000.
  // Crediting the steps done before the restart, the runner printed an ETA
  // of 2h39m there, against 17h before the restart.
  BenchEta eta;
  eta.Started("lstm", BenchEta::Fraction(172600, 192900));
  eta.Started("bet", BenchEta::Fraction(49900, 79400));
  EXPECT_EQ(eta.Seconds(60, 11), -1) << "nothing done by this process yet";
  const double lstm_now = BenchEta::Fraction(190700, 192900);
  const double bet_now = BenchEta::Fraction(62000, 79400);
  eta.Progress("lstm", lstm_now);
  eta.Progress("bet", bet_now);
  const double done = (lstm_now - BenchEta::Fraction(172600, 192900)) +
                      (bet_now - BenchEta::Fraction(49900, 79400));
  const double left = 11 + (1 - lstm_now) + (1 - bet_now);
  EXPECT_NEAR(done, 0.222, 0.001);
  EXPECT_NEAR(eta.Seconds(1340, 11), 1340 * left / done, 1e-6);
  EXPECT_GT(eta.Seconds(1340, 11), 15 * 3600.0);  // 11.4 cells left at 0.6 an hour: 19 h
  // A progress report never moves a cell backwards (a log read mid-write).
  eta.Progress("bet", 0.0);
  EXPECT_NEAR(eta.Seconds(1340, 11), 1340 * left / done, 1e-6);
  // LSTM-GMM finishes: what it did before the restart is still not credited.
  eta.Finished("lstm");
  const double done_after = (1 - BenchEta::Fraction(172600, 192900)) +
                            (bet_now - BenchEta::Fraction(49900, 79400));
  EXPECT_NEAR(eta.Seconds(1500, 11), 1500 * (11 + (1 - bet_now)) / done_after, 1e-6);
}

// A run stopped with SIGSTOP for 16 minutes (to free the CPU for CI) counted
// the pause as working time, and its ETA grew by the pause times the work
// left over the work done. The ETA's clock leaves such gaps out.
TEST(BenchEta, TimeWhileTheProcessWasStoppedDoesNotCount) {
  ActiveTime t(1.0);
  EXPECT_EQ(t.seconds(), 0);
  for (double now : {5.0, 5.2, 5.4, 965.4, 965.6}) t.Tick(now);
  EXPECT_NEAR(t.seconds(), 0.2 + 0.2 + 1.0 + 0.2, 1e-9);
  t.Tick(965.0);  // a clock read out of order counts nothing
  EXPECT_NEAR(t.seconds(), 1.6, 1e-9);
  // Shared trainings leave a waiting cell only its evaluation (0.1 units).
  BenchEta eta;
  eta.Started("a", 0.0);
  eta.Progress("a", 0.5);
  EXPECT_NEAR(eta.Seconds(100, 1 + 0.1), 100 * (0.5 + 1.1) / 0.5, 1e-9);
}

}  // namespace
}  // namespace bcbench
