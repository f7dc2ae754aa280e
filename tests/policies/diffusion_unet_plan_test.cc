// The UNet's layer plan is its one description: the module registers exactly
// its stages, under the state-dict names checkpoints hold, and its parameter
// and FLOP counts are those of the module's weights.
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "policies/diffusion/conditional_unet1d.h"
#include "policies/diffusion/diffusion_model.h"
#include "policies/diffusion/unet_plan.h"

namespace bcbench {
namespace {

// One line per stage: "name kind in[+extra]->out kK Lin[->out] [save S]".
std::string Describe(const UnetStage& s, int horizon) {
  static const char* kinds[] = {"res", "down", "up", "block", "conv"};
  std::string line = s.name + " " + kinds[static_cast<int>(s.kind)] + " " +
                     std::to_string(s.in_channels);
  if (s.extra == UnetExtraInput::kLocalCond) line += "+local" + std::to_string(s.extra_channels);
  if (s.extra == UnetExtraInput::kSkip) {
    line += "+skip" + std::to_string(s.skip_read) + ":" + std::to_string(s.extra_channels);
  }
  line += "->" + std::to_string(s.out_channels) + " k" + std::to_string(s.kernel) + " L" +
          std::to_string(s.InLength(horizon));
  if (s.OutLength(horizon) != s.InLength(horizon)) line += "->" + std::to_string(s.OutLength(horizon));
  if (s.skip_save >= 0) line += " save" + std::to_string(s.skip_save);
  return line;
}

std::vector<std::string> Describe(const UnetPlan& plan, int horizon) {
  std::vector<std::string> lines;
  for (const auto& s : plan.stages) lines.push_back(Describe(s, horizon));
  return lines;
}

UnetOptions Options(std::vector<int> down_dims, int global, int local, int kernel = 5) {
  UnetOptions o;
  o.input_dim = 2;
  o.down_dims = std::move(down_dims);
  o.global_cond_dim = global;
  o.local_cond_channels = local;
  o.kernel_size = kernel;
  o.step_embed_dim = 16;
  return o;
}

// The architectures the executor tests run, plus both presets.
std::vector<UnetOptions> Architectures() {
  return {MakeUnetOptions(DiffusionConfig{}, 20, 2),
          MakeUnetOptions(DiffusionConfig::Preset("paper"), 20, 2),
          Options({32, 64, 128}, 9, 0),
          Options({16, 32}, 1, 6),
          Options({64, 32}, 5, 0),
          Options({32, 64}, 1, 12, 3),
          Options({16}, 7, 0),
          Options({16, 32, 64, 64}, 4, 3, 3)};
}

TEST(UnetPlan, CpuPresetIsChiEtAlsUnetInForwardOrder) {
  const auto plan = MakeUnetPlan(MakeUnetOptions(DiffusionConfig{}, 20, 2));
  EXPECT_THAT(Describe(plan, 16),
              ::testing::ElementsAre("down0_res1 res 2->64 k5 L16",
                                     "down0_res2 res 64->64 k5 L16 save0",
                                     "down0_downsample down 64->64 k3 L16->8",
                                     "down1_res1 res 64->128 k5 L8",
                                     "down1_res2 res 128->128 k5 L8 save1",
                                     "down1_downsample down 128->128 k3 L8->4",
                                     "down2_res1 res 128->256 k5 L4",
                                     "down2_res2 res 256->256 k5 L4 save2",
                                     "mid1 res 256->256 k5 L4",
                                     "mid2 res 256->256 k5 L4",
                                     "up0_res1 res 256+skip2:256->128 k5 L4",
                                     "up0_res2 res 128->128 k5 L4",
                                     "up0_upsample up 128->128 k4 L4->8",
                                     "up1_res1 res 128+skip1:128->64 k5 L8",
                                     "up1_res2 res 64->64 k5 L8",
                                     "up1_upsample up 64->64 k4 L8->16",
                                     "final_block block 64->64 k5 L16",
                                     "final_conv conv 64->2 k1 L16"));
  EXPECT_EQ(plan.cond_dim, 128 + 41);
  EXPECT_EQ(plan.step_hidden_dim, 512);
  EXPECT_EQ(plan.film_width, 2 * (2 * 64 + 2 * 128 + 4 * 256 + 2 * 128 + 2 * 64));
  EXPECT_EQ(plan.HorizonMultiple(), 4);
  EXPECT_EQ(plan.MaxActivation(16), 16 * 64);
}

TEST(UnetPlan, PaperPresetWidensEveryStage) {
  const auto plan = MakeUnetPlan(MakeUnetOptions(DiffusionConfig::Preset("paper"), 20, 2));
  EXPECT_THAT(Describe(plan, 16),
              ::testing::ElementsAre("down0_res1 res 2->256 k5 L16",
                                     "down0_res2 res 256->256 k5 L16 save0",
                                     "down0_downsample down 256->256 k3 L16->8",
                                     "down1_res1 res 256->512 k5 L8",
                                     "down1_res2 res 512->512 k5 L8 save1",
                                     "down1_downsample down 512->512 k3 L8->4",
                                     "down2_res1 res 512->1024 k5 L4",
                                     "down2_res2 res 1024->1024 k5 L4 save2",
                                     "mid1 res 1024->1024 k5 L4",
                                     "mid2 res 1024->1024 k5 L4",
                                     "up0_res1 res 1024+skip2:1024->512 k5 L4",
                                     "up0_res2 res 512->512 k5 L4",
                                     "up0_upsample up 512->512 k4 L4->8",
                                     "up1_res1 res 512+skip1:512->256 k5 L8",
                                     "up1_res2 res 256->256 k5 L8",
                                     "up1_upsample up 256->256 k4 L8->16",
                                     "final_block block 256->256 k5 L16",
                                     "final_conv conv 256->2 k1 L16"));
  EXPECT_EQ(plan.cond_dim, 256 + 41);
}

TEST(UnetPlan, LocalConditionEntersTheFirstBlockAndOneLevelHasNoResampling) {
  EXPECT_THAT(Describe(MakeUnetPlan(Options({16}, 7, 5)), 4),
              ::testing::ElementsAre("down0_res1 res 2+local5->16 k5 L4",
                                     "down0_res2 res 16->16 k5 L4 save0", "mid1 res 16->16 k5 L4",
                                     "mid2 res 16->16 k5 L4", "final_block block 16->16 k5 L4",
                                     "final_conv conv 16->2 k1 L4"));
}

// Checkpoints name parameters by module path and optimisers by order: both
// must survive any change to how the network is described.
TEST(UnetPlan, ModuleKeepsTheStateDictNamesAndOrder) {
  const std::vector<std::string> weight_bias = {"weight", "bias"};
  const std::vector<std::string> block = {"conv.weight", "conv.bias", "norm.weight", "norm.bias"};
  std::vector<std::string> res;
  for (const char* b : {"block1.", "block2."}) {
    for (const auto& p : block) res.push_back(b + p);
  }
  res.insert(res.end(), {"film.weight", "film.bias"});
  auto res_with_residual = res;
  res_with_residual.insert(res_with_residual.end(), {"residual.weight", "residual.bias"});
  const std::vector<std::pair<std::string, std::vector<std::string>>> modules = {
      {"step_linear1", weight_bias}, {"step_linear2", weight_bias},
      {"down0_res1", res_with_residual}, {"down0_res2", res},
      {"down0_downsample", weight_bias},{"down1_res1", res_with_residual},
      {"down1_res2", res},           {"mid1", res},
      {"mid2", res},                 {"up0_res1", res_with_residual},
      {"up0_res2", res},             {"up0_upsample", weight_bias},
      {"final_block", block},        {"final_conv", weight_bias}};
  std::vector<std::string> expected;
  for (const auto& [module, params] : modules) {
    for (const auto& p : params) expected.push_back(module + "." + p);
  }
  ConditionalUnet1D unet(Options({16, 32}, 1, 6));
  std::vector<std::string> keys;
  for (const auto& item : unet->named_parameters()) keys.push_back(item.key());
  EXPECT_EQ(keys, expected);
}

// The sum of the module's parameters with a stage's prefix, for each stage.
TEST(UnetPlan, ParameterCountIsTheModules) {
  for (const auto& options : Architectures()) {
    const auto plan = MakeUnetPlan(options);
    ConditionalUnet1D unet(options);
    EXPECT_EQ(plan.ParameterCount(), unet->ParameterCount());
    const auto params = unet->named_parameters();
    for (const auto& stage : plan.stages) {
      int64_t count = 0;
      for (const auto& item : params) {
        if (item.key().rfind(stage.name + ".", 0) == 0) count += item.value().numel();
      }
      EXPECT_EQ(UnetStageParameterCount(plan, stage), count) << stage.name;
    }
  }
}

// FLOPs from the weights themselves: a conv weight costs 2 x numel per output
// position (per input position for the transposed conv), a linear 2 x numel.
TEST(UnetPlan, ForwardFlopsAreTheModulesWeightsAtThePlansLengths) {
  for (const auto& options : Architectures()) {
    const auto plan = MakeUnetPlan(options);
    ConditionalUnet1D unet(options);
    const auto params = unet->named_parameters();
    for (int horizon : {plan.HorizonMultiple(), 4 * plan.HorizonMultiple()}) {
      double total = 0;
      for (const auto& item : params) {
        const auto& w = item.value();
        if (item.key().rfind("step_linear", 0) == 0 && w.dim() == 2) total += 2.0 * w.numel();
      }
      for (const auto& stage : plan.stages) {
        double flops = 0;
        for (const auto& item : params) {
          const auto& w = item.value();
          if (item.key().rfind(stage.name + ".", 0) != 0 || w.dim() < 2) continue;
          const int length = stage.kind == UnetStageKind::kUpsample ? stage.InLength(horizon)
                                                                    : stage.OutLength(horizon);
          flops += 2.0 * w.numel() * (w.dim() == 3 ? length : 1);
        }
        EXPECT_EQ(UnetStageFlops(plan, stage, horizon), flops) << stage.name;
        total += flops;
      }
      EXPECT_EQ(plan.ForwardFlops(horizon), total);
      EXPECT_EQ(UnetForwardFlops(options, horizon), total);
    }
  }
}

TEST(UnetPlan, RejectsStagesThatDoNotFit) {
  const auto good = MakeUnetPlan(Options({16, 32}, 1, 6));
  EXPECT_NO_THROW(CheckUnetPlan(good));
  auto expect_rejected = [](const UnetPlan& plan, const char* why) {
    EXPECT_THAT([&] { CheckUnetPlan(plan); },
                ::testing::ThrowsMessage<std::invalid_argument>(::testing::HasSubstr(why)));
    EXPECT_THROW(ConditionalUnet1D{plan}, std::invalid_argument);
  };
  auto wider = good;
  wider.stages[1].out_channels = 24;  // down0_res2 no longer feeds down0_downsample
  expect_rejected(wider, "does not match the previous stage");
  auto unsaved = good;
  unsaved.stages[4].skip_save = -1;  // down1_res2's output is what up0_res1 reads
  expect_rejected(unsaved, "skip slot not saved");
  auto film = good;
  film.stages[2].film_offset = 0;  // the downsample is not FiLM-ed
  expect_rejected(film, "only residual blocks are FiLM-ed");
  auto no_local = good;
  no_local.stages[0].extra = UnetExtraInput::kNone;
  no_local.stages[0].extra_channels = 0;
  expect_rejected(no_local, "local condition");
}

}  // namespace
}  // namespace bcbench
