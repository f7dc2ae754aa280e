#include "viz/gif_writer.h"

#include <gif_lib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "datasets/atomic_file.h"
#include "viz/render_error.h"

namespace bcbench {
namespace {

int AppendToString(GifFileType* gif, const GifByteType* bytes, int size) {
  static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(bytes),
                                                   static_cast<size_t>(size));
  return size;
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    EGifCloseFile(gif, &error);
  }
};
struct GifReaderCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};
struct MapFree {
  void operator()(ColorMapObject* map) const { GifFreeMapObject(map); }
};

[[noreturn]] void Fail(const std::string& what, int error) {
  throw RenderError(fmt::format("{}: {}", what, GifErrorString(error)));
}

}  // namespace

struct GifWriter::Encoder {
  std::string bytes;
  std::unique_ptr<GifFileType, GifCloser> gif;
};

GifWriter::GifWriter(std::string path, int width, int height, double fps)
    : path_(std::move(path)),
      width_(width),
      height_(height),
      delay_(std::max(2, static_cast<int>(std::lround(100.0 / std::max(fps, 1e-3))))),
      encoder_(std::make_unique<Encoder>()) {
  int error = 0;
  encoder_->gif.reset(EGifOpen(&encoder_->bytes, AppendToString, &error));
  GifFileType* gif = encoder_->gif.get();
  if (gif == nullptr) Fail("cannot start a GIF", error);
  EGifSetGifVersion(gif, true);  // GIF89a: delays and looping
  if (EGifPutScreenDesc(gif, width_, height_, 8, 0, nullptr) == GIF_ERROR) {
    Fail("cannot write the GIF header", gif->Error);
  }
  // Loop forever (the NETSCAPE2.0 application extension, count 0).
  const GifByteType loop[3] = {1, 0, 0};
  if (EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE) == GIF_ERROR ||
      EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0") == GIF_ERROR ||
      EGifPutExtensionBlock(gif, 3, loop) == GIF_ERROR ||
      EGifPutExtensionTrailer(gif) == GIF_ERROR) {
    Fail("cannot write the GIF loop extension", gif->Error);
  }
}

GifWriter::~GifWriter() = default;

void GifWriter::Write(const Image& frame) {
  if (frame.width != width_ || frame.height != height_) {
    throw RenderError(fmt::format("GIF frame of {}x{} in a {}x{} animation", frame.width,
                                  frame.height, width_, height_));
  }
  GifFileType* gif = encoder_->gif.get();
  const size_t n = static_cast<size_t>(width_) * height_;
  std::vector<GifByteType> r(n), g(n), b(n), indices(n);
  for (size_t i = 0; i < n; ++i) {
    r[i] = frame.rgb[3 * i];
    g[i] = frame.rgb[3 * i + 1];
    b[i] = frame.rgb[3 * i + 2];
  }
  std::unique_ptr<ColorMapObject, MapFree> map(GifMakeMapObject(256, nullptr));
  if (!map) throw RenderError("out of memory for a GIF palette");
  int colours = 256;
  if (GifQuantizeBuffer(static_cast<unsigned>(width_), static_cast<unsigned>(height_), &colours,
                        r.data(), g.data(), b.data(), indices.data(),
                        map->Colors) == GIF_ERROR) {
    throw RenderError("giflib could not reduce a frame to 256 colours");
  }
  GraphicsControlBlock control;
  control.DisposalMode = DISPOSE_DO_NOT;
  control.UserInputFlag = false;
  control.DelayTime = delay_;
  control.TransparentColor = NO_TRANSPARENT_COLOR;
  GifByteType extension[4];
  const size_t length = EGifGCBToExtension(&control, extension);
  if (EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(length), extension) ==
          GIF_ERROR ||
      EGifPutImageDesc(gif, 0, 0, width_, height_, false, map.get()) == GIF_ERROR) {
    Fail("cannot write a GIF frame", gif->Error);
  }
  for (int y = 0; y < height_; ++y) {
    if (EGifPutLine(gif, indices.data() + static_cast<size_t>(y) * width_, width_) == GIF_ERROR) {
      Fail("cannot write a GIF frame", gif->Error);
    }
  }
}

void GifWriter::Finish() {
  int error = 0;
  GifFileType* gif = encoder_->gif.release();
  if (EGifCloseFile(gif, &error) == GIF_ERROR) Fail("cannot finish the GIF", error);
  WriteFileAtomically(path_, encoder_->bytes);
}

GifAnimation ReadGif(const std::string& path) {
  int error = 0;
  std::unique_ptr<GifFileType, GifReaderCloser> gif(DGifOpenFileName(path.c_str(), &error));
  if (!gif) Fail("cannot open the GIF " + path, error);
  if (DGifSlurp(gif.get()) == GIF_ERROR) Fail("cannot read the GIF " + path, gif->Error);
  GifAnimation animation;
  animation.width = gif->SWidth;
  animation.height = gif->SHeight;
  const size_t n = static_cast<size_t>(animation.width) * animation.height;
  Image canvas;
  canvas.width = animation.width;
  canvas.height = animation.height;
  canvas.rgb.assign(3 * n, 0);
  // giflib files the extensions before the first image with that image.
  const auto find_loop = [&](const ExtensionBlock* blocks, int count) {
    for (int e = 0; e < count; ++e) {
      if (blocks[e].Function == APPLICATION_EXT_FUNC_CODE && blocks[e].ByteCount == 11 &&
          std::memcmp(blocks[e].Bytes, "NETSCAPE2.0", 11) == 0) {
        animation.loops = true;
      }
    }
  };
  find_loop(gif->ExtensionBlocks, gif->ExtensionBlockCount);
  if (gif->ImageCount > 0) {
    find_loop(gif->SavedImages[0].ExtensionBlocks, gif->SavedImages[0].ExtensionBlockCount);
  }
  for (int i = 0; i < gif->ImageCount; ++i) {
    const SavedImage& image = gif->SavedImages[i];
    const ColorMapObject* map = image.ImageDesc.ColorMap ? image.ImageDesc.ColorMap
                                                         : gif->SColorMap;
    if (map == nullptr) throw RenderError(fmt::format("{}: frame {} has no palette", path, i));
    const GifImageDesc& d = image.ImageDesc;
    for (int y = 0; y < d.Height; ++y) {
      for (int x = 0; x < d.Width; ++x) {
        const int cx = d.Left + x, cy = d.Top + y;
        if (cx < 0 || cy < 0 || cx >= canvas.width || cy >= canvas.height) continue;
        const int index = image.RasterBits[static_cast<size_t>(y) * d.Width + x];
        if (index >= map->ColorCount) continue;
        uint8_t* p = canvas.rgb.data() + (static_cast<size_t>(cy) * canvas.width + cx) * 3;
        p[0] = map->Colors[index].Red;
        p[1] = map->Colors[index].Green;
        p[2] = map->Colors[index].Blue;
      }
    }
    GraphicsControlBlock control;
    int delay = 0;
    if (DGifSavedExtensionToGCB(gif.get(), i, &control) == GIF_OK) delay = control.DelayTime;
    animation.frames.push_back(canvas);
    animation.delays.push_back(delay);
  }
  return animation;
}

}  // namespace bcbench
