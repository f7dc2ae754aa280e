#include "policies/training/trainer.h"

#include <ATen/Parallel.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datasets/atomic_file.h"
#include "policies/training/checkpoint.h"
#include "policies/training/ema.h"
#include "policies/training/fused_adamw.h"
#include "policies/training/train_log.h"

namespace bcbench {
namespace {

using Clock = std::chrono::steady_clock;

// Batch `index` of the endless stream of epochs, each a seeded permutation of
// all windows: the same (seed, index) always gives the same batch, which is
// what makes a resumed run identical to an uninterrupted one.
void FillBatch(const SequenceSampler& sampler, const TrainablePolicy& policy, uint64_t seed,
               int64_t index, int64_t batch, std::vector<float>& obs, std::vector<float>& act,
               std::vector<size_t>& order, int64_t& order_epoch) {
  const size_t n = sampler.size();
  const size_t obs_size = static_cast<size_t>(sampler.horizons().obs) * sampler.obs_dim();
  const size_t act_size = static_cast<size_t>(sampler.horizons().pred) * sampler.action_dim();
  obs.resize(static_cast<size_t>(batch) * obs_size);
  act.resize(static_cast<size_t>(batch) * act_size);
  for (int64_t b = 0; b < batch; ++b) {
    const uint64_t global = static_cast<uint64_t>(index * batch + b);
    const int64_t epoch = static_cast<int64_t>(global / n);
    if (epoch != order_epoch) {
      order = sampler.Shuffled(seed, static_cast<uint64_t>(epoch));
      order_epoch = epoch;
    }
    sampler.Fill(order[global % n], obs.data() + b * obs_size, act.data() + b * act_size);
  }
  policy.ObsNormalizer().Normalize(obs.data(), static_cast<size_t>(batch) * sampler.horizons().obs);
  policy.ActionNormalizer().Normalize(act.data(),
                                      static_cast<size_t>(batch) * sampler.horizons().pred);
}

torch::Tensor ToTensor(const std::vector<float>& values, int64_t b, int64_t t, int64_t d,
                       const torch::Device& device) {
  return torch::from_blob(const_cast<float*>(values.data()), {b, t, d}, torch::kFloat32)
      .clone()
      .to(device);
}

}  // namespace

int DataParallelSlices(const PreparedLoss& loss) {
  if (!loss.splittable || at::in_parallel_region()) return 1;
  const int64_t slices = std::min<int64_t>(at::get_num_threads(), loss.rows / kMinRowsPerSlice);
  return static_cast<int>(std::max<int64_t>(slices, 1));
}

torch::Tensor OptimizerStep(torch::optim::Optimizer& optimizer, const PreparedLoss& loss,
                            double grad_clip) {
  std::vector<torch::Tensor> params;
  for (auto& group : optimizer.param_groups()) {
    for (auto& p : group.params()) {
      p.mutable_grad() = torch::Tensor();
      params.push_back(p);
    }
  }
  const int slices = DataParallelSlices(loss);
  torch::Tensor total;
  // grad_parts[j]: parameter j's gradient as parts that sum to it.
  std::vector<std::vector<torch::Tensor>> grad_parts(params.size());
  if (slices == 1) {
    total = loss.on_rows(0, loss.rows);
    total.backward();
    total = total.detach();
    for (size_t j = 0; j < params.size(); ++j) grad_parts[j] = {params[j].grad()};
  } else {
    std::vector<std::vector<torch::Tensor>> grads(static_cast<size_t>(slices));
    std::vector<torch::Tensor> losses(static_cast<size_t>(slices));
    at::parallel_for(0, slices, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const int64_t first = loss.rows * i / slices, last = loss.rows * (i + 1) / slices;
        const auto part = loss.on_rows(first, last - first) *
                          (static_cast<double>(last - first) / static_cast<double>(loss.rows));
        grads[static_cast<size_t>(i)] = torch::autograd::grad(
            {part}, params, /*grad_outputs=*/{}, /*retain_graph=*/false, /*create_graph=*/false,
            /*allow_unused=*/true);
        losses[static_cast<size_t>(i)] = part.detach();
      }
    });
    for (size_t j = 0; j < params.size(); ++j) {
      for (const auto& g : grads) grad_parts[j].push_back(g[j]);
    }
    total = losses[0];
    for (size_t i = 1; i < losses.size(); ++i) total = total + losses[i];
  }
  // Sums the parts into .grad (in slice order, so a step is deterministic).
  auto sum_into_grads = [&] {
    torch::NoGradGuard no_grad;
    for (size_t j = 0; j < params.size(); ++j) {
      torch::Tensor sum;
      for (const auto& g : grad_parts[j]) {
        if (!g.defined()) continue;
        if (sum.defined()) {
          sum.add_(g);
        } else {
          sum = g;
        }
      }
      params[j].mutable_grad() = sum;
      grad_parts[j] = {sum};
    }
  };
  if (grad_clip > 0) {
    if (slices > 1) sum_into_grads();
    torch::nn::utils::clip_grad_norm_(params, grad_clip);
  }
  // The fused AdamW sums the slices' parts as it updates; other optimisers
  // (and GPU parameters) take LibTorch's step on the summed .grad.
  FusedAdamWDecline decline;
  if (!FusedAdamWStep(optimizer, grad_parts, &decline)) {
    static std::atomic<bool> warned{false};
    if (!decline.expected && !warned.exchange(true)) {
      spdlog::warn("the fused AdamW step does not apply: {}; training takes LibTorch's slower "
                   "AdamW step instead (same result to float rounding)",
                   decline.reason);
    }
    if (slices > 1 && grad_clip <= 0) sum_into_grads();
    optimizer.step();
  }
  return total;
}

std::optional<double> ValidationLoss(TrainablePolicy& policy, const SequenceSampler& valid,
                                     int64_t batch_size, int64_t max_windows) {
  torch::NoGradGuard no_grad;
  const size_t n = valid.size();
  if (n == 0) return std::nullopt;
  const size_t count = std::min<size_t>(n, static_cast<size_t>(max_windows));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(12345);
  const size_t obs_size = static_cast<size_t>(valid.horizons().obs) * valid.obs_dim();
  const size_t act_size = static_cast<size_t>(valid.horizons().pred) * valid.action_dim();
  double total = 0;
  for (size_t first = 0; first < count; first += static_cast<size_t>(batch_size)) {
    const size_t b = std::min<size_t>(static_cast<size_t>(batch_size), count - first);
    std::vector<float> obs(b * obs_size), act(b * act_size);
    for (size_t i = 0; i < b; ++i) {
      const size_t w = (first + i) * n / count;  // evenly spread over all windows
      valid.Fill(w, obs.data() + i * obs_size, act.data() + i * act_size);
    }
    policy.ObsNormalizer().Normalize(obs.data(), b * valid.horizons().obs);
    policy.ActionNormalizer().Normalize(act.data(), b * valid.horizons().pred);
    const auto device = policy.GetDevice();
    const auto loss = policy.Loss(
        ToTensor(obs, static_cast<int64_t>(b), valid.horizons().obs, valid.obs_dim(), device),
        ToTensor(act, static_cast<int64_t>(b), valid.horizons().pred, valid.action_dim(), device),
        gen);
    total += loss.item<double>() * static_cast<double>(b);
  }
  return total / static_cast<double>(count);
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(TrainablePolicy& policy) {
  const TrainingConfig& t = policy.Training();
  const std::tuple<double, double> betas{t.betas.at(0), t.betas.at(1)};
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (auto& group : policy.ParameterGroups()) {
    const double decay = group.decay ? t.weight_decay : 0.0;
    if (t.optimizer == "adam") {
      groups.emplace_back(group.params, std::make_unique<torch::optim::AdamOptions>(
                                            torch::optim::AdamOptions(t.lr).betas(betas)
                                                .weight_decay(decay)));
    } else {
      groups.emplace_back(group.params, std::make_unique<torch::optim::AdamWOptions>(
                                            torch::optim::AdamWOptions(t.lr).betas(betas)
                                                .weight_decay(decay)));
    }
  }
  if (t.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(std::move(groups),
                                                torch::optim::AdamOptions(t.lr).betas(betas));
  }
  return std::make_unique<torch::optim::AdamW>(std::move(groups),
                                               torch::optim::AdamWOptions(t.lr).betas(betas));
}

TrainResult Train(TrainablePolicy& policy, const SequenceSampler& train,
                  const SequenceSampler* valid, const TrainerSettings& settings) {
  const TrainingConfig& opt = policy.Training();
  const RunConfig& run = settings.run;
  const int64_t total_steps = run.train_steps;
  const uint64_t seed = policy.Seed();
  torch::nn::Module& net = policy.Network();
  net.train();
  const auto optimizer_ptr = MakeOptimizer(policy);
  torch::optim::Optimizer& optimizer = *optimizer_ptr;
  std::optional<EmaWeights> ema;
  if (opt.ema) ema.emplace(net, opt.ema_power, opt.ema_max_decay);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const std::string ckpt = settings.out_dir + "/" + kCheckpointFile;
  const std::string log_path = settings.out_dir + "/train_log.csv";
  std::filesystem::create_directories(settings.out_dir);

  TrainResult result;
  TrainingState state{ema ? &*ema : nullptr, &optimizer, &gen, 0};
  std::vector<TrainLogRow> log;
  if (std::filesystem::exists(ckpt)) {
    const auto header = LoadCheckpoint(ckpt, policy, state, /*use_ema=*/false);
    result.start_step = header.at("step").get<int64_t>();
    for (const auto& row : ReadTrainLog(log_path)) {
      if (row.step <= result.start_step) log.push_back(row);
    }
    spdlog::info("resuming from {} at step {}", ckpt, result.start_step);
  }
  // The log holds exactly the rows up to the checkpoint before rows are
  // appended: rows a killed run logged after it, or a torn last line, go.
  if (!TrainLogHolds(log_path, log)) WriteFileAtomically(log_path, TrainLogCsv(log));
  auto save = [&](int64_t step) {
    state.step = step;
    SaveCheckpoint(ckpt, policy, state, settings.header);
    WriteFileAtomically(log_path, TrainLogCsv(log));
  };
  auto swap_ema = [&] {
    if (ema) ema->Swap();
  };

  const int64_t to = train.horizons().obs, tp = train.horizons().pred;
  const auto device = policy.GetDevice();
  std::vector<float> obs, act;
  std::vector<size_t> order;
  int64_t order_epoch = -1;
  double interval_loss = 0;
  int64_t interval_steps = 0;
  const auto start = Clock::now();
  double elapsed_before = log.empty() ? 0.0 : log.back().elapsed_s;
  int64_t step = result.start_step;
  bool first_interval = true;
  while (step < total_steps) {
    const double lr = ScheduledLr(opt, step, total_steps);
    for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
    FillBatch(train, policy, seed, step, opt.batch_size, obs, act, order, order_epoch);
    const auto loss = OptimizerStep(
        optimizer,
        policy.PrepareLoss(ToTensor(obs, opt.batch_size, to, train.obs_dim(), device),
                           ToTensor(act, opt.batch_size, tp, train.action_dim(), device), gen),
        opt.grad_clip);
    ++step;
    if (ema) ema->Update(step);
    interval_loss += loss.item<double>();
    ++interval_steps;

    const bool last = step == total_steps;
    const bool do_valid = valid != nullptr && valid->size() > 0 &&
                          (last || (run.valid_every > 0 && step % run.valid_every == 0));
    const bool do_eval = settings.evaluate &&
                         (last || (run.eval_every > 0 && step % run.eval_every == 0));
    if (last || step % run.log_every == 0 || do_valid || do_eval) {
      const double elapsed =
          elapsed_before + std::chrono::duration<double>(Clock::now() - start).count();
      TrainLogRow row;
      row.step = step;
      row.loss = interval_loss / interval_steps;
      row.lr = lr;
      row.elapsed_s = elapsed;
      nlohmann::json eval = nlohmann::json::object();
      if (do_valid || do_eval) {
        swap_ema();  // validation and rollouts use the averaged weights
        net.eval();
        if (do_valid) row.valid_loss = ValidationLoss(policy, *valid, opt.batch_size);
        if (do_eval) eval = settings.evaluate(policy);
        net.train();
        swap_ema();
      }
      if (eval.contains("success")) row.eval_success = eval["success"].get<double>();
      if (eval.contains("score")) row.eval_score = eval["score"].get<double>();
      if (first_interval) result.first_loss = row.loss;
      first_interval = false;
      result.last_loss = row.loss;
      if (row.valid_loss) result.valid_loss = row.valid_loss;
      const double run_seconds = std::chrono::duration<double>(Clock::now() - start).count();
      const double rate = (step - result.start_step) * opt.batch_size / std::max(run_seconds, 1e-9);
      const double eta = (total_steps - step) * opt.batch_size / std::max(rate, 1e-9);
      spdlog::info("step {}/{}  loss {:.4f}  lr {:.2e}  {:.0f} samples/s  ETA {:.0f}s{}{}", step,
                   total_steps, row.loss, lr, rate, eta,
                   row.valid_loss ? fmt::format("  valid {:.4f}", *row.valid_loss) : "",
                   eval.empty() ? "" : "  eval " + eval.dump());
      log.push_back(row);
      // Appended (a long run logs thousands of rows; rewriting them all at
      // every row made the log quadratic), rewritten whole at checkpoints.
      AppendTrainLogRow(log_path, row);
      interval_loss = 0;
      interval_steps = 0;
    }
    if (last || (run.checkpoint_every > 0 && step % run.checkpoint_every == 0) ||
        step == settings.stop_after) {
      save(step);
    }
    if (step == settings.stop_after) break;
  }
  result.end_step = step;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.samples_per_s = (step - result.start_step) * opt.batch_size / std::max(result.seconds, 1e-9);
  return result;
}

}  // namespace bcbench
