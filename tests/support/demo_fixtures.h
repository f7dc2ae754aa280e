// Small synthetic demos with known contents, for dataset and policy tests.
#pragma once

#include <string>
#include <vector>

#include "datasets/demo.h"
#include "datasets/demo_file.h"

namespace bcbench::testing {

// Demo whose values encode (demo index, step, dimension) so tests can check
// exactly which rows came back: obs/state[t][d] = 1000 k + 10 t + d, actions
// likewise plus 0.5, phase = t % 2, mode_t = -1 for t < 2 then k % 2,
// mode = k % 2, seed = 100 + k.
inline Demo MakeDemo(int k, size_t steps, size_t obs_dim = 3, size_t action_dim = 2) {
  Demo demo;
  FloatArray state = FloatArray::Zeros({steps, obs_dim});
  FloatArray actions = FloatArray::Zeros({steps, action_dim});
  FloatArray states = FloatArray::Zeros({steps, 4});
  for (size_t t = 0; t < steps; ++t) {
    for (size_t d = 0; d < obs_dim; ++d) state.row(t)[d] = 1000.0f * k + 10.0f * t + d;
    for (size_t d = 0; d < action_dim; ++d) actions.row(t)[d] = 1000.0f * k + 10.0f * t + d + 0.5f;
    for (size_t d = 0; d < 4; ++d) states.row(t)[d] = -1.0f * t - d;
    demo.rewards.push_back(0.01f * t);
    demo.dones.push_back(t + 1 == steps);
    demo.phase.push_back(static_cast<int32_t>(t % 2));
    demo.mode_t.push_back(t < 2 ? -1 : k % 2);
  }
  demo.obs["state"] = state;
  demo.actions = actions;
  demo.states = states;
  demo.mode = k % 2;
  demo.seed = 100 + k;
  return demo;
}

// Writes `lengths.size()` demos made by MakeDemo into `path`.
inline void WriteDemoFile(const std::string& path, const std::vector<size_t>& lengths) {
  EnvArgs args{"toy", kBcbenchEnvType, {{"obs", "state"}}};
  DemoWriter writer(path, args, LabelNames{{"transit", "push"}, {"left", "right"}});
  for (size_t k = 0; k < lengths.size(); ++k) writer.Append(MakeDemo(static_cast<int>(k), lengths[k]));
  writer.Finish();
}

}  // namespace bcbench::testing
