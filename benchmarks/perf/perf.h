// Measurements behind `bcbench perf` (SPEC 9). Each figure is a ratio or rate
// taken in one process, so machines compare by ratio, not by seconds.
#pragma once

#include <cstdint>
#include <string>

#include "envs/env.h"

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
// The MuJoCo call an env makes per substep, which the bare loop replays:
// mj_forward for envs that integrate themselves (Push-T's quasi-static
// stepping), mj_step for envs that let MuJoCo integrate (claw, stack).
enum class SubstepCall { kForward, kStep };
// Steps the env through one long episode with a fixed target sequence for up
// to `control_steps` steps, recording the state, controls and mocap poses
// MuJoCo saw in every substep; then times bare `call`s (mj_forward: collision
// and constraint solve on each substep's recorded state; mj_step: that plus
// MuJoCo's integration, running on from the env's reset state with each
// substep's recorded controls) on those inputs. Both loops do the same physics
// (same contacts, same solver work), so the ratio isolates what the env adds:
// the control law, integration done outside MuJoCo, labels, reward,
// observation bookkeeping. replay_exact checks the contacts (and for mj_step
// that the replay ends in the env's final positions).
// Best of three alternating rounds of each.
// The env must accept the option max_steps.
// `options` are passed to the env as well (Push-T: skip_free_substeps=off,
// so that the env and the bare loop run the same physics in every substep).
EnvOverhead MeasureEnvOverhead(const std::string& env_name, int control_steps,
                               EnvOptions options = {},
                               SubstepCall call = SubstepCall::kForward);

struct ExpertStats {
  int episodes = 0;
  int successes = 0;
  double seconds = 0;
  double demos_per_s = 0;
};
// Records expert episodes on seeds [first_seed, first_seed + episodes) on one thread.
ExpertStats MeasureExpert(const std::string& env_name, int episodes, uint64_t first_seed);

struct EvalFloor {
  int episodes = 0;
  int control_steps = 0;          // env steps all episodes took
  long denoiser_rows = 0;         // network evaluations x batch rows they needed
  double denoiser_flops = 0;      // denoiser_rows x conv/linear FLOPs of one forward
  double sgemm_flops = 0;         // 1024^3 sgemm FLOP/s at the same threads, best round
  double wall_seconds = 0;        // the batched evaluation, best round
  double env_seconds = 0;         // the same env steps alone (same actions), best round
  double floor_seconds = 0;       // denoiser_flops / sgemm_flops + env_seconds
  double ratio = 0;               // wall_seconds / floor_seconds; 1 is the floor
  int rounds = 0;
};
// Push-T evaluation of an untrained CPU-default Diffusion Policy (DDIM-10,
// normalised by the env's bounds, so every episode runs its full length),
// all episodes stepped together, against its floor: the denoiser FLOPs it
// needed at the sgemm rate plus the env steps alone. Best of `rounds`
// alternating rounds of each (the sgemm measured in every round too).
EvalFloor MeasureEvalFloor(int episodes, int rounds);

struct VecEvalSpeedup {
  int episodes = 0;
  double batched_seconds = 0;    // all episodes stepped together, one policy call per decision
  double unbatched_seconds = 0;  // the same episodes one at a time
  double speedup = 0;
};
// Push-T rollouts of an untrained CPU-default Diffusion Policy (normalised by
// the env's bounds), so every episode runs its full length: the same work both ways.
VecEvalSpeedup MeasureVecEvalSpeedup(int episodes);

struct PolicyInference {
  std::string policy;
  int batch = 0;
  int action_horizon = 0;     // Ta: env steps one call serves
  double call_ms = 0;         // one Act call for `batch` episodes, best of the rounds' medians
  double per_step_ms = 0;     // call_ms / Ta: the policy's cost per control step of the batch
};
// Any registered policy, untrained with `preset` (empty: its default),
// normalised by Push-T's bounds (keypoints): the time of one Act call on
// `batch` episode slots of random in-bounds observation histories, at the
// current threads.
PolicyInference MeasurePolicyInference(const std::string& policy, const std::string& preset,
                                       int batch, int rounds);

}  // namespace bcbench
