#include "viz/frame_output.h"

#include <cctype>
#include <filesystem>
#include <regex>
#include <stdexcept>

#include <fmt/format.h>

#include "datasets/atomic_file.h"
#include "viz/render_error.h"

namespace bcbench {
namespace {

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

FrameOutputKind FrameOutputKindOf(const std::string& option, const std::string& path) {
  std::error_code ec;
  if (!path.empty() && (path.back() == '/' || std::filesystem::is_directory(path, ec))) {
    return FrameOutputKind::kPngFrames;
  }
  if (EndsWith(Lower(path), ".png")) return FrameOutputKind::kPngStill;
  if (EndsWith(Lower(path), ".mp4")) return FrameOutputKind::kMp4;
  if (EndsWith(Lower(path), ".gif")) return FrameOutputKind::kGif;
  throw RenderError(fmt::format("{} '{}': name a folder ending in / (PNG frames), a .png file "
                                "(one still), a .mp4 file (a video) or a .gif file (an "
                                "animation)",
                                option, path));
}

std::string FrameFileName(size_t index) { return fmt::format("frame_{:05d}.png", index); }

FrameOutput::FrameOutput(const std::string& option, std::string path, int width, int height,
                         double fps)
    : path_(std::move(path)), kind_(FrameOutputKindOf(option, path_)) {
  switch (kind_) {
    case FrameOutputKind::kPngFrames: {
      // The first frame's name stands for every frame's: same folder.
      CheckWritableFile(option, (std::filesystem::path(path_) / FrameFileName(0)).string());
      std::error_code ec;
      std::filesystem::create_directories(path_, ec);
      if (ec) throw std::invalid_argument(option + " " + path_ + ": " + ec.message());
      break;
    }
    case FrameOutputKind::kPngStill:
      CheckWritableFile(option, path_);
      break;
    case FrameOutputKind::kMp4:
      CheckWritableFile(option, path_);
      video_ = std::make_unique<Mp4Writer>(path_, width, height, fps);
      break;
    case FrameOutputKind::kGif:
      CheckWritableFile(option, path_);
      gif_ = std::make_unique<GifWriter>(path_, width, height, fps);
      break;
  }
}

void FrameOutput::Add(const Image& frame) {
  switch (kind_) {
    case FrameOutputKind::kPngFrames:
      WritePng((std::filesystem::path(path_) / FrameFileName(frames_)).string(), frame);
      break;
    case FrameOutputKind::kPngStill:
      last_ = frame;
      break;
    case FrameOutputKind::kMp4:
      video_->Write(frame);
      break;
    case FrameOutputKind::kGif:
      gif_->Write(frame);
      break;
  }
  ++frames_;
}

void FrameOutput::Finish() {
  switch (kind_) {
    case FrameOutputKind::kPngFrames: {
      static const std::regex kFrame(R"(frame_(\d{5})\.png)");
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(path_, ec)) {
        const std::string name = entry.path().filename().string();
        std::smatch m;
        if (std::regex_match(name, m, kFrame) && std::stoul(m[1].str()) >= frames_) {
          std::filesystem::remove(entry.path(), ec);
          ++removed_stale_;
        }
      }
      break;
    }
    case FrameOutputKind::kPngStill:
      if (!last_) throw RenderError("no frame was rendered, so there is no still to write");
      WritePng(path_, *last_);
      break;
    case FrameOutputKind::kMp4:
      video_->Finish();
      break;
    case FrameOutputKind::kGif:
      gif_->Finish();
      break;
  }
}

std::string FrameOutput::Description() const {
  switch (kind_) {
    case FrameOutputKind::kPngFrames:
      return fmt::format("{} PNG frames in {}{}", frames_, path_,
                         removed_stale_ > 0
                             ? fmt::format(" (removed {} frames of an earlier, longer render)",
                                           removed_stale_)
                             : "");
    case FrameOutputKind::kPngStill:
      return fmt::format("the last of {} frames as {}", frames_, path_);
    case FrameOutputKind::kMp4:
      return fmt::format("{} frames as the video {}", frames_, path_);
    case FrameOutputKind::kGif:
      return fmt::format("{} frames as the animated GIF {}", frames_, path_);
  }
  return path_;
}

}  // namespace bcbench
