// The one environment interface that the runner, the viewer, the experts and
// every policy talk to. Environments label their own state (phase, mode) from
// the simulator so diagnostics never depend on what the policy believes.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <mujoco/mujoco.h>

namespace bcbench {

// Raised for anything a user can fix: unknown env or option, bad action,
// broken MJCF. The message names the thing and the fix.
class EnvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Names, dimension and bounds of one observation key or of the action.
struct SpaceSpec {
  std::vector<std::string> names;  // one per dimension
  std::vector<double> low;
  std::vector<double> high;
  int dim() const { return static_cast<int>(names.size()); }
};

// absolute: the action is a target (e.g. agent position); delta: the action is
// a displacement of the previous target, target_t = target_{t-1} + a_t.
enum class ActionMode { kAbsolute, kDelta };
ActionMode ParseActionMode(const std::string& text);  // "absolute" | "delta"
std::string ToString(ActionMode mode);

// What one control step produced.
struct StepResult {
  double reward = 0.0;
  bool success = false;
  bool done = false;        // success or step limit reached
  int phase = 0;            // index into Env::PhaseNames()
  int clipped_dims = 0;     // action components clipped to the bounds this step
};

// String options that build an env (observation type, action mode, ...);
// each env validates its own keys and lists the valid ones on error.
using EnvOptions = std::map<std::string, std::string>;

class Env {
 public:
  virtual ~Env() = default;

  virtual std::string Name() const = 0;
  virtual EnvOptions Options() const = 0;  // effective options, for reproduction

  // Observation keys this env provides (e.g. "state", "keypoints"); the first
  // one is the default policy input.
  virtual std::vector<std::string> ObsKeys() const = 0;
  virtual SpaceSpec ObsSpec(const std::string& key) const = 0;
  virtual SpaceSpec ActionSpec() const = 0;  // for the current action mode
  virtual ActionMode GetActionMode() const = 0;

  virtual void Reset(uint64_t seed) = 0;
  // Throws EnvError for a wrong dimension or a non-finite value; clips
  // out-of-bound values and reports how many in the result.
  virtual StepResult Step(const std::vector<double>& action) = 0;

  virtual std::vector<double> Observation(const std::string& key) const = 0;
  // Full simulator state (qpos, qvel, act, mocap, controller target), enough
  // to restore the episode exactly with SetSimState.
  virtual std::vector<double> SimState() const = 0;
  virtual void SetSimState(const std::vector<double>& state) = 0;

  virtual double Reward() const = 0;
  virtual bool Success() const = 0;
  virtual int StepCount() const = 0;
  virtual int MaxSteps() const = 0;
  virtual double ControlHz() const = 0;
  virtual int Substeps() const = 0;

  // Labels for the diagnostics.
  virtual std::vector<std::string> PhaseNames() const = 0;
  virtual int Phase() const = 0;
  virtual std::vector<std::string> ModeNames() const = 0;
  virtual int Mode() const = 0;  // -1 while the episode has not committed
  // The mode as of this step (-1 while undecided): the behaviour the state
  // shows now, so that switches within an episode can be counted. Mode() is
  // its first decided value.
  virtual int StepMode() const { return Mode(); }
  // Partial task scores of the current state, each in [0, 1], by name (the
  // stack's p1 = some cube rests on another, p2 = a tower of three); empty
  // for envs without them. An episode's partial score is its maximum over
  // the episode's steps.
  virtual std::vector<std::pair<std::string, double>> PartialScores() const { return {}; }

  // The absolute target currently commanded (the same in both action modes);
  // the idle-action and smoothness metrics read it.
  virtual std::vector<double> CommandedTarget() const = 0;
  // Names and bounds of the commanded target (the workspace). Equal to the
  // action spec in absolute mode; envs with a delta mode override it.
  virtual SpaceSpec TargetSpec() const { return ActionSpec(); }
  // Where the effector (agent, claw, gripper) is now, in the target's units:
  // "holding still" in the idle-action metric needs the effector still too.
  virtual std::vector<double> EffectorPosition() const = 0;
  // Where a commanded target (TargetSpec units) lies in the world, in metres:
  // the point the effector is driven to. The viewer draws predicted action
  // chunks through it; nullopt for an env whose targets have no place.
  virtual std::optional<std::array<double, 3>> TargetWorldPoint(
      const std::vector<double>& target) const {
    (void)target;
    return std::nullopt;
  }

  // The simulator, for the viewer, renderers and `bcbench perf` (which times
  // raw mj_step on the same model). Owned by the env.
  virtual const mjModel* Model() const = 0;
  virtual const mjData* Data() const = 0;
};

// A scripted demonstrator bound to one env instance.
class Expert {
 public:
  virtual ~Expert() = default;
  // Called after Env::Reset(seed); the expert draws its own choices (mode,
  // idle pauses, noise) from this seed.
  virtual void Reset(uint64_t seed) = 0;
  // The next action in the env's action mode.
  virtual std::vector<double> Act() = 0;
};

// Options for scripted experts shared by every env (SPEC 4).
struct ExpertOptions {
  double idle_prob = 0.0;            // pause probability at each phase change
  int idle_min_steps = 3;
  int idle_max_steps = 10;
  double noise = 0.0;                // Gaussian std on targets, env units
  std::vector<double> mode_weights;  // empty: the env's default (uniform)
};

}  // namespace bcbench
