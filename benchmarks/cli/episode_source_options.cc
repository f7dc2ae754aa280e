#include "benchmarks/cli/episode_source_options.h"

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "policies/policy_registry.h"

namespace bcbench {

void AddEpisodeSourceOptions(CLI::App& cmd, EpisodeSourceArgs& a, const std::string& what) {
  cmd.add_option("--env", a.env,
                 "environment (required for the expert; taken from the checkpoint or demo "
                 "file otherwise)");
  auto* checkpoint = cmd.add_option("--checkpoint", a.checkpoint,
                                    what + " this policy (run folder or checkpoint.pt from train)");
  auto* replay = cmd.add_option("--replay", a.replay,
                                "replay a recorded demo of this demo file (from its stored states)");
  checkpoint->excludes(replay);
  a.demo_option = cmd.add_option("--demo", a.demo, "which demo of --replay: data/demo_<k>")
                      ->check(WholeNumber(0))
                      ->capture_default_str();
  a.seed_option = cmd.add_option("--seed", a.seed, "episode seed of the expert or policy")
                      ->check(WholeNumber(0))
                      ->capture_default_str();
  cmd.add_flag("--probe", a.probe,
               "start from the env's probe state (the Push-T left/right probe; "
               "the same as --env-opt start=probe)");
  cmd.add_option("--env-opt", a.env_opts,
                 "env option key=value (repeatable; over the checkpoint's or demo file's)");
  cmd.add_option("--device", a.device, "policy device: cpu or cuda")->capture_default_str();
  cmd.add_option("--policy-seed", a.policy_seed, "seed of the policy's sampling noise")
      ->check(WholeNumber(0))
      ->capture_default_str();
  cmd.add_option("--samples", a.samples,
                 "predicted chunks drawn per decision: the executed one plus samples from "
                 "other random streams (shows a policy's multimodality)")
      ->check(WholeNumber(1, 64))
      ->capture_default_str();
}

EpisodeSource ToEpisodeSource(const EpisodeSourceArgs& a) {
  const bool policy = !a.checkpoint.empty(), replay = !a.replay.empty();
  if (replay && a.seed_option != nullptr && a.seed_option->count() > 0) {
    throw UsageError("--seed does not apply to --replay, which shows a recorded demo: choose it "
                     "with --demo k");
  }
  if (!replay && a.demo_option != nullptr && a.demo_option->count() > 0) {
    throw UsageError("--demo k chooses a demo of --replay F.hdf5; without --replay use --seed");
  }
  if (a.samples > 1 && !policy) {
    throw UsageError("--samples draws a policy's predicted chunks: it needs --checkpoint DIR");
  }
  if (a.device != "cpu" && !policy) {
    throw UsageError("--device " + a.device + " applies to a policy (--checkpoint DIR); the " +
                     (replay ? "replay" : "expert") + " runs on the CPU: leave --device out");
  }
  EpisodeSource source;
  LiveEpisodeSpec& s = source.spec;
  s.env_name = a.env;
  for (const auto& text : a.env_opts) s.env_options.push_back(ParseSetting(text));
  if (a.probe) {
    for (const auto& [key, value] : s.env_options) {
      if (key == "start" && value != "probe") {
        throw UsageError("--probe and --env-opt start=" + value + " disagree; pass one of them");
      }
    }
    s.env_options.emplace_back("start", "probe");
  }
  s.checkpoint = a.checkpoint;
  s.replay = a.replay;
  s.device = a.device;
  s.policy_seed = a.policy_seed;
  s.chunk_samples = a.samples;
  source.index = replay ? static_cast<uint64_t>(a.demo) : a.seed;
  return source;
}

}  // namespace bcbench
