// Measurements behind `bcbench perf` (SPEC 9). Each figure is a ratio or rate
// taken in one process, so machines compare by ratio, not by seconds.
#pragma once

#include <cstdint>
#include <string>

namespace bcbench {

// FLOP/s of a 1024^3 single-precision matmul in LibTorch at the current
// thread count (best of a few repetitions).
double MeasureSgemmFlops();

struct EnvOverhead {
  double env_substeps_per_s = 0;  // control steps x substeps per second through Env::Step
  double raw_steps_per_s = 0;     // bare mj_step on the same model
  double ratio = 0;               // env / raw; 1 means the env adds nothing
};
// Steps the env with a fixed pseudo-random target sequence for `control_steps`,
// then times as many bare mj_step calls on a copy of the same model and start
// state. The bare loop sees no agent motion, so contacts are rarer there: the
// ratio is a conservative (low) estimate of the env's own overhead.
EnvOverhead MeasureEnvOverhead(const std::string& env_name, int control_steps);

struct ExpertStats {
  int episodes = 0;
  int successes = 0;
  double seconds = 0;
  double demos_per_s = 0;
};
// Records expert episodes on seeds [first_seed, first_seed + episodes) on one thread.
ExpertStats MeasureExpert(const std::string& env_name, int episodes, uint64_t first_seed);

struct VecEvalSpeedup {
  int episodes = 0;
  double batched_seconds = 0;    // all episodes stepped together, one policy call per decision
  double unbatched_seconds = 0;  // the same episodes one at a time
  double speedup = 0;
};
// Push-T rollouts of an untrained CPU-default Diffusion Policy (normalised by
// the env's bounds), so every episode runs its full length: the same work both ways.
VecEvalSpeedup MeasureVecEvalSpeedup(int episodes);

}  // namespace bcbench
