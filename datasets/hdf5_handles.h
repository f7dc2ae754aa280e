// RAII around HDF5 C identifiers, plus the few typed read/write helpers the
// demo files need. Every HDF5 call in the suite goes through here.
#pragma once

#include <hdf5.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "datasets/demo.h"

namespace bcbench {

// A problem with a demo file; the message names the file, demo and key.
class DemoFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Owns one hid_t and closes it with the matching H5?close.
class H5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Id() = default;
  H5Id(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~H5Id() { Reset(); }
  H5Id(H5Id&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }
  H5Id& operator=(H5Id&& other) noexcept;
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void Reset();

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Turns off HDF5's own printing of error stacks: we report errors ourselves.
void SilenceHdf5Errors();

bool H5Exists(hid_t loc, const std::string& name);  // link exists (one level)
bool H5IsGroup(hid_t loc, const std::string& name);
bool H5HasAttr(hid_t obj, const std::string& name);
H5Id H5OpenGroup(hid_t loc, const std::string& name);
H5Id H5CreateGroup(hid_t loc, const std::string& name);
std::vector<std::string> H5ListChildren(hid_t group);

// What a dataset holds, without reading it.
struct H5DatasetInfo {
  std::vector<size_t> shape;
  std::string dtype;  // "float32", "float64", "int64", "uint8", ... or "other"
  bool is_float = false;
  bool is_numeric = false;
};
H5DatasetInfo H5Describe(hid_t loc, const std::string& name);

// Reads any numeric dataset converted to float32 (HDF5 converts on read, and
// handles chunking and gzip transparently).
FloatArray H5ReadFloat(hid_t loc, const std::string& name);
std::vector<int32_t> H5ReadInt32(hid_t loc, const std::string& name);
std::vector<std::string> H5ReadStrings(hid_t loc, const std::string& name);

// Writes float32 (chunked + gzip when `compress`), int32, uint8 or string lists.
void H5WriteFloat(hid_t loc, const std::string& name, const FloatArray& array, bool compress);
void H5WriteInt32(hid_t loc, const std::string& name, const std::vector<int32_t>& values,
                  bool compress);
void H5WriteUInt8(hid_t loc, const std::string& name, const std::vector<uint8_t>& values,
                  bool compress);
void H5WriteStrings(hid_t loc, const std::string& name, const std::vector<std::string>& values);

// Scalar attributes.
void H5WriteAttrString(hid_t obj, const std::string& name, const std::string& value);
void H5WriteAttrInt64(hid_t obj, const std::string& name, int64_t value);
void H5WriteAttrUInt64(hid_t obj, const std::string& name, uint64_t value);
std::optional<std::string> H5ReadAttrString(hid_t obj, const std::string& name);
std::optional<int64_t> H5ReadAttrInt64(hid_t obj, const std::string& name);
std::optional<uint64_t> H5ReadAttrUInt64(hid_t obj, const std::string& name);

}  // namespace bcbench
