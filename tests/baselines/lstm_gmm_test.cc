// LSTM-GMM (robomimic BC-RNN-GMM): the mixture's log-likelihood is the
// hand-computed one and its draws follow the weights; at rollout the LSTM
// state is carried step to step (stepping equals one pass over the sequence)
// and kept per episode slot (its bimodal toy is in multimodal_toys_test.cc); a
// checkpoint restores identical actions.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "baselines/lstm_gmm/gmm.h"
#include "baselines/lstm_gmm/lstm_gmm_policy.h"
#include "policies/policy_registry.h"
#include "policies/training/checkpoint.h"
#include "policies/training/trainer.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

using lstm_gmm::GaussianMixture;

// Through the registry, as the CLI builds it: the default preset plus `sets`.
std::unique_ptr<LstmGmmPolicy> MakePolicy(int obs_dim, int action_dim,
                                          std::vector<std::pair<std::string, std::string>> sets) {
  ConfigLayers layers;
  layers.sets = std::move(sets);
  const PolicyEntry& entry = FindPolicy("lstm_gmm");
  auto policy = entry.create(entry.resolve(layers), obs_dim, action_dim, torch::kCPU);
  std::unique_ptr<LstmGmmPolicy> typed(dynamic_cast<LstmGmmPolicy*>(policy.get()));
  if (typed) policy.release();
  return typed;
}

// Normalisers that leave values as they are (min -1, max 1 in every dimension).
void IdentityNormalizers(TrainablePolicy& p, int obs_dim, int action_dim) {
  p.SetNormalizers(Normalizer::FromMinMax(std::vector<double>(obs_dim, -1.0),
                                          std::vector<double>(obs_dim, 1.0)),
                   Normalizer::FromMinMax(std::vector<double>(action_dim, -1.0),
                                          std::vector<double>(action_dim, 1.0)));
}

ObsHistory OneStep(const std::vector<std::vector<float>>& rows, const std::vector<int>& slots) {
  ObsHistory obs{static_cast<int>(rows.size()), 1, static_cast<int>(rows[0].size()), {}, slots};
  for (const auto& r : rows) obs.values.insert(obs.values.end(), r.begin(), r.end());
  return obs;
}

TEST(LstmGmm, MixtureLogLikelihoodIsTheHandComputedOne) {
  // Two components in 2-D, weights 1/4 and 3/4 (logits 0 and log 3), at x = (0.5, -1):
  //   N1 = N((0.5, -1); (0, 0), (1, 1)):   log = -(0.25 + 1)/2 - log(2 pi)
  //   N2 = N((0.5, -1); (1, -1), (0.5, 2)): z = (-1, 0), log = -1/2 - log(0.5 * 2) - log(2 pi)
  //   log p = log(e^-0.625 / 4 + 3 e^-0.5 / 4) - log(2 pi) = -2.3676929492777
  GaussianMixture gmm;
  gmm.means = torch::tensor({0.0, 0.0, 1.0, -1.0}, torch::kFloat64).reshape({2, 2});
  gmm.scales = torch::tensor({1.0, 1.0, 0.5, 2.0}, torch::kFloat64).reshape({2, 2});
  gmm.logits = torch::tensor({0.0, std::log(3.0)}, torch::kFloat64);
  const auto x = torch::tensor({0.5, -1.0}, torch::kFloat64);
  EXPECT_NEAR(lstm_gmm::GmmLogLikelihood(gmm, x).item<double>(), -2.3676929492777, 1e-12);
  // Batched over leading dimensions: the same value in every row.
  GaussianMixture batched{gmm.means.expand({3, 2, 2}), gmm.scales.expand({3, 2, 2}),
                          gmm.logits.expand({3, 2})};
  const auto rows = lstm_gmm::GmmLogLikelihood(batched, x.expand({3, 2}));
  ASSERT_EQ(rows.sizes(), torch::IntArrayRef({3}));
  EXPECT_NEAR(rows[2].item<double>(), -2.3676929492777, 1e-12);
}

TEST(LstmGmm, DrawsPickComponentsByTheirWeightsThenAddScaledNoise) {
  GaussianMixture gmm;
  gmm.means = torch::tensor({-5.0f, 0.0f, 2.0f, 1.0f}).reshape({2, 2});
  gmm.scales = torch::full({2, 2}, 1e-4f);
  gmm.logits = torch::tensor({0.0f, std::log(3.0f)});
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(3);
  int second = 0;
  const int draws = 4000;
  for (int i = 0; i < draws; ++i) {
    const auto x = lstm_gmm::SampleGmm(gmm, gen);
    const bool is_second = std::abs(x[0].item<float>() - 2.0f) < 1e-3f;
    EXPECT_TRUE(is_second || std::abs(x[0].item<float>() + 5.0f) < 1e-3f) << x;
    second += is_second;
  }
  const double fraction = static_cast<double>(second) / draws;
  std::printf("second component drawn %.3f of the time (weight 0.75)\n", fraction);
  EXPECT_NEAR(fraction, 0.75, 0.03);
  // The same stream gives the same draw.
  torch::Generator a = at::make_generator<at::CPUGeneratorImpl>(9);
  torch::Generator b = at::make_generator<at::CPUGeneratorImpl>(9);
  EXPECT_TRUE(torch::equal(lstm_gmm::SampleGmm(gmm, a), lstm_gmm::SampleGmm(gmm, b)));
}

TEST(LstmGmm, TheConfigMapsSequencesOntoTrainingWindowsAndRefusesBadResets) {
  auto p = MakePolicy(3, 2, {});
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->TrainingWindow().obs, 10);  // robomimic's sequence length
  EXPECT_EQ(p->TrainingWindow().pred, 10);  // window action k pairs with observation k
  EXPECT_EQ(p->ObsHorizon(), 1);            // rollout feeds only the newest observation
  EXPECT_EQ(p->ChunkSteps(), 1);
  EXPECT_EQ(p->config().training.optimizer, "adam");
  EXPECT_DOUBLE_EQ(p->config().training.lr, 1e-4);
  EXPECT_FALSE(p->config().training.ema);
  auto chunked = MakePolicy(3, 2, {{"action_horizon", "4"}});
  EXPECT_EQ(chunked->TrainingWindow().pred, 13);  // 10 steps and the 3 actions after the last
  EXPECT_EQ(chunked->ObsHorizon(), 4);              // the observations since the last decision
  EXPECT_THROW(MakePolicy(3, 2, {{"action_horizon", "4"}, {"reset_every", "2"}}),
               std::invalid_argument);
  const PolicyEntry& entry = FindPolicy("lstm_gmm");
  ConfigLayers paper;
  paper.preset = "paper";
  EXPECT_EQ(entry.resolve(paper)["rnn_hidden"], 400);
}

// With Ta > 1 the mixture is over the Ta actions from each step as one
// vector: step k's target is window actions k .. k + Ta - 1, step-major.
TEST(LstmGmm, ChunkTargetsAreTheTaActionsFromEachStep) {
  auto p = MakePolicy(2, 2, {{"rnn_hidden", "8"}, {"seq_length", "3"}, {"action_horizon", "2"},
                             {"reset_every", "4"}});
  ASSERT_EQ(p->TrainingWindow().pred, 4);
  const auto obs = torch::rand({2, 3, 2});
  const auto actions = torch::arange(16, torch::kFloat32).reshape({2, 4, 2}) / 16;
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(0);
  const auto loss = p->Loss(obs, actions, gen);
  // By hand: row b, step k -> (a[b][k][0], a[b][k][1], a[b][k+1][0], a[b][k+1][1]).
  auto targets = torch::empty({2, 3, 4});
  for (int b = 0; b < 2; ++b) {
    for (int k = 0; k < 3; ++k) {
      for (int j = 0; j < 2; ++j) {
        for (int d = 0; d < 2; ++d) targets[b][k][2 * j + d] = actions[b][k + j][d];
      }
    }
  }
  lstm_gmm::LstmState zero;
  const auto gmm = p->net()->Head(p->net()->Run(obs, zero), false);
  EXPECT_NEAR(loss.item<double>(), -lstm_gmm::GmmLogLikelihood(gmm, targets).mean().item<double>(),
              1e-6);
  // At rollout a decision reads the Ta observations since the last and
  // returns Ta actions.
  IdentityNormalizers(*p, 2, 2);
  p->StartEpisode(0, 1, 3);
  const ActionChunk chunk = p->Act(ObsHistory{1, 2, 2, {0.1f, 0.2f, 0.3f, 0.4f}, {0}});
  EXPECT_EQ(chunk.steps, 2);
  EXPECT_EQ(chunk.values.size(), 4u);
}

// The loss at each step of a window sees the observations up to that step
// only, and stepping the LSTM with a carried state equals running it over the
// whole sequence at once.
TEST(LstmGmm, SteppingWithACarriedStateEqualsOnePassOverTheSequence) {
  torch::manual_seed(0);
  auto p = MakePolicy(3, 2, {{"rnn_hidden", "16"}, {"reset_every", "0"}, {"seed", "4"}});
  IdentityNormalizers(*p, 3, 2);
  const int steps = 12;
  const auto seq = torch::rand({1, steps, 3}) * 2 - 1;
  lstm_gmm::LstmState whole_state;
  torch::Tensor whole;
  {
    torch::NoGradGuard no_grad;
    whole = p->net()->Run(seq, whole_state);  // (1, T, H)
  }
  lstm_gmm::LstmState carried;
  for (int t = 0; t < steps; ++t) {
    torch::NoGradGuard no_grad;
    const auto one = p->net()->Run(seq.narrow(1, t, 1), carried);
    EXPECT_TRUE(torch::allclose(one[0][0], whole[0][t], 1e-6, 1e-6)) << "step " << t;
  }
  EXPECT_TRUE(torch::allclose(carried.h, whole_state.h, 1e-6, 1e-6));
  EXPECT_TRUE(torch::allclose(carried.c, whole_state.c, 1e-6, 1e-6));
  // The state matters: step 5 alone from zero is not step 5 after 0..4.
  lstm_gmm::LstmState fresh;
  const auto alone = p->net()->Run(seq.narrow(1, 5, 1), fresh);
  EXPECT_FALSE(torch::allclose(alone[0][0], whole[0][5], 1e-3, 1e-3));

  // Through Act: the actions equal draws, with the slot's stream, from the
  // mixtures of the one pass (sampled with learnt scales, so the noise shows).
  auto sampling = MakePolicy(3, 2, {{"rnn_hidden", "16"}, {"reset_every", "0"},
                                    {"seed", "4"}, {"low_noise_eval", "false"}});
  IdentityNormalizers(*sampling, 3, 2);
  sampling->StartEpisode(0, 1, 77);
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(77);
  torch::NoGradGuard no_grad;
  const auto gmm = sampling->net()->Head(whole, /*low_noise=*/false);
  for (int t = 0; t < steps; ++t) {
    const auto row = seq[0][t].contiguous();
    std::vector<float> o(row.data_ptr<float>(), row.data_ptr<float>() + 3);
    const ActionChunk chunk = sampling->Act(OneStep({o}, {0}));
    const auto expected = lstm_gmm::SampleGmm(
        GaussianMixture{gmm.means[0][t], gmm.scales[0][t], gmm.logits[0][t]}, gen);
    EXPECT_NEAR(chunk.values[0], expected[0].item<float>(), 1e-5) << "step " << t;
    EXPECT_NEAR(chunk.values[1], expected[1].item<float>(), 1e-5) << "step " << t;
  }
}

// Every reset_every observations the state goes back to zero (robomimic's
// rnn-horizon reset): what came before no longer matters.
TEST(LstmGmm, TheStateIsZeroedEveryResetEveryObservations) {
  const std::vector<std::vector<float>> first = {{0.1f, 0.2f}, {0.5f, -0.3f}, {-0.7f, 0.9f}};
  const std::vector<std::vector<float>> other = {{-0.9f, 0.8f}, {0.0f, 0.0f}, {0.6f, 0.6f}};
  const std::vector<float> last = {0.4f, 0.4f};
  // Two slots on the same stream: three different observations each, then
  // the same fourth one. Returns the two fourth actions.
  auto fourth = [&](const std::string& reset_every) {
    auto p = MakePolicy(2, 1, {{"rnn_hidden", "8"}, {"reset_every", reset_every},
                               {"seed", "1"}, {"low_noise_eval", "false"}});
    IdentityNormalizers(*p, 2, 1);
    p->StartEpisode(0, 2, 5);
    p->StartEpisode(1, 2, 5);
    for (int t = 0; t < 3; ++t) p->Act(OneStep({first[t], other[t]}, {0, 1}));
    return p->Act(OneStep({last, last}, {0, 1})).values;
  };
  const auto reset = fourth("3");
  EXPECT_EQ(reset[0], reset[1]);  // both from the zero state: bitwise the same
  const auto carried = fourth("0");
  EXPECT_GT(std::abs(carried[0] - carried[1]), 1e-4);  // the past shows without a reset
}

TEST(LstmGmm, EachSlotGetsWhatItGetsAloneInABatch) {
  torch::set_num_threads(2);
  auto p = MakePolicy(2, 2, {{"rnn_hidden", "32"}, {"low_noise_eval", "false"}});
  IdentityNormalizers(*p, 2, 2);
  const std::vector<std::vector<float>> a = {{0.1f, 0.2f}, {0.3f, 0.1f}, {0.5f, 0.0f}};
  const std::vector<std::vector<float>> b = {{-0.8f, 0.4f}, {-0.6f, 0.6f}, {-0.4f, 0.8f}};
  std::vector<float> together, alone;
  p->StartEpisode(0, 2, 11);
  p->StartEpisode(1, 2, 12);
  for (int t = 0; t < 3; ++t) {
    const auto chunk = p->Act(OneStep({a[t], b[t]}, {0, 1}));
    together.insert(together.end(), chunk.values.begin(), chunk.values.end());
  }
  // One by one: slot 0's whole episode, then slot 1's (as --unbatched runs them).
  std::vector<float> only_a, only_b;
  p->StartEpisode(0, 1, 11);
  for (int t = 0; t < 3; ++t) {
    const auto c = p->Act(OneStep({a[t]}, {0}));
    only_a.insert(only_a.end(), c.values.begin(), c.values.end());
  }
  p->StartEpisode(0, 1, 12);
  for (int t = 0; t < 3; ++t) {
    const auto c = p->Act(OneStep({b[t]}, {0}));
    only_b.insert(only_b.end(), c.values.begin(), c.values.end());
  }
  for (int t = 0; t < 3; ++t) {
    alone.insert(alone.end(), only_a.begin() + 2 * t, only_a.begin() + 2 * t + 2);
    alone.insert(alone.end(), only_b.begin() + 2 * t, only_b.begin() + 2 * t + 2);
  }
  EXPECT_EQ(together, alone);  // bitwise
  EXPECT_NE(only_a, only_b);
}

// Episodes whose action is a smooth function of the observations.
std::vector<Episode> ToyEpisodes() {
  std::vector<Episode> eps;
  for (int k = 0; k < 4; ++k) {
    Episode e;
    e.name = "demo_" + std::to_string(k);
    for (int t = 0; t < 30; ++t) {
      const double x = std::sin(0.2 * t + k);
      e.obs.AppendRow({x, 0.5 * k});
      e.actions.AppendRow({2 * x, -x});
    }
    eps.push_back(std::move(e));
  }
  return eps;
}

TEST(LstmGmm, ACheckpointRestoresIdenticalActions) {
  torch::set_num_threads(2);
  const auto eps = ToyEpisodes();
  const std::vector<std::pair<std::string, std::string>> sets = {
      {"rnn_hidden", "16"}, {"seq_length", "5"}, {"batch_size", "16"}, {"lr", "1e-3"},
      {"low_noise_eval", "false"}};
  auto trained = MakePolicy(2, 2, sets);
  TrainingData data;
  for (const auto& e : eps) {
    data.obs.push_back(&e.obs);
    data.actions.push_back(&e.actions);
  }
  trained->Fit(data);
  const SequenceSampler sampler(eps, trained->TrainingWindow());
  TrainerSettings s;
  s.out_dir = testing::ScratchDir();
  s.run.train_steps = 20;
  s.run.log_every = 10;
  // The normalisers travel in the header, as `bcbench train` stores them.
  s.header = {{"normalizers",
               {{"obs", trained->ObsNormalizer().ToJson()},
                {"actions", trained->ActionNormalizer().ToJson()}}}};
  Train(*trained, sampler, nullptr, s);

  auto other = sets;
  other.push_back({"seed", "99"});  // other initial weights: loading must overwrite them all
  auto restored = MakePolicy(2, 2, other);
  const auto header = LoadCheckpoint(s.out_dir + "/" + kCheckpointFile, *restored,
                                     TrainingState{}, /*use_ema=*/false);
  restored->SetNormalizers(Normalizer::FromJson(header.at("normalizers").at("obs")),
                           Normalizer::FromJson(header.at("normalizers").at("actions")));
  auto rollout = [](LstmGmmPolicy& p) {
    p.StartEpisode(0, 2, 7);
    p.StartEpisode(1, 2, 8);
    std::vector<float> out;
    for (int t = 0; t < 6; ++t) {
      const float x = std::sin(0.3f * t);
      const auto c = p.Act(OneStep({{x, 0.5f}, {-x, 1.0f}}, {0, 1}));
      out.insert(out.end(), c.values.begin(), c.values.end());
    }
    return out;
  };
  EXPECT_EQ(rollout(*trained), rollout(*restored));
}

}  // namespace
}  // namespace bcbench
