// DiffusionConfig: defaults, validation messages, --set, YAML and JSON.
#include <fstream>
#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "policies/diffusion/diffusion_config.h"
#include "policies/policy_registry.h"

namespace bcbench {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string ValidationError(const DiffusionConfig& config) {
  try {
    config.Validate();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(DiffusionConfig, DefaultsAreTheCpuPushTConfigurationAndValid) {
  const DiffusionConfig config;
  EXPECT_EQ(ValidationError(config), "");
  EXPECT_EQ(config.obs_horizon, 2);
  EXPECT_EQ(config.pred_horizon, 16);
  EXPECT_EQ(config.action_horizon, 8);
  EXPECT_EQ(config.down_dims, (std::vector<int>{64, 128, 256}));
  EXPECT_EQ(config.num_train_timesteps, 100);
  EXPECT_EQ(config.DownsampleFactor(), 4);
  const auto paper = DiffusionConfig::Preset("paper");
  EXPECT_EQ(paper.down_dims, (std::vector<int>{256, 512, 1024}));
  EXPECT_EQ(ValidationError(paper), "");
  EXPECT_THROW(DiffusionConfig::Preset("huge"), std::invalid_argument);
}

TEST(DiffusionConfig, PredHorizonMustBeDivisibleByTheDownsamplingFactor) {
  DiffusionConfig config;
  config.pred_horizon = 14;  // 3 levels: multiples of 4
  config.action_horizon = 8;
  EXPECT_THAT(ValidationError(config),
              AllOf(HasSubstr("pred_horizon=14"), HasSubstr("multiple of 2^(levels-1) = 4")));
  config.down_dims = {64, 128};  // 2 levels: multiples of 2
  EXPECT_EQ(ValidationError(config), "");
}

TEST(DiffusionConfig, HorizonsAndProbabilitiesAreRangeChecked) {
  DiffusionConfig config;
  config.action_horizon = 16;  // > Tp - To + 1 = 15
  EXPECT_THAT(ValidationError(config), AllOf(HasSubstr("action_horizon=16"), HasSubstr("= 15")));
  config = {};
  config.latency_steps = 8;  // Ta + latency must be <= Tp - To + 1
  EXPECT_THAT(ValidationError(config), HasSubstr("latency_steps = 8"));
  config.action_horizon = 7;
  EXPECT_EQ(ValidationError(config), "");
  config = {};
  config.cfg_dropout = 1.5;
  EXPECT_THAT(ValidationError(config), AllOf(HasSubstr("cfg_dropout=1.5"), HasSubstr("[0, 1]")));
  config = {};
  config.guidance_weight = 2;  // without cfg_dropout the unconditional model is untrained
  EXPECT_THAT(ValidationError(config), HasSubstr("cfg_dropout > 0"));
  config.cfg_dropout = 0.1;
  EXPECT_EQ(ValidationError(config), "");
  config = {};
  config.n_groups = 12;  // does not divide 64
  EXPECT_THAT(ValidationError(config), HasSubstr("n_groups=12"));
  config = {};
  config.kernel_size = 4;
  EXPECT_THAT(ValidationError(config), HasSubstr("kernel_size=4"));
  config = {};
  config.sampler = "euler";
  EXPECT_THAT(ValidationError(config), AllOf(HasSubstr("sampler=euler"), HasSubstr("ddim | ddpm")));
  config = {};
  config.inference_steps = 101;
  EXPECT_THAT(ValidationError(config), HasSubstr("inference_steps=101"));
}

TEST(DiffusionConfig, SetParsesValuesAndRejectsUnknownKeys) {
  DiffusionConfig config;
  config.Set("down_dims", "[32, 64]");
  config.Set("betas", "0.9,0.99");
  config.Set("cond", "channels");
  config.Set("clip_sample", "false");
  config.Set("lr", "3e-4");
  config.Set("seed", "42");
  EXPECT_EQ(config.down_dims, (std::vector<int>{32, 64}));
  EXPECT_EQ(config.training.betas, (std::vector<double>{0.9, 0.99}));
  EXPECT_EQ(config.cond, "channels");
  EXPECT_FALSE(config.clip_sample);
  EXPECT_DOUBLE_EQ(config.training.lr, 3e-4);
  EXPECT_EQ(config.seed, 42u);
  EXPECT_THAT([&] { config.Set("obs_horizon", "two"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("obs_horizon")));
  EXPECT_THAT([&] { config.Set("horizon", "2"); },
              ::testing::ThrowsMessage<std::invalid_argument>(
                  AllOf(HasSubstr("unknown key 'horizon'"), HasSubstr("pred_horizon"))));
}

TEST(DiffusionConfig, RoundTripsThroughYamlAndJson) {
  DiffusionConfig config;
  config.down_dims = {32, 64};
  config.pred_horizon = 8;
  config.action_horizon = 4;
  config.cfg_dropout = 0.1;
  config.guidance_weight = 2;
  config.training.weight_decay = 1e-6;
  config.prediction_type = "sample";
  config.seed = 9;
  const auto yaml_text = config.ToYaml();
  const auto from_yaml = DiffusionConfig::FromYaml(YAML::Load(yaml_text));
  EXPECT_EQ(from_yaml.ToJson(), config.ToJson()) << yaml_text;
  EXPECT_THAT(yaml_text, HasSubstr("weight_decay: 1e-06"));
  const auto from_json = DiffusionConfig::FromJson(nlohmann::json::parse(config.ToJson().dump()));
  EXPECT_EQ(from_json.ToJson(), config.ToJson());
}

TEST(DiffusionConfig, YamlRejectsUnknownKeysAndInvalidValues) {
  EXPECT_THAT([] { DiffusionConfig::FromYaml(YAML::Load("obs_horizon: 2\nbatch: 64\n")); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("unknown key 'batch'")));
  EXPECT_THAT([] { DiffusionConfig::FromYaml(YAML::Load("pred_horizon: 10\n")); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("pred_horizon=10")));
  const auto partial = DiffusionConfig::FromYaml(YAML::Load("down_dims: [16, 32]\n"),
                                                 DiffusionConfig::Preset("paper"));
  EXPECT_EQ(partial.down_dims, (std::vector<int>{16, 32}));
  EXPECT_EQ(partial.sampler, "ddpm");  // the rest comes from the base
}

TEST(DiffusionConfig, YamlRejectsDuplicateKeysAndNamesTheRange) {
  EXPECT_THAT([] { DiffusionConfig::FromYaml(YAML::Load("lr: 1e-3\nlr: 1e-4\n")); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("'lr' appears twice")));
  EXPECT_THAT([] { DiffusionConfig::FromYaml(YAML::Load("batch_size: 1000000000\n")); },
              ::testing::ThrowsMessage<std::invalid_argument>(
                  AllOf(HasSubstr("batch_size=1000000000"), HasSubstr("[1, 65536]"))));
  EXPECT_THAT([] { DiffusionConfig::FromYaml(YAML::Load("down_dims: [64, -1]\n")); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("down_dims")));
  EXPECT_THAT([] { DiffusionConfig::FromYaml(YAML::Load("seed: -3\n")); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("seed=-3")));
}

// The presets are the YAML files in policies/diffusion/presets, embedded in
// the binary: what a user reads there is what --preset applies.
TEST(DiffusionConfig, PresetsAreTheYamlFilesInThePolicysFolder) {
  const std::string dir = std::string(BCBENCH_SOURCE_DIR) + "/policies/diffusion/presets/";
  for (const auto& preset : DiffusionPresets()) {
    std::ifstream in(dir + preset.name + ".yaml");
    ASSERT_TRUE(in.good()) << preset.name;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, preset.yaml) << preset.name;
    const auto config = DiffusionConfig::FromYaml(YAML::Load(text));
    EXPECT_EQ(config.ToJson(), DiffusionConfig::Preset(preset.name).ToJson());
  }
  EXPECT_EQ(DiffusionPresets().front().name, "cpu");
  EXPECT_EQ(DiffusionConfig::Preset("cpu").ToJson(), DiffusionConfig().ToJson());
  const auto paper = DiffusionConfig::Preset("paper");
  EXPECT_EQ(paper.step_embed_dim, 256);
  EXPECT_EQ(paper.sampler, "ddpm");
  EXPECT_EQ(paper.inference_steps, 100);
}

}  // namespace
}  // namespace bcbench
