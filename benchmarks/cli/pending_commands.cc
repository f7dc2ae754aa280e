// Subcommands of the CLI contract (SPEC 3) whose features come with later
// issues. They accept their documented options, say plainly that the feature
// is not available yet and exit 2: they never pretend to work.
#include "benchmarks/cli/commands.h"

namespace bcbench {
namespace {

struct Pending {
  const char* name;
  const char* help;
  const char* arrives_with;
};

constexpr Pending kPending[] = {
    {"view",
     "Interactive MuJoCo viewer: --env E [--checkpoint DIR | --replay F.hdf5 --demo k].",
     "the viewer issue"},
};

}  // namespace

void AddPendingCommands(CLI::App& app, CommandActions& actions) {
  for (const Pending& p : kPending) {
    auto* cmd = app.add_subcommand(p.name, std::string(p.help) + " (not available yet)");
    cmd->allow_extras();
    const std::string name = p.name, when = p.arrives_with;
    actions[name] = [name, when]() {
      throw UsageError("`bcbench " + name + "` is not available yet in this version; it arrives "
                       "with " + when + ".");
    };
  }
}

}  // namespace bcbench
