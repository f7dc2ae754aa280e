// Env::TargetWorldPoint is where the viewer draws predicted actions: for
// every env, the target equal to the effector's position must map onto the
// effector body's world position, computed by MuJoCo's own kinematics.
#include <gtest/gtest.h>

#include <string>

#include "envs/mujoco_handles.h"
#include "envs/registry.h"

namespace bcbench {
namespace {

// The body the target drives, per env.
std::string EffectorBody(const std::string& env) {
  if (env == "pusht") return "agent";
  if (env == "claw") return "claw";
  if (env == "stack") return "gripper";
  return "";
}

TEST(TargetWorldPoint, TheEffectorsOwnPositionMapsOntoItsBodyInTheWorld) {
  for (const std::string& name : EnvNames()) {
    SCOPED_TRACE(name);
    const std::string body_name = EffectorBody(name);
    ASSERT_FALSE(body_name.empty()) << "no effector body named for env " << name;
    auto env = MakeEnv(name);
    auto expert = MakeExpert(*env);
    env->Reset(3);
    expert->Reset(3);
    const mjModel* m = env->Model();
    const int body = mj_name2id(m, mjOBJ_BODY, body_name.c_str());
    ASSERT_GE(body, 0);
    MjDataPtr d = MakeData(m);
    for (int step = 0; step < 25; ++step) {
      // Forward kinematics of the current qpos (the env's data holds the
      // positions of the last substep's start).
      mju_copy(d->qpos, env->Data()->qpos, m->nq);
      mj_kinematics(m, d.get());
      const auto point = env->TargetWorldPoint(env->EffectorPosition());
      ASSERT_TRUE(point.has_value());
      const double* x = d->xpos + 3 * body;
      for (int k = 0; k < 3; ++k) EXPECT_NEAR((*point)[k], x[k], 1e-6) << "axis " << k;
      env->Step(expert->Act());
    }
    EXPECT_FALSE(env->TargetWorldPoint({}).has_value());
  }
}

}  // namespace
}  // namespace bcbench
