// bcbench: behaviour-cloning benchmark suite on MuJoCo.
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "datasets/hdf5_handles.h"
#include "envs/env.h"
#include "policies/training/checkpoint.h"
#include "policies/torch_runtime.h"
#include "viz/render_error.h"

namespace {

constexpr int kExitUserError = 2;

spdlog::level::level_enum ParseLevel(const std::string& text) {
  const auto level = spdlog::level::from_str(text);
  if (level == spdlog::level::off && text != "off") {
    throw bcbench::UsageError("--log-level '" + text +
                              "' is unknown; use trace, debug, info, warn, error or off");
  }
  return level;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "bcbench: a behaviour-cloning benchmark on MuJoCo. Scripted-expert demos in robomimic's "
      "HDF5 layout, Diffusion Policy and classic baselines, and diagnostics for multimodality, "
      "primitive transitions and idle actions.\n"
      "Run `bcbench <command> --help` for a command's options."};
  app.require_subcommand(1);
  bcbench::GlobalOptions global;
  // More threads than a few per core only oversubscribe (and tens of
  // thousands exhaust the process), so the count is bounded.
  const int max_threads = 4 * std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  app.add_option("--threads", global.threads,
                 "LibTorch intra-op threads (default 0 = all cores; LibTorch alone would use 1; "
                 "at most 4 per core)")
      ->check(CLI::Range(0, max_threads));
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();

  bcbench::CommandActions actions;
  bcbench::AddQuickstartCommand(app, actions);
  bcbench::AddDemosCommand(app, actions);
  bcbench::AddInspectCommand(app, actions);
  bcbench::AddTrainCommand(app, actions);
  bcbench::AddEvalCommand(app, actions);
  bcbench::AddPoliciesCommand(app, actions);
  bcbench::AddRenderCommand(app, actions);
  bcbench::AddReportCommand(app, actions);
  bcbench::AddPendingCommands(app, actions);
  bcbench::AddPerfCommand(app, actions, global);

  spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  try {
    app.parse(argc, argv);
    spdlog::set_level(ParseLevel(global.log_level));
    const int threads = bcbench::ConfigureTorchThreads(global.threads);
    spdlog::debug("LibTorch {} with {} intra-op threads", bcbench::TorchVersion(), threads);
    for (const CLI::App* sub : app.get_subcommands()) actions.at(sub->get_name())();
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUserError;
  } catch (const bcbench::UsageError& e) {
    spdlog::error("{}", e.what());
    return kExitUserError;
  } catch (const bcbench::DemoFileError& e) {
    spdlog::error("{}", e.what());
    return kExitUserError;
  } catch (const bcbench::EnvError& e) {
    spdlog::error("{}", e.what());
    return kExitUserError;
  } catch (const bcbench::CheckpointError& e) {  // missing, torn or foreign checkpoint files
    spdlog::error("{}", e.what());
    return kExitUserError;
  } catch (const bcbench::RenderError& e) {  // no display, no ffmpeg, unknown camera, ...
    spdlog::error("{}", e.what());
    return kExitUserError;
  } catch (const std::invalid_argument& e) {
    spdlog::error("{}", e.what());
    return kExitUserError;
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
