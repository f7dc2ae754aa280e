#include "policies/training/fused_adamw.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include <ATen/Parallel.h>

// The update loop vectorises because this file is built without errno from
// sqrt and FP traps (policies/CMakeLists.txt); on x86-64 it is compiled for
// AVX-512, AVX2 and the baseline, and the loader picks one.
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__) && !defined(__clang__)
#define BCBENCH_UPDATE_KERNEL \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define BCBENCH_UPDATE_KERNEL
#endif

namespace bcbench {
namespace {

// The update runs over raw memory, element j of every tensor together, so
// the parameter must fill its memory without gaps (contiguous or a dense
// permutation, such as a tap-major conv weight) and its gradient parts and
// moments must be laid out the same way.
bool IsDenseCpuFloat(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat32 &&
         t.is_non_overlapping_and_dense();
}
// Strides of size-1 dimensions are ignored: they address nothing (a 1x1
// conv weight's gradient may carry any stride there).
bool SameLayout(const torch::Tensor& t, const torch::Tensor& p) {
  if (!IsDenseCpuFloat(t) || t.sizes() != p.sizes()) return false;
  for (int64_t d = 0; d < p.dim(); ++d) {
    if (p.size(d) > 1 && t.stride(d) != p.stride(d)) return false;
  }
  return true;
}

// The per-step constants of one parameter, as LibTorch rounds them to float.
struct Coefficients {
  bool decay = false;
  float decay_factor = 1, beta1 = 0, one_minus_beta1 = 1, beta2 = 0, one_minus_beta2 = 1;
  float sqrt_bias_correction2 = 1, eps = 0, neg_step_size = 0;
};

// g[j] += part[j] for j < n.
BCBENCH_UPDATE_KERNEL void AddInto(float* __restrict g, const float* __restrict part, int64_t n) {
  for (int64_t j = 0; j < n; ++j) g[j] += part[j];
}

// The update of n elements from their summed gradient g.
BCBENCH_UPDATE_KERNEL void Update(const Coefficients& c, const float* __restrict g,
                                  float* __restrict p, float* __restrict m,
                                  float* __restrict v, int64_t n) {
  const float decay = c.decay ? c.decay_factor : 1.0f;
  for (int64_t j = 0; j < n; ++j) {
    const float gj = g[j];
    const float mj = m[j] * c.beta1 + c.one_minus_beta1 * gj;
    const float vj = v[j] * c.beta2 + c.one_minus_beta2 * gj * gj;
    m[j] = mj;
    v[j] = vj;
    const float denom = std::sqrt(vj) / c.sqrt_bias_correction2 + c.eps;
    p[j] = p[j] * decay + c.neg_step_size * mj / denom;
  }
}

// One parameter's update over elements [begin, end): the gradient parts are
// summed a block at a time into a stack buffer, then one pass updates p, m, v.
void UpdateRange(const Coefficients& c, const std::vector<const float*>& parts, float* p,
                 float* m, float* v, int64_t begin, int64_t end) {
  constexpr int64_t kBlock = 1024;
  std::array<float, kBlock> g{};
  for (int64_t first = begin; first < end; first += kBlock) {
    const int64_t n = std::min(kBlock, end - first);
    std::copy(parts[0] + first, parts[0] + first + n, g.begin());
    for (size_t k = 1; k < parts.size(); ++k) AddInto(g.data(), parts[k] + first, n);
    Update(c, g.data(), p + first, m + first, v + first, n);
  }
}

}  // namespace

bool FusedAdamWStep(torch::optim::Optimizer& optimizer,
                    const std::vector<std::vector<torch::Tensor>>& grad_parts,
                    FusedAdamWDecline* decline) {
  auto declined = [&](bool expected, std::string reason) {
    if (decline != nullptr) *decline = {expected, std::move(reason)};
    return false;
  };
  auto* adamw = dynamic_cast<torch::optim::AdamW*>(&optimizer);
  if (adamw == nullptr) return declined(true, "not an AdamW optimiser");
  // Check everything before changing anything.
  size_t index = 0;
  for (auto& group : optimizer.param_groups()) {
    if (static_cast<const torch::optim::AdamWOptions&>(group.options()).amsgrad()) {
      return declined(true, "amsgrad is on");
    }
    for (const auto& p : group.params()) {
      if (index >= grad_parts.size()) {
        return declined(false, "fewer gradient part lists than parameters");
      }
      if (!IsDenseCpuFloat(p)) {
        return declined(!p.device().is_cpu() || p.scalar_type() != torch::kFloat32,
                        "parameter " + std::to_string(index) + " is not a dense CPU float32 tensor");
      }
      const auto found = optimizer.state().find(c10::guts::to_string(p.unsafeGetTensorImpl()));
      if (found != optimizer.state().end()) {
        const auto& state = static_cast<const torch::optim::AdamWParamState&>(*found->second);
        if (!SameLayout(state.exp_avg(), p) || !SameLayout(state.exp_avg_sq(), p)) {
          return declined(false, "parameter " + std::to_string(index) +
                                     "'s moments are laid out differently from it");
        }
      }
      for (const auto& part : grad_parts[index]) {
        if (part.defined() && !SameLayout(part, p)) {
          return declined(false, "a gradient of parameter " + std::to_string(index) +
                                     " (shape " + c10::str(p.sizes()) +
                                     ") is laid out differently from it");
        }
      }
      ++index;
    }
  }
  if (index != grad_parts.size()) {
    return declined(false, "more gradient part lists than parameters");
  }

  torch::NoGradGuard no_grad;
  auto& states = optimizer.state();
  index = 0;
  for (auto& group : optimizer.param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    for (auto& p : group.params()) {
      const auto& parts_in = grad_parts[index++];
      std::vector<const float*> parts;
      for (const auto& part : parts_in) {
        if (part.defined()) parts.push_back(part.data_ptr<float>());
      }
      if (parts.empty()) continue;
      const std::string key = c10::guts::to_string(p.unsafeGetTensorImpl());
      auto found = states.find(key);
      if (found == states.end()) {
        auto state = std::make_unique<torch::optim::AdamWParamState>();
        state->step(0);
        state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        state->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        found = states.emplace(key, std::move(state)).first;
      }
      auto& state = static_cast<torch::optim::AdamWParamState&>(*found->second);
      state.step(state.step() + 1);
      const double beta1 = std::get<0>(options.betas()), beta2 = std::get<1>(options.betas());
      const double bias_correction1 = 1 - std::pow(beta1, state.step());
      const double bias_correction2 = 1 - std::pow(beta2, state.step());
      Coefficients c;
      c.decay = options.weight_decay() != 0;
      c.decay_factor = static_cast<float>(1 - options.lr() * options.weight_decay());
      c.beta1 = static_cast<float>(beta1);
      c.one_minus_beta1 = static_cast<float>(1 - beta1);
      c.beta2 = static_cast<float>(beta2);
      c.one_minus_beta2 = static_cast<float>(1 - beta2);
      c.sqrt_bias_correction2 = static_cast<float>(std::sqrt(bias_correction2));
      c.eps = static_cast<float>(options.eps());
      c.neg_step_size = static_cast<float>(-options.lr() / bias_correction1);
      float* pd = p.data_ptr<float>();
      float* md = state.exp_avg().data_ptr<float>();
      float* vd = state.exp_avg_sq().data_ptr<float>();
      at::parallel_for(0, p.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
        UpdateRange(c, parts, pd, md, vd, begin, end);
      });
    }
  }
  return true;
}

}  // namespace bcbench
