// Checkpoints (SPEC 5, 10): network weights, EMA weights, optimiser state,
// RNG state, step, and a JSON header with the full config, env, observation
// keys and normalisers. Written to a temporary file and renamed, so a crash
// mid-write never leaves a loadable-but-corrupt checkpoint.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "policies/trainable_policy.h"
#include "policies/training/ema.h"

namespace bcbench {

class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr const char* kCheckpointFile = "checkpoint.pt";

struct TrainingState {
  EmaWeights* ema = nullptr;
  torch::optim::Optimizer* optimizer = nullptr;
  torch::Generator* generator = nullptr;
  int64_t step = 0;
};

// `header` is stored as JSON; the tensors' names are added to it.
void SaveCheckpoint(const std::string& path, TrainablePolicy& policy, const TrainingState& state,
                    nlohmann::json header);

// Reads only the JSON header (which policy, config, env...).
nlohmann::json ReadCheckpointHeader(const std::string& path);

// Loads the network weights (the EMA ones when `use_ema` and present) and,
// when the state's pointers are set, the EMA, optimiser and RNG state.
// Returns the header; throws CheckpointError with the path on any problem.
nlohmann::json LoadCheckpoint(const std::string& path, TrainablePolicy& policy,
                              const TrainingState& state, bool use_ema);

}  // namespace bcbench
