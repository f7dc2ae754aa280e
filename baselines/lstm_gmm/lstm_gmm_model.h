// The network of LSTM-GMM: a stacked LSTM over normalised observations whose
// output at each step is decoded by three linear heads into a Gaussian
// mixture over the normalised action (or the Ta actions as one vector), as
// robomimic's RNNGMMActorNetwork with no MLP between the LSTM and the heads
// (its BC-RNN configs set actor_layer_dims to []):
//   means  = tanh(linear)              (robomimic squashes the means, use_tanh off)
//   scales = softplus(linear) + min_std
//   logits = linear
// The LSTM is written out (gates i, f, g, o; torch.nn.LSTM's parameterisation
// and initialisation) so that its CPU evaluation is plain GEMMs and
// elementwise ops that a caller can keep single-threaded per row.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "baselines/lstm_gmm/gmm.h"
#include "baselines/lstm_gmm/lstm_gmm_config.h"

namespace bcbench::lstm_gmm {

// The recurrent state of a batch: h and c, each (layers, B, hidden). An
// undefined state is the zero state.
struct LstmState {
  torch::Tensor h, c;
  bool defined() const { return h.defined(); }
};

class LstmGmmNetImpl : public torch::nn::Module {
 public:
  LstmGmmNetImpl(const LstmGmmConfig& config, int obs_dim, int out_dim);

  // Runs the LSTM over obs (B, T, obs_dim) from `state` (updated to the state
  // after the last step); returns the top layer's outputs (B, T, hidden).
  torch::Tensor Run(const torch::Tensor& obs, LstmState& state);
  // The mixture over out_dim for features (..., hidden).
  GaussianMixture Head(const torch::Tensor& features, bool low_noise);

  int out_dim() const { return out_dim_; }

 private:
  struct Layer {
    torch::Tensor w_ih, w_hh, b_ih, b_hh;  // (4H, in), (4H, H), (4H), (4H)
  };
  int hidden_;
  int modes_;
  int out_dim_;
  double min_std_;
  std::vector<Layer> layers_;
  torch::nn::Linear means_{nullptr}, scales_{nullptr}, logits_{nullptr};
};
TORCH_MODULE(LstmGmmNet);

}  // namespace bcbench::lstm_gmm
