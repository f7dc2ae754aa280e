// The multimodal toys for every method in one place (issue 10): the
// observation carries no information and the demonstrated action is one of
// several modes. A method that models the action distribution samples every
// mode; the MSE regressor answers their mean. Each method is built through
// the registry and trained by the shared trainer on the same episodes, as
// `bcbench train` would, with small networks (seconds each).
//
// Demos: 16 episodes of 100 steps, observation 0.5, the mode redrawn every
// 10 steps (so action chunks mostly hold one mode), plus noise of std 0.02.
// Policies act once per episode slot, each slot with its own stream, and the
// first action of each chunk is compared with the modes.
#include <cmath>
#include <cstdio>
#include <map>
#include <ostream>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/policy_registry.h"
#include "policies/training/trainer.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

using Settings = std::vector<std::pair<std::string, std::string>>;
using Modes = std::vector<std::vector<double>>;

struct Method {
  std::string label;   // test name suffix
  std::string policy;  // registry name
  std::string preset;  // empty: the default
  Settings sets;       // toy-sized network and optimiser
  bool multimodal;     // expected to keep every mode
  int steps = 400;     // optimiser steps
};

// gtest prints a parameter by its label.
void PrintTo(const Method& m, std::ostream* os) { *os << m.label; }

// Shared by every method: a toy learning rate without warm-up or EMA.
Settings Toy(Settings own) {
  Settings s = {{"lr_schedule", "constant"}, {"warmup_steps", "0"}, {"ema", "false"},
                {"seed", "3"}};
  s.insert(s.end(), own.begin(), own.end());
  return s;
}

std::vector<Method> Methods() {
  return {
      {"Mlp", "mlp", "",
       Toy({{"hidden_dims", "64,64"}, {"lr", "1e-3"}, {"batch_size", "64"}}), false},
      {"LstmGmm", "lstm_gmm", "",
       Toy({{"rnn_hidden", "32"}, {"seq_length", "4"}, {"lr", "3e-3"}, {"batch_size", "64"}}),
       true},
      {"Bet", "bet", "",
       Toy({{"n_layer", "2"}, {"n_head", "2"}, {"n_embd", "32"}, {"lr", "1e-3"},
            {"batch_size", "64"}}),
       true},
      {"Ibc", "ibc", "",
       Toy({{"hidden_dims", "64,64"}, {"dropout", "0"}, {"counter_examples", "32"},
            {"final_choice", "sample"}, {"inference_samples", "512"}, {"lr", "1e-3"},
            {"batch_size", "256"}}),
       true, 600},
      {"DiffusionUnet", "diffusion", "",
       Toy({{"down_dims", "32,64"}, {"step_embed_dim", "32"}, {"pred_horizon", "8"},
            {"action_horizon", "4"}, {"lr", "1e-3"}, {"batch_size", "128"},
            {"sampler", "ddpm"}}),
       true, 800},
      {"DiffusionTransformer", "diffusion", "transformer",
       Toy({{"n_layer", "2"}, {"n_head", "2"}, {"n_emb", "32"}, {"p_drop_attn", "0"},
            {"pred_horizon", "8"}, {"action_horizon", "4"}, {"lr", "1e-3"},
            {"batch_size", "64"}}),
       true},
  };
}

std::vector<Episode> ModeEpisodes(const Modes& modes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.02);
  std::vector<Episode> episodes;
  for (int k = 0; k < 16; ++k) {
    Episode e;
    e.name = "demo_" + std::to_string(k);
    size_t mode = 0;
    for (int t = 0; t < 100; ++t) {
      if (t % 10 == 0) mode = rng() % modes.size();
      e.obs.AppendRow({0.5});
      std::vector<double> action;
      for (double m : modes[mode]) action.push_back(m + noise(rng));
      e.actions.AppendRow(action);
    }
    episodes.push_back(std::move(e));
  }
  return episodes;
}

std::unique_ptr<TrainablePolicy> TrainOnModes(const Method& m, const Modes& modes, int steps) {
  torch::set_num_threads(2);
  const auto episodes = ModeEpisodes(modes, 17);
  ConfigLayers layers;
  layers.preset = m.preset;
  layers.sets = m.sets;
  const PolicyEntry& entry = FindPolicy(m.policy);
  auto policy = entry.create(entry.resolve(layers), 1, static_cast<int>(modes[0].size()),
                             torch::kCPU);
  TrainingData data;
  for (const auto& e : episodes) {
    data.obs.push_back(&e.obs);
    data.actions.push_back(&e.actions);
  }
  policy->Fit(data);
  const SequenceSampler sampler(episodes, policy->TrainingWindow());
  TrainerSettings settings;
  settings.out_dir = testing::ScratchDir();
  settings.run.train_steps = steps;
  settings.run.log_every = steps / 4;
  settings.run.valid_every = 0;
  settings.run.checkpoint_every = 0;
  const TrainResult r = Train(*policy, sampler, nullptr, settings);
  std::printf("%s: %d steps in %.1f s, loss %.3f -> %.3f\n", m.label.c_str(), steps, r.seconds,
              r.first_loss, r.last_loss);
  policy->Network().eval();
  return policy;
}

// The first action of one chunk in each of `slots` fresh episode slots.
std::vector<std::vector<float>> FirstActions(TrainablePolicy& policy, int slots) {
  ObsHistory obs{slots, policy.ObsHorizon(), 1, {}, {}};
  obs.values.assign(static_cast<size_t>(slots) * policy.ObsHorizon(), 0.5f);
  for (int s = 0; s < slots; ++s) {
    policy.StartEpisode(s, slots, EpisodeStreamSeed(99, static_cast<uint64_t>(s)));
    obs.slots.push_back(s);
  }
  const ActionChunk chunk = policy.Act(obs);
  std::vector<std::vector<float>> out;
  for (int b = 0; b < slots; ++b) {
    const auto first = chunk.values.begin() + static_cast<long>(b) * chunk.steps * chunk.dim;
    out.emplace_back(first, first + chunk.dim);
  }
  return out;
}

// Every demonstrated action, row by row.
std::vector<std::vector<float>> DemoActions(const std::vector<Episode>& episodes) {
  std::vector<std::vector<float>> out;
  for (const auto& e : episodes) {
    for (size_t i = 0; i < e.actions.rows(); ++i) {
      out.emplace_back(e.actions.row(i), e.actions.row(i) + e.actions.row_size());
    }
  }
  return out;
}

// Fraction of actions within `radius` (in every dimension) of each point.
std::vector<double> Fractions(const std::vector<std::vector<float>>& actions, const Modes& points,
                              double radius) {
  std::vector<double> f(points.size(), 0.0);
  for (const auto& a : actions) {
    for (size_t m = 0; m < points.size(); ++m) {
      bool near = true;
      for (size_t j = 0; j < a.size(); ++j) near = near && std::abs(a[j] - points[m][j]) < radius;
      if (near) f[m] += 1.0 / static_cast<double>(actions.size());
    }
  }
  return f;
}

class MultimodalToy : public ::testing::TestWithParam<Method> {};

TEST_P(MultimodalToy, TwoModes) {
  const Method& m = GetParam();
  const Modes modes = {{1.0}, {-1.0}};
  auto policy = TrainOnModes(m, modes, m.steps);
  const auto actions = FirstActions(*policy, 200);
  const auto f = Fractions(actions, modes, 0.3);
  const double zero = Fractions(actions, {{0.0}}, 0.3)[0];
  std::printf("%-22s near +1 %.3f   near -1 %.3f   near 0 %.3f\n", m.label.c_str(), f[0], f[1],
              zero);
  if (m.multimodal) {
    EXPECT_GE(f[0], 0.25) << m.label << " lost the +1 mode";
    EXPECT_GE(f[1], 0.25) << m.label << " lost the -1 mode";
    EXPECT_LT(zero, 0.1) << m.label << " averages the modes";
  } else {
    EXPECT_GE(zero, 0.9) << m.label << " (the regressor) should answer the modes' mean";
    EXPECT_LT(f[0] + f[1], 0.1) << m.label;
  }
}

INSTANTIATE_TEST_SUITE_P(AllMethods, MultimodalToy, ::testing::ValuesIn(Methods()),
                         [](const auto& info) { return info.param.label; });

// The corners of a square in 2-D: the methods that claim multimodality must
// recover all four (BET, IBC and both Diffusion Policy denoisers).
class FourCornerToy : public ::testing::TestWithParam<Method> {};

TEST_P(FourCornerToy, AllFourCorners) {
  const Method& m = GetParam();
  const Modes corners = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
  auto policy = TrainOnModes(m, corners, m.steps);
  const auto f = Fractions(FirstActions(*policy, 200), corners, 0.3);
  const auto demo = Fractions(DemoActions(ModeEpisodes(corners, 17)), corners, 0.3);
  std::printf("%-22s (1,1) %.3f   (1,-1) %.3f   (-1,1) %.3f   (-1,-1) %.3f\n", m.label.c_str(),
              f[0], f[1], f[2], f[3]);
  std::printf("%-22s (1,1) %.3f   (1,-1) %.3f   (-1,1) %.3f   (-1,-1) %.3f\n", "(the demos)",
              demo[0], demo[1], demo[2], demo[3]);
  // 200 draws of a uniform 4-way choice give each corner 0.25 +- 0.03 (1
  // sd); 0.10 leaves room for a method's uneven but real coverage.
  for (size_t c = 0; c < corners.size(); ++c) {
    EXPECT_GE(f[c], 0.10) << m.label << " misses corner " << c;
  }
}

std::vector<Method> CornerMethods() {
  std::vector<Method> out;
  for (const auto& m : Methods()) {
    if (m.policy == "bet" || m.policy == "ibc" || m.policy == "diffusion") out.push_back(m);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(ModalMethods, FourCornerToy, ::testing::ValuesIn(CornerMethods()),
                         [](const auto& info) { return info.param.label; });

}  // namespace
}  // namespace bcbench
