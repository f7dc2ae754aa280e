// BET's pieces where they live: the focal loss against hand-computed
// values, k-means on separable clusters and its re-seeding of empty bins,
// the transformer's causal mask, the offset loss that only sees the target
// bin; then the method end to end through the shared trainer: a checkpoint
// that restores identical actions and rows independent of the batch (its
// multimodal toys are in multimodal_toys_test.cc).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "baselines/bet/bet_losses.h"
#include "baselines/bet/bet_policy.h"
#include "baselines/bet/kmeans.h"
#include "baselines/bet/min_gpt.h"
#include "policies/training/checkpoint.h"
#include "policies/training/trainer.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

torch::Generator Gen(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

TEST(Bet, FocalLossWithGammaZeroIsCrossEntropy) {
  // Row 0: p = (1/4, 3/4), target 1 -> -ln(3/4); row 1: target 0 -> -ln(1/4).
  const auto logits = torch::tensor({0.0, std::log(3.0), 0.0, std::log(3.0)}).view({2, 2});
  const auto target = torch::tensor({1, 0}, torch::kLong);
  const double expected = 0.5 * (-std::log(0.75) - std::log(0.25));  // 0.836988
  EXPECT_NEAR(FocalLoss(logits, target, 0.0).item<double>(), expected, 1e-6);
  EXPECT_NEAR(FocalLoss(logits, target, 0.0).item<double>(),
              torch::nn::functional::cross_entropy(logits, target).item<double>(), 1e-6);
}

TEST(Bet, FocalLossWithGammaTwoDownWeightsEasyRows) {
  // p_t = 1/2: (1 - 1/2)^2 * ln 2 = 0.173287.
  EXPECT_NEAR(FocalLoss(torch::zeros({1, 2}), torch::tensor({0}, torch::kLong), 2.0).item<double>(),
              0.25 * std::log(2.0), 1e-6);
  // p_t = 3/4: (1/4)^2 * -ln(3/4) = 0.017980, a 16th of the cross-entropy.
  const auto easy = torch::tensor({0.0, std::log(3.0)}).view({1, 2});
  EXPECT_NEAR(FocalLoss(easy, torch::tensor({1}, torch::kLong), 2.0).item<double>(),
              -std::log(0.75) / 16.0, 1e-6);
}

TEST(Bet, KMeansRecoversSeparableClusters) {
  const std::vector<std::vector<float>> truth = {{-0.8f, -0.6f}, {0.7f, -0.5f}, {0.0f, 0.8f}};
  std::mt19937_64 rng(5);
  std::normal_distribution<float> noise(0.0f, 0.03f);
  std::vector<float> values;
  for (int i = 0; i < 300; ++i) {
    const auto& c = truth[static_cast<size_t>(i % 3)];
    values.push_back(c[0] + noise(rng));
    values.push_back(c[1] + noise(rng));
  }
  const auto points = torch::from_blob(values.data(), {300, 2}, torch::kFloat32).clone();
  auto gen = Gen(1);
  const auto result = KMeans(points, 3, 50, gen);
  ASSERT_EQ(result.centres.sizes(), (std::vector<int64_t>{3, 2}));
  // Each true centre has exactly one fitted centre near it.
  std::vector<int> used(3, 0);
  for (const auto& c : truth) {
    const auto nearest = NearestCentre(torch::tensor({c[0], c[1]}).view({1, 2}), result.centres);
    const int64_t k = nearest.item<int64_t>();
    ++used[static_cast<size_t>(k)];
    EXPECT_NEAR(result.centres[k][0].item<float>(), c[0], 0.02);
    EXPECT_NEAR(result.centres[k][1].item<float>(), c[1], 0.02);
  }
  EXPECT_EQ(used, (std::vector<int>{1, 1, 1}));
  // The same seed gives the same bins.
  auto again = Gen(1);
  EXPECT_TRUE(torch::equal(KMeans(points, 3, 50, again).centres, result.centres));
}

TEST(Bet, KMeansReseedsAnEmptyBinAtARandomDataPoint) {
  // Three bins over two distinct values: two bins share a value at every
  // step, so the later one (ties go to the lowest index) is empty and is
  // re-seeded at a random data point.
  auto points = torch::cat({torch::zeros({5, 1}), torch::full({5, 1}, 10.0)});
  auto gen = Gen(2);
  const auto result = KMeans(points, 3, 10, gen);
  EXPECT_GE(result.reinitialised, 1);
  bool saw_zero = false, saw_ten = false;
  for (int k = 0; k < 3; ++k) {
    const float c = result.centres[k][0].item<float>();
    EXPECT_TRUE(c == 0.0f || c == 10.0f) << "bin " << k << " at " << c << ", not a data point";
    saw_zero = saw_zero || c == 0.0f;
    saw_ten = saw_ten || c == 10.0f;
  }
  EXPECT_TRUE(saw_zero && saw_ten);
  // Separable data with enough distinct points never leaves a bin empty.
  auto spread = torch::linspace(0, 1, 50).view({50, 1});
  auto gen2 = Gen(2);
  EXPECT_EQ(KMeans(spread, 3, 50, gen2).reinitialised, 0);
}

TEST(Bet, NearestCentreBreaksTiesToTheLowestIndex) {
  const auto centres = torch::tensor({0.0f, 2.0f, 2.0f}).view({3, 1});
  const auto points = torch::tensor({1.0f, 1.9f, 5.0f}).view({3, 1});
  const auto bins = NearestCentre(points, centres);
  EXPECT_EQ(bins[0].item<int64_t>(), 0);
  EXPECT_EQ(bins[1].item<int64_t>(), 1);
  EXPECT_EQ(bins[2].item<int64_t>(), 1);
}

TEST(Bet, TheCausalMaskHidesLaterObservations) {
  MinGptOptions o;
  o.input_dim = 3;
  o.output_dim = 4;
  o.block_size = 5;
  o.n_layer = 2;
  o.n_head = 2;
  o.n_embd = 8;
  auto init = Gen(3);
  MinGpt gpt(o, init);
  gpt->eval();
  torch::NoGradGuard no_grad;
  auto x_gen = Gen(4);
  const auto x = torch::randn({2, 5, 3}, x_gen);
  auto changed = x.clone();
  changed.select(1, 3).add_(5.0);  // a different observation at position 3
  const auto a = gpt->forward(x), b = gpt->forward(changed);
  // Positions 0..2 cannot see position 3; positions 3 and 4 do.
  EXPECT_TRUE(torch::allclose(a.narrow(1, 0, 3), b.narrow(1, 0, 3), 0, 1e-6));
  EXPECT_GT((a.narrow(1, 3, 2) - b.narrow(1, 3, 2)).abs().max().item<float>(), 1e-3);
}

TEST(Bet, DropoutMasksComeFromTheGivenStreamAndApplyOnlyInTraining) {
  auto g1 = Gen(5), g2 = Gen(5);
  const auto a = DropoutMask({1000}, 0.1, g1), b = DropoutMask({1000}, 0.1, g2);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_NEAR((a == 0).to(torch::kFloat64).mean().item<double>(), 0.1, 0.03);
  EXPECT_NEAR(a.mean().item<double>(), 1.0, 0.05);  // survivors scaled by 1 / (1 - p)
  EXPECT_FALSE(DropoutMask({3}, 0.0, g1).defined());

  MinGptOptions o;
  o.input_dim = 2;
  o.output_dim = 3;
  o.n_layer = 2;
  o.n_head = 2;
  o.n_embd = 8;
  auto init = Gen(6);
  MinGpt gpt(o, init);
  auto x_gen = Gen(7);
  const auto x = torch::randn({4, 5, 2}, x_gen);
  auto mask_gen = Gen(8);
  const auto masks = gpt->DrawDropoutMasks(4, 5, mask_gen);
  torch::NoGradGuard no_grad;
  gpt->train();
  const auto dropped = gpt->forward(x, &masks), plain = gpt->forward(x);
  EXPECT_FALSE(torch::allclose(dropped, plain));
  // A slice of the batch with its rows of the masks computes those rows.
  const auto slice_masks = masks.Rows(1, 2);
  EXPECT_TRUE(torch::allclose(gpt->forward(x.narrow(0, 1, 2), &slice_masks), dropped.narrow(0, 1, 2),
                              1e-5, 1e-6));
  gpt->eval();
  EXPECT_TRUE(torch::equal(gpt->forward(x, &masks), gpt->forward(x)));
}

TEST(Bet, TheOffsetLossOnlySeesEachRowsTargetBin) {
  // Two rows, three bins, 2-D actions; targets: row 0 -> bin 1, row 1 -> bin 2.
  auto offsets = torch::zeros({2, 3, 2}, torch::requires_grad());
  const auto target = torch::tensor({1, 2}, torch::kLong);
  const auto truth = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({2, 2});
  const auto loss = TargetBinOffsetLoss(offsets, target, truth);
  EXPECT_NEAR(loss.item<double>(), (1.0 + 4.0 + 9.0 + 16.0) / 4.0, 1e-6);
  loss.backward();
  const auto grad = offsets.grad();
  for (int row = 0; row < 2; ++row) {
    for (int bin = 0; bin < 3; ++bin) {
      const bool is_target = bin == target[row].item<int64_t>();
      const double norm = grad[row][bin].abs().sum().item<double>();
      if (is_target) {
        EXPECT_GT(norm, 0) << "row " << row << " bin " << bin;
      } else {
        EXPECT_EQ(norm, 0) << "row " << row << " bin " << bin;
      }
    }
  }
  // d/d offset = 2 (offset - truth) / (rows * A) = -truth / 2.
  EXPECT_NEAR(grad[0][1][0].item<double>(), -0.5, 1e-6);
  EXPECT_NEAR(grad[1][2][1].item<double>(), -2.0, 1e-6);
  // Other bins' offsets do not move the loss.
  const auto other = torch::zeros({2, 3, 2});
  other[0][0] = torch::tensor({9.0f, 9.0f});
  other[1][1] = torch::tensor({-7.0f, 3.0f});
  EXPECT_NEAR(TargetBinOffsetLoss(other, target, truth).item<double>(), 7.5, 1e-6);
}

// --- End to end through the shared trainer ---

// Episodes with a constant (uninformative) observation and actions drawn
// per step from `modes` (plus a little noise).
std::vector<Episode> ModeEpisodes(const std::vector<std::vector<double>>& modes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::vector<Episode> eps;
  for (int k = 0; k < 8; ++k) {
    Episode e;
    e.name = "demo_" + std::to_string(k);
    for (int t = 0; t < 100; ++t) {
      e.obs.AppendRow({0.5});
      const auto& mode = modes[rng() % modes.size()];
      std::vector<double> action;
      for (double m : mode) action.push_back(m + noise(rng));
      e.actions.AppendRow(action);
    }
    eps.push_back(std::move(e));
  }
  return eps;
}

BetConfig ToyConfig() {
  BetConfig c;
  c.n_layer = 2;
  c.n_head = 2;
  c.n_embd = 32;
  c.training.lr = 1e-3;
  c.training.batch_size = 64;
  c.seed = 1;
  return c;
}

std::unique_ptr<BetPolicy> FitAndTrain(const BetConfig& c, const std::vector<Episode>& eps,
                                       int steps, const std::string& out_dir) {
  const int obs_dim = static_cast<int>(eps.front().obs.row_size());
  const int action_dim = static_cast<int>(eps.front().actions.row_size());
  auto policy = std::make_unique<BetPolicy>(c, obs_dim, action_dim, torch::kCPU);
  TrainingData data;
  for (const auto& e : eps) {
    data.obs.push_back(&e.obs);
    data.actions.push_back(&e.actions);
  }
  policy->Fit(data);
  const SequenceSampler sampler(eps, policy->TrainingWindow());
  TrainerSettings s;
  s.out_dir = out_dir;
  s.run.train_steps = steps;
  s.run.log_every = std::max(1, steps / 3);
  s.run.valid_every = 0;
  s.run.checkpoint_every = 0;
  const auto r = Train(*policy, sampler, nullptr, s);
  std::printf("trained %d steps in %.1f s: loss %.3f -> %.3f\n", steps, r.seconds, r.first_loss,
              r.last_loss);
  policy->Network().eval();
  return policy;
}

// One action per slot, each slot with its own stream; (slots, A).
std::vector<std::vector<float>> SampleSlots(BetPolicy& policy, int slots, float obs_value) {
  ObsHistory obs{slots, policy.ObsHorizon(), 1, {}, {}};
  obs.values.assign(static_cast<size_t>(slots) * policy.ObsHorizon(), obs_value);
  for (int s = 0; s < slots; ++s) {
    policy.StartEpisode(s, slots, 1000 + static_cast<uint64_t>(s));
    obs.slots.push_back(s);
  }
  const auto chunk = policy.Act(obs);
  EXPECT_EQ(chunk.steps, 1);
  std::vector<std::vector<float>> out;
  for (int s = 0; s < slots; ++s) {
    out.emplace_back(chunk.values.begin() + s * chunk.dim,
                     chunk.values.begin() + (s + 1) * chunk.dim);
  }
  return out;
}

TEST(Bet, CheckpointRestoresBinsWeightsAndActions) {
  const std::vector<std::vector<double>> modes = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
  const std::string dir = testing::ScratchDir();
  BetConfig c = ToyConfig();
  auto trained = FitAndTrain(c, ModeEpisodes(modes, 13), 30, dir);

  BetConfig other_seed = c;
  other_seed.seed = 99;  // other initial weights: loading must overwrite them all
  BetPolicy restored(other_seed, 1, 2, torch::kCPU);
  restored.SetNormalizers(trained->ObsNormalizer(), trained->ActionNormalizer());
  EXPECT_FALSE(torch::equal(restored.BinCenters(), trained->BinCenters()));
  LoadCheckpoint(dir + "/" + kCheckpointFile, restored, TrainingState{}, /*use_ema=*/false);
  restored.Network().eval();
  EXPECT_TRUE(torch::equal(restored.BinCenters(), trained->BinCenters()));
  const auto a = SampleSlots(*trained, 16, 0.5f), b = SampleSlots(restored, 16, 0.5f);
  EXPECT_EQ(a, b);
}

TEST(Bet, TheLossSplitsByRowsWithTheWholeBatchsDropout) {
  BetConfig c = ToyConfig();
  BetPolicy policy(c, 3, 2, torch::kCPU);
  auto data_gen = Gen(21);
  policy.SetBinCenters(torch::rand({c.bins, 2}, data_gen) * 2 - 1);
  const auto obs = torch::randn({6, c.window, 3}, data_gen);
  const auto actions = torch::rand({6, c.window, 2}, data_gen) * 2 - 1;
  policy.Network().train();
  auto g1 = Gen(22), g2 = Gen(22), g3 = Gen(23);
  const auto prepared = policy.PrepareLoss(obs, actions, g1);
  ASSERT_TRUE(prepared.splittable);
  const double whole = prepared.on_rows(0, 6).item<double>();
  const double halves =
      (2 * prepared.on_rows(0, 2).item<double>() + 4 * prepared.on_rows(2, 4).item<double>()) / 6;
  EXPECT_NEAR(whole, halves, 1e-5 * std::abs(whole));
  EXPECT_NEAR(policy.Loss(obs, actions, g2).item<double>(), whole, 1e-6 * std::abs(whole));
  // Dropout is on in training (another stream, another loss) and off in eval.
  EXPECT_NE(policy.Loss(obs, actions, g3).item<double>(), whole);
  policy.Network().eval();
  auto g4 = Gen(24), g5 = Gen(25);
  EXPECT_EQ(policy.Loss(obs, actions, g4).item<double>(), policy.Loss(obs, actions, g5).item<double>());
}

TEST(Bet, ActionsDoNotDependOnTheRowsBesideThem) {
  const std::vector<std::vector<double>> modes = {{1.0}, {-1.0}};
  auto policy = FitAndTrain(ToyConfig(), ModeEpisodes(modes, 14), 20, testing::ScratchDir());
  const auto together = SampleSlots(*policy, 8, 0.5f);
  for (int s = 0; s < 8; ++s) {
    ObsHistory one{1, policy->ObsHorizon(), 1,
                   std::vector<float>(static_cast<size_t>(policy->ObsHorizon()), 0.5f), {s}};
    policy->StartEpisode(s, 8, 1000 + static_cast<uint64_t>(s));
    EXPECT_EQ(policy->Act(one).values, together[static_cast<size_t>(s)]) << "slot " << s;
  }
}

}  // namespace
}  // namespace bcbench
