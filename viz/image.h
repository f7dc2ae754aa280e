// An RGB image in memory and its PNG form (libpng).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bcbench {

// 8-bit RGB, rows from the top of the image down, 3 bytes per pixel.
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;

  const uint8_t* pixel(int x, int y) const {
    return rgb.data() + (static_cast<size_t>(y) * width + x) * 3;
  }
};

// The PNG file's bytes (8-bit RGB, no interlace).
std::string EncodePng(const Image& image);
// Writes the PNG whole or not at all (datasets/atomic_file.h); throws
// std::runtime_error naming the path.
void WritePng(const std::string& path, const Image& image);
// Reads an 8-bit RGB or RGBA PNG (alpha dropped); throws RenderError naming
// the path when it is missing or not such a PNG.
Image ReadPng(const std::string& path);

}  // namespace bcbench
