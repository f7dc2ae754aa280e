// Rolls out a scripted expert and records the episode as a Demo (the first
// stage of the data flow: envs + experts -> demo files).
#pragma once

#include <cstdint>
#include <vector>

#include "datasets/demo.h"
#include "envs/env.h"

namespace bcbench {

// Resets `env` and `expert` with `seed` and steps until done. Records per step
// the observation before the action (every obs key), the simulator state, the
// effector position, the action as the env applied it (clipped; in delta mode the effective target
// change), reward, done, phase and the step mode after the step (mode_t); per
// demo the mode and the seed.
Demo RecordDemo(Env& env, Expert& expert, uint64_t seed);

// An expert's action as a demo stores it and the env then executes it:
// rounded to float32 and clipped to the action bounds, so that replaying a
// file's actions (or watching the expert live) reproduces its episode bit
// for bit.
std::vector<double> StoredAction(const Env& env, std::vector<double> action);

// The env_args and label names a demo file of this env carries.
EnvArgs EnvArgsFor(const Env& env);
LabelNames LabelNamesFor(const Env& env);

}  // namespace bcbench
