// The bcbench subcommands. Each Add*Command registers one subcommand on the
// app with its options, help text and a callback that throws on bad input.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>


namespace bcbench {

// Options every subcommand shares (parsed on the top-level app).
struct GlobalOptions {
  int threads = 0;  // 0 = all cores
  std::string log_level = "info";
};

// Bad input from the user: the message names the thing and the fix; exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DemosArgs {
  std::string env;
  int episodes = 100;
  uint64_t seed = 0;
  std::string out;
  std::string obs;  // default policy input key; every key is recorded
  std::string action_mode = "absolute";
  bool action_mode_given = false;  // --action-mode was on the command line
  bool probe = false;
  double idle_prob = 0.0;
  double noise = 0.0;
  std::vector<double> mode_weights;
  std::vector<std::string> env_options;  // key=value
  bool keep_failed = false;
};
// Records demos as `bcbench demos` does (quickstart and suites reuse it).
void RunDemos(const DemosArgs& args);
// Validates a demo file and prints its summary, as `bcbench inspect` does.
void InspectDemoFile(const std::string& path);

struct TrainArgs {
  std::string env;
  std::string policy;
  std::string data;
  std::string out;
  std::string preset;
  std::string config;
  std::vector<std::string> sets;  // policy keys and run keys (train_steps, valid_ratio, ...)
  std::optional<uint64_t> seed;
  std::optional<int64_t> steps;  // --steps: the run's train_steps
  std::string device = "cpu";
  std::string obs_key;
  std::optional<int64_t> log_every, valid_every, checkpoint_every, eval_every;
  std::optional<int> eval_episodes;
  int64_t stop_after = -1;
};
// Trains as `bcbench train` does.
void RunTrain(const TrainArgs& args);

struct EvalArgs {
  std::string checkpoint;
  int episodes = 50;
  uint64_t seed_base = 100000;
  std::string csv;
  std::vector<std::string> sets;
  std::vector<std::string> env_opts;  // key=value over the checkpoint's env options
  std::string device = "cpu";
  bool unbatched = false;
  uint64_t policy_seed = 0;
  bool raw_weights = false;
};
// Evaluates as `bcbench eval` does.
void RunEval(const EvalArgs& args);

// What each subcommand does once the whole command line has parsed and the
// global options are applied; keyed by subcommand name.
using CommandActions = std::map<std::string, std::function<void()>>;

void AddInspectCommand(CLI::App& app, CommandActions& actions);
void AddDemosCommand(CLI::App& app, CommandActions& actions);
void AddPerfCommand(CLI::App& app, CommandActions& actions, const GlobalOptions& global);
void AddQuickstartCommand(CLI::App& app, CommandActions& actions, const GlobalOptions& global);
void AddTrainCommand(CLI::App& app, CommandActions& actions);
void AddEvalCommand(CLI::App& app, CommandActions& actions);
void AddPoliciesCommand(CLI::App& app, CommandActions& actions);
void AddRenderCommand(CLI::App& app, CommandActions& actions);
void AddViewCommand(CLI::App& app, CommandActions& actions);
void AddReportCommand(CLI::App& app, CommandActions& actions);
void AddBenchCommand(CLI::App& app, CommandActions& actions, const GlobalOptions& global);
void AddSlurmCommand(CLI::App& app, CommandActions& actions);

struct BenchArgs {
  std::string suite;  // a built-in suite's name or a YAML file
  std::string out;
  std::string shard;  // "i/n"; empty: every cell
  int jobs = 1;
  bool list = false;
  bool demos_only = false;     // record the demo files, run no cell (a cluster's first job)
  std::string device = "cpu";  // where cells train and evaluate
  std::string cell;   // run this one cell in this process (the runner's child mode)
  std::vector<std::string> reuse;  // other runs' output folders whose finished trainings fit
};
// Runs a suite as `bcbench bench` does (quickstart can call it); returns the
// number of cells that failed (their logs are named in the output).
size_t RunSuite(const BenchArgs& args, const GlobalOptions& global);

}  // namespace bcbench
