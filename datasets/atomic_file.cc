#include "datasets/atomic_file.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace bcbench {

void WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(target.parent_path(), ec);
  }
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
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
}

}  // namespace bcbench
