#include "policies/diffusion/diffusion_model.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_set>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include "policies/diffusion/unet_cpu_ops.h"
#include "policies/diffusion/unet_fast_inference.h"
#include "policies/nn/random_draws.h"
#include "policies/row_by_row.h"

namespace bcbench {
namespace {

NoiseSchedulerOptions MakeSchedulerOptions(const DiffusionConfig& config) {
  NoiseSchedulerOptions o;
  o.num_train_timesteps = config.num_train_timesteps;
  o.beta_schedule = config.beta_schedule;
  o.prediction_type = ParsePredictionType(config.prediction_type);
  o.clip_sample = config.clip_sample;
  return o;
}

const DiffusionConfig& Validated(const DiffusionConfig& config) {
  config.Validate();
  return config;
}

}  // namespace

UnetOptions MakeUnetOptions(const DiffusionConfig& config, int obs_dim, int action_dim) {
  UnetOptions o;
  o.input_dim = action_dim;
  const int obs_features = config.obs_horizon * obs_dim;
  if (config.cond == "film") {
    o.global_cond_dim = obs_features + 1;  // + the null flag
  } else {
    o.global_cond_dim = 1;
    o.local_cond_channels = obs_features;
  }
  o.down_dims = config.down_dims;
  o.kernel_size = config.kernel_size;
  o.n_groups = config.n_groups;
  o.step_embed_dim = config.step_embed_dim;
  return o;
}

TransformerDenoiserOptions MakeTransformerOptions(const DiffusionConfig& config, int obs_dim,
                                                  int action_dim) {
  TransformerDenoiserOptions o;
  o.action_dim = action_dim;
  o.cond_dim = obs_dim + 1;  // + the null flag
  o.horizon = config.pred_horizon;
  o.obs_tokens = config.obs_horizon;
  o.n_layer = config.n_layer;
  o.n_head = config.n_head;
  o.n_emb = config.n_emb;
  o.p_drop_emb = config.p_drop_emb;
  o.p_drop_attn = config.p_drop_attn;
  o.causal_attn = config.causal_attn;
  return o;
}

torch::Tensor RandnLike(const torch::Tensor& like, torch::Generator& gen) {
  return RandnOn(like.sizes(), gen, like.options());
}

DiffusionModel::DiffusionModel(const DiffusionConfig& config, int obs_dim, int action_dim)
    : config_(Validated(config)),
      obs_dim_(obs_dim),
      action_dim_(action_dim),
      scheduler_(MakeSchedulerOptions(config)) {
  if (obs_dim < 1 || action_dim < 1) {
    throw std::invalid_argument("DiffusionModel: obs_dim and action_dim must be >= 1 (got " +
                                std::to_string(obs_dim) + ", " + std::to_string(action_dim) + ")");
  }
  torch::Generator gen = at::detail::createCPUGenerator(config_.seed);
  if (config_.denoiser == "transformer") {
    transformer_ = TransformerDenoiser(MakeTransformerOptions(config_, obs_dim, action_dim), gen);
  } else {
    unet_ = ConditionalUnet1D(MakeUnetOptions(config_, obs_dim, action_dim));
    unet_->InitParameters(gen);
  }
}

DiffusionModel::~DiffusionModel() = default;
DiffusionModel::DiffusionModel(DiffusionModel&&) noexcept = default;
DiffusionModel& DiffusionModel::operator=(DiffusionModel&&) noexcept = default;

torch::nn::Module& DiffusionModel::network() {
  if (transformer_) return *transformer_;
  return *unet_;
}

std::vector<torch::Tensor> DiffusionModel::parameters() const {
  return transformer_ ? transformer_->parameters() : unet_->parameters();
}

torch::Device DiffusionModel::device() const { return parameters().front().device(); }

void DiffusionModel::to(torch::Device device) {
  network().to(device);
  fast_.reset();
}

void DiffusionModel::CheckShapes(const torch::Tensor& norm_obs,
                                 const torch::Tensor* norm_actions) const {
  TORCH_CHECK(norm_obs.dim() == 3 && norm_obs.size(1) == config_.obs_horizon &&
                  norm_obs.size(2) == obs_dim_,
              "DiffusionModel: observations must be (B, ", config_.obs_horizon, ", ", obs_dim_,
              "), got ", norm_obs.sizes());
  if (norm_actions != nullptr) {
    TORCH_CHECK(norm_actions->dim() == 3 && norm_actions->size(0) == norm_obs.size(0) &&
                    norm_actions->size(1) == config_.pred_horizon &&
                    norm_actions->size(2) == action_dim_,
                "DiffusionModel: actions must be (B, ", config_.pred_horizon, ", ", action_dim_,
                "), got ", norm_actions->sizes());
  }
}

DiffusionModel::Condition DiffusionModel::MakeCondition(const torch::Tensor& norm_obs,
                                                        const torch::Tensor& null_flag) const {
  const int64_t batch = norm_obs.size(0);
  if (transformer_) {
    const auto flag = null_flag.unsqueeze(1).expand({batch, norm_obs.size(1), 1});
    return {{}, {}, torch::cat({norm_obs * (1 - flag), flag}, 2)};
  }
  const auto obs = norm_obs.reshape({batch, -1}) * (1 - null_flag);
  if (config_.cond == "film") return {torch::cat({obs, null_flag}, 1), {}, {}};
  return {null_flag, obs.unsqueeze(1).expand({batch, config_.pred_horizon, obs.size(1)}), {}};
}

torch::Tensor DiffusionModel::NetworkForward(const torch::Tensor& sample,
                                             const torch::Tensor& timesteps,
                                             const Condition& cond) {
  if (transformer_) return transformer_->forward(sample, timesteps, cond.tokens);
  return unet_->forward(sample, timesteps, cond.global, cond.local);
}

torch::Tensor DiffusionModel::Loss(const torch::Tensor& norm_obs,
                                   const torch::Tensor& norm_actions, torch::Generator& gen) {
  return PrepareLoss(norm_obs, norm_actions, gen).on_rows(0, norm_actions.size(0));
}

PreparedLoss DiffusionModel::PrepareLoss(const torch::Tensor& norm_obs,
                                         const torch::Tensor& norm_actions,
                                         torch::Generator& gen) {
  CheckShapes(norm_obs, &norm_actions);
  const int64_t batch = norm_actions.size(0);
  const auto on_gen = torch::TensorOptions().device(gen.device());
  const auto noise = RandnLike(norm_actions, gen);
  const auto timesteps =
      torch::randint(0, scheduler_.NumTrainTimesteps(), {batch}, gen, on_gen.dtype(torch::kLong))
          .to(norm_actions.device());
  const auto noisy = scheduler_.AddNoise(norm_actions, noise, timesteps);
  torch::Tensor null_flag;
  if (config_.cfg_dropout > 0) {
    null_flag = (torch::rand({batch, 1}, gen, on_gen) < config_.cfg_dropout)
                    .to(norm_actions.device(), norm_actions.scalar_type());
  } else {
    null_flag = torch::zeros({batch, 1}, norm_actions.options());
  }
  const auto cond = MakeCondition(norm_obs, null_flag);
  const auto target = scheduler_.TrainingTarget(norm_actions, noise);
  PreparedLoss prepared;
  prepared.rows = batch;
  // Slicing spreads CPU threads over the rows; a GPU batch stays whole.
  prepared.splittable = norm_actions.device().is_cpu();
  if (transformer_) {
    // Dropout keep-masks for the whole batch, drawn after the other draws.
    auto drop = std::make_shared<TransformerDropout>();
    if (transformer_->is_training()) *drop = transformer_->DrawDropoutMasks(batch, gen);
    prepared.on_rows = [net = transformer_, noisy, timesteps, cond, target, drop](
                           int64_t first, int64_t count) mutable {
      const auto slice = drop->Rows(first, count);
      const auto prediction =
          net->forward(noisy.narrow(0, first, count), timesteps.narrow(0, first, count),
                       cond.tokens.narrow(0, first, count), &slice);
      return torch::mse_loss(prediction, target.narrow(0, first, count));
    };
    return prepared;
  }
  prepared.on_rows = [unet = unet_, noisy, timesteps, cond, target](int64_t first,
                                                                   int64_t count) mutable {
    auto rows = [&](const torch::Tensor& t) {
      return t.defined() ? t.narrow(0, first, count) : t;
    };
    const auto prediction =
        unet->forward(rows(noisy), rows(timesteps), rows(cond.global), rows(cond.local));
    return torch::mse_loss(prediction, rows(target));
  };
  return prepared;
}

bool DiffusionModel::UseFastPath(const torch::Tensor& like) const {
  return fast_inference_enabled_ && !transformer_ && like.device().is_cpu() &&
         like.scalar_type() == torch::kFloat32 && device().is_cpu();
}

const UnetFastInference& DiffusionModel::FastPath() {
  if (!fast_ || !fast_->IsCurrent(*unet_)) {
    fast_ = std::make_unique<UnetFastInference>(*unet_, scheduler_.NumTrainTimesteps());
  }
  return *fast_;
}

void DiffusionModel::EnsureWorkspaces(size_t count) {
  while (workspaces_.size() < count) workspaces_.push_back(std::make_unique<UnetFastWorkspace>());
}

int DiffusionModel::FastPathSlices(int64_t rows) const {
  const int threads = at::get_num_threads();
  if (threads < 2 || at::in_parallel_region()) return 1;
  // With its own kernels the fast path's GEMMs are row-invariant at any row
  // count: any split gives every row the same bits.
  if (unet_cpu::GemmIsaInUse() != unet_cpu::GemmIsa::kBlasOnly) {
    return static_cast<int>(std::min<int64_t>(threads, rows));
  }
  // With BLAS above kFewRowsGemmMaxRows rows, splitting is only allowed where
  // every layer of every slice (the shortest level has Tp / 2^(levels - 1)
  // steps per row) is past that switch, so each slice runs the same kernels
  // the whole batch would.
  const int64_t shortest = config_.pred_horizon / unet_->plan().HorizonMultiple();
  const int64_t min_rows_per_slice =
      unet_cpu::kFewRowsGemmMaxRows / std::max<int64_t>(shortest, 1) + 1;
  const int64_t slices = std::min<int64_t>(threads, rows / min_rows_per_slice);
  return static_cast<int>(std::max<int64_t>(slices, 1));
}

DiffusionModel::Condition DiffusionModel::SamplingCondition(const torch::Tensor& norm_obs) const {
  const int64_t batch = norm_obs.size(0);
  const auto options = norm_obs.options();
  if (config_.guidance_weight == 0) {
    return MakeCondition(norm_obs, torch::zeros({batch, 1}, options));
  }
  const auto null_flag =
      torch::cat({torch::zeros({batch, 1}, options), torch::ones({batch, 1}, options)});
  return MakeCondition(torch::cat({norm_obs, norm_obs}), null_flag);
}

torch::Tensor DiffusionModel::Guide(const torch::Tensor& output) const {
  const double w = config_.guidance_weight;
  if (w == 0) return output;
  const auto parts = output.chunk(2);
  return parts[0] * (1 + w) - parts[1] * w;
}

torch::Tensor DiffusionModel::Denoise(torch::Tensor x, const Denoiser& denoise,
                                      const NoiseDraw& noise) const {
  if (config_.sampler == "ddpm") {
    for (int t : scheduler_.DdpmTimesteps()) {
      const auto out = denoise(x, t);
      x = scheduler_.DdpmStep(out, t, x, t > 0 ? noise() : torch::Tensor());
    }
  } else {
    const int ratio = scheduler_.NumTrainTimesteps() / config_.inference_steps;
    for (int t : scheduler_.DdimTimesteps(config_.inference_steps)) {
      x = scheduler_.DdimStep(denoise(x, t), t, t - ratio, x);
    }
  }
  return x;
}

torch::Tensor DiffusionModel::SampleBatch(const torch::Tensor& norm_obs, const NoiseDraw& noise) {
  const int64_t batch = norm_obs.size(0);
  const bool guided = config_.guidance_weight != 0;
  // Guidance runs the conditioned and the unconditional rows as one batch.
  const int64_t rows = guided ? 2 * batch : batch;
  const auto options = norm_obs.options();
  const auto cond = SamplingCondition(norm_obs);
  const bool fast = UseFastPath(norm_obs);
  // Fast-path slices: [first row, row count) each, with their own workspace.
  std::vector<std::pair<int64_t, int64_t>> slices;
  const UnetFastInference* fast_path = fast ? &FastPath() : nullptr;
  if (fast) {
    const int n = FastPathSlices(rows);
    EnsureWorkspaces(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      const int64_t first = rows * i / n, last = rows * (i + 1) / n;
      slices.emplace_back(first, last - first);
      fast_path->SetCondition(cond.global.narrow(0, first, last - first), last - first,
                              *workspaces_[static_cast<size_t>(i)]);
    }
  }
  auto fast_forward = [&](const torch::Tensor& input, int t) {
    if (slices.size() == 1) return fast_path->Forward(input, t, cond.local, *workspaces_[0]);
    std::vector<torch::Tensor> outs(slices.size());
    at::parallel_for(0, static_cast<int64_t>(slices.size()), 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const auto [first, count] = slices[static_cast<size_t>(i)];
        const auto local = cond.local.defined() ? cond.local.narrow(0, first, count) : cond.local;
        outs[static_cast<size_t>(i)] = fast_path->Forward(input.narrow(0, first, count), t, local,
                                                          *workspaces_[static_cast<size_t>(i)]);
      }
    });
    return torch::cat(outs);
  };
  auto denoise = [&](const torch::Tensor& sample, int t) {
    const auto input = guided ? torch::cat({sample, sample}) : sample;
    return Guide(fast ? fast_forward(input, t)
                      : NetworkForward(input, torch::full({rows}, t, options.dtype(torch::kLong)),
                                       cond));
  };
  return Denoise(noise(), denoise, noise);
}

torch::Tensor DiffusionModel::SampleRows(const torch::Tensor& norm_obs,
                                         std::vector<torch::Generator>& gens) {
  const int64_t batch = norm_obs.size(0);
  const int64_t row_size = static_cast<int64_t>(config_.pred_horizon) * action_dim_;
  const bool guided = config_.guidance_weight != 0;
  const UnetFastInference& fast = FastPath();
  // One worker per thread, each with its own workspace, taking the next row
  // until none is left: which thread runs a row changes nothing in it.
  const int64_t workers =
      std::min<int64_t>(batch, at::in_parallel_region() ? 1 : at::get_num_threads());
  EnsureWorkspaces(static_cast<size_t>(std::max<int64_t>(workers, 1)));
  auto result = torch::empty({batch, config_.pred_horizon, action_dim_}, norm_obs.options());
  float* out = result.data_ptr<float>();
  const auto row_like = torch::empty({1, config_.pred_horizon, action_dim_}, norm_obs.options());
  std::atomic<int64_t> next_row{0};
  at::parallel_for(0, workers, 1, [&](int64_t worker, int64_t /*end*/) {
    c10::InferenceMode inference;
    UnetFastWorkspace& workspace = *workspaces_[static_cast<size_t>(worker)];
    for (int64_t b = next_row++; b < batch; b = next_row++) {
      const auto cond = SamplingCondition(norm_obs.narrow(0, b, 1));
      fast.SetCondition(cond.global, guided ? 2 : 1, workspace);
      auto denoise = [&](const torch::Tensor& sample, int t) {
        return Guide(
            fast.Forward(guided ? torch::cat({sample, sample}) : sample, t, cond.local, workspace));
      };
      auto noise = [&] { return RandnLike(row_like, gens[static_cast<size_t>(b)]); };
      const auto x = Denoise(noise(), denoise, noise).contiguous();
      std::memcpy(out + b * row_size, x.data_ptr<float>(), sizeof(float) * row_size);
    }
  });
  return result;
}

torch::Tensor DiffusionModel::SampleModuleRows(const torch::Tensor& norm_obs,
                                               std::vector<torch::Generator>& gens) {
  const int64_t batch = norm_obs.size(0);
  const bool guided = config_.guidance_weight != 0;
  auto result = torch::empty({batch, config_.pred_horizon, action_dim_}, norm_obs.options());
  const auto row_like = torch::empty({1, config_.pred_horizon, action_dim_}, norm_obs.options());
  ForEachRowAlone(batch, [&](int64_t b) {
    c10::InferenceMode inference;  // per thread
    const auto cond = SamplingCondition(norm_obs.narrow(0, b, 1));
    const auto steps = torch::empty({guided ? 2 : 1}, norm_obs.options().dtype(torch::kLong));
    auto denoise = [&](const torch::Tensor& sample, int t) {
      return Guide(NetworkForward(guided ? torch::cat({sample, sample}) : sample, steps.fill_(t),
                                  cond));
    };
    auto noise = [&] { return RandnLike(row_like, gens[static_cast<size_t>(b)]); };
    result.narrow(0, b, 1).copy_(Denoise(noise(), denoise, noise));
  });
  return result;
}

torch::Tensor DiffusionModel::Sample(const torch::Tensor& norm_obs,
                                     std::vector<torch::Generator>& gens) {
  CheckShapes(norm_obs, nullptr);
  const int64_t batch = norm_obs.size(0);
  if (static_cast<int64_t>(gens.size()) != batch) {
    throw std::invalid_argument("DiffusionModel::Sample: " + std::to_string(gens.size()) +
                                " generators for a batch of " + std::to_string(batch) +
                                "; pass one per row");
  }
  std::unordered_set<const void*> seen;
  for (const auto& gen : gens) {
    if (!gen.defined() || !seen.insert(gen.unsafeGetGeneratorImpl()).second) {
      throw std::invalid_argument(
          "DiffusionModel::Sample: every row needs a generator of its own (one is undefined or "
          "appears twice)");
    }
  }
  const auto row_like = torch::empty({1, config_.pred_horizon, action_dim_}, norm_obs.options());
  auto row_noise = [&] {
    std::vector<torch::Tensor> rows;
    for (auto& gen : gens) rows.push_back(RandnLike(row_like, gen));
    return torch::cat(rows);
  };
  if (UseFastPath(norm_obs)) {
    // Where every GEMM of the fast path is row-invariant (its own kernels,
    // not BLAS), the rows run as one batch and each gets the bits it would get
    // alone; elsewhere each row runs alone.
    if (unet_cpu::GemmIsaInUse() == unet_cpu::GemmIsa::kBlasOnly) return SampleRows(norm_obs, gens);
    torch::Tensor x;
    {
      c10::InferenceMode inference;
      x = SampleBatch(norm_obs, row_noise);
    }
    return x.clone();
  }
  if (transformer_ && norm_obs.device().is_cpu()) {
    torch::Tensor x;
    {
      c10::InferenceMode inference;
      x = SampleModuleRows(norm_obs, gens);
    }
    return x.clone();
  }
  torch::Tensor x;
  {
    c10::InferenceMode inference;
    x = SampleBatch(norm_obs, row_noise);
  }
  // A normal (not inference-mode) tensor, so callers may modify it in place.
  return x.clone();
}

torch::Tensor DiffusionModel::Sample(const torch::Tensor& norm_obs, torch::Generator& gen) {
  CheckShapes(norm_obs, nullptr);
  const int64_t batch = norm_obs.size(0);
  std::vector<torch::Generator> gens;
  if (batch == 1) {
    gens.push_back(gen);
  } else {
    const auto seeds =
        torch::randint(std::numeric_limits<int64_t>::max(), {batch}, gen,
                       torch::TensorOptions().dtype(torch::kLong).device(gen.device()))
            .to(torch::kCPU);
    const auto seed = seeds.accessor<int64_t, 1>();
    for (int64_t b = 0; b < batch; ++b) {
      gens.push_back(gen.clone());
      gens.back().set_current_seed(static_cast<uint64_t>(seed[b]));
    }
  }
  return Sample(norm_obs, gens);
}

torch::Tensor DiffusionModel::SampleWholeBatch(const torch::Tensor& norm_obs,
                                               torch::Generator& gen) {
  CheckShapes(norm_obs, nullptr);
  torch::Tensor x;
  {
    c10::InferenceMode inference;
    const auto like =
        torch::empty({norm_obs.size(0), config_.pred_horizon, action_dim_}, norm_obs.options());
    x = SampleBatch(norm_obs, [&] { return RandnLike(like, gen); });
  }
  return x.clone();
}

}  // namespace bcbench
