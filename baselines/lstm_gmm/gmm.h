// A Gaussian mixture with diagonal components, as robomimic's GMM policy head
// builds it (MixtureSameFamily of Independent(Normal) over the action
// dimensions): the log-likelihood that training maximises and the draw that
// evaluation makes.
#pragma once

#include <torch/torch.h>

namespace bcbench::lstm_gmm {

// Over leading dimensions (...): K components of D dimensions.
struct GaussianMixture {
  torch::Tensor means;   // (..., K, D)
  torch::Tensor scales;  // (..., K, D), > 0
  torch::Tensor logits;  // (..., K), unnormalised mixture weights
};

// log p(x) for x (..., D):
//   logsumexp_k [ log_softmax(logits)_k + sum_d log N(x_d; means_kd, scales_kd) ].
torch::Tensor GmmLogLikelihood(const GaussianMixture& gmm, const torch::Tensor& x);

// One draw from a single mixture (means and scales (K, D), logits (K)): the
// component k from softmax(logits) with one uniform of `gen`, then
// means_k + scales_k * eps with D standard normals of `gen`. Returns (D).
torch::Tensor SampleGmm(const GaussianMixture& gmm, torch::Generator& gen);

}  // namespace bcbench::lstm_gmm
