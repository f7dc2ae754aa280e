#include "benchmarks/report/gnuplot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datasets/atomic_file.h"
#include "viz/video_writer.h"

extern char** environ;

namespace bcbench {
namespace {

namespace fs = std::filesystem;

// What gnuplot printed, cut to its last `max_chars` characters.
std::string Tail(const std::string& path, size_t max_chars = 1500) {
  std::string s = ReadFileText(path).value_or("");
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.size() > max_chars ? "..." + s.substr(s.size() - max_chars) : s;
}

// Runs argv[0] with its working folder `cwd`, stdin from /dev/null and
// stdout + stderr into `log_path`; returns the wait status.
int RunProgram(const std::vector<std::string>& args, const std::string& cwd,
               const std::string& log_path) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw FigureError(fmt::format("cannot start {}: {}", args[0], std::strerror(rc)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

std::optional<std::string> FindGnuplot() { return FindProgram("gnuplot"); }

std::string GnuplotQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string FigureScript(const Figure& f) {
  const std::string font = "font 'Sans,10'";
  return fmt::format(
      "# bcbench report: {caption}\n"
      "# Redraw from the report folder: gnuplot gnuplot/{name}.gp\n"
      "if (!exists('png')) png = '{name}.png'\n"
      "if (!exists('svg')) svg = '{name}.svg'\n"
      // noenhanced: policy and metric names hold underscores, which enhanced
      // text would turn into subscripts.
      "set terminal pngcairo size {w},{h} noenhanced {font} background rgb 'white'\n"
      "set output png\n"
      "{body}"
      "unset output\n"
      "set terminal svg size {w},{h} noenhanced {font} background rgb 'white'\n"
      "set output svg\n"
      "{body}"
      "unset output\n",
      fmt::arg("caption", f.caption), fmt::arg("name", f.name), fmt::arg("w", f.width),
      fmt::arg("h", f.height), fmt::arg("font", font), fmt::arg("body", f.body));
}

void RenderFigure(const Figure& figure, const std::string& report_dir,
                  const std::string& gnuplot_path) {
  const fs::path dir(report_dir);
  const fs::path script_dir = dir / "gnuplot";
  for (const auto& [name, content] : figure.data) {
    WriteFileAtomically((script_dir / name).string(), content);
  }
  const std::string script = (script_dir / (figure.name + ".gp")).string();
  WriteFileAtomically(script, FigureScript(figure));

  const std::string png = figure.name + ".png", svg = figure.name + ".svg";
  // The temporary names, as every atomic writer's (datasets/atomic_file.h).
  const std::string suffix = TempPathFor(png).substr(png.size());
  const std::string log = (script_dir / (figure.name + ".log")).string();
  auto remove_temps = [&] {
    std::error_code ec;
    fs::remove(dir / (png + suffix), ec);
    fs::remove(dir / (svg + suffix), ec);
  };
  const int status = RunProgram(
      {gnuplot_path, "-e",
       fmt::format("png={}; svg={}", GnuplotQuote(png + suffix), GnuplotQuote(svg + suffix)),
       fs::absolute(script).string()},
      fs::absolute(dir).string(), log);
  const std::string messages = Tail(log);
  std::error_code ec;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    remove_temps();
    throw FigureError(fmt::format(
        "gnuplot failed ({}) drawing figure '{}' from {}:\n{}",
        WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                          : "killed by a signal",
        figure.name, script, messages));
  }
  for (const std::string& file : {png, svg}) {
    if (fs::file_size(dir / (file + suffix), ec) == 0 || ec) {
      remove_temps();
      throw FigureError(fmt::format("gnuplot exited 0 but wrote no {} for figure '{}' ({}):\n{}",
                                    file, figure.name, script, messages));
    }
  }
  for (const std::string& file : {png, svg}) {
    fs::rename(dir / (file + suffix), dir / file, ec);
    if (ec) {
      remove_temps();
      throw FigureError(fmt::format("cannot move {} into place: {}", file, ec.message()));
    }
  }
  // Warnings (e.g. a data block without valid points) do not fail a figure
  // but may mean a wrong plot: say them.
  if (!messages.empty()) spdlog::warn("gnuplot, figure '{}': {}", figure.name, messages);
  fs::remove(log, ec);
}

}  // namespace bcbench
