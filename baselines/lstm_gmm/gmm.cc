#include "baselines/lstm_gmm/gmm.h"

#include <cmath>
#include <stdexcept>

namespace bcbench::lstm_gmm {

torch::Tensor GmmLogLikelihood(const GaussianMixture& gmm, const torch::Tensor& x) {
  const double log_sqrt_2pi = 0.5 * std::log(2.0 * M_PI);
  const auto z = (x.unsqueeze(-2) - gmm.means) / gmm.scales;  // (..., K, D)
  const auto component =
      (-0.5 * z.square() - gmm.scales.log() - log_sqrt_2pi).sum(-1);  // (..., K)
  return torch::logsumexp(torch::log_softmax(gmm.logits, -1) + component, -1);
}

torch::Tensor SampleGmm(const GaussianMixture& gmm, torch::Generator& gen) {
  if (gmm.means.dim() != 2 || gmm.logits.dim() != 1) {
    throw std::invalid_argument("SampleGmm takes one mixture: means (K, D), logits (K)");
  }
  const auto weights = torch::softmax(gmm.logits.to(torch::kCPU, torch::kFloat64), 0);
  const auto w = weights.accessor<double, 1>();
  const double u = torch::rand({1}, gen, torch::TensorOptions().dtype(torch::kFloat64))
                       .item<double>();
  const int64_t modes = weights.size(0);
  int64_t k = modes - 1;  // the last one when rounding leaves the sum below u
  double cumulative = 0;
  for (int64_t i = 0; i < modes; ++i) {
    cumulative += w[i];
    if (u < cumulative) {
      k = i;
      break;
    }
  }
  const auto eps = torch::randn({gmm.means.size(1)}, gen,
                                torch::TensorOptions().dtype(gmm.means.scalar_type()))
                       .to(gmm.means.device());
  return gmm.means[k] + gmm.scales[k] * eps;
}

}  // namespace bcbench::lstm_gmm
