// bcbench eval: roll a trained policy out on held-out seeds, one CSV row per
// episode, and print success with its Wilson interval and the score.
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/progress.h"
#include "benchmarks/metrics/episode_rows.h"
#include "benchmarks/runner/rollout.h"
#include "datasets/atomic_file.h"
#include "envs/registry.h"
#include "policies/policy_factory.h"
#include "policies/training/checkpoint.h"

namespace bcbench {
namespace {


std::string CheckpointPath(const std::string& path) {
  if (std::filesystem::is_directory(path)) return path + "/" + kCheckpointFile;
  return path;
}

}  // namespace

LoadedPolicy LoadPolicy(const std::string& checkpoint, const std::vector<std::string>& sets,
                        const std::string& device, bool use_ema) {
  const std::string path = CheckpointPath(checkpoint);
  const nlohmann::json header = ReadCheckpointHeader(path);
  LoadedPolicy loaded;
  loaded.header = header;
  PolicyRequest request;
  request.name = header.at("policy").get<std::string>();
  request.config_json = header.at("config");
  for (const auto& s : sets) request.sets.push_back(ParseSetting(s));
  request.obs_dim = header.at("obs_dim").get<int>();
  request.action_dim = header.at("action_dim").get<int>();
  request.device = device;
  loaded.policy = CreatePolicy(request);
  loaded.policy->SetNormalizers(Normalizer::FromJson(header.at("normalizers").at("obs")),
                                Normalizer::FromJson(header.at("normalizers").at("actions")));
  LoadCheckpoint(path, *loaded.policy, TrainingState{}, use_ema);
  loaded.policy->Network().eval();
  loaded.env_name = header.at("env").at("name").get<std::string>();
  loaded.env_options = header.at("env").at("options").get<EnvOptions>();
  loaded.obs_key = header.at("obs_key").get<std::string>();
  return loaded;
}

void RunEval(const EvalArgs& a) {
  LoadedPolicy loaded = LoadPolicy(a.checkpoint, a.sets, a.device, !a.raw_weights);
  auto maker = [&]() { return MakeEnv(loaded.env_name, loaded.env_options); };
  const auto probe_env = maker();
  RolloutOptions ro;
  ro.episodes = a.episodes;
  ro.seed_base = a.seed_base;
  ro.obs_key = loaded.obs_key;
  ro.batched = !a.unbatched;
  ro.policy_seed = a.policy_seed;
  Progress progress("episodes", static_cast<size_t>(a.episodes));
  size_t finished = 0;
  ro.on_episode = [&](const EpisodeRecord&) { progress.Update(++finished); };
  spdlog::info("evaluating {} on {} seeds {}..{} ({})", loaded.policy->Name(), loaded.env_name,
               a.seed_base, a.seed_base + a.episodes - 1,
               a.unbatched ? "one at a time" : "all episodes stepped together");
  const auto records = RunEpisodes(maker, *loaded.policy, ro);
  const auto rows = MakeEpisodeRows(records, *probe_env, loaded.policy->Name());
  if (!a.csv.empty()) {
    WriteFileAtomically(a.csv, EpisodeCsv(rows));
    spdlog::info("wrote {} rows to {}", rows.size(), a.csv);
  }
  fmt::print("{}\n", SummaryText(Summarize(rows)));
}

void AddEvalCommand(CLI::App& app, CommandActions& actions) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand(
      "eval",
      "Roll out a trained policy (EMA weights) on seeds seed-base.. and print success (Wilson "
      "95% interval), score (mean max reward, bootstrap 95% interval), idle fraction and the "
      "mode histogram. --csv writes one row per episode: env, policy, seed, success, max_reward, "
      "final_reward, steps, mode, phase_sequence, idle_fraction, longest_idle_streak, stalled, "
      "stuck, mean_squared_jerk, policy_calls, wall_s.");
  cmd->add_option("--checkpoint", a->checkpoint, "run folder (or checkpoint.pt) from train")
      ->required();
  cmd->add_option("--episodes", a->episodes, "evaluation episodes")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--seed-base", a->seed_base, "seed of the first episode")->capture_default_str();
  cmd->add_option("--csv", a->csv, "write per-episode rows here");
  cmd->add_option("--set", a->sets,
                  "override an inference key: key=value, e.g. inference_steps=16, "
                  "sampler=ddpm, guidance_weight=1, action_horizon=4");
  cmd->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  cmd->add_flag("--unbatched", a->unbatched, "step episodes one at a time (for speed comparisons)");
  cmd->add_option("--policy-seed", a->policy_seed, "seed of the policy's sampling noise")
      ->capture_default_str();
  cmd->add_flag("--raw-weights", a->raw_weights, "use the raw instead of the EMA weights");
  actions["eval"] = [a]() { RunEval(*a); };
}

}  // namespace bcbench
