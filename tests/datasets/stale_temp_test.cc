// Temporary files of killed writers (issue 15, class 5): the next atomic
// write in the same folder removes those of dead processes of this host, and
// keeps a live process's, another host's and every other file.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "datasets/atomic_file.h"
#include "support/test_support.h"

namespace bcbench {
namespace {

namespace fs = std::filesystem;

// A pid that has just exited (and been reaped): no process has it now.
pid_t DeadPid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

std::string Host() {
  const std::string temp = TempPathFor("x");  // "x.tmp-<host>-<pid>"
  const std::string tag = temp.substr(6);
  return tag.substr(0, tag.rfind('-'));
}

TEST(StaleTemp, AnAtomicWriteRemovesTheTempFilesOfDeadWritersOnly) {
  const std::string dir = testing::ScratchDir();
  const std::string dead = std::to_string(DeadPid());
  const std::string live = std::to_string(::getpid());
  const std::string parent = std::to_string(::getppid());
  const std::string host = Host();
  ASSERT_FALSE(host.empty());
  const std::vector<std::string> stale = {"demos.hdf5.tmp-" + host + "-" + dead,
                                          "checkpoint.pt.tmp-" + dead /* the older name */};
  const std::vector<std::string> kept = {
      "eval.csv.tmp-" + host + "-" + live,      // this process: alive
      "other.csv.tmp-" + host + "-" + parent,   // the parent: alive
      "shared.csv.tmp-other-node-" + dead,      // another host's (a shared folder)
      "notes.tmp-draft",                        // not a writer's name
      "demos.hdf5",                             // a finished file
  };
  for (const auto& name : stale) std::ofstream(dir + "/" + name) << "torn";
  for (const auto& name : kept) std::ofstream(dir + "/" + name) << "keep";

  WriteFileAtomically(dir + "/result.csv", "a,b\n");
  for (const auto& name : stale) EXPECT_FALSE(fs::exists(dir + "/" + name)) << name;
  for (const auto& name : kept) EXPECT_TRUE(fs::exists(dir + "/" + name)) << name;
  EXPECT_TRUE(fs::exists(dir + "/result.csv"));
  EXPECT_EQ(RemoveStaleTempFiles(dir), 0) << "nothing stale is left";
  EXPECT_EQ(RemoveStaleTempFiles(dir + "/missing"), 0);
  // The writer's own name carries this host and pid.
  EXPECT_EQ(TempPathFor(dir + "/f"), dir + "/f.tmp-" + host + "-" + live);
}

}  // namespace
TEST(CheckWritableFile, RefusesAFolderThatTakesNoNewFilesEvenForRoot) {
  // /proc refuses new files to everyone, root included, though access(W_OK)
  // says yes to root: the check must create a file to know.
  if (!std::filesystem::is_directory("/proc/self")) GTEST_SKIP() << "no /proc here";
  try {
    CheckWritableFile("--csv", "/proc/bcbench-out/rows.csv");
    FAIL() << "a path under /proc was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--csv /proc/bcbench-out/rows.csv"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot create files in the folder /proc"),
              std::string::npos)
        << e.what();
  }
  // A writable folder passes and is left as it was: the probe file is gone.
  const std::string dir = testing::ScratchDir();
  CheckWritableFile("--csv", dir + "/new/rows.csv");
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

}  // namespace bcbench
