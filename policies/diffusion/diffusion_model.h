// Diffusion Policy's model: the denoiser (the 1-D conditional UNet of DP-C,
// or the transformer of DP-T: config.denoiser), the noise schedule, how the
// observation conditions the network, the training loss and the sampler. It
// works on normalised tensors only (normalisation, chunk execution and
// training schedules live with the policy and the trainer).
//
// Conditioning. UNet: the flattened To observations (To * obs_dim features)
// either join the FiLM condition (cond = film) or are broadcast over the Tp
// axis as extra input channels (cond = channels). A "null" flag is always the
// last FiLM feature: 0 for a conditioned pass, 1 for the unconditional one,
// whose observation features are also zeroed. Transformer: each of the To
// observations is a condition token of obs_dim + 1 features, the last one
// the same null flag. A fixed flag (not a learned null
// vector) keeps "no observation" distinct from a real observation that
// normalises to 0, and keeps the architecture independent of cfg_dropout.
//
// Randomness comes only from the torch::Generators passed in; draws are made
// on the generator's device and moved to the data's, so a CPU generator
// gives the same numbers for CPU and CUDA data.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "policies/diffusion/conditional_unet1d.h"
#include "policies/trainable_policy.h"
#include "policies/diffusion/diffusion_config.h"
#include "policies/diffusion/noise_scheduler.h"
#include "policies/diffusion/transformer_denoiser.h"

namespace bcbench {

class UnetFastInference;
class UnetFastWorkspace;

class DiffusionModel {
 public:
  // Validates the config; initialises the denoiser from config.seed.
  DiffusionModel(const DiffusionConfig& config, int obs_dim, int action_dim);
  ~DiffusionModel();
  DiffusionModel(DiffusionModel&&) noexcept;
  DiffusionModel& operator=(DiffusionModel&&) noexcept;

  const DiffusionConfig& config() const { return config_; }
  int obs_dim() const { return obs_dim_; }
  int action_dim() const { return action_dim_; }
  bool IsTransformer() const { return static_cast<bool>(transformer_); }
  // The UNet (empty holder for the transformer denoiser) and the transformer
  // (empty for the UNet).
  ConditionalUnet1D& unet() { return unet_; }
  const ConditionalUnet1D& unet() const { return unet_; }
  TransformerDenoiser& transformer() { return transformer_; }
  // Whichever denoiser the config names: the trained module.
  torch::nn::Module& network();
  const NoiseScheduler& scheduler() const { return scheduler_; }
  std::vector<torch::Tensor> parameters() const;
  torch::Device device() const;
  void to(torch::Device device);

  // Denoising loss for one batch: norm_obs (B, To, obs_dim), norm_actions
  // (B, Tp, action_dim), both normalised. Draws noise, timesteps and (with
  // cfg_dropout > 0) which samples lose their observation from `gen`.
  // Returns the mean squared error to the noise (or to x_0 for
  // prediction_type = sample), a scalar with grad.
  torch::Tensor Loss(const torch::Tensor& norm_obs, const torch::Tensor& norm_actions,
                     torch::Generator& gen);
  // The same loss with its randomness (noise, timesteps, condition dropout)
  // drawn for the whole batch, evaluable on row ranges from several threads
  // (rows are independent in the UNet). Loss = PrepareLoss(...).on_rows(0, B).
  PreparedLoss PrepareLoss(const torch::Tensor& norm_obs, const torch::Tensor& norm_actions,
                           torch::Generator& gen);

  // (B, Tp, action_dim) normalised actions for norm_obs (B, To, obs_dim):
  // DDIM with config.inference_steps steps or DDPM with all training steps,
  // starting from noise. With guidance_weight w != 0 every row also runs an
  // unconditional pass, and the two outputs combine as
  // (1 + w) out_cond - w out_uncond (for prediction_type = sample the same
  // combination of x0 predictions). Runs without autograd; not thread-safe.
  //
  // Row b's noise (the initial noise and, for DDPM, every step's) comes only
  // from gens[b]: a (1, Tp, action_dim) draw on that generator's device,
  // moved to the data's. gens.size() must be B and no generator may appear
  // twice (std::invalid_argument otherwise).
  //
  // On the CPU in float32 (the fast path, UnetFastInference, rebuilt when a
  // weight has changed since the last call) row b's result depends only on
  // norm_obs[b] and gens[b]: bitwise the same whatever the batch size, the
  // other rows and the LibTorch thread count. On CPUs with AVX2 or AVX-512
  // every GEMM of the fast path is row-invariant at any row count
  // (unet_cpu::Gemm), so the rows run as one batch, sliced over the LibTorch
  // threads; elsewhere each row, or guided (conditioned, unconditional) pair,
  // runs its whole denoising loop as a batch of its own, the rows spread over
  // the threads. (The GEMMs also give the same bits on AVX2 and AVX-512
  // machines; the other kernels are not checked across machines.)
  // The transformer denoiser on the CPU runs each row (or guided pair) as a
  // batch of its own through the module, inside a parallel region where no
  // kernel is split over threads: the same row independence.
  // On CUDA, and on the UNet's module path
  // (SetFastInference(false)), only the noise is per row: the batch runs
  // through the network together, and the numbers may depend on the batch.
  torch::Tensor Sample(const torch::Tensor& norm_obs, std::vector<torch::Generator>& gens);

  // The same with one generator for the batch. A batch of one uses `gen` as
  // its row's generator (Sample(obs, gen) equals Sample(obs, {gen})); a
  // larger batch seeds one generator per row from B draws of `gen`, so a
  // row's noise depends on gen's state and on the row's place in the batch.
  torch::Tensor Sample(const torch::Tensor& norm_obs, torch::Generator& gen);

  // The whole-batch sampler: `gen` draws the noise of all rows at once, so a
  // row's noise depends on the batch; where the fast path's GEMMs go to BLAS
  // (no AVX2), its numbers also depend on the batch's size and slicing.
  // Kept as the speed reference for the per-row sampler (bcbench perf).
  // With several LibTorch threads the rows are split into FastPathSlices
  // slices, each running the whole network on its own thread.
  torch::Tensor SampleWholeBatch(const torch::Tensor& norm_obs, torch::Generator& gen);

  // How many slices SampleWholeBatch's fast path runs `rows` rows in at the
  // current thread count (1: unsplit).
  int FastPathSlices(int64_t rows) const;

  // Off forces the module path (used by tests and for comparison).
  void SetFastInference(bool enabled) { fast_inference_enabled_ = enabled; }

 private:
  struct Condition {
    torch::Tensor global;  // UNet: (B, global_cond_dim)
    torch::Tensor local;   // UNet: (B, Tp, local channels) or undefined
    torch::Tensor tokens;  // transformer: (B, To, obs_dim + 1)
  };
  // A network evaluation of the sampler: (B, Tp, A) sample and timestep to
  // the guided output; and a draw of (B, Tp, A) noise.
  using Denoiser = std::function<torch::Tensor(const torch::Tensor&, int)>;
  using NoiseDraw = std::function<torch::Tensor()>;

  // null_flag (B, 1) in {0, 1}; rows with 1 get zeroed observation features.
  Condition MakeCondition(const torch::Tensor& norm_obs, const torch::Tensor& null_flag) const;
  // The network's condition for norm_obs (B, To, obs_dim): B rows, or with
  // guidance 2B rows, the B conditioned ones first.
  Condition SamplingCondition(const torch::Tensor& norm_obs) const;
  // The guided output of a network output for SamplingCondition's rows.
  torch::Tensor Guide(const torch::Tensor& output) const;
  // The DDIM or DDPM loop from x (the initial noise).
  torch::Tensor Denoise(torch::Tensor x, const Denoiser& denoise, const NoiseDraw& noise) const;
  // The whole batch through the network at once (module or sliced fast path).
  torch::Tensor SampleBatch(const torch::Tensor& norm_obs, const NoiseDraw& noise);
  // The fast path, row by row, over the LibTorch threads.
  torch::Tensor SampleRows(const torch::Tensor& norm_obs, std::vector<torch::Generator>& gens);
  // The module path, row by row, over the LibTorch threads (the transformer).
  torch::Tensor SampleModuleRows(const torch::Tensor& norm_obs,
                                 std::vector<torch::Generator>& gens);
  // The denoiser's module forward for rows of a condition.
  torch::Tensor NetworkForward(const torch::Tensor& sample, const torch::Tensor& timesteps,
                               const Condition& cond);
  void CheckShapes(const torch::Tensor& norm_obs, const torch::Tensor* norm_actions) const;
  bool UseFastPath(const torch::Tensor& like) const;
  // The fast path, current with the weights.
  const UnetFastInference& FastPath();
  // Workspaces 0 .. count-1 of the fast path (one per thread or slice).
  void EnsureWorkspaces(size_t count);

  DiffusionConfig config_;
  int obs_dim_, action_dim_;
  NoiseScheduler scheduler_;
  ConditionalUnet1D unet_{nullptr};
  TransformerDenoiser transformer_{nullptr};
  bool fast_inference_enabled_ = true;
  std::unique_ptr<UnetFastInference> fast_;  // rebuilt whenever a weight changes
  std::vector<std::unique_ptr<UnetFastWorkspace>> workspaces_;
};

// The transformer options a config and data shapes imply.
TransformerDenoiserOptions MakeTransformerOptions(const DiffusionConfig& config, int obs_dim,
                                                  int action_dim);

// The UNet options a config and data shapes imply (shared with the fast path
// and the perf measurements).
UnetOptions MakeUnetOptions(const DiffusionConfig& config, int obs_dim, int action_dim);

// Random draws on the generator's device, then moved to `like`'s device.
torch::Tensor RandnLike(const torch::Tensor& like, torch::Generator& gen);

}  // namespace bcbench
