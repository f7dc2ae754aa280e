#include "datasets/demo_recorder.h"

#include <algorithm>

namespace bcbench {

std::vector<double> StoredAction(const Env& env, std::vector<double> action) {
  const SpaceSpec spec = env.ActionSpec();
  for (size_t i = 0; i < action.size(); ++i) {
    action[i] = static_cast<float>(action[i]);
    if (i < spec.low.size()) action[i] = std::clamp(action[i], spec.low[i], spec.high[i]);
  }
  return action;
}

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
    // The action is stored as float32, so the env executes exactly the
    // stored value (rounded, then clipped to the action bounds as Step
    // would): replaying the file's actions reproduces the episode bit for bit.
    const std::vector<double> action = StoredAction(env, expert.Act());
    const StepResult result = env.Step(action);
    demo.actions.AppendRow(action);
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
