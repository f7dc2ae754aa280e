// MLP behaviour cloning: it returns the predicted window from the current
// step on, its loss is the mean squared error, each row is computed by
// itself, and a checkpoint restores identical actions. That it averages a
// bimodal action is shown beside the other methods in multimodal_toys_test.cc.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/policy_registry.h"
#include "policies/training/checkpoint.h"
#include "policies/training/trainer.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

std::unique_ptr<TrainablePolicy> MakeMlp(int obs_dim, int action_dim,
                                         std::vector<std::pair<std::string, std::string>> sets) {
  ConfigLayers layers;
  layers.sets = std::move(sets);
  const PolicyEntry& entry = FindPolicy("mlp");
  return entry.create(entry.resolve(layers), obs_dim, action_dim, torch::kCPU);
}

void IdentityNormalizers(TrainablePolicy& p, int obs_dim, int action_dim) {
  p.SetNormalizers(Normalizer::FromMinMax(std::vector<double>(obs_dim, -1.0),
                                          std::vector<double>(obs_dim, 1.0)),
                   Normalizer::FromMinMax(std::vector<double>(action_dim, -1.0),
                                          std::vector<double>(action_dim, 1.0)));
}

// The output layer's bias, with every weight zero: the network then answers
// the bias whatever it reads.
void AnswerConstant(TrainablePolicy& p, const torch::Tensor& bias) {
  torch::NoGradGuard no_grad;
  auto params = p.Network().named_parameters();
  for (auto& item : params) item.value().zero_();
  std::string last_bias;
  for (const auto& item : params) {
    if (item.key().find("bias") != std::string::npos) last_bias = item.key();
  }
  params[last_bias].copy_(bias);
}

TEST(Mlp, TheChunkIsThePredictedWindowFromTheCurrentStepOn) {
  // To 3, Tp 6, A 2: the window starts 2 steps back, so the chunk is its
  // steps 2..5, values 4..11 when the network answers 0, 1, ..., 11.
  auto p = MakeMlp(1, 2, {{"obs_horizon", "3"}, {"pred_horizon", "6"}, {"action_horizon", "2"},
                          {"hidden_dims", "8"}});
  IdentityNormalizers(*p, 1, 2);
  EXPECT_EQ(p->ChunkSteps(), 4);
  AnswerConstant(*p, torch::arange(12, torch::kFloat32));
  p->StartEpisode(0, 1, 0);
  const ActionChunk chunk = p->Act(ObsHistory{1, 3, 1, {0.1f, 0.2f, 0.3f}, {0}});
  EXPECT_EQ(chunk.steps, 4);
  EXPECT_EQ(chunk.values, std::vector<float>({4, 5, 6, 7, 8, 9, 10, 11}));
  // The loss: mean squared error over the window against actions of 1,
  // ((0 - 1)^2 + (1 - 1)^2 + ... + (11 - 1)^2) / 12 = (1 + 385) / 12.
  torch::Generator gen = at::make_generator<at::CPUGeneratorImpl>(0);
  const auto loss = p->Loss(torch::zeros({1, 3, 1}), torch::ones({1, 6, 2}), gen);
  EXPECT_NEAR(loss.item<double>(), 386.0 / 12, 1e-4);
  EXPECT_THROW(MakeMlp(1, 2, {{"obs_horizon", "3"}, {"pred_horizon", "6"},
                              {"action_horizon", "5"}}),
               std::invalid_argument);
}

TEST(Mlp, EachRowIsTheSameInABatchAsAlone) {
  torch::set_num_threads(2);
  auto p = MakeMlp(3, 2, {});
  IdentityNormalizers(*p, 3, 2);
  const int rows = 5;
  ObsHistory batch{rows, 2, 3, {}, {}};
  for (int b = 0; b < rows; ++b) {
    batch.slots.push_back(b);
    for (int i = 0; i < 6; ++i) batch.values.push_back(std::sin(1.0f + b * 6 + i));
  }
  for (int b = 0; b < rows; ++b) p->StartEpisode(b, rows, b);
  const ActionChunk together = p->Act(batch);
  const size_t per_row = together.values.size() / rows;
  for (int b = 0; b < rows; ++b) {
    ObsHistory one{1, 2, 3, {batch.values.begin() + b * 6, batch.values.begin() + b * 6 + 6}, {0}};
    const ActionChunk alone = p->Act(one);
    EXPECT_EQ(alone.values, std::vector<float>(together.values.begin() + b * per_row,
                                               together.values.begin() + (b + 1) * per_row))
        << "row " << b;  // bitwise
  }
}

TEST(Mlp, ACheckpointRestoresIdenticalActions) {
  torch::set_num_threads(2);
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
  const std::vector<std::pair<std::string, std::string>> sets = {
      {"hidden_dims", "32,32"}, {"batch_size", "16"}, {"warmup_steps", "2"}};
  auto trained = MakeMlp(2, 2, sets);
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
  other.push_back({"seed", "99"});
  const std::string path = s.out_dir + "/" + kCheckpointFile;
  auto load = [&](bool use_ema) {
    auto p = MakeMlp(2, 2, other);
    const auto header = LoadCheckpoint(path, *p, TrainingState{}, use_ema);
    p->SetNormalizers(Normalizer::FromJson(header.at("normalizers").at("obs")),
                      Normalizer::FromJson(header.at("normalizers").at("actions")));
    return p;
  };
  auto raw = load(false);
  auto ema = load(true);
  const ObsHistory obs{2, 2, 2, {0.1f, 0.0f, 0.2f, 0.0f, -0.5f, 1.0f, -0.4f, 1.0f}, {0, 1}};
  for (auto* p : {trained.get(), raw.get(), ema.get()}) {
    p->StartEpisode(0, 2, 7);
    p->StartEpisode(1, 2, 8);
  }
  EXPECT_EQ(trained->Act(obs).values, raw->Act(obs).values);
  // The EMA weights (what eval loads) are another network.
  EXPECT_NE(ema->Act(obs).values, raw->Act(obs).values);
}

}  // namespace
}  // namespace bcbench
