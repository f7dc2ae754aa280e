#include "viz/image.h"

#include <csetjmp>
#include <cstdio>
#include <memory>

#include <png.h>

#include "datasets/atomic_file.h"
#include "viz/render_error.h"

namespace bcbench {
namespace {

void AppendToString(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}

void NoFlush(png_structp) {}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

}  // namespace

// libpng reports errors by longjmp to the setjmp in the calling function, so
// nothing with a destructor may be created between setjmp and the libpng
// calls; the structs are released by their destroy functions on both paths.
std::string EncodePng(const Image& image) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (png == nullptr || info == nullptr) {
    png_destroy_write_struct(&png, &info);
    throw RenderError("libpng could not allocate its write structures");
  }
  std::vector<png_bytep> rows(static_cast<size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    rows[static_cast<size_t>(y)] = const_cast<png_bytep>(image.pixel(0, y));
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw RenderError("libpng failed to encode a " + std::to_string(image.width) + "x" +
                      std::to_string(image.height) + " image");
  }
  png_set_write_fn(png, &out, AppendToString, NoFlush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  // Level 3 of 9: rendered frames compress nearly as well, several times faster.
  png_set_compression_level(png, 3);
  png_set_rows(png, info, rows.data());
  png_write_png(png, info, PNG_TRANSFORM_IDENTITY, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

void WritePng(const std::string& path, const Image& image) {
  WriteFileAtomically(path, EncodePng(image));
}

Image ReadPng(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw RenderError("cannot open PNG " + path);
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (png == nullptr || info == nullptr) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw RenderError("libpng could not allocate its read structures");
  }
  Image image;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw RenderError(path + " is not a readable PNG");
  }
  png_init_io(png, file.get());
  png_read_png(png, info, PNG_TRANSFORM_STRIP_16 | PNG_TRANSFORM_PACKING | PNG_TRANSFORM_EXPAND,
               nullptr);
  const int channels = png_get_channels(png, info);
  const int color = png_get_color_type(png, info);
  const bool ok = (color == PNG_COLOR_TYPE_RGB && channels == 3) ||
                  (color == PNG_COLOR_TYPE_RGB_ALPHA && channels == 4);
  if (ok) {
    image.width = static_cast<int>(png_get_image_width(png, info));
    image.height = static_cast<int>(png_get_image_height(png, info));
    image.rgb.resize(static_cast<size_t>(image.width) * image.height * 3);
    png_bytepp rows = png_get_rows(png, info);
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) {
        for (int c = 0; c < 3; ++c) {
          image.rgb[(static_cast<size_t>(y) * image.width + x) * 3 + c] = rows[y][x * channels + c];
        }
      }
    }
  }
  png_destroy_read_struct(&png, &info, nullptr);
  if (!ok) throw RenderError(path + " is not an 8-bit RGB or RGBA PNG");
  return image;
}

}  // namespace bcbench
