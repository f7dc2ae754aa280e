#include "benchmarks/perf/pusht_perf.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "envs/pusht/pusht_env.h"
#include "envs/pusht/pusht_expert.h"

namespace bcbench {

PushTStepRate MeasurePushTControlSteps(int episodes, int rounds) {
  PushTEnv env({});
  PushTExpert expert(env, {});
  std::vector<std::vector<std::vector<double>>> targets(static_cast<size_t>(episodes));
  PushTStepRate out;
  out.episodes = episodes;
  for (int e = 0; e < episodes; ++e) {
    env.Reset(static_cast<uint64_t>(e));
    expert.Reset(static_cast<uint64_t>(e));
    StepResult r;
    do {
      r = env.Step(expert.Act());
      targets[static_cast<size_t>(e)].push_back(env.CommandedTarget());
    } while (!r.done);
    out.control_steps += static_cast<long>(targets[static_cast<size_t>(e)].size());
  }
  out.seconds = 1e30;
  for (int round = 0; round < std::max(1, rounds); ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int e = 0; e < episodes; ++e) {
      env.Reset(static_cast<uint64_t>(e));
      for (const auto& target : targets[static_cast<size_t>(e)]) env.Step(target);
    }
    out.seconds = std::min(
        out.seconds,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  out.control_steps_per_s = static_cast<double>(out.control_steps) / out.seconds;
  return out;
}

}  // namespace bcbench
