// Block stacking (SPEC 4.3) in MuJoCo: a table, three 5 cm cubes (red, green,
// blue) and a Cartesian gripper with yaw and two parallel jaws (stack.xml).
// Task: a tower of all three, in any order, standing for 1 s with the gripper
// open and clear. Units: metres and radians, z up, the table top at z = 0;
// the grasp point is midway between the jaw pads (see stack.xml).
// 10 Hz control over 5 ms physics (20 mj_step substeps per control step).
//
// Options (EnvOptions):
//   obs          state                 the only observation key
//   action_mode  absolute | delta      absolute: the target below; delta: target += action,
//                                      bounded per step to +-kMaxDeltaXyz m (x, y, z),
//                                      +-kMaxDeltaYaw rad and +-1 grip
//   max_steps    integer, default 200  the expert needs 73 steps on average and 80 at most
//                                      on seeds 0..199 (94 on average with idle_prob 0.3);
//                                      200 leaves room for pauses, noise and a policy's
//                                      retries
// Action (absolute) = target [x, y, z, yaw, grip]: the grasp point's position
// (x, y in [-kXyLimit, kXyLimit], z in [kZLow, kZHigh]), the gripper's yaw about z
// ([-kYawLimit, kYawLimit]) and grip in [0, 1]: 0 = jaws open (8 cm apart),
// 1 = closed; in between, the jaws' servo target is (1 - grip) x 4 cm per jaw
// (closed on a cube they squeeze it with 7.5 N). Out of bound values are
// clipped and counted. The servos (stack.xml) follow the target within about
// 0.15 s.
// Observation "state" (17) = [gripper_x, gripper_y, gripper_z, gripper_yaw,
// jaw_opening, then per cube (red, green, blue) x, y, z, yaw]: the grasp point
// and the yaw of the gripper (joint values), the distance between the pads'
// inner faces, each cube's centre and its yaw modulo the cube's 90 degree
// symmetry, in [-pi/4, pi/4) (the yaw of whichever cube axis lies nearest the
// horizontal plane, so a tipped cube has one too).
// Reset: the cubes at rest on the table at uniform positions in
// [-kSpawnHalfWidth, kSpawnHalfWidth]^2 with centres at least kSpawnSeparation
// apart (rejection sampling), uniform yaw; the gripper at (0, 0, 0.15), yaw 0,
// jaws open; then one control step with the target held, to settle contacts.
// Draws come from a stream seeded by the seed (envs/sampling.h).
//
// Definitions (all from the simulator state after a control step):
//   a cube "rests on" another: centres within kAlignTolerance horizontally,
//     heights kCubeSize +- kHeightTolerance apart, and the upper one touched by
//     no part of the gripper;
//   tower: bottom on the table (centre at kCubeSize / 2 +- kHeightTolerance),
//     middle rests on bottom, top rests on middle;
//   success: the tower stands, every cube is slower than kStillSpeed, the jaws
//     are open (opening >= kOpenJaws), no gripper part touches a cube and the
//     pads' lower ends are above the tower's top face, for kStableSteps (10)
//     consecutive control steps (1 s); the episode then ends;
//   partial scores (PartialScores, the runner keeps each one's maximum over
//     the episode): p1 = 1 while some cube rests on another, p2 = 1 while the
//     tower stands (2 cubes stacked); both without the stability or gripper
//     conditions of success;
//   reward: 1 on success, else 0.4 while one cube rests on another and 0.8
//     while the tower stands, else 0.
// Labels:
//   mode: the stacking order, one of 6 named bottom to top by the cubes'
//     initials ("B-R-G": blue at the bottom, green on top), ModeNames order.
//     The state decides an order when the tower stands (its order) or when a
//     cube rests on another (that pair, the third cube on top). StepMode is
//     the latest order decided (it stays while nothing is decided) once it has
//     held kLabelHoldSteps (2) steps; Mode is the first one, -1 until then.
//   phase: reach, grasp, lift, move, place, release (kPhaseNames order), per
//     cube handled; see RawPhase in stack_env.cc for the rule; debounced: it
//     follows a new raw value once that held kLabelHoldSteps (2) steps. An
//     expert episode goes exactly reach > grasp > lift > move > place >
//     release > reach > grasp > lift > move > place > release.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "envs/debounced_label.h"
#include "envs/env.h"
#include "envs/mujoco_handles.h"

namespace bcbench {

class StackEnv : public Env {
 public:
  static constexpr int kNumCubes = 3;
  static constexpr double kControlHz = 10.0;
  static constexpr double kCubeSize = 0.05;     // edge, m
  static constexpr double kMaxJaw = 0.04;       // one jaw's travel from closed, m
  static constexpr double kPadBelow = 0.02;     // pads' lower ends below the grasp point, m
  // Target workspace.
  static constexpr double kXyLimit = 0.25;      // |x|, |y| of the grasp point, m
  static constexpr double kZLow = 0.02;         // pads' lower ends at the table top
  static constexpr double kZHigh = 0.30;
  static constexpr double kYawLimit = 1.6;      // rad, a little over pi/2
  // Delta mode: largest change of the target per control step (0.5 m/s, 3 rad/s).
  static constexpr double kMaxDeltaXyz = 0.05;
  static constexpr double kMaxDeltaYaw = 0.3;
  // The same as bounds per action dimension (x, y, z, yaw, grip).
  static constexpr double kTargetLow[5] = {-kXyLimit, -kXyLimit, kZLow, -kYawLimit, 0.0};
  static constexpr double kTargetHigh[5] = {kXyLimit, kXyLimit, kZHigh, kYawLimit, 1.0};
  static constexpr double kMaxDelta[5] = {kMaxDeltaXyz, kMaxDeltaXyz, kMaxDeltaXyz,
                                          kMaxDeltaYaw, 1.0};
  // Reset.
  static constexpr double kSpawnHalfWidth = 0.15;
  // Open jaws span 8 cm: a pad's outer face is 5 cm from the grasp point, and a
  // neighbour's nearest point is at least 12 - 3.5 = 8.5 cm away in any yaw.
  static constexpr double kSpawnSeparation = 0.12;
  static constexpr double kGripperStartZ = 0.15;
  // Stacking tolerances (see the header).
  static constexpr double kAlignTolerance = 0.02;    // 40% of the edge: the centre of mass
                                                     // stays over the face below
  static constexpr double kHeightTolerance = 0.008;  // a tilt of about 20 deg exceeds it
  static constexpr double kStillSpeed = 0.05;        // m/s
  static constexpr double kOpenJaws = 0.06;          // m, 1 cm per side around a cube
  static constexpr int kStableSteps = 10;            // 1 s at 10 Hz
  static constexpr int kLabelHoldSteps = 2;
  // Phase rule distances (stack_env.cc RawPhase).
  static constexpr double kLiftRadius = 0.02;    // lift ends this far (xy) from the pick point
  static constexpr double kPlaceRadius = 0.03;   // place: held cube within this (xy) over a cube
  static constexpr double kPlaceHeight = 0.03;   // and its bottom within this above that top
  static constexpr double kReleaseHeight = 0.06; // release: grasp point below a stacked top + this

  enum Phase { kReach = 0, kGrasp, kLift, kMove, kPlace, kRelease };
  enum CubeId { kRed = 0, kGreen = 1, kBlue = 2 };  // index of each cube everywhere
  static const std::vector<std::string>& PhaseNameList();
  // The 6 stacking orders, bottom to top, in ModeNames order.
  static const std::array<std::array<int, 3>, 6>& Orders();
  static std::string OrderName(int mode);  // "B-R-G"
  // The mode of an order (bottom, middle, top); -1 if it is not a permutation.
  static int ModeOf(int bottom, int middle, int top);

  explicit StackEnv(const EnvOptions& options);

  std::string Name() const override { return "stack"; }
  EnvOptions Options() const override;
  std::vector<std::string> ObsKeys() const override { return {"state"}; }
  SpaceSpec ObsSpec(const std::string& key) const override;
  SpaceSpec ActionSpec() const override;
  SpaceSpec TargetSpec() const override;
  ActionMode GetActionMode() const override { return config_.action_mode; }

  void Reset(uint64_t seed) override;
  StepResult Step(const std::vector<double>& action) override;

  std::vector<double> Observation(const std::string& key) const override;
  std::vector<double> SimState() const override;
  void SetSimState(const std::vector<double>& state) override;

  double Reward() const override;
  bool Success() const override { return success_; }
  int StepCount() const override { return step_count_; }
  int MaxSteps() const override { return config_.max_steps; }
  double ControlHz() const override { return kControlHz; }
  int Substeps() const override { return substeps_; }

  std::vector<std::string> PhaseNames() const override { return PhaseNameList(); }
  int Phase() const override { return phase_.value(); }
  std::vector<std::string> ModeNames() const override;
  int Mode() const override { return mode_; }
  int StepMode() const override { return step_mode_.value(); }
  std::vector<std::pair<std::string, double>> PartialScores() const override;

  std::vector<double> CommandedTarget() const override;
  // (x, y, z) of the target is the gripper body's frame: its slide joints start at the world origin.
  std::optional<std::array<double, 3>> TargetWorldPoint(
      const std::vector<double>& target) const override;
  std::vector<double> EffectorPosition() const override;

  const mjModel* Model() const override { return model_.get(); }
  const mjData* Data() const override { return data_.get(); }

  // Stack specifics, for the expert and tests.
  struct CubePose {
    double pos[3] = {0, 0, 0};
    double yaw = 0;  // modulo 90 deg, in [-pi/4, pi/4)
  };
  struct GripperPose {
    double pos[3] = {0, 0, 0};  // grasp point
    double yaw = 0;
    double opening = 0;  // between the pads' inner faces
  };
  CubePose Cube(int cube) const;
  GripperPose Gripper() const;
  double CubeSpeed(int cube) const;  // m/s, linear
  // Contacts at the end of the last control step (or reset).
  bool PadTouches(int pad, int cube) const;      // pad 0 = left, 1 = right
  bool GripperTouches(int cube) const;           // pads or palm
  bool Supported(int cube) const;                // touches the table or another cube
  // The cube both pads touch while the grip command is >= 0.5, else -1.
  int HeldCube() const;
  bool RestsOn(int upper, int lower) const;      // see the header
  // Bottom, middle, top of the standing tower; false if there is none.
  bool Tower(std::array<int, 3>* order) const;
  // Places cube i at pos with yaw (at rest) and the gripper at rest at
  // `gripper` (x, y, z, yaw, grip) with its target there, then starts an
  // episode as Reset does (one settling control step); for tests and probes.
  void SetConfiguration(const std::array<CubePose, kNumCubes>& cubes,
                        const std::array<double, 5>& gripper);
  // The reset draw of a seed: cube poses (z = kCubeSize / 2).
  static std::array<CubePose, kNumCubes> RandomCubes(uint64_t seed);

 private:
  struct Config {
    ActionMode action_mode = ActionMode::kAbsolute;
    int max_steps = 200;
  };
  static Config ParseOptions(const EnvOptions& options);
  void ApplyTarget();         // target_ -> actuator controls
  void ReadContacts();        // d->contact -> contact bits
  void UpdateLabels();        // after each control step
  int RawPhase() const;
  int DecidedOrder() const;   // the order the state decides, -1 if none
  bool Stacked(int upper, int lower) const;  // RestsOn without the gripper condition
  bool TowerSuccessState() const;

  const Config config_;
  int substeps_ = 20;
  MjModelPtr model_;
  MjDataPtr data_;

  // Model indices.
  int cube_body_[kNumCubes] = {-1, -1, -1};
  int cube_geom_[kNumCubes] = {-1, -1, -1};
  int cube_qpos_[kNumCubes] = {0, 0, 0};
  int cube_dof_[kNumCubes] = {0, 0, 0};
  int pad_geom_[2] = {-1, -1};
  int palm_geom_ = -1;
  int table_geom_ = -1;
  int gripper_qpos_ = 0;  // x, y, z, yaw follow
  int gripper_dof_ = 0;
  int jaw_qpos_[2] = {0, 0};
  int actuator_[5] = {0, 0, 0, 0, 0};  // x, y, z, yaw, jaws (right follows left)

  std::array<double, 5> target_ = {0, 0, 0, 0, 0};
  int step_count_ = 0;
  // Contact bits (ReadContacts): pad_touch_[pad] and palm_touch_ are cube
  // bit masks; support_ is the mask of cubes touching the table or a cube.
  int pad_touch_[2] = {0, 0};
  int palm_touch_ = 0;
  int support_ = 0;
  // Labels.
  DebouncedLabel phase_{kLabelHoldSteps, kReach};
  DebouncedLabel step_mode_{kLabelHoldSteps, -1};
  int mode_ = -1;
  double pick_xy_[kNumCubes][2] = {};  // where each cube was last supported
  int stable_steps_ = 0;
  bool success_ = false;
};

}  // namespace bcbench
