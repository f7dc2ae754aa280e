// bcbench inspect F.hdf5: validate a demo file and summarise it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "benchmarks/cli/commands.h"
#include "datasets/demo_validation.h"

namespace bcbench {
namespace {

std::string Shape(const std::vector<size_t>& row_shape) {
  return fmt::format("({}{})", fmt::join(row_shape, ", "), row_shape.size() == 1 ? "," : "");
}

std::string LabelOf(const std::vector<std::string>& names, int index) {
  if (index >= 0 && static_cast<size_t>(index) < names.size()) return names[index];
  return std::to_string(index);
}

void PrintHistogram(const char* title, const std::map<int, size_t>& counts,
                    const std::vector<std::string>& names) {
  size_t total = 0;
  for (const auto& [k, n] : counts) total += n;
  std::string line;
  for (const auto& [k, n] : counts) {
    line += fmt::format("{}{} {} ({:.1f}%)", line.empty() ? "" : "   ", LabelOf(names, k), n,
                        100.0 * static_cast<double>(n) / static_cast<double>(total));
  }
  fmt::print("{:<10}{}\n", title, line);
}

// Idle steps (datasets/idle_steps.h), counted as for rollouts: step-weighted
// over the counted steps, against the env's workspace when the env is known.
void PrintIdle(const DemoFileSummary& s) {
  fmt::print("{:<10}{:.1f}% of counted steps ({} of {}; longest streak {})\n", "idle",
             100.0 * s.idle_fraction, s.idle_steps, s.idle_counted_steps, s.longest_idle_streak);
  const std::string effector =
      s.idle_uses_effector ? " and the effector < 0.1%" : "; no effector data";
  if (s.idle_env_workspace) {
    fmt::print("{:<10}target moves < 1% of {}'s workspace [{:.4g}]{}\n", "", s.env_args.env_name,
               fmt::join(s.idle_workspace, ", "), effector);
  } else {
    fmt::print("{:<10}target moves < 1% of the file's own action range [{:.4g}]{}; {}, so its "
               "workspace is unknown\n",
               "", fmt::join(s.idle_workspace, ", "), effector, s.idle_workspace_note);
  }
  if (s.idle_demos_without_ends > 0) {
    fmt::print("{:<10}{} of {} demos counted without their ends (step 0 in absolute mode, the "
               "last step by its target alone): {}\n",
               "", s.idle_demos_without_ends, s.num_demos,
               s.idle_env_workspace ? "their states do not replay in the env"
                                    : "no env to replay their states in");
  }
}

void PrintSummary(const DemoFileSummary& s) {
  fmt::print("{:<10}{}\n", "file", s.path);
  if (s.has_env_args) {
    std::vector<std::string> kwargs;
    for (const auto& [k, v] : s.env_args.env_kwargs) kwargs.push_back(k + "=" + v);
    fmt::print("{:<10}{} (env_type {}) {}\n", "env", s.env_args.env_name, s.env_args.env_type,
               fmt::join(kwargs, " "));
  }
  fmt::print("{:<10}{}   steps {}   length min {} / mean {:.1f} / max {}\n", "demos", s.num_demos,
             s.total_steps, s.min_length, s.mean_length, s.max_length);
  fmt::print("{:<10}dim {} {}\n", "actions", s.action_dim, s.action_dtype);
  fmt::print("{:<10}min [{:.4g}]\n", "", fmt::join(s.action_min, ", "));
  fmt::print("{:<10}max [{:.4g}]\n", "", fmt::join(s.action_max, ", "));
  const char* title = "obs";
  for (const auto& [key, info] : s.obs) {
    fmt::print("{:<10}{} {} {}\n", title, key, Shape(info.row_shape), info.dtype);
    title = "";
  }
  title = "next_obs";
  for (const auto& [key, info] : s.next_obs) {
    fmt::print("{:<10}{} {} {}\n", title, key, Shape(info.row_shape), info.dtype);
    title = "";
  }
  if (s.states) fmt::print("{:<10}{} {}\n", "states", Shape(s.states->row_shape), s.states->dtype);
  if (!s.masks.empty()) {
    std::vector<std::string> parts;
    for (const auto& [name, n] : s.masks) parts.push_back(fmt::format("{}: {} demos", name, n));
    fmt::print("{:<10}{}\n", "masks", fmt::join(parts, "   "));
  }
  PrintIdle(s);
  if (s.demos_with_mode > 0) PrintHistogram("modes", s.mode_histogram, s.labels.modes);
  if (s.has_phase) PrintHistogram("phases", s.phase_counts, s.labels.phases);
  for (const auto& w : s.warnings) fmt::print("{:<10}{}\n", "warning", w);
  fmt::print("valid\n");
}

}  // namespace

void InspectDemoFile(const std::string& path) { PrintSummary(ValidateDemoFile(path)); }

void AddInspectCommand(CLI::App& app, CommandActions& actions) {
  auto* cmd = app.add_subcommand(
      "inspect",
      "Validate a demo file (robomimic HDF5 layout) and print demos, steps, observation keys and "
      "shapes, action range, masks, idle fraction, mode histogram and phase counts. Exit 0 when "
      "valid, 2 with the reason (file, demo, key) when not.");
  auto path = std::make_shared<std::string>();
  cmd->add_option("file", *path, "demo file (.hdf5)")->required();
  actions["inspect"] = [path]() { InspectDemoFile(*path); };
}

}  // namespace bcbench
