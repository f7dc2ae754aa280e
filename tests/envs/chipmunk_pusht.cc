#include "envs/chipmunk_pusht.h"

#include <chipmunk/chipmunk_structs.h>

#include <cmath>

namespace bcbench::testing {

namespace {

constexpr double kKp = 100.0;
constexpr double kKv = 20.0;

}  // namespace

ChipmunkPushT::ChipmunkPushT() {
  // The original builds its space, bodies and shapes in this order (_setup).
  block_.reset(cpBodyNew(1.0, 3000.0));
  agent_.reset(cpBodyNewKinematic());
  space_.reset(cpSpaceNew());
  cpSpace* space = space_.get();
  cpSpaceSetGravity(space, cpv(0.0, 0.0));
  cpSpaceSetDamping(space, 0.0);
  cpBody* ground = cpSpaceGetStaticBody(space);
  const cpVect wall_ends[4][2] = {{cpv(5, 506), cpv(5, 5)},
                                  {cpv(5, 5), cpv(506, 5)},
                                  {cpv(506, 5), cpv(506, 506)},
                                  {cpv(5, 506), cpv(506, 506)}};
  for (const auto& ends : wall_ends) {
    shapes_.emplace_back(cpSegmentShapeNew(ground, ends[0], ends[1], 2.0));
  }
  cpBodySetPosition(agent_.get(), cpv(256, 400));
  shapes_.emplace_back(cpCircleShapeNew(agent_.get(), 15.0, cpvzero));
  agent_shape_ = shapes_.back().get();
  const cpVect bar[4] = {cpv(-60, 30), cpv(60, 30), cpv(60, 0), cpv(-60, 0)};
  const cpVect stem[4] = {cpv(-15, 30), cpv(-15, 120), cpv(15, 120), cpv(15, 30)};
  shapes_.emplace_back(cpPolyShapeNew(block_.get(), 4, bar, cpTransformIdentity, 0.0));
  shapes_.emplace_back(cpPolyShapeNew(block_.get(), 4, stem, cpTransformIdentity, 0.0));
  cpBodySetCenterOfGravity(block_.get(), cpv(0.0, 45.0));
  cpSpaceAddBody(space, agent_.get());
  cpSpaceAddBody(space, block_.get());
  for (auto& shape : shapes_) cpSpaceAddShape(space, shape.get());
}

void ChipmunkPushT::ResetTo(const pusht::Pose2& block, pusht::Vec2 agent) {
  SetState({block, {0.0, 0.0, 0.0}, agent, {0.0, 0.0}});
  cpSpaceStep(space_.get(), kDt);
}

void ChipmunkPushT::SetState(const State& state) {
  // A fresh contact graph: drop the cached arbiters by taking the bodies out
  // and back in (removal invalidates their arbiters).
  cpSpace* space = space_.get();
  for (auto& shape : shapes_) {
    if (cpShapeGetBody(shape.get()) != cpSpaceGetStaticBody(space)) {
      cpSpaceRemoveShape(space, shape.get());
    }
  }
  cpSpaceRemoveBody(space, agent_.get());
  cpSpaceRemoveBody(space, block_.get());
  cpBodySetAngle(block_.get(), state.block.angle);
  cpBodySetPosition(block_.get(), cpv(state.block.x, state.block.y));
  cpBodySetVelocity(block_.get(), cpv(state.block_velocity.x, state.block_velocity.y));
  cpBodySetAngularVelocity(block_.get(), state.block_velocity.angle);
  block_->v_bias = cpvzero;
  block_->w_bias = 0.0;
  cpBodySetPosition(agent_.get(), cpv(state.agent.x, state.agent.y));
  cpBodySetVelocity(agent_.get(), cpv(state.agent_velocity.x, state.agent_velocity.y));
  cpSpaceAddBody(space, agent_.get());
  cpSpaceAddBody(space, block_.get());
  for (auto& shape : shapes_) {
    if (cpShapeGetBody(shape.get()) != cpSpaceGetStaticBody(space)) {
      cpSpaceAddShape(space, shape.get());
    }
  }
}

ChipmunkPushT::State ChipmunkPushT::GetState() const {
  State s;
  s.block = BlockPose();
  const cpVect v = cpvadd(cpBodyGetVelocity(block_.get()), block_->v_bias);
  s.block_velocity = {v.x, v.y, cpBodyGetAngularVelocity(block_.get()) + block_->w_bias};
  s.agent = AgentPosition();
  const cpVect av = cpBodyGetVelocity(agent_.get());
  s.agent_velocity = {av.x, av.y};
  return s;
}

bool ChipmunkPushT::Substep(const double target[2]) {
  cpBody* agent = agent_.get();
  const cpVect p = cpBodyGetPosition(agent);
  const cpVect v = cpBodyGetVelocity(agent);
  const cpVect acc = cpv(kKp * (target[0] - p.x) - kKv * v.x, kKp * (target[1] - p.y) - kKv * v.y);
  cpBodySetVelocity(agent, cpvadd(v, cpvmult(acc, kDt)));
  cpSpaceStep(space_.get(), kDt);
  bool touching = false;
  cpBodyEachArbiter(
      agent, [](cpBody*, cpArbiter*, void* flag) { *static_cast<bool*>(flag) = true; },
      &touching);
  return touching;
}

bool ChipmunkPushT::ControlStep(const double target[2]) {
  bool touched = false;
  for (int s = 0; s < kSubsteps; ++s) touched = Substep(target) || touched;
  return touched;
}

pusht::Pose2 ChipmunkPushT::BlockPose() const {
  const cpVect p = cpBodyGetPosition(block_.get());
  return {p.x, p.y, cpBodyGetAngle(block_.get())};
}

pusht::Vec2 ChipmunkPushT::AgentPosition() const {
  const cpVect p = cpBodyGetPosition(agent_.get());
  return {p.x, p.y};
}

}  // namespace bcbench::testing
