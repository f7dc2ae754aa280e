// Child processes for the suite runner: each cell runs as its own process of
// the same binary (`bcbench bench ... --cell ID`), so k cells at once each
// get their own LibTorch/OpenMP thread pool of cores/k threads (pools in one
// process oversubscribe) and a crash loses one cell, not the suite.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace bcbench {

// Starts `argv` (argv[0] is the program path) with stdout and stderr appended
// to `log_path`. The child gets SIGKILL when this process dies, so a killed
// runner leaves no cells running. Throws std::runtime_error if it cannot start.
pid_t StartChild(const std::vector<std::string>& argv, const std::string& log_path);

// The child's exit status if it has ended (128 + signal for a signal), else
// nullopt; does not block.
std::optional<int> PollChild(pid_t pid);

// SIGTERM to each child, then waits for them.
void StopChildren(const std::vector<pid_t>& pids);

// The path of the running executable (/proc/self/exe).
std::string SelfExecutable();

// An exclusive lock on a file (flock) while the object lives; the kernel also
// releases it however the process ends. Cell processes do not inherit it.
class FileLock {
 public:
  enum class Mode { kExclusive, kShared };
  // Throws std::runtime_error when the file cannot be opened. Without
  // `wait`, locked() says whether the lock was free; with it, the
  // constructor blocks until it is.
  explicit FileLock(const std::string& path, Mode mode = Mode::kExclusive, bool wait = false);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  // false when another open of the file holds the lock.
  bool locked() const { return locked_; }

 private:
  int fd_ = -1;
  bool locked_ = false;
};

}  // namespace bcbench
