// Push-T's own figures in `bcbench perf` (issue 7): how fast the env steps.
#pragma once

namespace bcbench {

struct PushTStepRate {
  int episodes = 0;
  long control_steps = 0;
  double seconds = 0;             // best of the rounds
  double control_steps_per_s = 0;
};
// Records the scripted expert on seeds 0..episodes-1 (untimed), then times
// replaying each episode's targets through PushTEnv (Reset, then Step per
// target: physics, reward, labels), one thread, best of `rounds`. The Chipmunk
// replica of the original is timed the same way in
// tests/envs/pusht_reference_test.cc (PushTReference.DISABLED_*).
PushTStepRate MeasurePushTControlSteps(int episodes, int rounds = 3);

}  // namespace bcbench
