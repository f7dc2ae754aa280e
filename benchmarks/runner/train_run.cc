#include "benchmarks/runner/train_run.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "benchmarks/runner/eval_run.h"
#include "datasets/atomic_file.h"
#include "datasets/demo_file.h"
#include "datasets/demo_validation.h"
#include "envs/registry.h"
#include "policies/blas_runtime.h"
#include "policies/torch_runtime.h"
#include "policies/training/checkpoint.h"

namespace bcbench {
namespace {

// Training keeps about five copies of the weights (the weights, their EMA,
// gradients and Adam's two moments). A config whose parameters alone need
// more than this machine's memory is refused before the first step, with the
// figures, rather than ending in an allocation failure mid-run.
void CheckTrainingMemory(TrainablePolicy& policy, const std::string& name) {
  double params = 0;
  for (const auto& p : policy.Network().parameters()) params += static_cast<double>(p.numel());
  const double need = 5.0 * 4.0 * params;
  const double ram = static_cast<double>(sysconf(_SC_PHYS_PAGES)) *
                     static_cast<double>(sysconf(_SC_PAGESIZE));
  if (ram > 0 && need > ram) {
    throw std::invalid_argument(fmt::format(
        "{} with this config has {:.0f} million parameters: training needs about {:.1f} GiB for "
        "weights, EMA, gradients and optimiser state, more than this machine's {:.1f} GiB; "
        "choose smaller widths (e.g. down_dims, n_emb, hidden sizes)",
        name, params / 1e6, need / (1 << 30), ram / (1 << 30)));
  }
}

// Which observation key to train on: the requested one, else the one the
// demos were recorded with as the env's default, else the env's first key.
std::string ChooseObsKey(const std::string& requested, const std::string& data,
                         const DemoFileSummary& summary, const Env& env) {
  std::string key = requested;
  if (key.empty()) {
    auto it = summary.env_args.env_kwargs.find("obs");
    key = it != summary.env_args.env_kwargs.end() ? it->second : env.ObsKeys().front();
  }
  if (!summary.obs.count(key)) {
    std::string have;
    for (const auto& [k, info] : summary.obs) have += (have.empty() ? "" : ", ") + k;
    throw std::invalid_argument(
        fmt::format("{} has no observation key '{}'; it has: {}", data, key, have));
  }
  return key;
}

std::string Describe(const nlohmann::json& a, const nlohmann::json& b) {
  std::string out;
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : a.items()) {
      if (!b.contains(key)) {
        out += fmt::format(" {} (only in the stored run)", key);
      } else if (b.at(key) != value) {
        out += fmt::format(" {}: {} -> {}", key, value.dump(), b.at(key).dump());
      }
    }
    for (const auto& [key, value] : b.items()) {
      if (!a.contains(key)) out += fmt::format(" {} (new)", key);
    }
    return out;
  }
  return " " + a.dump() + " -> " + b.dump();
}

}  // namespace

void SplitSets(const PolicyEntry& policy,
               const std::vector<std::pair<std::string, std::string>>& sets,
               std::vector<std::pair<std::string, std::string>>& policy_sets, RunConfig& run) {
  for (const auto& [key, value] : sets) {
    if (RunConfig::Schema().Has(key)) {
      RunConfig::Schema().Set(run, key, value);
    } else if (std::find(policy.keys.begin(), policy.keys.end(), key) != policy.keys.end()) {
      policy_sets.emplace_back(key, value);
    } else {
      std::string keys;
      for (const auto& k : policy.keys) keys += (keys.empty() ? "" : ", ") + k;
      for (const auto& k : RunConfig::Schema().Keys()) keys += ", " + k;
      throw std::invalid_argument(fmt::format("--set {}: unknown key for policy {}; valid keys: {}",
                                              key, policy.name, keys));
    }
  }
}

std::string DemoFileIdentity(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(path + ": cannot be read");
  uint64_t hash = 0x84222325CBF29CE4ULL;
  uint64_t size = 0;
  std::vector<char> block(1 << 20);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const size_t n = static_cast<size_t>(in.gcount());
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t word;
      std::memcpy(&word, block.data() + i, 8);
      hash = (hash ^ word) * 0x100000001B3ULL;
      hash ^= hash >> 29;
    }
    for (; i < n; ++i) hash = (hash ^ static_cast<unsigned char>(block[i])) * 0x100000001B3ULL;
    size += n;
  }
  return fmt::format("{}:{:016x}", size, hash);
}

namespace {

// What a run spec resolves to before any training: the demo file checked
// against the env, the observation, the policy's config and the run's
// settings, and the demo file's content identity.
struct ResolvedRun {
  const PolicyEntry* entry = nullptr;
  EnvOptions env_options;
  std::string obs_key;
  int obs_dim = 0;
  int action_dim = 0;
  nlohmann::json config;
  RunConfig run;
  std::string data_id;
};

ResolvedRun Resolve(const TrainRunSpec& spec) {
  ResolvedRun r;
  r.entry = &FindPolicy(spec.policy);
  const DemoFileSummary summary = ValidateDemoFile(spec.data);
  if (summary.has_env_args && summary.env_args.env_name != spec.env) {
    throw std::invalid_argument(fmt::format("{} holds demos of env '{}', not '{}'; pass --env {}",
                                            spec.data, summary.env_args.env_name, spec.env,
                                            summary.env_args.env_name));
  }
  r.env_options = summary.env_args.env_kwargs;
  auto env = MakeEnv(spec.env, r.env_options);
  r.obs_key = ChooseObsKey(spec.obs_key, spec.data, summary, *env);
  r.obs_dim = env->ObsSpec(r.obs_key).dim();
  r.action_dim = env->ActionSpec().dim();
  if (summary.obs.at(r.obs_key).row_shape != std::vector<size_t>{static_cast<size_t>(r.obs_dim)} ||
      summary.action_dim != static_cast<size_t>(r.action_dim)) {
    throw std::invalid_argument(fmt::format("{}: obs/{} or actions do not match env {} (obs {} "
                                            "dims, actions {} dims)",
                                            spec.data, r.obs_key, spec.env, r.obs_dim,
                                            r.action_dim));
  }
  ConfigLayers layers = spec.config;
  r.run = spec.run;
  layers.sets.clear();
  SplitSets(*r.entry, spec.config.sets, layers.sets, r.run);
  r.config = r.entry->resolve(layers);
  r.data_id = DemoFileIdentity(spec.data);
  return r;
}

// The config without the keys the policy takes only at evaluation: those do
// not change what training computes, so a run resumes (or is reused) across
// them.
nlohmann::json TrainedPart(const PolicyEntry& entry, nlohmann::json config) {
  if (!config.is_object()) return config;
  for (const auto& key : entry.eval_keys) config.erase(key);
  return config;
}

// "" when the checkpoint's header is a run that `r` continues; else what differs.
std::string Mismatch(const TrainRunSpec& spec, const ResolvedRun& r, const nlohmann::json& header) {
  if (header.value("policy", "") != spec.policy) {
    return "policy " + header.value("policy", std::string("?")) + ", not " + spec.policy;
  }
  const nlohmann::json stored = TrainedPart(*r.entry, header.value("config", nlohmann::json()));
  if (stored != TrainedPart(*r.entry, r.config)) {
    return "policy config differs:" + Describe(stored, TrainedPart(*r.entry, r.config));
  }
  const nlohmann::json stored_run = header.value("run", nlohmann::json());
  if (stored_run != r.run.IdentityJson()) {
    return "run settings differ:" + Describe(stored_run, r.run.IdentityJson()) +
           "; a changed train_steps would restart the LR schedule mid-curve";
  }
  if (header.value("data_id", "") != r.data_id) {
    return "the demo file's content differs from the one it was trained on (" +
           header.value("data", std::string("?")) + ")";
  }
  if (header.value("obs_key", "") != r.obs_key) return "observation key differs";
  return "";
}

}  // namespace

std::string ResumeMismatch(const TrainRunSpec& spec, const std::string& checkpoint) {
  return Mismatch(spec, Resolve(spec), ReadCheckpointHeader(checkpoint));
}

TrainRunResult RunTraining(const TrainRunSpec& spec) {
  CheckDevice(spec.device);
  if (std::filesystem::exists(spec.out) && !std::filesystem::is_directory(spec.out)) {
    throw std::invalid_argument("--out " + spec.out +
                                " exists and is not a folder; pass a folder for the run");
  }
  CheckWritableFile("--out", spec.out + "/" + kCheckpointFile);
  const ResolvedRun resolved = Resolve(spec);
  const PolicyEntry& entry = *resolved.entry;
  const EnvOptions& env_options = resolved.env_options;
  const std::string& obs_key = resolved.obs_key;
  const int obs_dim = resolved.obs_dim;
  const int action_dim = resolved.action_dim;
  const nlohmann::json& config = resolved.config;
  const RunConfig& run = resolved.run;
  const std::string& data_id = resolved.data_id;

  const std::string ckpt = spec.out + "/" + kCheckpointFile;
  if (std::filesystem::exists(ckpt)) {
    const std::string what = Mismatch(spec, resolved, ReadCheckpointHeader(ckpt));
    if (!what.empty()) {
      throw std::invalid_argument(fmt::format(
          "{} holds a different run ({}); resume with the same options, or start a new run in "
          "another --out (or delete {})",
          spec.out, what, spec.out));
    }
  }

  auto policy = entry.create(config, obs_dim, action_dim, torch::Device(spec.device));
  CheckTrainingMemory(*policy, entry.name);
  const DemoFile file = DemoFile::Open(spec.data);
  const DemoSplit split = [&] {
    try {
      return SplitDemos(file.demo_names(), file.ReadMasks(), run.valid_ratio, policy->Seed());
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(spec.data + ": " + e.what());
    }
  }();
  if (split.train.empty()) throw std::invalid_argument(spec.data + ": no training demos after the split");
  const auto train_eps = LoadEpisodes(file, split.train, {obs_key});
  const auto valid_eps = split.valid.empty() ? std::vector<Episode>{}
                                             : LoadEpisodes(file, split.valid, {obs_key});
  TrainingData data;
  for (const auto& e : train_eps) {
    data.obs.push_back(&e.obs);
    data.actions.push_back(&e.actions);
  }
  policy->Fit(data);
  const Horizons window = policy->TrainingWindow();
  const SequenceSampler train_sampler(train_eps, window);
  std::unique_ptr<SequenceSampler> valid_sampler;
  if (!valid_eps.empty()) valid_sampler = std::make_unique<SequenceSampler>(valid_eps, window);
  spdlog::info("training {} on {} ({} train demos, {} valid, split by {}; {} windows; obs '{}' "
               "{}-d, actions {}-d) for {} steps of batch {} on {} with {} threads",
               spec.policy, spec.data, split.train.size(), split.valid.size(), split.source,
               train_sampler.size(), obs_key, obs_dim, action_dim, run.train_steps,
               policy->Training().batch_size, spec.device, TorchThreads());
  if (spec.device == "cpu") {
    const BlasKernel& blas = EnsureBlasKernel();
    spdlog::info("BLAS kernel: {}", DescribeBlasKernel(blas));
    WarnIfGenericBlas(blas);
  }

  TrainerSettings settings;
  settings.out_dir = spec.out;
  settings.run = run;
  settings.stop_after = spec.stop_after;
  settings.header = {{"policy", spec.policy},
                     {"config", config},
                     {"run", run.IdentityJson()},
                     {"run_settings", RunConfig::Schema().ToJson(run)},
                     {"env", {{"name", spec.env}, {"options", env_options}}},
                     {"obs_key", obs_key},
                     {"obs_dim", obs_dim},
                     {"action_dim", action_dim},
                     {"normalizers",
                      {{"obs", policy->ObsNormalizer().ToJson()},
                       {"actions", policy->ActionNormalizer().ToJson()}}},
                     {"data", spec.data},
                     {"data_id", data_id},
                     {"split", {{"source", split.source}, {"train", split.train.size()},
                                {"valid", split.valid.size()}}}};
  if (run.eval_every > 0) {
    const int episodes = run.eval_episodes;
    settings.evaluate = [env_name = spec.env, env_options, obs_key,
                         episodes](TrainablePolicy& p) {
      EvalRunSpec eval;
      eval.env_name = env_name;
      eval.env_options = env_options;
      eval.obs_key = obs_key;
      eval.seeds = SeedRange(kHeldOutSeedBase, episodes);
      const EvalSummary s = Summarize(RunEvaluation(p, eval).rows);
      return nlohmann::json{{"success", s.success.estimate}, {"score", s.score.estimate}};
    };
  }
  TrainRunResult result;
  result.train = Train(*policy, train_sampler, valid_sampler.get(), settings);
  result.config = config;
  result.run = run;
  result.checkpoint = ckpt;
  spdlog::info("trained steps {}..{} in {:.1f}s ({:.0f} samples/s); loss {:.4f} -> {:.4f}{}; "
               "checkpoint {}",
               result.train.start_step, result.train.end_step, result.train.seconds,
               result.train.samples_per_s, result.train.first_loss, result.train.last_loss,
               result.train.valid_loss
                   ? fmt::format(", valid loss {:.4f}", *result.train.valid_loss)
                   : "",
               ckpt);
  return result;
}

}  // namespace bcbench
