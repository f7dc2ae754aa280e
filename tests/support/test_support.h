// Helpers shared by the test suites: scratch paths and running the real
// bcbench binary to check exit codes and messages.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace bcbench::testing {

// A fresh folder per test, under the build tree.
inline std::string ScratchDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(BCBENCH_TEST_TMP) /
                                    (std::string(info->test_suite_name()) + "." + info->name() +
                                     "." + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `<binary> <args>` (args are passed to the shell as written).
inline CommandResult RunBinary(const std::string& binary, const std::string& args) {
  const std::string command = binary + " " + args + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

// Runs `bcbench <args>`.
inline CommandResult RunBcbench(const std::string& args) { return RunBinary(BCBENCH_BINARY, args); }

}  // namespace bcbench::testing
