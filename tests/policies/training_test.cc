// The shared training machinery with Diffusion Policy: the LR schedule and
// EMA follow SPEC 5, a checkpoint restores identical behaviour, an
// interrupted run resumes to the same weights, a torn write is never loaded,
// and a short real Push-T training beats the untrained network on held-out demos.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "datasets/demo_recorder.h"
#include "envs/registry.h"
#include "policies/diffusion/diffusion_policy.h"
#include "policies/diffusion/unet_cpu_ops.h"
#include "policies/training/checkpoint.h"
#include "policies/training/ema.h"
#include "policies/training/lr_schedule.h"
#include "policies/training/train_log.h"
#include "policies/training/trainer.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

TEST(LrSchedule, WarmsUpLinearlyThenDecaysByHalfCosine) {
  EXPECT_DOUBLE_EQ(CosineWithWarmup(0, 1000, 100, 1e-4), 0.0);
  EXPECT_DOUBLE_EQ(CosineWithWarmup(50, 1000, 100, 1e-4), 0.5e-4);
  EXPECT_DOUBLE_EQ(CosineWithWarmup(100, 1000, 100, 1e-4), 1e-4);
  EXPECT_NEAR(CosineWithWarmup(550, 1000, 100, 1e-4), 0.5e-4, 1e-12);
  EXPECT_NEAR(CosineWithWarmup(1000, 1000, 100, 1e-4), 0.0, 1e-12);
}

TEST(Ema, DecayFollowsThePowerLawAndItsCap) {
  EXPECT_DOUBLE_EQ(EmaWeights::Decay(0, 0.75, 0.9999), 0.0);
  EXPECT_NEAR(EmaWeights::Decay(15, 0.75, 0.9999), 1 - std::pow(16.0, -0.75), 1e-15);
  EXPECT_DOUBLE_EQ(EmaWeights::Decay(100000000, 0.75, 0.9999), 0.9999);
}

// A small Diffusion Policy config that trains in seconds.
DiffusionConfig SmallConfig() {
  DiffusionConfig c;
  c.down_dims = {16, 32};
  c.step_embed_dim = 16;
  c.pred_horizon = 8;
  c.action_horizon = 4;
  c.training.batch_size = 32;
  c.training.warmup_steps = 5;
  c.training.lr = 1e-3;
  c.inference_steps = 5;
  c.seed = 3;
  return c;
}

// Episodes whose action chunk is a smooth function of the observation.
std::vector<Episode> ToyEpisodes() {
  std::vector<Episode> eps;
  for (int k = 0; k < 6; ++k) {
    Episode e;
    e.name = "demo_" + std::to_string(k);
    for (int t = 0; t < 40; ++t) {
      const double x = std::sin(0.2 * t + k);
      e.obs.AppendRow({x, 0.5 * k});
      e.actions.AppendRow({2 * x, -x});
    }
    eps.push_back(std::move(e));
  }
  return eps;
}

std::unique_ptr<DiffusionPolicy> MakePolicy(const DiffusionConfig& c,
                                            const std::vector<Episode>& eps) {
  auto p = std::make_unique<DiffusionPolicy>(c, 2, 2, torch::kCPU);
  std::vector<const FloatArray*> obs, act;
  for (const auto& e : eps) {
    obs.push_back(&e.obs);
    act.push_back(&e.actions);
  }
  p->SetNormalizers(Normalizer::Fit(obs), Normalizer::Fit(act));
  return p;
}

std::vector<torch::Tensor> Weights(TrainablePolicy& p) {
  std::vector<torch::Tensor> out;
  for (const auto& [name, t] : NamedState(p.Network())) out.push_back(t.detach().clone());
  return out;
}

ObsHistory SomeObs() {
  return ObsHistory{3, 2, 2, {0.1f, 0, 0.2f, 0, -0.5f, 1, -0.4f, 1, 0.9f, 2, 0.8f, 2}, {0, 1, 2}};
}

void StartAll(DiffusionPolicy& p, uint64_t seed) {
  for (int slot = 0; slot < 3; ++slot) p.StartEpisode(slot, 3, seed + slot);
}

// Everything a checkpoint restores into a training process.
struct TrainingSnapshot {
  std::vector<torch::Tensor> ema, moments;
  std::vector<int64_t> steps;
  torch::Tensor rng;
};

TrainingSnapshot LoadEverything(const DiffusionConfig& c, const std::vector<Episode>& eps,
                                const std::string& path) {
  auto p = MakePolicy(c, eps);
  const auto optimizer = MakeOptimizer(*p);
  EmaWeights ema(p->Network(), c.training.ema_power, c.training.ema_max_decay);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(12345);
  LoadCheckpoint(path, *p, TrainingState{&ema, optimizer.get(), &gen, 0}, false);
  TrainingSnapshot out;
  for (auto& t : ema.tensors()) out.ema.push_back(t.clone());
  for (auto& group : optimizer->param_groups()) {
    for (auto& param : group.params()) {
      const auto key = c10::guts::to_string(param.unsafeGetTensorImpl());
      const auto& state =
          static_cast<torch::optim::AdamWParamState&>(*optimizer->state().at(key));
      out.moments.push_back(state.exp_avg().clone());
      out.moments.push_back(state.exp_avg_sq().clone());
      out.steps.push_back(state.step());
    }
  }
  out.rng = gen.get_state();
  return out;
}

TEST(Trainer, ResumedRunEndsWithTheSameWeightsAsAnUninterruptedOne) {
  torch::set_num_threads(2);
  const auto eps = ToyEpisodes();
  const DiffusionConfig c = SmallConfig();
  const SequenceSampler sampler(eps, {c.obs_horizon, c.pred_horizon, c.action_horizon});
  const std::string dir = testing::ScratchDir();

  auto straight = MakePolicy(c, eps);
  TrainerSettings s;
  s.out_dir = dir + "/straight";
  s.run.train_steps = 24;
  s.run.log_every = 8;
  s.run.checkpoint_every = 0;
  Train(*straight, sampler, nullptr, s);

  auto first = MakePolicy(c, eps);
  s.out_dir = dir + "/resumed";
  s.stop_after = 10;  // "killed" after the checkpoint at step 10
  const TrainResult part = Train(*first, sampler, nullptr, s);
  EXPECT_EQ(part.end_step, 10);
  // The killed run had logged a row past its checkpoint and torn the next.
  {
    TrainLogRow after;
    after.step = 16;
    after.loss = 9;
    AppendTrainLogRow(s.out_dir + "/train_log.csv", after);
    std::ofstream torn(s.out_dir + "/train_log.csv", std::ios::app);
    torn << "24,0.1";
  }
  auto second = MakePolicy(c, eps);  // a fresh process
  s.stop_after = -1;
  const TrainResult rest = Train(*second, sampler, nullptr, s);
  EXPECT_EQ(rest.start_step, 10);
  EXPECT_EQ(rest.end_step, 24);

  // The resumed log has the uninterrupted run's rows: none lost, none twice,
  // nothing of the killed run's tail.
  const auto straight_log = ReadTrainLog(dir + "/straight/train_log.csv");
  const auto resumed_log = ReadTrainLog(dir + "/resumed/train_log.csv");
  ASSERT_EQ(straight_log.size(), 3u);
  ASSERT_EQ(resumed_log.size(), straight_log.size());
  for (size_t i = 0; i < resumed_log.size(); ++i) {
    EXPECT_EQ(resumed_log[i].step, straight_log[i].step);
    EXPECT_NE(resumed_log[i].loss, 9.0);
  }
  EXPECT_TRUE(TrainLogHolds(dir + "/resumed/train_log.csv", resumed_log));

  const auto a = Weights(*straight), b = Weights(*second);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i;
  // Not only the raw weights: the EMA weights, Adam's moments and step
  // counts, and the RNG stored in the final checkpoints are equal too.
  const auto x = LoadEverything(c, eps, dir + "/straight/" + kCheckpointFile);
  const auto y = LoadEverything(c, eps, dir + "/resumed/" + kCheckpointFile);
  ASSERT_EQ(x.ema.size(), y.ema.size());
  ASSERT_FALSE(x.ema.empty());
  for (size_t i = 0; i < x.ema.size(); ++i) EXPECT_TRUE(torch::equal(x.ema[i], y.ema[i])) << "EMA " << i;
  ASSERT_EQ(x.moments.size(), y.moments.size());
  ASSERT_FALSE(x.moments.empty());
  for (size_t i = 0; i < x.moments.size(); ++i) {
    EXPECT_TRUE(torch::equal(x.moments[i], y.moments[i])) << "optimiser moment " << i;
  }
  EXPECT_EQ(x.steps, y.steps);
  EXPECT_EQ(x.steps.front(), 24);
  EXPECT_TRUE(torch::equal(x.rng, y.rng));
  // The EMA differs from the raw weights (so comparing it tests something).
  bool ema_differs = false;
  for (size_t i = 0; i < x.ema.size(); ++i) ema_differs = ema_differs || !torch::equal(x.ema[i], a[i]);
  EXPECT_TRUE(ema_differs);
  // And the run without the resume really moved away from the interrupted weights.
  const auto mid = Weights(*first);
  bool moved = false;
  for (size_t i = 0; i < a.size(); ++i) moved = moved || !torch::equal(a[i], mid[i]);
  EXPECT_TRUE(moved);
  // The conv weights' moments come back from a checkpoint in the weights'
  // tap-major layout, which the fused optimiser step needs to carry on.
  int tap_major_moments = 0;
  for (const auto& m : y.moments) {
    tap_major_moments += m.dim() == 3 && !m.is_contiguous() && unet_cpu::IsStoredTapMajor(m);
  }
  EXPECT_GT(tap_major_moments, 0);
}

TEST(TrainLog, AppendedRowsReadBackAndATornTailIsDropped) {
  const std::string path = testing::ScratchDir() + "/train_log.csv";
  std::vector<TrainLogRow> rows(3);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].step = 100 * static_cast<int64_t>(i + 1);
    rows[i].loss = 0.5 / static_cast<double>(i + 1);
    rows[i].lr = 1e-4;
    rows[i].elapsed_s = 12.5 * static_cast<double>(i);
  }
  rows[1].valid_loss = 0.25;
  rows[2].valid_loss = -5.25;  // a mixture's negative log-likelihood
  rows[2].eval_success = 0.4;
  rows[2].eval_score = 0.625;
  {
    std::ofstream out(path);
    out << TrainLogCsv({rows[0]});
  }
  AppendTrainLogRow(path, rows[1]);
  AppendTrainLogRow(path, rows[2]);
  auto read = ReadTrainLog(path);
  ASSERT_EQ(read.size(), 3u);
  EXPECT_TRUE(TrainLogHolds(path, rows));
  EXPECT_EQ(read[1].valid_loss.value_or(-1), 0.25);
  EXPECT_EQ(read[2].valid_loss.value_or(1), -5.25) << "a negative validation loss is a value";
  EXPECT_FALSE(read[0].valid_loss.has_value());
  EXPECT_FALSE(read[1].eval_success.has_value());
  EXPECT_EQ(read[2].eval_success.value_or(-1), 0.4);
  EXPECT_EQ(read[2].eval_score.value_or(-1), 0.625);
  EXPECT_EQ(read[2].elapsed_s, 25.0);
  // Torn appends: an unterminated line, then (on another try) a short one.
  for (const char* torn : {"400,0.1", "400,0.1,1e-4\n", "400,0.1x,1e-4,,,,3.0\n"}) {
    std::ofstream(path) << TrainLogCsv(rows) << torn;
    read = ReadTrainLog(path);
    EXPECT_EQ(read.size(), 3u) << torn;
    EXPECT_FALSE(TrainLogHolds(path, rows)) << torn;
  }
  EXPECT_TRUE(ReadTrainLog(path + ".missing").empty());
}

TEST(Checkpoint, LoadGivesIdenticalActionsAndTornWritesAreNeverLoaded) {
  torch::set_num_threads(2);
  const auto eps = ToyEpisodes();
  const DiffusionConfig c = SmallConfig();
  const SequenceSampler sampler(eps, {c.obs_horizon, c.pred_horizon, c.action_horizon});
  const std::string dir = testing::ScratchDir();
  auto trained = MakePolicy(c, eps);
  TrainerSettings s;
  s.out_dir = dir;
  s.run.train_steps = 12;
  s.run.log_every = 4;
  Train(*trained, sampler, nullptr, s);
  const std::string path = dir + "/" + kCheckpointFile;

  DiffusionConfig other_seed = c;
  other_seed.seed = 99;  // different initial weights: loading must overwrite them all
  auto restored = MakePolicy(other_seed, eps);
  LoadCheckpoint(path, *restored, TrainingState{}, /*use_ema=*/false);
  StartAll(*trained, 7);
  StartAll(*restored, 7);
  const ActionChunk x = trained->Act(SomeObs()), y = restored->Act(SomeObs());
  EXPECT_EQ(x.values, y.values);

  // A kill during the next write leaves a truncated temporary file beside the
  // checkpoint; the checkpoint itself is untouched and still loads.
  const auto size = std::filesystem::file_size(path);
  std::filesystem::copy_file(path, path + ".tmp-4242");
  std::filesystem::resize_file(path + ".tmp-4242", size / 2);
  auto again = MakePolicy(other_seed, eps);
  LoadCheckpoint(path, *again, TrainingState{}, false);
  StartAll(*again, 7);
  EXPECT_EQ(again->Act(SomeObs()).values, x.values);

  // Had the truncated bytes been the checkpoint, loading fails loudly.
  std::filesystem::copy_file(path + ".tmp-4242", dir + "/torn.pt");
  EXPECT_THROW(LoadCheckpoint(dir + "/torn.pt", *again, TrainingState{}, false), CheckpointError);
  EXPECT_THROW(ReadCheckpointHeader(dir + "/absent.pt"), CheckpointError);
}

TEST(Checkpoint, RejectsACheckpointOfADifferentNetwork) {
  const auto eps = ToyEpisodes();
  const std::string dir = testing::ScratchDir();
  auto p = MakePolicy(SmallConfig(), eps);
  SaveCheckpoint(dir + "/c.pt", *p, TrainingState{}, {{"note", "test"}});
  DiffusionConfig wider = SmallConfig();
  wider.down_dims = {16, 64};
  auto q = MakePolicy(wider, eps);
  EXPECT_THROW(LoadCheckpoint(dir + "/c.pt", *q, TrainingState{}, false), CheckpointError);
}

// Mean squared error (normalised units) between sampled chunks and the demo
// actions on windows of `eps`.
double ActionError(DiffusionPolicy& policy, const SequenceSampler& sampler) {
  const auto& h = sampler.horizons();
  double total = 0;
  size_t count = 0;
  policy.StartEpisode(0, 1, 0);
  for (size_t i = 0; i < sampler.size(); i += 7) {
    std::vector<float> obs(h.obs * sampler.obs_dim()), act(h.pred * sampler.action_dim());
    sampler.Fill(i, obs.data(), act.data());
    const ActionChunk chunk =
        policy.Act(ObsHistory{1, h.obs, static_cast<int>(sampler.obs_dim()), obs, {0}});
    // The chunk starts at the newest observation's step: window index To - 1.
    std::vector<float> got = chunk.values;
    const size_t a = sampler.action_dim();
    std::vector<float> want(act.begin() + static_cast<long>((h.obs - 1) * a),
                            act.begin() + static_cast<long>((h.obs - 1 + chunk.steps) * a));
    policy.ActionNormalizer().Normalize(got.data(), static_cast<size_t>(chunk.steps));
    policy.ActionNormalizer().Normalize(want.data(), static_cast<size_t>(chunk.steps));
    for (size_t k = 0; k < got.size(); ++k) total += (got[k] - want[k]) * (got[k] - want[k]);
    count += got.size();
  }
  return total / count;
}

TEST(PushTTraining, LossDropsAndHeldOutActionErrorBeatsTheUntrainedNetwork) {
  torch::set_num_threads(2);
  auto env = MakeEnv("pusht", {{"obs", "keypoints"}});
  auto expert = MakeExpert(*env);
  std::vector<Episode> train, held_out;
  for (uint64_t seed = 0; seed < 24; ++seed) {
    const Demo demo = RecordDemo(*env, *expert, seed);
    Episode e{demo.name, demo.obs.at("keypoints"), demo.actions};
    (seed < 20 ? train : held_out).push_back(std::move(e));
  }
  DiffusionConfig c;
  c.down_dims = {32, 64, 128};
  c.step_embed_dim = 64;
  c.training.batch_size = 64;
  c.training.warmup_steps = 30;
  c.training.lr = 1e-3;
  c.seed = 1;
  auto make = [&]() {
    auto p = std::make_unique<DiffusionPolicy>(c, 20, 2, torch::kCPU);
    std::vector<const FloatArray*> obs, act;
    for (const auto& e : train) {
      obs.push_back(&e.obs);
      act.push_back(&e.actions);
    }
    p->SetNormalizers(Normalizer::Fit(obs), Normalizer::Fit(act));
    return p;
  };
  const Horizons h{c.obs_horizon, c.pred_horizon, c.action_horizon};
  const SequenceSampler train_sampler(train, h), held_sampler(held_out, h);
  auto untrained = make();
  const double untrained_error = ActionError(*untrained, held_sampler);

  auto policy = make();
  TrainerSettings s;
  s.out_dir = testing::ScratchDir();
  s.run.train_steps = 300;
  s.run.log_every = 50;
  s.run.valid_every = 0;
  const TrainResult r = Train(*policy, train_sampler, &held_sampler, s);
  EXPECT_LT(r.last_loss, 0.5 * r.first_loss) << "loss did not drop clearly";
  // Evaluate with the EMA weights, as evaluation does.
  LoadCheckpoint(s.out_dir + "/" + kCheckpointFile, *policy, TrainingState{}, true);
  const double trained_error = ActionError(*policy, held_sampler);
  std::printf("held-out action MSE (normalised): untrained %.4f, trained %.4f; loss %.4f -> %.4f\n",
              untrained_error, trained_error, r.first_loss, r.last_loss);
  EXPECT_LT(trained_error, 0.5 * untrained_error);
}

}  // namespace
}  // namespace bcbench

namespace bcbench {
namespace {

TEST(TrainingConfig, OptimiserGroupsScheduleAndEmaFollowThePolicysConfig) {
  const auto eps = ToyEpisodes();
  DiffusionConfig c = SmallConfig();
  c.training.optimizer = "adam";
  c.training.decay_all = false;
  c.training.weight_decay = 0.1;
  auto p = MakePolicy(c, eps);
  const auto optimizer = MakeOptimizer(*p);
  EXPECT_NE(dynamic_cast<torch::optim::Adam*>(optimizer.get()), nullptr);
  ASSERT_EQ(optimizer->param_groups().size(), 2u);
  size_t decayed = 0, undecayed = 0;
  for (auto& group : optimizer->param_groups()) {
    const double wd = static_cast<torch::optim::AdamOptions&>(group.options()).weight_decay();
    for (const auto& param : group.params()) {
      if (wd > 0) {
        EXPECT_GE(param.dim(), 2);
        ++decayed;
      } else {
        ++undecayed;
      }
    }
  }
  EXPECT_GT(decayed, 0u);
  EXPECT_GT(undecayed, 0u);  // biases and GroupNorm scales
  EXPECT_EQ(decayed + undecayed, p->Network().parameters().size());

  c.training.optimizer = "adamw";
  c.training.decay_all = true;
  auto q = MakePolicy(c, eps);
  const auto adamw = MakeOptimizer(*q);
  EXPECT_NE(dynamic_cast<torch::optim::AdamW*>(adamw.get()), nullptr);
  EXPECT_EQ(adamw->param_groups().size(), 1u);

  TrainingConfig t;
  t.lr = 1.0;
  t.warmup_steps = 10;
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 5, 100), 0.5);
  EXPECT_NEAR(ScheduledLr(t, 55, 100), 0.5, 1e-12);  // half-way down the cosine
  EXPECT_NEAR(ScheduledLr(t, 100, 100), 0.0, 1e-12);
  t.lr_schedule = "constant";
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 5, 100), 0.5);
  EXPECT_DOUBLE_EQ(ScheduledLr(t, 99, 100), 1.0);
}

TEST(TrainingConfig, WithoutEmaTheCheckpointHasOnlyTheRawWeights) {
  torch::set_num_threads(2);
  const auto eps = ToyEpisodes();
  DiffusionConfig c = SmallConfig();
  c.training.ema = false;
  const SequenceSampler sampler(eps, {c.obs_horizon, c.pred_horizon, c.action_horizon});
  auto p = MakePolicy(c, eps);
  TrainerSettings s;
  s.out_dir = testing::ScratchDir();
  s.run.train_steps = 4;
  Train(*p, sampler, nullptr, s);
  const auto raw = Weights(*p);
  auto loaded = MakePolicy(c, eps);
  // use_ema = true falls back to the raw weights when no EMA was kept.
  LoadCheckpoint(s.out_dir + "/" + kCheckpointFile, *loaded, TrainingState{}, true);
  const auto got = Weights(*loaded);
  for (size_t i = 0; i < raw.size(); ++i) EXPECT_TRUE(torch::equal(raw[i], got[i])) << i;
}

}  // namespace
}  // namespace bcbench
