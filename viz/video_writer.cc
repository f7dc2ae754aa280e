#include "viz/video_writer.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "viz/render_error.h"

extern char** environ;

namespace bcbench {
namespace {

constexpr char kFfmpegMissing[] =
    "MP4 output needs the ffmpeg program, which is not on PATH: install it with `apt-get "
    "install ffmpeg` (Debian), or write PNG frames instead with --out DIR/ (one "
    "frame_NNNNN.png per frame; any encoder can join them later)";

}  // namespace

std::optional<std::string> FindProgram(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string dirs(path);
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + program;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

void CheckMp4Possible(int width, int height) {
  if (!FindProgram("ffmpeg")) throw RenderError(kFfmpegMissing);
  if (width % 2 != 0 || height % 2 != 0) {
    throw RenderError(fmt::format("MP4 (H.264, yuv420p) needs an even width and height, got "
                                  "{}x{}; change --width/--height by one",
                                  width, height));
  }
}

Mp4Writer::Mp4Writer(std::string path, int width, int height, double fps)
    : path_(std::move(path)), width_(width), height_(height) {
  CheckMp4Possible(width, height);
  if (!(fps > 0)) throw RenderError(fmt::format("video frame rate {} must be positive", fps));
  temp_path_ = path_ + ".tmp-" + std::to_string(::getpid()) + ".mp4";
  const std::filesystem::path target(path_);
  if (target.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(target.parent_path(), ec);
  }
  const std::vector<std::string> args = {
      "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
      // input: raw RGB frames on stdin
      "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", fmt::format("{}x{}", width, height),
      "-framerate", fmt::format("{}", fps), "-i", "pipe:0",
      // output: H.264 in MP4, yuv420p so that every player reads it
      "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mp4", temp_path_};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw RenderError(std::string("cannot make a pipe to ffmpeg: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  const int rc = posix_spawnp(&pid_, "ffmpeg", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    pid_ = -1;
    throw RenderError(std::string("cannot start ffmpeg: ") + std::strerror(rc) + ". " +
                      kFfmpegMissing);
  }
  pipe_ = fds[1];
}

Mp4Writer::~Mp4Writer() {
  if (pipe_ >= 0) ::close(pipe_);
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    WaitForFfmpeg();
  }
  std::remove(temp_path_.c_str());
}

void Mp4Writer::Write(const Image& frame) {
  if (frame.width != width_ || frame.height != height_) {
    throw RenderError(fmt::format("video frame {}x{} differs from the video's {}x{}",
                                  frame.width, frame.height, width_, height_));
  }
  if (pipe_ < 0) throw RenderError("the video is already finished");
  // A dead ffmpeg would raise SIGPIPE and kill this process; with the signal
  // ignored the write fails with EPIPE instead and is reported.
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  const uint8_t* data = frame.rgb.data();
  size_t left = frame.rgb.size();
  int error = 0;
  while (left > 0) {
    const ssize_t n = ::write(pipe_, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  ::sigaction(SIGPIPE, &previous, nullptr);
  if (error != 0) {
    throw RenderError(fmt::format("ffmpeg stopped reading frames ({}) after {} frames; its "
                                  "messages are above",
                                  std::strerror(error), frames_));
  }
  ++frames_;
}

int Mp4Writer::WaitForFfmpeg() {
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return status;
}

void Mp4Writer::Finish() {
  if (pipe_ >= 0) {
    ::close(pipe_);
    pipe_ = -1;
  }
  if (pid_ <= 0) throw RenderError("the video is already finished");
  const int status = WaitForFfmpeg();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw RenderError(fmt::format("ffmpeg failed ({}) writing {}; its messages are above",
                                  WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                                    : "killed by a signal",
                                  path_));
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    throw RenderError("cannot move " + temp_path_ + " to " + path_);
  }
}

}  // namespace bcbench
