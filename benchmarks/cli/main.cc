// bcbench: behaviour-cloning benchmark suite on MuJoCo.
#include <algorithm>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>  // also declares stderr_color_mt
#include <spdlog/spdlog.h>

#include "benchmarks/cli/commands.h"
#include "benchmarks/cli/validators.h"
#include "benchmarks/report/gnuplot.h"
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

namespace {

// An unknown command gets its name and the list of valid ones, at the top
// level (`bcbench frobnicate`) and below a command with subcommands
// (`bcbench slurm frob`); CLI11 alone only says "A subcommand is required".
void CheckCommandNames(CLI::App& app, int argc, char** argv) {
  CLI::App* level = &app;
  std::string path = "bcbench";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") return;
    if (arg.rfind("-", 0) == 0) {
      // The global options that take a value: skip it too.
      if (level == &app && (arg == "--threads" || arg == "--log-level")) ++i;
      if (level != &app) return;  // a command's own options: CLI11 checks them
      continue;
    }
    const auto subcommands = level->get_subcommands([](CLI::App*) { return true; });
    if (subcommands.empty()) return;
    CLI::App* next = nullptr;
    std::string names;
    for (CLI::App* sub : subcommands) {
      names += (names.empty() ? "" : ", ") + sub->get_name();
      if (sub->get_name() == arg) next = sub;
    }
    if (next == nullptr) {
      throw bcbench::UsageError("unknown command '" + arg + "' for `" + path +
                                "`; the commands are: " + names + " (`" + path +
                                " --help` explains them)");
    }
    level = next;
    path += " " + arg;
  }
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
      ->check(bcbench::WholeNumber(0, static_cast<uint64_t>(max_threads)));
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();

  bcbench::CommandActions actions;
  bcbench::AddQuickstartCommand(app, actions, global);
  bcbench::AddDemosCommand(app, actions);
  bcbench::AddInspectCommand(app, actions);
  bcbench::AddTrainCommand(app, actions);
  bcbench::AddEvalCommand(app, actions);
  bcbench::AddPoliciesCommand(app, actions);
  bcbench::AddRenderCommand(app, actions);
  bcbench::AddViewCommand(app, actions);
  bcbench::AddReportCommand(app, actions);
  bcbench::AddBenchCommand(app, actions, global);
  bcbench::AddSlurmCommand(app, actions);
  bcbench::AddPerfCommand(app, actions, global);

  // Log lines (progress, warnings, errors) go to stderr; stdout carries only
  // results (summaries, tables), so `bcbench eval ... > summary.txt` keeps them apart.
  spdlog::set_default_logger(spdlog::stderr_color_mt("bcbench"));
  spdlog::set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  // An error is printed whatever --log-level says (off included).
  const auto fail = [](const std::exception& e, bool internal) {
    if (spdlog::get_level() > spdlog::level::err) spdlog::set_level(spdlog::level::err);
    if (internal) {
      spdlog::critical("internal error: {}", e.what());
      return EXIT_FAILURE;
    }
    spdlog::error("{}", e.what());
    return kExitUserError;
  };
  const auto out_of_memory = [] {
    if (spdlog::get_level() > spdlog::level::err) spdlog::set_level(spdlog::level::err);
    spdlog::error("out of memory: the run asks for more memory than this machine can give; "
                  "reduce batch_size, the model's widths (e.g. down_dims), the episode count "
                  "or --threads");
    return kExitUserError;
  };
  try {
    CheckCommandNames(app, argc, argv);
    app.parse(argc, argv);
    spdlog::set_level(ParseLevel(global.log_level));
    const int threads = bcbench::ConfigureTorchThreads(global.threads);
    spdlog::debug("LibTorch {} with {} intra-op threads", bcbench::TorchVersion(), threads);
    for (const CLI::App* sub : app.get_subcommands()) actions.at(sub->get_name())();
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUserError;
  } catch (const bcbench::UsageError& e) {
    return fail(e, false);
  } catch (const bcbench::DemoFileError& e) {
    return fail(e, false);
  } catch (const bcbench::EnvError& e) {
    return fail(e, false);
  } catch (const bcbench::CheckpointError& e) {  // missing, torn or foreign checkpoint files
    return fail(e, false);
  } catch (const bcbench::RenderError& e) {  // no display, no ffmpeg, unknown camera, ...
    return fail(e, false);
  } catch (const bcbench::FigureError& e) {  // gnuplot failed; the report names the figures
    return fail(e, false);
  } catch (const std::invalid_argument& e) {
    return fail(e, false);
  } catch (const std::bad_alloc&) {
    return out_of_memory();
  } catch (const std::exception& e) {
    // LibTorch's allocators throw c10::Error (CPU) or c10::OutOfMemoryError (CUDA).
    const std::string what = e.what();
    for (const char* oom : {"not enough memory", "can't allocate memory", "out of memory"}) {
      if (what.find(oom) != std::string::npos) return out_of_memory();
    }
    return fail(e, true);
  }
  return EXIT_SUCCESS;
}
