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
  int control_steps = 0;          // Env::Step calls timed
  long substeps = 0;              // substeps they made
  double env_substeps_per_s = 0;  // control steps x substeps per second through Env::Step
  double raw_steps_per_s = 0;     // bare mj_forward replaying the same inputs
  double ratio = 0;               // env / raw; 1 means the env adds nothing
  bool replay_exact = false;      // the bare loop found the env's contacts in every substep
};
// Steps the env through one long episode with a fixed target sequence for up
// to `control_steps` steps, recording the state, controls and mocap poses
// MuJoCo saw in every substep; then times bare mj_forward calls (collision and
// constraint solve) on those inputs. Both loops do the same physics (same
// contacts, same solver work), so the ratio isolates what the env adds: the
// control law, integration, labels, reward, observation bookkeeping.
// replay_exact checks the contacts.
// Best of three alternating rounds of each.
// The env must accept the option max_steps.
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
