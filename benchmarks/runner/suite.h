// A suite (SPEC 8): a YAML file that names envs with their options and demo
// settings, policies with presets and config overrides, a training budget
// and seeds, the evaluation, and experiments whose grids of variants expand
// into cells. A cell is one training run of one policy on one env's demos,
// evaluated on held-out seeds: the unit the runner (bench.h) schedules,
// resumes and shards.
//
// The whole file is validated before any work: an unknown key, env, policy,
// preset or config key, an empty grid or a value of the wrong type throws
// SuiteError naming the file, the line and the key.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "envs/env.h"
#include "policies/policy_registry.h"
#include "policies/training/train_config.h"

namespace bcbench {

// A suite file the user can fix: "FILE:LINE:COLUMN: key.path: what is wrong".
class SuiteError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Everything a demo file is made of: the key of the demo cache (one file per
// distinct spec, shared by every cell that trains on it).
struct DemoSpec {
  std::string env;
  EnvOptions options;  // the env's effective options (Env::Options()), so equal envs hash equal
  int episodes = 100;
  uint64_t seed = 0;
  double idle_prob = 0;
  double noise = 0;
  std::vector<double> mode_weights;  // empty: the expert's default (uniform)

  nlohmann::json ToJson() const;
  std::string Hash() const;  // 16 hex digits of ToJson()
};

struct CellSpec {
  size_t index = 0;          // position in the suite's cell list (sharding uses it)
  std::string id;            // <experiment>-<env>-<policy>[-<key>=<value>...]-s<train_seed>
  std::string experiment;
  std::string env;           // the env's registered name
  std::string policy;        // the suite's label for the method (tables show it)
  std::string policy_name;   // the registered policy the label builds
  // The grid's values for this cell, keys sorted; the value as written in the
  // suite, list items joined by '+'.
  std::vector<std::pair<std::string, std::string>> variant;
  uint64_t train_seed = 0;
  DemoSpec demos;
  ConfigLayers config;           // preset, sets (policy and run keys) and seed, for RunTraining
  nlohmann::json policy_config;  // the resolved config
  RunConfig run;                 // the resolved run settings (train_steps, ...)
  double wall_minutes = 0;       // training wall-clock cap; 0: none
  int eval_episodes = 50;
  uint64_t eval_seed_base = 0;
  int probe_episodes = 0;        // 0 where the env has no probe start
  std::string config_hash;       // of everything that decides the cell's results

  // Cells that differ only in keys their policy can change at evaluation
  // (PolicyEntry::eval_keys: DDIM steps, sampler, guidance weight, Ta,
  // latency, ...) share one training: the group's first cell trains it in
  // its own folder, and every cell of the group evaluates that network with
  // its own values of those keys (eval_sets). A cell alone in its group
  // trains for itself, as before groups existed.
  std::string train_key;           // of everything that decides the trained network
  std::string train_owner;         // id of the group's first cell: the training lives there
  size_t train_group = 0;          // the group's position in first-appearance order (sharding)
  size_t train_group_cells = 1;    // cells in the group
  ConfigLayers train_config;       // the owner's layers: what RunTraining gets
  // Every eval key of the policy with this cell's resolved value, applied
  // when the trained network is loaded for evaluation.
  std::vector<std::pair<std::string, std::string>> eval_sets;

  std::string VariantText() const;  // "key=value;key=value" ("" without a grid)
  nlohmann::json VariantJson() const;
};

struct Suite {
  std::string name;
  std::string source;  // the file, or "built-in suite NAME"
  std::string text;
  std::string hash;    // of text
  std::string description;
  std::vector<CellSpec> cells;
};

std::vector<std::string> BuiltinSuiteNames();
// The built-in suite NAME (benchmarks/suites/NAME.yaml, embedded at build
// time) or a YAML file; a path is anything with a '/' or a .yaml/.yml ending.
Suite LoadSuiteDefinition(const std::string& name_or_path);
// Parses, validates and expands `text`; `where` names it in messages.
Suite ParseSuite(const std::string& name, const std::string& where, const std::string& text);

// 16 hex digits of a 64-bit FNV-1a hash (content identities: suite texts,
// cell configs, demo specs).
std::string ContentHash(const std::string& text);

}  // namespace bcbench
