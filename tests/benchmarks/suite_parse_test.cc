// Suite files: a bad file is refused before any work with the file, line and
// key; a good one expands its grids into cells with the contract's ids.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "benchmarks/runner/bench.h"
#include "benchmarks/runner/suite.h"
#include "envs/registry.h"
#include "policies/policy_registry.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// A minimal valid suite with `extra` appended (more experiments) and the
// policies/experiments sections replaceable.
std::string SuiteText(const std::string& envs = "  pusht: {obs: keypoints}\n",
                      const std::string& policies = "  mlp: {}\n",
                      const std::string& experiments = "  main: {}\n") {
  return "demos: {episodes: 4, seed: 0}\n"
         "train: {steps: 10}\n"
         "eval: {episodes: 2}\n"
         "envs:\n" + envs +
         "policies:\n" + policies +
         "experiments:\n" + experiments;
}

// The SuiteError message for `text` ("" when it parses).
std::string ErrorOf(const std::string& text) {
  try {
    ParseSuite("t", "t.yaml", text);
  } catch (const SuiteError& e) {
    return e.what();
  }
  return "";
}

TEST(SuiteParse, AnUnknownKeyIsNamedWithItsLine) {
  // line 2 (1-based) holds the misspelt key
  EXPECT_THAT(ErrorOf("demos: {episodes: 4}\ntrian: {steps: 10}\n"),
              AllOf(HasSubstr("t.yaml:2:1: trian: unknown key"), HasSubstr("train")));
  // an env option the env does not have, on line 5
  EXPECT_THAT(ErrorOf(SuiteText("  pusht:\n    colour: red\n")),
              AllOf(HasSubstr("t.yaml:6:5: envs.pusht.colour: unknown key"),
                    HasSubstr("idle_prob"), HasSubstr("action_mode")));
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  mlp: {set: {hidden: 3}}\n")),
              AllOf(HasSubstr("t.yaml:7:"), HasSubstr("policies.mlp.set.hidden"),
                    HasSubstr("not a config key of policy mlp")));
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  mlp: {}\n", "  main: {grdi: {}}\n")),
              AllOf(HasSubstr("t.yaml:9:"), HasSubstr("experiments.main.grdi: unknown key")));
}

TEST(SuiteParse, UnknownEnvPolicyPresetAndExperimentMembersAreRefused) {
  EXPECT_THAT(ErrorOf(SuiteText("  pushy: {}\n")),
              AllOf(HasSubstr("t.yaml:5:3: envs.pushy: unknown env"), HasSubstr("pusht")));
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  difusion: {}\n")),
              AllOf(HasSubstr("t.yaml:7:3: policies.difusion"), HasSubstr("diffusion")));
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  dp: {policy: diffusion, preset: huge}\n")),
              AllOf(HasSubstr("t.yaml:7:"), HasSubstr("no preset 'huge'"), HasSubstr("cpu")));
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  mlp: {}\n", "  main: {envs: [claw]}\n")),
              HasSubstr("'claw' is not among the suite's envs"));
}

TEST(SuiteParse, AnEmptyGridIsRefused) {
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  mlp: {}\n", "  main: {grid: {}}\n")),
              AllOf(HasSubstr("t.yaml:9:"), HasSubstr("the grid is empty")));
  EXPECT_THAT(
      ErrorOf(SuiteText("  pusht: {}\n", "  mlp: {}\n", "  main:\n    grid:\n      lr: []\n")),
      AllOf(HasSubstr("t.yaml:11:"), HasSubstr("experiments.main.grid.lr"),
            HasSubstr("non-empty list")));
}

TEST(SuiteParse, AGridOfMoreCellsThanAnyoneCanRunIsRefusedBeforeExpanding) {
  // 3 x 10^6 cells: refused at once, naming the factors (expanding it first
  // took gigabytes and minutes).
  std::string grid = "  main:\n    grid:\n";
  for (const char* key : {"lr", "weight_decay", "batch_size", "log_every", "valid_every", "checkpoint_every"}) {
    grid += std::string("      ") + key + ": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
  }
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  mlp: {}\n  bet: {}\n  ibc: {}\n", grid)),
              AllOf(HasSubstr("t.yaml:11:"), HasSubstr("expands to 3000000 cells"),
                    HasSubstr("3 policy(ies)"), HasSubstr("x 10 checkpoint_every"),
                    HasSubstr("at most 10000")));
  // Experiments add up: two of 6000 cells each exceed the limit together.
  const std::string half = "    grid:\n      seed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]\n"
                           "      weight_decay: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]\n"
                           "      batch_size: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
                           "      log_every: [1, 2, 3, 4]\n";
  const std::string two = "  a:\n" + half + "  b:\n" + half;
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  mlp: {}\n", two)),
              AllOf(HasSubstr("experiments.b"), HasSubstr("12000 with the experiments before it")));
}

TEST(SuiteParse, ValuesOfTheWrongTypeAreRefusedAtTheirLine) {
  std::string steps = SuiteText();
  steps.replace(steps.find("steps: 10"), 9, "steps: many");
  EXPECT_THAT(ErrorOf(steps),
              AllOf(HasSubstr("t.yaml:2:"), HasSubstr("train.steps"),
                    HasSubstr("'many' is not an integer")));
  // A whole number past 64 bits is out of range, not "not an integer".
  std::string huge = SuiteText();
  huge.replace(huge.find("episodes: 2}"), 12, "episodes: 2, seed_base: 1180591620717411303424}");
  EXPECT_THAT(ErrorOf(huge),
              AllOf(HasSubstr("t.yaml:3:"), HasSubstr("eval.seed_base"),
                    HasSubstr("1180591620717411303424 is outside [0, "),
                    ::testing::Not(HasSubstr("not an integer"))));
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {idle_prob: 2}\n")),
              AllOf(HasSubstr("t.yaml:5:"), HasSubstr("envs.pusht.idle_prob"),
                    HasSubstr("outside [0, 1]")));
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {action_mode: sideways}\n")),
              AllOf(HasSubstr("t.yaml:5:"), HasSubstr("sideways")));
  // a grid value the policy's own config refuses, on line 11
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  mlp: {}\n",
                                "  main:\n    grid:\n      obs_horizon: [2, x]\n")),
              AllOf(HasSubstr("t.yaml:11:"), HasSubstr("obs_horizon"), HasSubstr("'x'")));
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  mlp: {}\n", "  main: [a, b]\n")),
              AllOf(HasSubstr("t.yaml:9:"), HasSubstr("expected a mapping")));
  // a key that exists, but not for every policy of the experiment
  EXPECT_THAT(ErrorOf(SuiteText("  pusht: {}\n", "  mlp: {}\n  lstm_gmm: {}\n",
                                "  main:\n    grid:\n      obs_horizon: [1, 2]\n")),
              AllOf(HasSubstr("t.yaml:12:"),
                    HasSubstr("'obs_horizon' is not a config key of policy lstm_gmm")));
  EXPECT_THAT(ErrorOf("a: [unclosed\n"), HasSubstr("not valid YAML"));
}

TEST(SuiteExpand, AGridExpandsIntoCellsWithTheContractsIds) {
  const Suite suite = ParseSuite(
      "t", "t.yaml",
      "demos: {episodes: 4, seed: 0}\n"
      "train: {steps: 10, seeds: [0, 1]}\n"
      "eval: {episodes: 2, probe_episodes: 3}\n"
      "envs: {pusht: {obs: keypoints}, claw: {}}\n"
      "policies:\n"
      "  mlp: {set: {hidden_dims: [8, 8], train_steps: 20}}\n"
      "experiments:\n"
      "  to:\n"
      "    envs: [pusht]\n"
      "    set: {train_steps: 30}\n"
      "    grid: {obs_horizon: [1, 2], action_mode: [absolute, delta]}\n"
      "  weights:\n"
      "    envs: [claw]\n"
      "    grid: {mode_weights: [[0.7, 0.2, 0.1]], idle_prob: [0, 0.3]}\n");
  std::vector<std::string> ids;
  for (const auto& c : suite.cells) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::string>{
                     "to-pusht-mlp-action_mode=absolute-obs_horizon=1-s0",
                     "to-pusht-mlp-action_mode=absolute-obs_horizon=1-s1",
                     "to-pusht-mlp-action_mode=delta-obs_horizon=1-s0",
                     "to-pusht-mlp-action_mode=delta-obs_horizon=1-s1",
                     "to-pusht-mlp-action_mode=absolute-obs_horizon=2-s0",
                     "to-pusht-mlp-action_mode=absolute-obs_horizon=2-s1",
                     "to-pusht-mlp-action_mode=delta-obs_horizon=2-s0",
                     "to-pusht-mlp-action_mode=delta-obs_horizon=2-s1",
                     "weights-claw-mlp-idle_prob=0-mode_weights=0.7+0.2+0.1-s0",
                     "weights-claw-mlp-idle_prob=0-mode_weights=0.7+0.2+0.1-s1",
                     "weights-claw-mlp-idle_prob=0.3-mode_weights=0.7+0.2+0.1-s0",
                     "weights-claw-mlp-idle_prob=0.3-mode_weights=0.7+0.2+0.1-s1"}));
  for (size_t i = 0; i < suite.cells.size(); ++i) EXPECT_EQ(suite.cells[i].index, i);
  const CellSpec& delta = suite.cells[3];
  EXPECT_EQ(delta.VariantText(), "action_mode=delta;obs_horizon=1");
  EXPECT_EQ(delta.train_seed, 1u);
  EXPECT_EQ(delta.policy_config.at("seed"), 1);
  EXPECT_EQ(delta.policy_config.at("obs_horizon"), 1);
  EXPECT_EQ(delta.policy_config.at("hidden_dims"), nlohmann::json({8, 8}));
  EXPECT_EQ(delta.run.train_steps, 30);  // the experiment's set wins over the policy's
  EXPECT_EQ(delta.demos.options.at("action_mode"), "delta");
  EXPECT_EQ(delta.demos.options.at("obs"), "keypoints");
  EXPECT_EQ(delta.probe_episodes, 3);  // Push-T has a probe start
  const CellSpec& claw = suite.cells[10];
  EXPECT_EQ(claw.run.train_steps, 20);
  EXPECT_EQ(claw.probe_episodes, 0);  // the claw has none
  EXPECT_EQ(claw.demos.idle_prob, 0.3);
  EXPECT_EQ(claw.demos.mode_weights, (std::vector<double>{0.7, 0.2, 0.1}));

  // Demo files are shared across seeds and policies, not across demo settings.
  EXPECT_EQ(suite.cells[0].demos.Hash(), suite.cells[1].demos.Hash());
  EXPECT_NE(suite.cells[0].demos.Hash(), suite.cells[2].demos.Hash());
  EXPECT_NE(suite.cells[8].demos.Hash(), suite.cells[10].demos.Hash());
  std::set<std::string> hashes;
  for (const auto& c : suite.cells) hashes.insert(c.config_hash);
  EXPECT_EQ(hashes.size(), suite.cells.size());
}

TEST(SuiteExpand, EveryBuiltInSuiteParsesAndSmokeCoversEveryEnvAndPolicy) {
  const auto names = BuiltinSuiteNames();
  for (const char* expected :
       {"smoke", "preview", "quick", "paper", "e2_multimodal", "e3_transitions_idle",
        "e4_obs_horizon_action_mode", "e5_action_horizon", "e6_conditioning", "e7_guidance",
        "e8_sampling_latency"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  for (const auto& name : names) {
    const Suite suite = LoadSuiteDefinition(name);
    EXPECT_FALSE(suite.cells.empty()) << name;
  }
  for (const char* name : {"smoke", "preview", "quick"}) {
    std::set<std::pair<std::string, std::string>> pairs;
    for (const auto& c : LoadSuiteDefinition(name).cells) pairs.insert({c.env, c.policy_name});
    EXPECT_EQ(pairs.size(), EnvNames().size() * PolicyNames().size()) << name;
  }
  const Suite e3 = LoadSuiteDefinition("e3_transitions_idle");
  std::set<double> idle;
  for (const auto& c : e3.cells) idle.insert(c.demos.idle_prob);
  EXPECT_EQ(idle, (std::set<double>{0, 0.1, 0.3}));
  const Suite e7 = LoadSuiteDefinition("e7_guidance");
  for (const auto& c : e7.cells) EXPECT_EQ(c.env, "claw");
  EXPECT_THAT([] { try { LoadSuiteDefinition("nosuch"); } catch (const SuiteError& e) { return std::string(e.what()); } return std::string(); }(),
              AllOf(HasSubstr("no built-in suite"), HasSubstr("smoke")));
}

TEST(SuiteExpand, ShardsSplitTheCellsByIndexWithoutOverlap) {
  EXPECT_EQ(ParseShard("2/3"), std::make_pair(2, 3));
  for (const char* bad : {"0/2", "3/2", "1", "1/0", "a/b", "1/2x"}) {
    EXPECT_THROW(ParseShard(bad), std::invalid_argument) << bad;
  }
  const Suite quick = LoadSuiteDefinition("quick");
  std::vector<int> owners(quick.cells.size(), 0);
  for (int i = 1; i <= 4; ++i) {
    for (const auto& c : quick.cells) owners[c.index] += InShard(c, i, 4) ? 1 : 0;
  }
  for (size_t k = 0; k < owners.size(); ++k) EXPECT_EQ(owners[k], 1) << "cell " << k;
  EXPECT_TRUE(InShard(quick.cells[5], 2, 4));  // 5 % 4 == 1
  // quick has no grid over eval keys: every cell trains for itself.
  for (const auto& c : quick.cells) {
    EXPECT_EQ(c.train_group, c.index) << c.id;
    EXPECT_EQ(c.train_owner, c.id);
  }
}

// Cells differing only in eval keys (PolicyEntry::eval_keys) share one
// training; anything else that shapes the network (a train key, the demos,
// the seed) separates them.
TEST(SuiteExpand, CellsDifferingOnlyInEvalKeysShareOneTraining) {
  const Suite s = ParseSuite(
      "t", "t.yaml",
      "demos: {episodes: 4, seed: 0}\n"
      "train: {steps: 10, seeds: [0, 1]}\n"
      "eval: {episodes: 2}\n"
      "envs: {pusht: {obs: keypoints}}\n"
      "policies: {diffusion: {preset: cpu}}\n"
      "experiments:\n"
      "  steps: {grid: {inference_steps: [2, 5]}}\n"
      "  ddpm: {set: {sampler: ddpm}}\n"
      "  width: {grid: {down_dims: [[8, 16]]}}\n"
      "  idle: {grid: {idle_prob: [0.3]}}\n");
  ASSERT_EQ(s.cells.size(), 10u);
  std::map<std::string, const CellSpec*> by_id;
  for (const auto& c : s.cells) by_id[c.id] = &c;
  const CellSpec& owner = *by_id.at("steps-pusht-diffusion-inference_steps=2-s0");
  const CellSpec& five = *by_id.at("steps-pusht-diffusion-inference_steps=5-s0");
  const CellSpec& ddpm = *by_id.at("ddpm-pusht-diffusion-s0");
  const CellSpec& seed1 = *by_id.at("steps-pusht-diffusion-inference_steps=2-s1");
  const CellSpec& narrow = *by_id.at("width-pusht-diffusion-down_dims=8+16-s0");
  const CellSpec& idle = *by_id.at("idle-pusht-diffusion-idle_prob=0.3-s0");
  EXPECT_EQ(owner.train_owner, owner.id);
  EXPECT_EQ(five.train_owner, owner.id);
  EXPECT_EQ(ddpm.train_owner, owner.id);
  EXPECT_EQ(five.train_key, owner.train_key);
  EXPECT_EQ(owner.train_group_cells, 3u);
  EXPECT_EQ(ddpm.train_group, owner.train_group);
  EXPECT_NE(five.config_hash, owner.config_hash);  // their results differ
  // The shared training is the owner's; each cell evaluates with its own keys.
  EXPECT_EQ(five.train_config.sets, owner.config.sets);
  const auto value = [](const CellSpec& c, const std::string& key) {
    for (const auto& [k, v] : c.eval_sets) {
      if (k == key) return v;
    }
    return std::string("(absent)");
  };
  EXPECT_EQ(value(five, "inference_steps"), "5");
  EXPECT_EQ(value(owner, "inference_steps"), "2");
  EXPECT_EQ(value(ddpm, "sampler"), "ddpm");
  EXPECT_EQ(value(owner, "sampler"), "ddim");
  EXPECT_EQ(value(five, "down_dims"), "(absent)");  // not an eval key
  for (const CellSpec* apart : {&seed1, &narrow, &idle}) {
    EXPECT_EQ(apart->train_owner, apart->id) << apart->id;
    EXPECT_EQ(apart->train_group_cells, apart == &seed1 ? 3u : 1u) << apart->id;
    EXPECT_NE(apart->train_key, owner.train_key) << apart->id;
  }
  // A shard holds whole groups: the three cells of the owner's group are in one.
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(InShard(owner, i, 3), InShard(five, i, 3));
    EXPECT_EQ(InShard(owner, i, 3), InShard(ddpm, i, 3));
  }
  // The experiment suites built on eval keys train once per group.
  const Suite e8 = LoadSuiteDefinition("e8_sampling_latency");
  for (const auto& c : e8.cells) EXPECT_EQ(c.train_owner, e8.cells.front().id) << c.id;
  const Suite e7 = LoadSuiteDefinition("e7_guidance");
  std::set<std::string> e7_trainings;
  for (const auto& c : e7.cells) e7_trainings.insert(c.train_key);
  EXPECT_EQ(e7_trainings.size(), 2u);  // uniform and skewed demos
}

TEST(SuiteCli, ABadSuiteExitsWithStatus2BeforeAnyWork) {
  const std::string dir = testing::ScratchDir();
  const std::string file = dir + "/bad.yaml";
  {
    std::ofstream out(file);
    out << SuiteText("  pusht: {}\n", "  mlp: {}\n  nosuch: {}\n");
  }
  const auto r = testing::RunBcbench("bench --suite " + file + " --out " + dir + "/out");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, AllOf(HasSubstr("bad.yaml:8:3: policies.nosuch"), HasSubstr("mlp")));
  EXPECT_FALSE(std::filesystem::exists(dir + "/out"));
}

}  // namespace
}  // namespace bcbench
