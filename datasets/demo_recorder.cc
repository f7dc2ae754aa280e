#include "datasets/demo_recorder.h"

namespace bcbench {

Demo RecordDemo(Env& env, Expert& expert, uint64_t seed) {
  env.Reset(seed);
  expert.Reset(seed);
  Demo demo;
  demo.seed = seed;
  FloatArray states;
  const auto keys = env.ObsKeys();
  while (true) {
    for (const auto& key : keys) demo.obs[key].AppendRow(env.Observation(key));
    states.AppendRow(env.SimState());
    demo.effector.AppendRow(env.EffectorPosition());
    const std::vector<double> before = env.CommandedTarget();
    const StepResult result = env.Step(expert.Act());
    std::vector<double> applied = env.CommandedTarget();
    if (env.GetActionMode() == ActionMode::kDelta) {
      for (size_t i = 0; i < applied.size(); ++i) applied[i] -= before[i];
    }
    demo.actions.AppendRow(applied);
    demo.rewards.push_back(static_cast<float>(result.reward));
    demo.dones.push_back(result.done ? 1 : 0);
    demo.phase.push_back(result.phase);
    demo.mode_t.push_back(env.StepMode());
    if (result.done) break;
  }
  demo.states = std::move(states);
  demo.mode = env.Mode();
  return demo;
}

EnvArgs EnvArgsFor(const Env& env) {
  EnvArgs args;
  args.env_name = env.Name();
  args.env_type = kBcbenchEnvType;
  args.env_kwargs = env.Options();
  return args;
}

LabelNames LabelNamesFor(const Env& env) { return {env.PhaseNames(), env.ModeNames()}; }

}  // namespace bcbench
