// bcbench train: fit a policy on a demo file; checkpoints and a training log
// in --out; resumes when --out already holds a checkpoint.
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/metrics/episode_rows.h"
#include "benchmarks/runner/rollout.h"
#include "datasets/demo_file.h"
#include "datasets/demo_validation.h"
#include "envs/registry.h"
#include "policies/blas_runtime.h"
#include "policies/policy_factory.h"
#include "policies/torch_runtime.h"
#include "policies/training/checkpoint.h"
#include "policies/training/trainer.h"

namespace bcbench {
namespace {


// Which observation key to train on: --obs-key, else the one the demos were
// recorded with as the env's default, else the env's first key.
std::string ChooseObsKey(const TrainArgs& a, const DemoFileSummary& summary, const Env& env) {
  std::string key = a.obs_key;
  if (key.empty()) {
    auto it = summary.env_args.env_kwargs.find("obs");
    key = it != summary.env_args.env_kwargs.end() ? it->second : env.ObsKeys().front();
  }
  if (!summary.obs.count(key)) {
    std::string have;
    for (const auto& [k, info] : summary.obs) have += (have.empty() ? "" : ", ") + k;
    throw UsageError(fmt::format("{} has no observation key '{}'; it has: {}", a.data, key, have));
  }
  return key;
}

}  // namespace

void RunTrain(const TrainArgs& a) {
  CheckDevice(a.device);
  const DemoFileSummary summary = ValidateDemoFile(a.data);
  if (summary.has_env_args && summary.env_args.env_name != a.env) {
    throw UsageError(fmt::format("{} holds demos of env '{}', not '{}'; pass --env {}", a.data,
                                 summary.env_args.env_name, a.env, summary.env_args.env_name));
  }
  EnvOptions env_options = summary.env_args.env_kwargs;
  auto env = MakeEnv(a.env, env_options);
  const std::string obs_key = ChooseObsKey(a, summary, *env);
  const int obs_dim = env->ObsSpec(obs_key).dim();
  const int action_dim = env->ActionSpec().dim();
  if (summary.obs.at(obs_key).row_shape != std::vector<size_t>{static_cast<size_t>(obs_dim)} ||
      summary.action_dim != static_cast<size_t>(action_dim)) {
    throw UsageError(fmt::format("{}: obs/{} or actions do not match env {} (obs {} dims, "
                                 "actions {} dims)", a.data, obs_key, a.env, obs_dim, action_dim));
  }

  PolicyRequest request;
  request.name = a.policy;
  request.preset = a.preset;
  request.config_yaml_path = a.config;
  for (const auto& s : a.sets) request.sets.push_back(ParseSetting(s));
  request.obs_dim = obs_dim;
  request.action_dim = action_dim;
  request.device = a.device;
  request.seed = a.seed;
  const nlohmann::json config = ResolvePolicyConfig(request);

  const std::string ckpt = a.out + "/" + kCheckpointFile;
  if (std::filesystem::exists(ckpt)) {
    const nlohmann::json header = ReadCheckpointHeader(ckpt);
    nlohmann::json stored = header.at("config"), now = config;
    stored.erase("train_steps");
    now.erase("train_steps");  // extending a finished run is allowed
    if (header.at("policy") != a.policy || stored != now || header.at("data") != a.data ||
        header.at("obs_key") != obs_key) {
      throw UsageError(fmt::format(
          "{} holds a checkpoint of a different run (policy, data, observation key or config "
          "differ); use another --out, or the same options to resume", a.out));
    }
  }

  auto policy = CreatePolicy(request);
  const TrainOptions topt = policy->GetTrainOptions();
  const DemoFile file = DemoFile::Open(a.data);
  const double valid_ratio = config.value("valid_ratio", 0.0);
  const DemoSplit split = SplitDemos(file.demo_names(), file.ReadMasks(), valid_ratio, topt.seed);
  if (split.train.empty()) throw UsageError(a.data + ": no training demos after the split");
  const auto train_eps = LoadEpisodes(file, split.train, {obs_key});
  const auto valid_eps = split.valid.empty() ? std::vector<Episode>{}
                                             : LoadEpisodes(file, split.valid, {obs_key});
  std::vector<const FloatArray*> obs_arrays, act_arrays;
  for (const auto& e : train_eps) {
    obs_arrays.push_back(&e.obs);
    act_arrays.push_back(&e.actions);
  }
  policy->SetNormalizers(Normalizer::Fit(obs_arrays), Normalizer::Fit(act_arrays));
  const Horizons horizons{policy->ObsHorizon(), policy->PredHorizon(), policy->ActionHorizon()};
  const SequenceSampler train_sampler(train_eps, horizons);
  std::unique_ptr<SequenceSampler> valid_sampler;
  if (!valid_eps.empty()) valid_sampler = std::make_unique<SequenceSampler>(valid_eps, horizons);
  spdlog::info("training {} on {} ({} train demos, {} valid, split by {}; {} windows; obs '{}' "
               "{}-d, actions {}-d) for {} steps of batch {} on {} with {} threads",
               a.policy, a.data, split.train.size(), split.valid.size(), split.source,
               train_sampler.size(), obs_key, obs_dim, action_dim, topt.steps, topt.batch_size,
               a.device, TorchThreads());
  if (a.device == "cpu") {
    const BlasKernel& blas = EnsureBlasKernel();
    spdlog::info("BLAS kernel: {}", DescribeBlasKernel(blas));
    WarnIfGenericBlas(blas);
  }

  TrainerSettings settings;
  settings.out_dir = a.out;
  settings.log_every = a.log_every;
  settings.valid_every = a.valid_every;
  settings.checkpoint_every = a.checkpoint_every;
  settings.eval_every = a.eval_every;
  settings.stop_after = a.stop_after;
  settings.header = {{"policy", a.policy},
                     {"config", config},
                     {"env", {{"name", a.env}, {"options", env_options}}},
                     {"obs_key", obs_key},
                     {"obs_dim", obs_dim},
                     {"action_dim", action_dim},
                     {"normalizers",
                      {{"obs", policy->ObsNormalizer().ToJson()},
                       {"actions", policy->ActionNormalizer().ToJson()}}},
                     {"data", a.data},
                     {"split", {{"source", split.source}, {"train", split.train.size()},
                                {"valid", split.valid.size()}}}};
  if (a.eval_every > 0) {
    const int episodes = a.eval_episodes;
    settings.evaluate = [env_name = a.env, env_options, obs_key, episodes](TrainablePolicy& p) {
      RolloutOptions ro;
      ro.episodes = episodes;
      ro.obs_key = obs_key;
      auto maker = [&]() { return MakeEnv(env_name, env_options); };
      const auto records = RunEpisodes(maker, p, ro);
      const auto env = maker();
      const EvalSummary s = Summarize(MakeEpisodeRows(records, *env, p.Name()));
      return nlohmann::json{{"success", s.success.estimate}, {"score", s.score.estimate}};
    };
  }
  const TrainResult result = Train(*policy, train_sampler, valid_sampler.get(), settings);
  spdlog::info("trained steps {}..{} in {:.1f}s ({:.0f} samples/s); loss {:.4f} -> {:.4f}{}; "
               "checkpoint {}", result.start_step, result.end_step, result.seconds,
               result.samples_per_s, result.first_loss, result.last_loss,
               result.valid_loss >= 0 ? fmt::format(", valid loss {:.4f}", result.valid_loss) : "",
               ckpt);
}

void AddTrainCommand(CLI::App& app, CommandActions& actions) {
  auto a = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand(
      "train",
      "Train a policy on a demo file. Writes DIR/checkpoint.pt (atomically, every "
      "--checkpoint-every steps and at the end) and DIR/train_log.csv (loss, lr, validation "
      "loss, periodic evaluation). Run it again on the same DIR to resume: the result equals "
      "an uninterrupted run. Policy options: --config Y.yaml and --set key=value (see "
      "`bcbench policies diffusion`).");
  cmd->add_option("--env", a->env, "environment the demos come from (e.g. pusht)")->required();
  cmd->add_option("--policy", a->policy, "policy name: diffusion")->required();
  cmd->add_option("--data", a->data, "demo file (.hdf5, robomimic layout)")->required();
  cmd->add_option("--out", a->out, "run folder for checkpoints and logs")->required();
  cmd->add_option("--preset", a->preset,
                  "named starting config, applied before --config and --set (diffusion: cpu, "
                  "paper)");
  cmd->add_option("--config", a->config, "YAML file of policy config keys");
  cmd->add_option("--set", a->sets, "override one config key: key=value (repeatable)");
  cmd->add_option("--seed", a->seed, "training seed (overrides the config's seed)");
  cmd->add_option("--device", a->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--obs-key", a->obs_key,
                  "observation key to train on (default: the demos' recorded default)");
  cmd->add_option("--log-every", a->log_every, "steps between progress lines")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--valid-every", a->valid_every, "steps between validation losses (0: end)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--checkpoint-every", a->checkpoint_every, "steps between checkpoints")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--eval-every", a->eval_every,
                  "steps between evaluation rollouts with the EMA weights (0: off)")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--eval-episodes", a->eval_episodes,
                  "episodes per periodic evaluation (seeds 100000..)")
      ->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--stop-after", a->stop_after,
                  "stop after this step as if interrupted (checkpoint written); for resume tests")
      ->group("");
  actions["train"] = [a]() { RunTrain(*a); };
}

}  // namespace bcbench
