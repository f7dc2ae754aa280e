// bcbench policies: the trainable policies and every config key with its
// default and meaning (what --config YAML files and --set take).
#include <fmt/format.h>

#include "benchmarks/cli/commands.h"
#include "policies/policy_factory.h"

namespace bcbench {

void AddPoliciesCommand(CLI::App& app, CommandActions& actions) {
  auto name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "policies",
      "List the trainable policies, or with a name, every config key of that policy with its "
      "default, valid range and meaning (keys for --config YAML files and --set key=value).");
  cmd->add_option("name", *name, "policy name");
  actions["policies"] = [name]() {
    if (name->empty()) {
      for (const auto& p : PolicyNames()) fmt::print("{}\n", p);
      return;
    }
    fmt::print("{}", PolicyConfigHelp(*name));
  };
}

}  // namespace bcbench
