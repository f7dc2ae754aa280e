#include "datasets/hdf5_handles.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include <fmt/format.h>

namespace bcbench {
namespace {

// Chunks of about this many rows: small enough to read one demo cheaply,
// large enough for gzip to work.
constexpr hsize_t kChunkRows = 1024;

H5Id Check(hid_t id, H5Id::Closer closer, const std::string& what) {
  if (id < 0) throw DemoFileError("HDF5: cannot " + what);
  return H5Id(id, closer);
}

void CheckStatus(herr_t status, const std::string& what) {
  if (status < 0) throw DemoFileError("HDF5: cannot " + what);
}

H5Id OpenDataset(hid_t loc, const std::string& name) {
  return Check(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), H5Dclose, "open dataset '" + name + "'");
}

std::vector<size_t> ShapeOf(hid_t dataset) {
  H5Id space = Check(H5Dget_space(dataset), H5Sclose, "read a dataspace");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) throw DemoFileError("HDF5: cannot read a dataset's rank");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return std::vector<size_t>(dims.begin(), dims.end());
}

// Element count of `shape`; a declared shape whose count does not fit in
// size_t (forged dimensions) is refused rather than wrapped.
size_t Product(const std::vector<size_t>& shape) {
  size_t n = 1;
  for (const size_t d : shape) {
    if (d != 0 && n > std::numeric_limits<size_t>::max() / d) {
      throw DemoFileError("a dataset declares a shape with more values than memory can address");
    }
    n *= d;
  }
  return n;
}

std::string Bytes(double bytes) {
  char text[32];
  if (bytes >= 1024.0 * 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  } else {
    std::snprintf(text, sizeof text, "%.1f MiB", bytes / (1024.0 * 1024));
  }
  return text;
}

// A dataset's shape is only a declaration: a small forged or damaged file
// can declare 2^40 rows whose chunks were never written (HDF5 then reads
// fill values), and reading it whole would ask for terabytes. Before a
// dataset is read into memory: the file must hold every chunk (or, for a
// contiguous dataset, every byte) it declares, and the memory it needs must
// fit in this machine's RAM. `elements` x `mem_bytes` is what the read
// allocates.
void CheckDeclaredSize(hid_t dataset, const std::string& name, size_t elements,
                       size_t mem_bytes) {
  if (elements == 0) return;
  const double need = static_cast<double>(elements) * static_cast<double>(mem_bytes);
  const double ram = static_cast<double>(sysconf(_SC_PHYS_PAGES)) *
                     static_cast<double>(sysconf(_SC_PAGESIZE));
  H5Id dcpl = Check(H5Dget_create_plist(dataset), H5Pclose, "read a dataset's layout");
  const H5D_layout_t layout = H5Pget_layout(dcpl.get());
  if (layout == H5D_CHUNKED) {
    const std::vector<size_t> shape = ShapeOf(dataset);
    std::vector<hsize_t> chunk(shape.size());
    if (H5Pget_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()) < 0) {
      throw DemoFileError("HDF5: cannot read the chunk shape of '" + name + "'");
    }
    double expected = 1;  // chunks covering the declared shape
    for (size_t d = 0; d < shape.size(); ++d) {
      expected *= std::ceil(static_cast<double>(shape[d]) /
                            static_cast<double>(std::max<hsize_t>(chunk[d], 1)));
    }
    hsize_t stored = 0;
    H5Id space = Check(H5Dget_space(dataset), H5Sclose, "read a dataspace");
    CheckStatus(H5Dget_num_chunks(dataset, space.get(), &stored),
                "count the chunks of '" + name + "'");
    if (static_cast<double>(stored) < expected) {
      throw DemoFileError(fmt::format(
          "dataset '{}' declares {} values in {:.0f} chunks but the file holds only {} of them: "
          "the file is incomplete or damaged; re-record or re-export it",
          name, elements, expected, stored));
    }
  } else if (layout == H5D_CONTIGUOUS) {
    H5Id type = Check(H5Dget_type(dataset), H5Tclose, "read a type");
    const double declared = static_cast<double>(elements) *
                            static_cast<double>(H5Tget_size(type.get()));
    const double stored = static_cast<double>(H5Dget_storage_size(dataset));
    if (stored < declared) {
      throw DemoFileError(fmt::format(
          "dataset '{}' declares {} values ({}) but the file stores {}: the file is incomplete "
          "or damaged; re-record or re-export it",
          name, elements, Bytes(declared), Bytes(stored)));
    }
  }
  if (ram > 0 && need > ram) {
    throw DemoFileError(fmt::format(
        "dataset '{}' declares {} values: reading it needs {}, more than this machine's {} of "
        "memory",
        name, elements, Bytes(need), Bytes(ram)));
  }
}

// Creates a dataset of `shape` (first dimension = rows), chunked by rows and
// gzip-compressed when asked and non-empty.
H5Id CreateDataset(hid_t loc, const std::string& name, hid_t type,
                   const std::vector<size_t>& shape, bool compress) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  H5Id space = Check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                     H5Sclose, "create a dataspace for '" + name + "'");
  H5Id plist = Check(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create a property list");
  // No modification times in the file: the same demos give the same bytes
  // (content-hashed caches and resume checks compare files by their bytes).
  H5Pset_obj_track_times(plist.get(), false);
  if (compress && !dims.empty() && dims[0] > 0) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = std::min<hsize_t>(dims[0], kChunkRows);
    CheckStatus(H5Pset_chunk(plist.get(), static_cast<int>(chunk.size()), chunk.data()),
                "set chunking");
    CheckStatus(H5Pset_deflate(plist.get(), 4), "enable gzip");
  }
  return Check(H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, plist.get(),
                          H5P_DEFAULT),
               H5Dclose, "create dataset '" + name + "'");
}

H5Id OpenAttr(hid_t obj, const std::string& name) {
  return Check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose,
               "open attribute '" + name + "'");
}

H5Id CreateScalarAttr(hid_t obj, const std::string& name, hid_t type) {
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  H5Id space = Check(H5Screate(H5S_SCALAR), H5Sclose, "create a scalar dataspace");
  return Check(H5Acreate2(obj, name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
               H5Aclose, "create attribute '" + name + "'");
}

}  // namespace

H5Id& H5Id::operator=(H5Id&& other) noexcept {
  if (this != &other) {
    Reset();
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

void H5Id::Reset() {
  if (id_ >= 0 && closer_ != nullptr) closer_(id_);
  id_ = -1;
}

void SilenceHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

bool H5Exists(hid_t loc, const std::string& name) {
  // H5Lexists fails rather than answering false when an intermediate group
  // is missing, so walk the path one link at a time.
  std::string prefix;
  size_t start = 0;
  while (start <= name.size()) {
    const size_t slash = name.find('/', start);
    const std::string part = name.substr(start, slash == std::string::npos ? std::string::npos
                                                                           : slash - start);
    prefix += (prefix.empty() ? "" : "/") + part;
    if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

bool H5IsGroup(hid_t loc, const std::string& name) {
  if (!H5Exists(loc, name)) return false;
  H5O_info_t info;
  if (H5Oget_info_by_name(loc, name.c_str(), &info, H5P_DEFAULT) < 0) return false;
  return info.type == H5O_TYPE_GROUP;
}

bool H5HasAttr(hid_t obj, const std::string& name) { return H5Aexists(obj, name.c_str()) > 0; }

H5Id H5OpenGroup(hid_t loc, const std::string& name) {
  return Check(H5Gopen2(loc, name.c_str(), H5P_DEFAULT), H5Gclose, "open group '" + name + "'");
}

H5Id H5CreateGroup(hid_t loc, const std::string& name) {
  H5Id gcpl = Check(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "create a property list");
  H5Pset_obj_track_times(gcpl.get(), false);  // same demos, same bytes (as for datasets)
  return Check(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose,
               "create group '" + name + "'");
}

std::vector<std::string> H5ListChildren(hid_t group) {
  H5G_info_t info;
  CheckStatus(H5Gget_info(group, &info), "list a group");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr,
                                            0, H5P_DEFAULT);
    if (size < 0) throw DemoFileError("HDF5: cannot read a link name");
    std::string name(static_cast<size_t>(size), '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(),
                       static_cast<size_t>(size) + 1, H5P_DEFAULT);
    names.push_back(name);
  }
  return names;
}

H5DatasetInfo H5Describe(hid_t loc, const std::string& name) {
  H5Id dataset = OpenDataset(loc, name);
  H5DatasetInfo info;
  info.shape = ShapeOf(dataset.get());
  H5Id type = Check(H5Dget_type(dataset.get()), H5Tclose, "read the type of '" + name + "'");
  const H5T_class_t cls = H5Tget_class(type.get());
  const size_t size = H5Tget_size(type.get());
  if (cls == H5T_FLOAT) {
    info.is_float = info.is_numeric = true;
    info.dtype = "float" + std::to_string(size * 8);
  } else if (cls == H5T_INTEGER) {
    info.is_numeric = true;
    info.dtype = std::string(H5Tget_sign(type.get()) == H5T_SGN_NONE ? "uint" : "int") +
                 std::to_string(size * 8);
  } else if (cls == H5T_ENUM && size == 1) {
    info.is_numeric = true;  // h5py stores numpy bool as a 1-byte enum
    info.dtype = "bool";
  } else if (cls == H5T_STRING) {
    info.dtype = "string";
  } else {
    info.dtype = "other";
  }
  return info;
}

FloatArray H5ReadFloat(hid_t loc, const std::string& name) {
  const H5DatasetInfo info = H5Describe(loc, name);
  if (!info.is_numeric) {
    throw DemoFileError("dataset '" + name + "' holds " + info.dtype + ", expected numbers");
  }
  H5Id dataset = OpenDataset(loc, name);
  CheckDeclaredSize(dataset.get(), name, Product(info.shape), sizeof(float));
  FloatArray out = FloatArray::Zeros(info.shape);
  if (out.values.empty()) return out;
  if (info.dtype == "bool") {
    std::vector<uint8_t> raw(out.values.size());
    H5Id type = Check(H5Dget_type(dataset.get()), H5Tclose, "read a type");
    CheckStatus(H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
                "read dataset '" + name + "' (truncated file?)");
    for (size_t i = 0; i < raw.size(); ++i) out.values[i] = raw[i] ? 1.0f : 0.0f;
    return out;
  }
  CheckStatus(H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                      out.values.data()),
              "read dataset '" + name + "' (truncated file?)");
  return out;
}

std::vector<int32_t> H5ReadInt32(hid_t loc, const std::string& name) {
  const H5DatasetInfo info = H5Describe(loc, name);
  if (info.dtype.rfind("int", 0) != 0 && info.dtype.rfind("uint", 0) != 0) {
    throw DemoFileError("dataset '" + name + "' holds " + info.dtype + ", expected integers");
  }
  H5Id dataset = OpenDataset(loc, name);
  CheckDeclaredSize(dataset.get(), name, Product(info.shape), sizeof(int32_t));
  std::vector<int32_t> out(Product(info.shape));
  if (out.empty()) return out;
  CheckStatus(H5Dread(dataset.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                      out.data()),
              "read dataset '" + name + "' (truncated file?)");
  return out;
}

std::vector<std::string> H5ReadStrings(hid_t loc, const std::string& name) {
  H5Id dataset = OpenDataset(loc, name);
  const size_t count = Product(ShapeOf(dataset.get()));
  H5Id file_type = Check(H5Dget_type(dataset.get()), H5Tclose, "read a type");
  if (H5Tget_class(file_type.get()) != H5T_STRING) {
    throw DemoFileError("dataset '" + name + "' should hold strings (demo names)");
  }
  std::vector<std::string> out;
  if (count == 0) return out;
  CheckDeclaredSize(dataset.get(), name, count,
                    std::max<size_t>(H5Tget_size(file_type.get()), sizeof(char*)));
  if (H5Tis_variable_str(file_type.get()) > 0) {
    H5Id mem_type = Check(H5Tcopy(H5T_C_S1), H5Tclose, "copy a type");
    H5Tset_size(mem_type.get(), H5T_VARIABLE);
    std::vector<char*> raw(count, nullptr);
    CheckStatus(H5Dread(dataset.get(), mem_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
                "read strings of '" + name + "'");
    for (char* s : raw) {
      out.emplace_back(s != nullptr ? s : "");
      H5free_memory(s);
    }
    return out;
  }
  const size_t width = H5Tget_size(file_type.get());
  H5Id mem_type = Check(H5Tcopy(H5T_C_S1), H5Tclose, "copy a type");
  H5Tset_size(mem_type.get(), width);
  // Null padding in memory keeps all `width` characters of a full-width name
  // (null termination would drop the last one).
  H5Tset_strpad(mem_type.get(), H5T_STR_NULLPAD);
  std::vector<char> raw(count * width, '\0');
  CheckStatus(H5Dread(dataset.get(), mem_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
              "read strings of '" + name + "'");
  for (size_t i = 0; i < count; ++i) {
    const char* begin = raw.data() + i * width;
    out.emplace_back(begin, strnlen(begin, width));
  }
  return out;
}

void H5WriteFloat(hid_t loc, const std::string& name, const FloatArray& array, bool compress) {
  H5Id dataset = CreateDataset(loc, name, H5T_IEEE_F32LE, array.shape, compress);
  if (array.values.empty()) return;
  CheckStatus(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                       array.values.data()),
              "write dataset '" + name + "'");
}

void H5WriteInt32(hid_t loc, const std::string& name, const std::vector<int32_t>& values,
                  bool compress) {
  H5Id dataset = CreateDataset(loc, name, H5T_STD_I32LE, {values.size()}, compress);
  if (values.empty()) return;
  CheckStatus(H5Dwrite(dataset.get(), H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                       values.data()),
              "write dataset '" + name + "'");
}

void H5WriteUInt8(hid_t loc, const std::string& name, const std::vector<uint8_t>& values,
                  bool compress) {
  H5Id dataset = CreateDataset(loc, name, H5T_STD_U8LE, {values.size()}, compress);
  if (values.empty()) return;
  CheckStatus(H5Dwrite(dataset.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                       values.data()),
              "write dataset '" + name + "'");
}

void H5WriteStrings(hid_t loc, const std::string& name, const std::vector<std::string>& values) {
  // Fixed-length byte strings, as h5py writes numpy 'S' arrays (robomimic masks).
  size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size());
  H5Id type = Check(H5Tcopy(H5T_C_S1), H5Tclose, "copy a type");
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  std::vector<char> raw(values.size() * width, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    std::memcpy(raw.data() + i * width, values[i].data(), values[i].size());
  }
  H5Id dataset = CreateDataset(loc, name, type.get(), {values.size()}, false);
  if (values.empty()) return;
  CheckStatus(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()),
              "write dataset '" + name + "'");
}

void H5WriteAttrString(hid_t obj, const std::string& name, const std::string& value) {
  // Variable-length UTF-8, as h5py writes Python str attributes.
  H5Id type = Check(H5Tcopy(H5T_C_S1), H5Tclose, "copy a type");
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  H5Id attr = CreateScalarAttr(obj, name, type.get());
  const char* ptr = value.c_str();
  CheckStatus(H5Awrite(attr.get(), type.get(), &ptr), "write attribute '" + name + "'");
}

void H5WriteAttrInt64(hid_t obj, const std::string& name, int64_t value) {
  H5Id attr = CreateScalarAttr(obj, name, H5T_STD_I64LE);
  CheckStatus(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), "write attribute '" + name + "'");
}

void H5WriteAttrUInt64(hid_t obj, const std::string& name, uint64_t value) {
  H5Id attr = CreateScalarAttr(obj, name, H5T_STD_U64LE);
  CheckStatus(H5Awrite(attr.get(), H5T_NATIVE_UINT64, &value), "write attribute '" + name + "'");
}

std::optional<std::string> H5ReadAttrString(hid_t obj, const std::string& name) {
  if (!H5HasAttr(obj, name)) return std::nullopt;
  H5Id attr = OpenAttr(obj, name);
  H5Id file_type = Check(H5Aget_type(attr.get()), H5Tclose, "read an attribute type");
  if (H5Tget_class(file_type.get()) != H5T_STRING) {
    throw DemoFileError("attribute '" + name + "' should be a string");
  }
  if (H5Tis_variable_str(file_type.get()) > 0) {
    H5Id mem_type = Check(H5Tcopy(H5T_C_S1), H5Tclose, "copy a type");
    H5Tset_size(mem_type.get(), H5T_VARIABLE);
    H5Tset_cset(mem_type.get(), H5Tget_cset(file_type.get()));
    char* raw = nullptr;
    CheckStatus(H5Aread(attr.get(), mem_type.get(), &raw), "read attribute '" + name + "'");
    std::string out = raw != nullptr ? raw : "";
    H5free_memory(raw);
    return out;
  }
  const size_t width = H5Tget_size(file_type.get());
  std::vector<char> raw(width + 1, '\0');
  CheckStatus(H5Aread(attr.get(), file_type.get(), raw.data()), "read attribute '" + name + "'");
  return std::string(raw.data(), strnlen(raw.data(), width));
}

std::optional<int64_t> H5ReadAttrInt64(hid_t obj, const std::string& name) {
  if (!H5HasAttr(obj, name)) return std::nullopt;
  H5Id attr = OpenAttr(obj, name);
  int64_t value = 0;
  CheckStatus(H5Aread(attr.get(), H5T_NATIVE_INT64, &value),
              "read attribute '" + name + "' as an integer");
  return value;
}

std::optional<uint64_t> H5ReadAttrUInt64(hid_t obj, const std::string& name) {
  if (!H5HasAttr(obj, name)) return std::nullopt;
  H5Id attr = OpenAttr(obj, name);
  uint64_t value = 0;
  CheckStatus(H5Aread(attr.get(), H5T_NATIVE_UINT64, &value),
              "read attribute '" + name + "' as an unsigned integer");
  return value;
}

}  // namespace bcbench
