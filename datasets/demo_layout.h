// The robomimic HDF5 layout, written down once (SPEC 6). robomimic's own keys
// first, then bcbench's extras, which foreign files need not have.
#pragma once

namespace bcbench::layout {

// robomimic
inline constexpr const char* kData = "data";          // group
inline constexpr const char* kTotal = "total";        // attr on data: sum of num_samples
inline constexpr const char* kEnvArgs = "env_args";   // attr on data: JSON
inline constexpr const char* kDemoPrefix = "demo_";   // data/demo_N
inline constexpr const char* kNumSamples = "num_samples";  // attr on demo
inline constexpr const char* kActions = "actions";    // (N, A)
inline constexpr const char* kRewards = "rewards";    // (N)
inline constexpr const char* kDones = "dones";        // (N)
inline constexpr const char* kStates = "states";      // (N, S)
inline constexpr const char* kObs = "obs";            // group of (N, ...)
inline constexpr const char* kNextObs = "next_obs";   // group of (N, ...)
inline constexpr const char* kMask = "mask";          // group of demo-name lists

// bcbench extras
inline constexpr const char* kPhase = "phase";        // dataset on demo: int32 (N)
inline constexpr const char* kEffector = "effector";  // dataset on demo: (N, k)
inline constexpr const char* kMode = "mode";          // attr on demo: int
inline constexpr const char* kModeT = "mode_t";       // dataset on demo: int32 (N), -1 undecided
inline constexpr const char* kSeed = "seed";          // attr on demo: uint64
inline constexpr const char* kPhaseNames = "bcbench_phase_names";  // attr on data: JSON list
inline constexpr const char* kModeNames = "bcbench_mode_names";    // attr on data: JSON list

}  // namespace bcbench::layout
