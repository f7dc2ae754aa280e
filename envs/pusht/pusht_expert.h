// Scripted Push-T demonstrator: a sampling planner over straight pushes that
// scores candidates by simulating them in MuJoCo on a scratch mjData (the
// env's own data is only read), then replays the winner's targets.
//
// One cycle: pick a contact site on the T and a push (direction, length, with
// a speed that falls as the block nears the goal); travel around the block to
// the site without touching it; push; back off one step; re-plan. Candidates
// (36 sites x 3 directions) are screened by a push-only simulation from the
// site; the best 4 are simulated in full from the exact current state, once
// going around the T each way, with the push length refined around the
// screening's choice; the fastest reduction of PlanCost per step wins. The
// simulation runs the env's own PushTPhysics, so without noise a replayed
// plan reproduces its prediction exactly; noise or a pause that takes the
// block off the predicted path triggers a re-plan.
//
// Multimodality: while the env's mode is undecided, if the best plans on the
// left and on the right are within 20% of each other, the side is drawn with
// odds mode_weights (default 1:1). Idle pauses and target noise: the shared
// IdleInjector (envs/idle_injection.h), keyed to the env's debounced phase
// label. All draws come from a stream seeded by Reset.
//
// Pushes are frictionless, as in the original: the disc pushes along the
// contact normal only, so a push turned off the normal also slides the disc
// along the face.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "envs/env.h"
#include "envs/idle_injection.h"
#include "envs/mujoco_handles.h"
#include "envs/pusht/pusht_env.h"
#include "envs/pusht/pusht_geometry.h"

namespace bcbench {

class PushTExpert : public Expert {
 public:
  PushTExpert(PushTEnv& env, const ExpertOptions& options);

  void Reset(uint64_t seed) override;
  std::vector<double> Act() override;

  // Pose error the planner minimises: RMS distance (px) between the T's eight
  // outline vertices at `block` and at the goal.
  static double PoseError(const pusht::Pose2& block);
  // What a push is chosen to reduce: the pose error plus 50 px per unit of
  // missing coverage, so that the last pushes aim at coverage itself.
  static double PlanCost(const pusht::Pose2& block);

 private:
  // A place on the T's outline where the disc can push, block frame.
  struct Site {
    pusht::Vec2 point;   // on the outline
    pusht::Vec2 normal;  // outward unit normal
  };
  // A candidate push from the screening stage.
  struct Candidate {
    int site = 0;
    double turn = 0.0;   // push direction relative to the inward normal, rad
    int push_steps = 0;  // control steps during which the target advances
    double rate = 0.0;   // screening estimate of error reduction per step
    double path_length = 0.0;
  };
  // A candidate simulated in full from the current state.
  struct Rollout {
    std::vector<pusht::Vec2> targets;  // absolute target per control step
    std::vector<pusht::Pose2> poses;   // predicted block pose after each step
    double score = -1e300;
    int mode = -1;  // env mode label predicted by the rollout
    bool success = false;
  };

  void Replan();
  std::vector<Candidate> Screen(const pusht::Pose2& block, double cost);
  Rollout Simulate(const Candidate& candidate, const std::vector<pusht::Vec2>& path_local,
                   const pusht::Pose2& block, double cost);
  // Collision-free way (block frame) from the agent to the site's approach
  // point, going around the T counter-clockwise (0), clockwise (1) or either (-1).
  bool PlanPath(pusht::Vec2 start_local, pusht::Vec2 goal_local, int turning,
                std::vector<pusht::Vec2>* path, double* length) const;
  // The part of the scratch mjData that a substep reads.
  struct ScratchSnapshot {
    std::vector<double> values;
  };
  void LoadScratchFromEnv();
  void SaveScratch(ScratchSnapshot* snapshot) const;
  void RestoreScratch(const ScratchSnapshot& snapshot);
  double PushSpeed(double cost) const;

  const PushTEnv& env_;  // read only: look-ahead runs on scratch_
  ExpertOptions options_;
  std::mt19937_64 rng_;
  std::vector<Site> sites_;
  MjDataPtr scratch_;
  IdleInjector idle_;

  // The plan being replayed.
  std::vector<pusht::Vec2> plan_targets_;
  std::vector<pusht::Pose2> plan_poses_;
  size_t plan_index_ = 0;

};

}  // namespace bcbench
