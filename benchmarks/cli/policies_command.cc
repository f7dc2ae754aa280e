// bcbench policies: the registered policies, or one policy's every config key
// with its default, valid range and meaning, and its presets.
#include <fmt/format.h>

#include "benchmarks/cli/commands.h"
#include "policies/policy_registry.h"
#include "policies/training/train_config.h"

namespace bcbench {

void AddPoliciesCommand(CLI::App& app, CommandActions& actions) {
  auto name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "policies",
      "List the registered policies, or with a name, every config key of that policy with its "
      "default, valid range and meaning (keys for --config YAML files and --set key=value), "
      "its presets, and the run keys every training takes.");
  cmd->add_option("name", *name, "policy name");
  actions["policies"] = [name]() {
    if (name->empty()) {
      for (const auto& p : PolicyNames()) {
        fmt::print("{:<12} {}\n", p, FindPolicy(p).description);
      }
      return;
    }
    fmt::print("{}\nrun keys (train flags or --set; not part of the policy's config):\n{}",
               PolicyHelp(*name), RunConfig::Schema().Help(RunConfig{}));
  };
}

}  // namespace bcbench
