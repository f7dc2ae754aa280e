// Test-only replica of the original Push-T (diffusion_policy's pusht_env.py on
// pymunk 6.2.1 = Chipmunk 7) on Debian's Chipmunk 7.0.3, the reference that
// the MuJoCo env is held to. Only the physics: space damping 0, gravity 0,
// Chipmunk's defaults otherwise (10 iterations, collision slop 0.1, bias
// 0.9^60, friction 0 on every shape); walls are static segments of radius 2 at
// 5 and 506; the T a body of mass 1 and moment 3000 whose two poly shapes carry
// no mass, centre of gravity (0, 45); the agent a kinematic circle of radius 15
// whose velocity the PD law sets before every 0.01 s space step.
//
// Coordinates are the MuJoCo env's (px, y up, the same block frame); Chipmunk's
// dynamics are mirror-symmetric, so this is the original up to the mirror.
#pragma once

#include <chipmunk/chipmunk.h>

#include <memory>
#include <vector>

#include "envs/pusht/pusht_geometry.h"

namespace bcbench::testing {

struct CpSpaceDeleter {
  void operator()(cpSpace* s) const { cpSpaceFree(s); }
};
struct CpBodyDeleter {
  void operator()(cpBody* b) const { cpBodyFree(b); }
};
struct CpShapeDeleter {
  void operator()(cpShape* s) const { cpShapeFree(s); }
};

class ChipmunkPushT {
 public:
  static constexpr double kDt = 0.01;
  static constexpr int kSubsteps = 10;

  // The full dynamic state: block pose (origin, as observed), the velocity the
  // T will move by in the next space step (CoG px/s, rad/s), agent position
  // and velocity.
  struct State {
    pusht::Pose2 block;
    pusht::Pose2 block_velocity;
    pusht::Vec2 agent;
    pusht::Vec2 agent_velocity;
  };

  ChipmunkPushT();
  ChipmunkPushT(const ChipmunkPushT&) = delete;
  ChipmunkPushT& operator=(const ChipmunkPushT&) = delete;

  // The original's _set_state: the agent and the block placed at rest (the
  // block's final pose; with legacy_test the caller has already turned it
  // about its centre of gravity, see PushTEnv::RandomStart), then one space
  // step with the agent at rest.
  void ResetTo(const pusht::Pose2& block, pusht::Vec2 agent);
  // Sets the state without stepping (no cached impulses: a fresh contact graph).
  void SetState(const State& state);
  State GetState() const;

  // One space step after the PD law sets the agent's velocity; returns whether
  // the agent touches the block after it.
  bool Substep(const double target[2]);
  // The original's step(): kSubsteps substeps towards the target.
  bool ControlStep(const double target[2]);

  pusht::Pose2 BlockPose() const;
  pusht::Vec2 AgentPosition() const;

 private:
  // Bodies and shapes are freed after the space (declared before it), which
  // still touches its bodies while it is freed.
  std::unique_ptr<cpBody, CpBodyDeleter> block_;
  std::unique_ptr<cpBody, CpBodyDeleter> agent_;
  std::vector<std::unique_ptr<cpShape, CpShapeDeleter>> shapes_;
  std::unique_ptr<cpSpace, CpSpaceDeleter> space_;
  cpShape* agent_shape_ = nullptr;
};

}  // namespace bcbench::testing
