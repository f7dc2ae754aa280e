// The bcbench subcommands. Each Add*Command registers one subcommand on the
// app with its options, help text and a callback that throws on bad input.
#pragma once

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

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

// What each subcommand does once the whole command line has parsed and the
// global options are applied; keyed by subcommand name.
using CommandActions = std::map<std::string, std::function<void()>>;

void AddInspectCommand(CLI::App& app, CommandActions& actions);
void AddDemosCommand(CLI::App& app, CommandActions& actions);
void AddPerfCommand(CLI::App& app, CommandActions& actions, const GlobalOptions& global);
void AddQuickstartCommand(CLI::App& app, CommandActions& actions);
// Subcommands whose features arrive in later issues: they explain and exit 2.
void AddPendingCommands(CLI::App& app, CommandActions& actions);

}  // namespace bcbench
