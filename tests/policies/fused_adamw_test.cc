// The fused AdamW step (policies/training/fused_adamw.h) against LibTorch's
// own torch::optim::AdamW: the same weights and moments to float rounding
// over several steps, two parameter groups (with and without weight decay),
// gradients given as parts, and state LibTorch's step carries on from.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/training/fused_adamw.h"

namespace bcbench {
namespace {

struct OptimiserUnderTest {
  std::vector<torch::Tensor> params;
  std::unique_ptr<torch::optim::AdamW> optimizer;
};

// Two groups: a decayed (64 x 300) weight and an undecayed bias of 1000.
OptimiserUnderTest MakeSetup(bool amsgrad = false) {
  torch::Generator gen = at::detail::createCPUGenerator(3);
  OptimiserUnderTest s;
  s.params = {torch::randn({64, 300}, gen).requires_grad_(),
              torch::randn({1000}, gen).requires_grad_()};
  std::vector<torch::optim::OptimizerParamGroup> groups;
  const auto options = [&](double decay) {
    return std::make_unique<torch::optim::AdamWOptions>(
        torch::optim::AdamWOptions(3e-3).betas({0.9, 0.95}).weight_decay(decay).amsgrad(amsgrad));
  };
  groups.emplace_back(std::vector<torch::Tensor>{s.params[0]}, options(0.1));
  groups.emplace_back(std::vector<torch::Tensor>{s.params[1]}, options(0.0));
  s.optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups),
                                                      torch::optim::AdamWOptions(3e-3));
  return s;
}

// Step `step`'s gradient of parameter i, as two parts.
std::vector<torch::Tensor> Parts(const torch::Tensor& p, int step) {
  torch::Generator gen = at::detail::createCPUGenerator(100 + step * 7 + p.numel());
  return {torch::randn(p.sizes(), gen), 0.3 * torch::randn(p.sizes(), gen)};
}

// Step `step`'s gradients of every parameter of `s`, as parts.
std::vector<std::vector<torch::Tensor>> StepParts(const OptimiserUnderTest& s, int step) {
  std::vector<std::vector<torch::Tensor>> parts;
  for (const auto& p : s.params) parts.push_back(Parts(p, step));
  return parts;
}

// Gives every parameter of `s` the sum of its parts as .grad (for LibTorch's step).
void SetSummedGrads(OptimiserUnderTest& s, const std::vector<std::vector<torch::Tensor>>& parts) {
  for (size_t i = 0; i < s.params.size(); ++i) s.params[i].mutable_grad() = parts[i][0] + parts[i][1];
}

const torch::optim::AdamWParamState& StateOf(const OptimiserUnderTest& s, size_t i) {
  const auto key = c10::guts::to_string(s.params[i].unsafeGetTensorImpl());
  return static_cast<const torch::optim::AdamWParamState&>(*s.optimizer->state().at(key));
}

double MaxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(FusedAdamW, MatchesLibTorchsAdamWOverStepsGroupsAndGradientParts) {
  OptimiserUnderTest fused = MakeSetup(), reference = MakeSetup();
  for (int step = 0; step < 5; ++step) {
    const auto parts = StepParts(fused, step);
    SetSummedGrads(reference, parts);
    ASSERT_TRUE(FusedAdamWStep(*fused.optimizer, parts));
    reference.optimizer->step();
  }
  for (size_t i = 0; i < fused.params.size(); ++i) {
    // Each step moves a weight by up to lr = 3e-3; rounding stays far below.
    EXPECT_LT(MaxDiff(fused.params[i], reference.params[i]), 2e-6) << "parameter " << i;
    EXPECT_GT(MaxDiff(fused.params[i], MakeSetup().params[i]), 1e-3) << "parameter " << i << " did not move";
    EXPECT_EQ(StateOf(fused, i).step(), 5);
    EXPECT_LT(MaxDiff(StateOf(fused, i).exp_avg(), StateOf(reference, i).exp_avg()), 1e-6);
    EXPECT_LT(MaxDiff(StateOf(fused, i).exp_avg_sq(), StateOf(reference, i).exp_avg_sq()), 1e-6);
  }
  // The decayed group shrank its weights: without decay they would differ.
  OptimiserUnderTest no_decay = MakeSetup();
  static_cast<torch::optim::AdamWOptions&>(no_decay.optimizer->param_groups()[0].options())
      .weight_decay(0);
  for (int step = 0; step < 5; ++step) {
    ASSERT_TRUE(FusedAdamWStep(*no_decay.optimizer, StepParts(no_decay, step)));
  }
  EXPECT_GT(MaxDiff(no_decay.params[0], fused.params[0]), 1e-6);
  EXPECT_LT(MaxDiff(no_decay.params[1], fused.params[1]), 1e-7);
}

TEST(FusedAdamW, LibTorchsStepCarriesOnFromItsState) {
  OptimiserUnderTest mixed = MakeSetup(), reference = MakeSetup();
  for (int step = 0; step < 4; ++step) {
    const auto parts = StepParts(mixed, step);
    SetSummedGrads(reference, parts);
    SetSummedGrads(mixed, parts);
    if (step % 2 == 0) {
      ASSERT_TRUE(FusedAdamWStep(*mixed.optimizer, parts));
    } else {
      mixed.optimizer->step();
    }
    reference.optimizer->step();
  }
  for (size_t i = 0; i < mixed.params.size(); ++i) {
    EXPECT_EQ(StateOf(mixed, i).step(), 4);
    EXPECT_LT(MaxDiff(mixed.params[i], reference.params[i]), 2e-6);
  }
}

TEST(FusedAdamW, TakesAPermutedDenseParameterLikeATapMajorConvWeight) {
  // A (out 48, in 20, taps 5) weight whose memory is (taps, in, out), as the
  // UNet stores its conv weights; gradient parts arrive in the same layout.
  auto tap_major = [](const torch::Tensor& t) {
    return t.permute({2, 1, 0}).contiguous().permute({2, 1, 0});
  };
  auto make = [&] {
    torch::Generator gen = at::detail::createCPUGenerator(5);
    auto w = tap_major(torch::randn({48, 20, 5}, gen)).requires_grad_();
    return std::make_pair(w, std::make_unique<torch::optim::AdamW>(
                                 std::vector<torch::Tensor>{w},
                                 torch::optim::AdamWOptions(3e-3).weight_decay(0.1)));
  };
  auto [fused_w, fused] = make();
  auto [ref_w, reference] = make();
  ASSERT_FALSE(fused_w.is_contiguous());
  for (int step = 0; step < 3; ++step) {
    std::vector<torch::Tensor> parts;
    for (const auto& g : Parts(torch::empty({48, 20, 5}), step)) parts.push_back(tap_major(g));
    ref_w.mutable_grad() = parts[0] + parts[1];
    ASSERT_TRUE(FusedAdamWStep(*fused, {parts}));
    reference->step();
    // The same values in the same layout: element j of memory is element j everywhere.
    EXPECT_LT(MaxDiff(fused_w, ref_w), 2e-6) << "step " << step;
    EXPECT_GT(MaxDiff(fused_w, make().first), 1e-3);
  }
  // A part laid out differently from its parameter is declined.
  const auto contiguous = Parts(torch::empty({48, 20, 5}), 9);
  const auto before = fused_w.detach().clone();
  EXPECT_FALSE(FusedAdamWStep(*fused, {contiguous}));
  EXPECT_EQ(MaxDiff(before, fused_w), 0.0);
}

TEST(FusedAdamW, DeclinesWhatItCannotDoAndChangesNothing) {
  // amsgrad, another optimiser, a part of the wrong size or type, a missing
  // parameter's parts: false, and the weights and state stay as they were.
  // Each decline says why, and whether it is by design (amsgrad, another
  // optimiser) or a layout the step cannot take (which the trainer warns of).
  auto declines = [](OptimiserUnderTest& s, const std::vector<std::vector<torch::Tensor>>& parts,
                     bool expected) {
    const auto before = s.params[0].detach().clone();
    FusedAdamWDecline decline;
    EXPECT_FALSE(FusedAdamWStep(*s.optimizer, parts, &decline));
    EXPECT_EQ(decline.expected, expected) << decline.reason;
    EXPECT_FALSE(decline.reason.empty());
    EXPECT_EQ(MaxDiff(before, s.params[0]), 0.0);
    EXPECT_TRUE(s.optimizer->state().empty());
  };
  OptimiserUnderTest amsgrad = MakeSetup(/*amsgrad=*/true);
  declines(amsgrad, StepParts(amsgrad, 0), true);
  OptimiserUnderTest s = MakeSetup();
  declines(s, {Parts(s.params[0], 0)}, false);
  declines(s, {Parts(s.params[0], 0), {torch::ones({999})}}, false);
  declines(s, {Parts(s.params[0], 0), {torch::ones({1000}, torch::kFloat64)}}, false);
  declines(s, {Parts(s.params[0], 0), {torch::ones({2000}).slice(0, 0, 2000, 2)}}, false);
  torch::optim::Adam adam(s.params, torch::optim::AdamOptions(1e-3));
  FusedAdamWDecline decline;
  EXPECT_FALSE(FusedAdamWStep(adam, StepParts(s, 0), &decline));
  EXPECT_TRUE(decline.expected);
  // A parameter with no parts is left alone (no state, no step).
  ASSERT_TRUE(FusedAdamWStep(*s.optimizer, {Parts(s.params[0], 0), {torch::Tensor()}}));
  EXPECT_EQ(StateOf(s, 0).step(), 1);
  EXPECT_EQ(s.optimizer->state().count(c10::guts::to_string(s.params[1].unsafeGetTensorImpl())),
            0u);
}

}  // namespace
}  // namespace bcbench
