#include "datasets/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace bcbench {
namespace {

std::string HostName() {
  char name[256] = {0};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

bool AllDigits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// Whether process `pid` of this host is gone.
bool Dead(const std::string& digits) {
  if (digits.size() > 9) return false;  // not a pid of this system
  const pid_t pid = static_cast<pid_t>(std::stol(digits));
  if (pid <= 0 || pid == ::getpid()) return false;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

std::string TempPathFor(const std::string& path) {
  return path + ".tmp-" + HostName() + "-" + std::to_string(::getpid());
}

int RemoveStaleTempFiles(const std::string& folder) {
  namespace fs = std::filesystem;
  static const std::string host = HostName();
  std::error_code ec;
  int removed = 0;
  for (fs::directory_iterator it(folder.empty() ? "." : folder, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(".tmp-");
    if (at == std::string::npos || at == 0) continue;
    const std::string tag = name.substr(at + 5);
    std::string pid;
    if (AllDigits(tag)) {
      pid = tag;  // the older "<file>.tmp-<pid>"
    } else if (tag.size() > host.size() + 1 && tag.compare(0, host.size(), host) == 0 &&
               tag[host.size()] == '-' && AllDigits(tag.substr(host.size() + 1))) {
      pid = tag.substr(host.size() + 1);
    } else {
      continue;  // another host's, or not ours
    }
    std::error_code file_ec;
    if (Dead(pid) && fs::is_regular_file(it->path(), file_ec) && fs::remove(it->path(), file_ec)) {
      ++removed;
    }
  }
  return removed;
}

void WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(target.parent_path(), ec);
  }
  RemoveStaleTempFiles(target.has_parent_path() ? target.parent_path().string() : ".");
  const std::string temp = TempPathFor(path);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      throw std::runtime_error("cannot write " + path + " (is the folder writable?)");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw std::runtime_error("cannot move " + temp + " to " + path);
  }
}

std::optional<std::string> ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void CheckWritableFile(const std::string& option, const std::string& path) {
  namespace fs = std::filesystem;
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument(option + " " + path + ": " + why);
  };
  if (path.empty()) fail("is empty; name a file");
  const fs::path target(path);
  std::error_code ec;
  if (fs::is_directory(target, ec)) fail("is a folder; name a file inside it");
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..") fail("names no file");
  if (name.size() + 16 > 255) {  // + room for the temporary suffix
    fail("the file name is longer than the filesystem allows (255 bytes); shorten it");
  }
  fs::path folder = target.has_parent_path() ? target.parent_path() : fs::path(".");
  while (!fs::exists(folder, ec) && folder.has_parent_path() && folder != folder.parent_path()) {
    folder = folder.parent_path();
  }
  if (!fs::exists(folder, ec)) folder = ".";
  if (!fs::is_directory(folder, ec)) {
    fail(folder.string() + " is a file, not a folder; choose another path");
  }
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    fail("the folder " + folder.string() + " is not writable; choose a writable folder");
  }
  // access() says yes to root everywhere, and to anyone on a filesystem that
  // refuses new files (/proc, /sys); creating one is the real test. The probe
  // has a temporary file's name, so one left by a killed run is cleaned up.
  const std::string probe = TempPathFor((folder / ".bcbench-write-probe").string());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    fail("cannot create files in the folder " + folder.string() + " (" + std::strerror(errno) +
         "); choose a writable folder");
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

}  // namespace bcbench
