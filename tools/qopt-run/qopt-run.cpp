//===- qopt-run.cpp - Run a compiled qopt model ---------------------------===//
//
// Loads a model library written by qopt-compile through the C API of
// qopt/Runtime/qopt_runtime.h, feeds it tensors read from ONNX TensorProto
// (.pb) or NumPy (.npy) files, and prints the outputs, checks them against
// expected tensors, saves them, or times repeated runs.
//
//   qopt-run MODEL.so --inputs DIR [--expected DIR] [--rtol R] [--atol A]
//            [--save-outputs DIR] [--bench N]
//
// The tool deliberately converts nothing: input tensors reach the model with
// the dtype and shape stored in their files, so the runtime's own argument
// checks (and their messages) are what a user of the C API would see.
//
//===----------------------------------------------------------------------===//

#include "qopt/Runtime/qopt_runtime.h"

#include <onnx/onnx_pb.h>

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

// Tensor files are little-endian (raw_data, .npy '<'), and the model reads
// host-order buffers; the two agree only on little-endian hosts.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "qopt-run assumes a little-endian host"
#endif

namespace fs = std::filesystem;

namespace {

constexpr int ExitSuccess = 0;
constexpr int ExitFailure = 1;
constexpr int ExitUsage = 2;

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

int reportError(const std::string &message) {
  std::fprintf(stderr, "qopt-run: error: %s\n", message.c_str());
  return ExitFailure;
}

void reportWarning(const std::string &message) {
  std::fprintf(stderr, "qopt-run: warning: %s\n", message.c_str());
}

void reportNote(const std::string &message) {
  std::fprintf(stderr, "qopt-run: note: %s\n", message.c_str());
}

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

struct DTypeDesc {
  int id; // ONNX TensorProto.DataType number, equal to qopt_dtype.
  const char *name;
  size_t size;
};

// The element types the runtime ABI knows. Kept here rather than asked of
// the library so that files can be described even before a model loads.
constexpr DTypeDesc DTypes[] = {
    {QOPT_FLOAT32, "float32", 4},   {QOPT_UINT8, "uint8", 1},
    {QOPT_INT8, "int8", 1},         {QOPT_UINT16, "uint16", 2},
    {QOPT_INT16, "int16", 2},       {QOPT_INT32, "int32", 4},
    {QOPT_INT64, "int64", 8},       {QOPT_BOOL, "bool", 1},
    {QOPT_FLOAT16, "float16", 2},   {QOPT_FLOAT64, "float64", 8},
    {QOPT_UINT32, "uint32", 4},     {QOPT_UINT64, "uint64", 8},
    {QOPT_BFLOAT16, "bfloat16", 2},
};

const DTypeDesc *lookupDType(int id) {
  for (const DTypeDesc &desc : DTypes)
    if (desc.id == id)
      return &desc;
  return nullptr;
}

std::string dtypeName(int id) {
  if (const DTypeDesc *desc = lookupDType(id))
    return desc->name;
  return "<dtype " + std::to_string(id) + ">";
}

/// Bytes of one element, 0 for a dtype the runtime ABI does not know.
size_t dtypeSize(int id) {
  const DTypeDesc *desc = lookupDType(id);
  return desc ? desc->size : 0;
}

/// IEEE binary16 to double, exact (every half value is a double).
double halfToDouble(uint16_t bits) {
  bool negative = bits >> 15;
  int exponent = (bits >> 10) & 0x1f;
  int mantissa = bits & 0x3ff;
  double value;
  if (exponent == 0) // Zero or subnormal: mantissa * 2^-24.
    value = std::ldexp(mantissa, -24);
  else if (exponent == 0x1f)
    value = mantissa ? std::numeric_limits<double>::quiet_NaN()
                     : std::numeric_limits<double>::infinity();
  else // Normal: (1024 + mantissa) * 2^(exponent - 15 - 10).
    value = std::ldexp(1024 + mantissa, exponent - 25);
  return negative ? -value : value;
}

/// bfloat16 is the upper half of a float32.
double bfloat16ToDouble(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

template <typename T> T loadElement(const uint8_t *data, size_t index) {
  T value;
  std::memcpy(&value, data + index * sizeof(T), sizeof(T));
  return value;
}

/// Element `index` of a buffer of `dtype`, widened to double for comparison.
double elementAsDouble(int dtype, const uint8_t *data, size_t index) {
  switch (dtype) {
  case QOPT_FLOAT32:
    return loadElement<float>(data, index);
  case QOPT_FLOAT64:
    return loadElement<double>(data, index);
  case QOPT_FLOAT16:
    return halfToDouble(loadElement<uint16_t>(data, index));
  case QOPT_BFLOAT16:
    return bfloat16ToDouble(loadElement<uint16_t>(data, index));
  case QOPT_INT8:
    return loadElement<int8_t>(data, index);
  case QOPT_UINT8:
  case QOPT_BOOL:
    return loadElement<uint8_t>(data, index);
  case QOPT_INT16:
    return loadElement<int16_t>(data, index);
  case QOPT_UINT16:
    return loadElement<uint16_t>(data, index);
  case QOPT_INT32:
    return loadElement<int32_t>(data, index);
  case QOPT_UINT32:
    return loadElement<uint32_t>(data, index);
  case QOPT_INT64:
    return static_cast<double>(loadElement<int64_t>(data, index));
  case QOPT_UINT64:
    return static_cast<double>(loadElement<uint64_t>(data, index));
  default:
    return std::numeric_limits<double>::quiet_NaN();
  }
}

/// Element `index` as text. 64-bit integers print from their own type:
/// past 2^53 a double would round them.
std::string formatElement(int dtype, const uint8_t *data, size_t index) {
  char text[64];
  switch (dtype) {
  case QOPT_INT8:
  case QOPT_INT16:
  case QOPT_INT32:
    std::snprintf(text, sizeof(text), "%" PRId64,
                  static_cast<int64_t>(elementAsDouble(dtype, data, index)));
    break;
  case QOPT_UINT8:
  case QOPT_UINT16:
  case QOPT_UINT32:
    std::snprintf(text, sizeof(text), "%" PRIu64,
                  static_cast<uint64_t>(elementAsDouble(dtype, data, index)));
    break;
  case QOPT_INT64:
    std::snprintf(text, sizeof(text), "%" PRId64,
                  loadElement<int64_t>(data, index));
    break;
  case QOPT_UINT64:
    std::snprintf(text, sizeof(text), "%" PRIu64,
                  loadElement<uint64_t>(data, index));
    break;
  case QOPT_BOOL:
    return loadElement<uint8_t>(data, index) ? "true" : "false";
  case QOPT_FLOAT64:
    std::snprintf(text, sizeof(text), "%.17g",
                  elementAsDouble(dtype, data, index));
    break;
  default:
    // float32 and the 16-bit floats need at most 9 significant digits.
    std::snprintf(text, sizeof(text), "%.9g",
                  elementAsDouble(dtype, data, index));
    break;
  }
  return text;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

std::string formatShape(const int64_t *dims, size_t rank) {
  std::string text = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      text += ", ";
    text += std::to_string(dims[i]);
  }
  return text + "]";
}

std::string formatShape(const std::vector<int64_t> &dims) {
  return formatShape(dims.data(), dims.size());
}

/// Number of elements of `dims`; false for a negative dimension or overflow.
bool countElements(const std::vector<int64_t> &dims, size_t &count) {
  count = 1;
  for (int64_t dim : dims) {
    if (dim < 0 ||
        __builtin_mul_overflow(count, static_cast<size_t>(dim), &count))
      return false;
  }
  return true;
}

/// Bytes of a dense tensor; false for an unknown dtype, a negative
/// dimension, or a size that does not fit in size_t.
bool tensorBytes(int dtype, const std::vector<int64_t> &dims, size_t &count,
                 size_t &bytes) {
  size_t elementSize = dtypeSize(dtype);
  return elementSize && countElements(dims, count) &&
         !__builtin_mul_overflow(count, elementSize, &bytes);
}

/// Row-major multi-index of flat element `flat`, e.g. "[1, 2]".
std::string formatIndex(const std::vector<int64_t> &dims, size_t flat) {
  std::vector<int64_t> index(dims.size());
  for (size_t i = dims.size(); i-- > 0;) {
    size_t dim = static_cast<size_t>(dims[i]);
    index[i] = static_cast<int64_t>(flat % dim);
    flat /= dim;
  }
  return formatShape(index);
}

//===----------------------------------------------------------------------===//
// Host tensors
//===----------------------------------------------------------------------===//

struct FreeDeleter {
  void operator()(uint8_t *ptr) const { std::free(ptr); }
};

/// A dense row-major tensor in host memory, as read from a file or as an
/// output buffer handed to the model.
struct Tensor {
  int dtype = 0;
  std::vector<int64_t> dims;
  std::unique_ptr<uint8_t, FreeDeleter> data;
  size_t sizeBytes = 0;
  size_t numElements = 0;
  std::string name; // Value name stored in a .pb file, "" when none.
  std::string path; // File it came from, "" for outputs.
};

/// Gives `tensor` a zeroed buffer of `bytes`. Buffers are cache-line aligned,
/// like those of a careful C API user, and never null, even when empty,
/// because the runtime rejects null data pointers.
bool allocateBuffer(Tensor &tensor, size_t bytes) {
  constexpr size_t Alignment = 64;
  size_t rounded =
      (std::max<size_t>(bytes, 1) + Alignment - 1) / Alignment * Alignment;
  void *ptr = std::aligned_alloc(Alignment, rounded);
  if (!ptr)
    return false;
  std::memset(ptr, 0, rounded);
  tensor.data.reset(static_cast<uint8_t *>(ptr));
  tensor.sizeBytes = bytes;
  return true;
}

/// Sets dtype and dims, checks them, and allocates the buffer.
bool shapeTensor(Tensor &tensor, int dtype, std::vector<int64_t> dims,
                 const std::string &what, std::string &error) {
  size_t count = 0, bytes = 0;
  if (!tensorBytes(dtype, dims, count, bytes)) {
    error = what + ": invalid tensor: dtype " + dtypeName(dtype) + ", shape " +
            formatShape(dims);
    return false;
  }
  tensor.dtype = dtype;
  tensor.dims = std::move(dims);
  tensor.numElements = count;
  if (!allocateBuffer(tensor, bytes)) {
    error = what + ": cannot allocate " + std::to_string(bytes) + " bytes";
    return false;
  }
  return true;
}

qopt_tensor viewOf(const Tensor &tensor) {
  qopt_tensor view;
  view.dtype = static_cast<qopt_dtype>(tensor.dtype);
  view.rank = tensor.dims.size();
  view.dims = tensor.dims.data();
  view.data = tensor.data.get();
  view.size_bytes = tensor.sizeBytes;
  return view;
}

//===----------------------------------------------------------------------===//
// File reading
//===----------------------------------------------------------------------===//

bool readWholeFile(const fs::path &path, std::string &bytes,
                   std::string &error) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    error = path.string() + ": cannot open: " + std::strerror(errno);
    return false;
  }
  bytes.assign(std::istreambuf_iterator<char>(stream),
               std::istreambuf_iterator<char>());
  if (stream.bad()) {
    error = path.string() + ": read error";
    return false;
  }
  return true;
}

/// Stores `values` (a repeated TensorProto field) into the buffer as `Dst`.
/// ONNX keeps narrow types widened in these fields (int8..uint16, bool and
/// the 16-bit floats' bit patterns in int32_data, uint32 in uint64_data), so
/// narrowing with static_cast recovers the stored value.
template <typename Dst, typename Field>
void storeNarrowed(const Field &values, uint8_t *out) {
  for (int i = 0, e = values.size(); i < e; ++i) {
    Dst value = static_cast<Dst>(values.Get(i));
    std::memcpy(out + static_cast<size_t>(i) * sizeof(Dst), &value,
                sizeof(Dst));
  }
}

/// Copies the typed field that holds `tensor.dtype` values. The field must
/// hold exactly one value per element.
bool copyTypedField(const onnx::TensorProto &proto, Tensor &tensor,
                    std::string &error) {
  using TP = onnx::TensorProto;
  const char *field = nullptr;
  size_t size = 0;
  switch (tensor.dtype) {
  case TP::FLOAT:
    field = "float_data", size = proto.float_data_size();
    break;
  case TP::DOUBLE:
    field = "double_data", size = proto.double_data_size();
    break;
  case TP::INT64:
    field = "int64_data", size = proto.int64_data_size();
    break;
  case TP::UINT32:
  case TP::UINT64:
    field = "uint64_data", size = proto.uint64_data_size();
    break;
  default: // Every other known dtype lives in int32_data.
    field = "int32_data", size = proto.int32_data_size();
    break;
  }
  if (size != tensor.numElements) {
    error = tensor.path + ": holds " + std::to_string(size) + " values in " +
            (size ? field : "raw_data or " + std::string(field)) +
            " but shape " + formatShape(tensor.dims) + " needs " +
            std::to_string(tensor.numElements);
    return false;
  }
  uint8_t *out = tensor.data.get();
  switch (tensor.dtype) {
  case TP::FLOAT:
    storeNarrowed<float>(proto.float_data(), out);
    break;
  case TP::DOUBLE:
    storeNarrowed<double>(proto.double_data(), out);
    break;
  case TP::INT64:
    storeNarrowed<int64_t>(proto.int64_data(), out);
    break;
  case TP::UINT32:
    storeNarrowed<uint32_t>(proto.uint64_data(), out);
    break;
  case TP::UINT64:
    storeNarrowed<uint64_t>(proto.uint64_data(), out);
    break;
  case TP::INT32:
    storeNarrowed<int32_t>(proto.int32_data(), out);
    break;
  case TP::INT8:
    storeNarrowed<int8_t>(proto.int32_data(), out);
    break;
  case TP::INT16:
    storeNarrowed<int16_t>(proto.int32_data(), out);
    break;
  case TP::UINT16:
  case TP::FLOAT16:
  case TP::BFLOAT16:
    storeNarrowed<uint16_t>(proto.int32_data(), out);
    break;
  default: // UINT8, BOOL.
    storeNarrowed<uint8_t>(proto.int32_data(), out);
    break;
  }
  return true;
}

/// Reads an ONNX TensorProto file (the ONNX backend-test format).
bool parseTensorProto(const std::string &bytes, Tensor &tensor,
                      std::string &error) {
  using TP = onnx::TensorProto;
  const std::string &path = tensor.path;
  TP proto;
  if (!proto.ParseFromString(bytes)) {
    error = path + ": not a valid ONNX TensorProto file";
    return false;
  }
  if (proto.data_location() == TP::EXTERNAL || proto.external_data_size()) {
    error = path + ": tensor data is stored externally, which qopt-run does "
                   "not read; save it with the data inline";
    return false;
  }
  if (proto.has_segment()) {
    error = path + ": segmented tensors are not supported";
    return false;
  }
  if (proto.data_type() == TP::STRING) {
    error = path + ": string tensors are not supported";
    return false;
  }
  if (!lookupDType(proto.data_type())) {
    // The installed onnx.proto may predate the type; then it has no name.
    std::string name =
        TP::DataType_IsValid(proto.data_type())
            ? TP::DataType_Name(static_cast<TP::DataType>(proto.data_type()))
            : "";
    error = path + ": unsupported data type " +
            std::to_string(proto.data_type()) +
            (name.empty() ? "" : " (" + name + ")");
    return false;
  }
  tensor.name = proto.name();
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  if (!shapeTensor(tensor, proto.data_type(), std::move(dims), path, error))
    return false;
  const std::string &raw = proto.raw_data();
  if (raw.empty())
    return copyTypedField(proto, tensor, error);
  if (raw.size() != tensor.sizeBytes) {
    error = path + ": raw_data has " + std::to_string(raw.size()) +
            " bytes but " + dtypeName(tensor.dtype) + " shape " +
            formatShape(tensor.dims) + " needs " +
            std::to_string(tensor.sizeBytes);
    return false;
  }
  std::memcpy(tensor.data.get(), raw.data(), raw.size());
  return true;
}

/// Position of the value of `key` in a NumPy header dict, i.e. just after
/// "'key':" and any spaces.
std::optional<size_t> findNpyValue(const std::string &header, const char *key) {
  for (char quote : {'\'', '"'}) {
    std::string quoted = quote + std::string(key) + quote;
    size_t pos = header.find(quoted);
    if (pos == std::string::npos)
      continue;
    pos = header.find_first_not_of(' ', pos + quoted.size());
    if (pos == std::string::npos || header[pos] != ':')
      return std::nullopt;
    pos = header.find_first_not_of(' ', pos + 1);
    if (pos == std::string::npos)
      return std::nullopt;
    return pos;
  }
  return std::nullopt;
}

/// Maps a NumPy dtype string such as '<f4' to an ONNX dtype, 0 if the
/// runtime has no equivalent. Only little-endian (or byte-sized) numbers.
int npyDescrToDType(const std::string &descr) {
  static const struct {
    const char *code;
    int dtype;
  } Codes[] = {
      {"f2", QOPT_FLOAT16}, {"f4", QOPT_FLOAT32}, {"f8", QOPT_FLOAT64},
      {"i1", QOPT_INT8},    {"i2", QOPT_INT16},   {"i4", QOPT_INT32},
      {"i8", QOPT_INT64},   {"u1", QOPT_UINT8},   {"u2", QOPT_UINT16},
      {"u4", QOPT_UINT32},  {"u8", QOPT_UINT64},  {"b1", QOPT_BOOL},
  };
  if (descr.size() != 3)
    return 0;
  char order = descr[0];
  std::string code = descr.substr(1);
  for (const auto &entry : Codes) {
    if (code != entry.code)
      continue;
    bool byteSized = code[1] == '1';
    bool littleEndian = order == '<' || order == '=';
    return (littleEndian || order == '|' || (order == '>' && byteSized))
               ? entry.dtype
               : 0;
  }
  return 0;
}

/// Parses "(2, 3)" or "(4,)" or "()" at `pos` of a NumPy header.
bool parseNpyShape(const std::string &header, size_t pos,
                   std::vector<int64_t> &dims) {
  if (header[pos] != '(')
    return false;
  size_t end = header.find(')', pos);
  if (end == std::string::npos)
    return false;
  std::string inner = header.substr(pos + 1, end - pos - 1);
  size_t start = 0;
  while (start <= inner.size()) {
    size_t comma = inner.find(',', start);
    if (comma == std::string::npos)
      comma = inner.size();
    std::string item = inner.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    // Python 2 wrote longs as "3L".
    if (!item.empty() && item.back() == 'L')
      item.pop_back();
    if (!item.empty()) {
      char *itemEnd = nullptr;
      errno = 0;
      long long dim = std::strtoll(item.c_str(), &itemEnd, 10);
      if (errno || *itemEnd || dim < 0)
        return false;
      dims.push_back(dim);
    }
    start = comma + 1;
  }
  return true;
}

/// Reads a NumPy .npy file, format versions 1 to 3.
bool parseNpy(const std::string &bytes, Tensor &tensor, std::string &error) {
  const std::string &path = tensor.path;
  auto fail = [&](const std::string &why) {
    error = path + ": " + why;
    return false;
  };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return fail("not a NumPy .npy file");
  auto byteAt = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  int major = byteAt(6);
  size_t headerLength = 0, headerStart = 0;
  if (major == 1) {
    headerLength = byteAt(8) | byteAt(9) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated .npy header");
    headerLength = byteAt(8) | byteAt(9) << 8 | byteAt(10) << 16 |
                   static_cast<size_t>(byteAt(11)) << 24;
    headerStart = 12;
  } else {
    return fail("unsupported .npy format version " + std::to_string(major));
  }
  if (headerLength > bytes.size() - headerStart)
    return fail("truncated .npy header");
  std::string header = bytes.substr(headerStart, headerLength);

  std::optional<size_t> descrPos = findNpyValue(header, "descr");
  std::optional<size_t> orderPos = findNpyValue(header, "fortran_order");
  std::optional<size_t> shapePos = findNpyValue(header, "shape");
  if (!descrPos || !orderPos || !shapePos)
    return fail("malformed .npy header: " + header);

  char quote = header[*descrPos];
  size_t descrEnd = header.find(quote, *descrPos + 1);
  if ((quote != '\'' && quote != '"') || descrEnd == std::string::npos)
    return fail("unsupported .npy dtype (structured arrays are not "
                "supported): " +
                header);
  std::string descr = header.substr(*descrPos + 1, descrEnd - *descrPos - 1);
  int dtype = npyDescrToDType(descr);
  if (!dtype)
    return fail("unsupported .npy dtype '" + descr +
                "'; supported: little-endian f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 "
                "u8 b1");

  if (header.compare(*orderPos, 5, "False") != 0)
    return fail("Fortran-ordered arrays are not supported; save a "
                "C-contiguous array (numpy.ascontiguousarray)");

  std::vector<int64_t> dims;
  if (!parseNpyShape(header, *shapePos, dims))
    return fail("malformed shape in .npy header: " + header);
  if (!shapeTensor(tensor, dtype, std::move(dims), path, error))
    return false;

  size_t dataStart = headerStart + headerLength;
  size_t dataSize = bytes.size() - dataStart;
  if (dataSize != tensor.sizeBytes)
    return fail("holds " + std::to_string(dataSize) + " data bytes but " +
                dtypeName(dtype) + " shape " + formatShape(tensor.dims) +
                " needs " + std::to_string(tensor.sizeBytes));
  std::memcpy(tensor.data.get(), bytes.data() + dataStart, dataSize);
  return true;
}

/// Reads a .pb or .npy tensor file, chosen by extension.
bool readTensorFile(const fs::path &path, Tensor &tensor, std::string &error) {
  tensor.path = path.string();
  std::string bytes;
  if (!readWholeFile(path, bytes, error))
    return false;
  if (path.extension() == ".npy")
    return parseNpy(bytes, tensor, error);
  return parseTensorProto(bytes, tensor, error);
}

/// The files that may hold tensor K of a directory, in the order tried:
/// PREFIX_K.pb, PREFIX_K.npy, then <value name>.npy.
std::vector<fs::path> candidateFiles(const fs::path &dir, const char *prefix,
                                     size_t index, const char *name) {
  std::string stem = std::string(prefix) + "_" + std::to_string(index);
  std::vector<fs::path> files = {dir / (stem + ".pb"), dir / (stem + ".npy")};
  // An absolute name would make `dir / name` escape the directory.
  if (name && *name && *name != '/')
    files.push_back(dir / (std::string(name) + ".npy"));
  return files;
}

std::optional<fs::path> findTensorFile(const std::vector<fs::path> &files) {
  for (const fs::path &file : files) {
    std::error_code ec;
    if (fs::is_regular_file(file, ec))
      return file;
  }
  return std::nullopt;
}

std::string joinFileNames(const std::vector<fs::path> &files) {
  std::string text;
  for (const fs::path &file : files)
    text += (text.empty() ? "" : ", ") + file.filename().string();
  return text;
}

/// Warns about PREFIX_K.pb/.npy files with K beyond the model's count: they
/// usually mean the directory belongs to another model.
void warnAboutExtraFiles(const fs::path &dir, const std::string &prefix,
                         size_t count, const char *what) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string file = it->path().filename().string();
    std::string ext = it->path().extension().string();
    if ((ext != ".pb" && ext != ".npy") || file.rfind(prefix + "_", 0) != 0)
      continue;
    std::string number = file.substr(
        prefix.size() + 1, file.size() - prefix.size() - 1 - ext.size());
    if (number.empty() ||
        number.find_first_not_of("0123456789") != std::string::npos)
      continue;
    if (std::strtoull(number.c_str(), nullptr, 10) >= count)
      reportWarning("ignoring " + it->path().string() + ": the model has " +
                    std::to_string(count) + " " + what +
                    (count == 1 ? "" : "s"));
  }
}

//===----------------------------------------------------------------------===//
// Model library
//===----------------------------------------------------------------------===//

/// The entry points of a loaded model library that qopt-run calls.
struct ModelApi {
  decltype(&qopt_model_create) create = nullptr;
  decltype(&qopt_model_destroy) destroy = nullptr;
  decltype(&qopt_model_num_inputs) numInputs = nullptr;
  decltype(&qopt_model_num_outputs) numOutputs = nullptr;
  decltype(&qopt_model_input_info) inputInfo = nullptr;
  decltype(&qopt_model_output_info) outputInfo = nullptr;
  decltype(&qopt_model_run) run = nullptr;
  decltype(&qopt_model_last_error) lastError = nullptr;
};

constexpr size_t NumApiSymbols = 8;

template <typename Fn>
void bindSymbol(void *handle, const char *symbol, Fn &fn,
                std::vector<std::string> &missing) {
  fn = reinterpret_cast<Fn>(dlsym(handle, symbol));
  if (!fn)
    missing.push_back(symbol);
}

/// Opens the library and binds the API. The library is never closed: a model
/// may own worker threads or atexit handlers that must outlive main.
bool loadModelApi(const std::string &path, ModelApi &api, std::string &error) {
  // Without a slash dlopen searches the library path instead of the
  // current directory, which is never what "qopt-run model.so" means.
  std::string openPath =
      path.find('/') == std::string::npos ? "./" + path : path;
  void *handle = dlopen(openPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    error = "cannot load model library '" + path +
            "': " + (why ? why : "unknown error");
    return false;
  }
  std::vector<std::string> missing;
  bindSymbol(handle, "qopt_model_create", api.create, missing);
  bindSymbol(handle, "qopt_model_destroy", api.destroy, missing);
  bindSymbol(handle, "qopt_model_num_inputs", api.numInputs, missing);
  bindSymbol(handle, "qopt_model_num_outputs", api.numOutputs, missing);
  bindSymbol(handle, "qopt_model_input_info", api.inputInfo, missing);
  bindSymbol(handle, "qopt_model_output_info", api.outputInfo, missing);
  bindSymbol(handle, "qopt_model_run", api.run, missing);
  bindSymbol(handle, "qopt_model_last_error", api.lastError, missing);
  if (missing.empty())
    return true;
  error = "'" + path + "' is not a qopt model library: ";
  if (missing.size() == NumApiSymbols) {
    error += "it exports no qopt_model_* function";
    return false;
  }
  // A partial API means a library built for another runtime ABI.
  error += "it does not export ";
  for (size_t i = 0; i < missing.size(); ++i)
    error += (i ? ", " : "") + missing[i];
  return false;
}

const char *statusName(qopt_status status) {
  switch (status) {
  case QOPT_OK:
    return "QOPT_OK";
  case QOPT_ERROR_INVALID_ARGUMENT:
    return "QOPT_ERROR_INVALID_ARGUMENT";
  case QOPT_ERROR_DTYPE:
    return "QOPT_ERROR_DTYPE";
  case QOPT_ERROR_SHAPE:
    return "QOPT_ERROR_SHAPE";
  case QOPT_ERROR_BUFFER_SIZE:
    return "QOPT_ERROR_BUFFER_SIZE";
  case QOPT_ERROR_OUT_OF_MEMORY:
    return "QOPT_ERROR_OUT_OF_MEMORY";
  case QOPT_ERROR_NO_DEVICE:
    return "QOPT_ERROR_NO_DEVICE";
  case QOPT_ERROR_INTERNAL:
    return "QOPT_ERROR_INTERNAL";
  }
  return "unknown status";
}

/// The runtime's message for a failed call, or the status when it left none.
std::string runtimeMessage(const ModelApi &api, const qopt_model *model,
                           const char *call, qopt_status status) {
  const char *message = api.lastError(model);
  if (message && *message)
    return message;
  return std::string(call) + " failed with status " + std::to_string(status) +
         " (" + statusName(status) + ")";
}

/// Owns one model instance.
class ModelInstance {
public:
  ModelInstance(const ModelApi &api, qopt_model *model)
      : api(api), model(model) {}
  ~ModelInstance() { api.destroy(model); }
  ModelInstance(const ModelInstance &) = delete;
  ModelInstance &operator=(const ModelInstance &) = delete;

  qopt_model *get() const { return model; }

private:
  const ModelApi &api;
  qopt_model *model;
};

std::string describeInfo(const qopt_tensor_info &info) {
  return dtypeName(info.dtype) + " " + formatShape(info.dims, info.rank);
}

bool infoMatches(const qopt_tensor_info &info, const Tensor &tensor) {
  return info.dtype == tensor.dtype &&
         std::equal(info.dims, info.dims + info.rank, tensor.dims.begin(),
                    tensor.dims.end());
}

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

struct Options {
  std::string modelPath;
  std::string inputsDir;
  std::string expectedDir;
  std::string saveDir;
  double rtol = 1e-3; // The ONNX backend-test tolerances.
  double atol = 1e-7;
  long benchRuns = 0;
};

const char *const UsageLine =
    "usage: qopt-run MODEL.so --inputs DIR [--expected DIR] [--rtol R] "
    "[--atol A]\n"
    "                [--save-outputs DIR] [--bench N]\n";

void printHelp() {
  std::fputs(UsageLine, stdout);
  std::fputs(
      "\n"
      "Runs a model library compiled by qopt-compile on tensors read from "
      "files.\n"
      "\n"
      "Options (also accepted as --option=value):\n"
      "  --inputs DIR        input K comes from DIR/input_K.pb (ONNX "
      "TensorProto),\n"
      "                      DIR/input_K.npy or DIR/<input name>.npy, tried "
      "in\n"
      "                      that order; dtype and shape must match the "
      "model\n"
      "  --expected DIR      compare output K with DIR/output_K.pb, "
      "output_K.npy or\n"
      "                      <output name>.npy: |actual - expected| <= atol "
      "+\n"
      "                      rtol * |expected|, NaN equal to NaN; prints "
      "PASS/FAIL\n"
      "                      per output (without it, prints the outputs)\n"
      "  --rtol R            relative tolerance (default 1e-3)\n"
      "  --atol A            absolute tolerance (default 1e-7)\n"
      "  --save-outputs DIR  write output K to DIR/output_K.pb, creating "
      "DIR\n"
      "  --bench N           after the checked run and a warm-up (3 runs, 20 ms\n"
      "                      at least), time N more runs\n"
      "  -h, --help          show this help\n"
      "\n"
      "Exit status: 0 on success (all outputs pass), 1 on an error or a "
      "mismatch,\n"
      "2 on a usage error.\n",
      stdout);
}

int usageError(const std::string &message) {
  std::fprintf(stderr,
               "qopt-run: error: %s\n%sRun 'qopt-run --help' for "
               "details.\n",
               message.c_str(), UsageLine);
  return ExitUsage;
}

/// A finite, non-negative number, all of `text`.
bool parseTolerance(const std::string &text, double &value) {
  char *end = nullptr;
  errno = 0;
  value = std::strtod(text.c_str(), &end);
  return !text.empty() && !errno && !*end && std::isfinite(value) && value >= 0;
}

bool parseRunCount(const std::string &text, long &value) {
  char *end = nullptr;
  errno = 0;
  value = std::strtol(text.c_str(), &end, 10);
  return !text.empty() && !errno && !*end && value > 0;
}

/// Applies `--name value`; returns an error message, "" on success.
std::string applyOption(const std::string &name, const std::string &value,
                        Options &opts) {
  if (name == "inputs")
    opts.inputsDir = value;
  else if (name == "expected")
    opts.expectedDir = value;
  else if (name == "save-outputs")
    opts.saveDir = value;
  else if (name == "rtol" && !parseTolerance(value, opts.rtol))
    return "--rtol needs a finite non-negative number, got '" + value + "'";
  else if (name == "atol" && !parseTolerance(value, opts.atol))
    return "--atol needs a finite non-negative number, got '" + value + "'";
  else if (name == "bench" && !parseRunCount(value, opts.benchRuns))
    return "--bench needs a positive run count, got '" + value + "'";
  if (value.empty())
    return "--" + name + " needs a non-empty value";
  return "";
}

enum class ParseResult { Run, Help, Error };

ParseResult parseArgs(int argc, char **argv, Options &opts, int &exitCode) {
  static const char *const Known[] = {"inputs", "expected",     "rtol",
                                      "atol",   "save-outputs", "bench"};
  bool onlyPositional = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!onlyPositional && (arg == "-h" || arg == "--help"))
      return ParseResult::Help;
    if (!onlyPositional && arg == "--") {
      onlyPositional = true;
      continue;
    }
    if (onlyPositional || arg.size() < 2 || arg[0] != '-') {
      if (!opts.modelPath.empty()) {
        exitCode = usageError("unexpected argument '" + arg +
                              "'; only one model library can be given");
        return ParseResult::Error;
      }
      opts.modelPath = arg;
      continue;
    }
    // Options are spelled "--name value" or "--name=value"; a single dash
    // is not accepted, so "-inputs" stays an unknown option.
    size_t eq = arg.find('=');
    std::string name =
        arg.compare(0, 2, "--") == 0
            ? arg.substr(2, eq == std::string::npos ? eq : eq - 2)
            : arg;
    if (std::find(std::begin(Known), std::end(Known), name) ==
        std::end(Known)) {
      exitCode = usageError("unknown option '" + arg + "'");
      return ParseResult::Error;
    }
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      exitCode = usageError("option '--" + name + "' needs a value");
      return ParseResult::Error;
    }
    std::string error = applyOption(name, value, opts);
    if (!error.empty()) {
      exitCode = usageError(error);
      return ParseResult::Error;
    }
  }
  if (opts.modelPath.empty()) {
    exitCode = usageError("no model library given");
    return ParseResult::Error;
  }
  if (opts.inputsDir.empty()) {
    exitCode = usageError("--inputs DIR is required");
    return ParseResult::Error;
  }
  return ParseResult::Run;
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

/// Reads one file per model input. Shapes and dtypes are left as stored;
/// the runtime checks them.
bool readInputs(const ModelApi &api, const qopt_model *model,
                const std::string &dir, std::vector<Tensor> &inputs) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    reportError("input directory '" + dir + "' does not exist");
    return false;
  }
  size_t count = api.numInputs(model);
  inputs.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const qopt_tensor_info *info = api.inputInfo(model, i);
    if (!info) {
      reportError("the model reports no info for input " + std::to_string(i));
      return false;
    }
    std::vector<fs::path> files = candidateFiles(dir, "input", i, info->name);
    std::optional<fs::path> file = findTensorFile(files);
    std::string what = "model input " + std::to_string(i) + " '" + info->name +
                       "' (" + describeInfo(*info) + ")";
    if (!file) {
      reportError("no file for " + what + " in '" + dir + "'; looked for " +
                  joinFileNames(files));
      return false;
    }
    std::string error;
    if (!readTensorFile(*file, inputs[i], error)) {
      reportError(error);
      return false;
    }
    // numpy has no bfloat16: test data (the ONNX backend tests among them)
    // stores bfloat16 tensors as their uint16 bit patterns.
    if (info->dtype == QOPT_BFLOAT16 && inputs[i].dtype == QOPT_UINT16)
      inputs[i].dtype = QOPT_BFLOAT16;
    const std::string &stored = inputs[i].name;
    if (!stored.empty() && stored != info->name)
      reportWarning(file->string() + " holds tensor '" + stored +
                    "' but is fed to " + what);
  }
  warnAboutExtraFiles(dir, "input", count, "input");
  return true;
}

bool allocateOutputs(const ModelApi &api, const qopt_model *model,
                     std::vector<Tensor> &outputs) {
  size_t count = api.numOutputs(model);
  outputs.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const qopt_tensor_info *info = api.outputInfo(model, i);
    std::string error;
    std::string what = "model output " + std::to_string(i);
    if (!info) {
      reportError("the model reports no info for output " + std::to_string(i));
      return false;
    }
    outputs[i].name = info->name;
    if (!shapeTensor(outputs[i], info->dtype,
                     std::vector<int64_t>(info->dims, info->dims + info->rank),
                     what, error)) {
      reportError(error);
      return false;
    }
  }
  return true;
}

/// Explains which input files differ from what the model declares, after
/// the runtime rejected them.
void noteInputMismatches(const ModelApi &api, const qopt_model *model,
                         const std::vector<Tensor> &inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const qopt_tensor_info *info = api.inputInfo(model, i);
    if (!info || infoMatches(*info, inputs[i]))
      continue;
    reportNote("input " + std::to_string(i) + " '" + info->name + "' from " +
               inputs[i].path + " is " + dtypeName(inputs[i].dtype) + " " +
               formatShape(inputs[i].dims) + "; the model expects " +
               describeInfo(*info));
  }
}

/// Calls qopt_model_run once; on failure prints the runtime's message.
bool runModel(const ModelApi &api, qopt_model *model,
              const std::vector<qopt_tensor> &inputs,
              std::vector<qopt_tensor> &outputs) {
  qopt_status status = api.run(model, inputs.data(), inputs.size(),
                               outputs.data(), outputs.size());
  if (status == QOPT_OK)
    return true;
  reportError(runtimeMessage(api, model, "qopt_model_run", status));
  return false;
}

//===----------------------------------------------------------------------===//
// Output handling
//===----------------------------------------------------------------------===//

void printOutputs(const std::vector<Tensor> &outputs) {
  constexpr size_t MaxShown = 10;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor &out = outputs[i];
    std::printf("output %zu '%s': %s %s (%zu elements)\n", i, out.name.c_str(),
                dtypeName(out.dtype).c_str(), formatShape(out.dims).c_str(),
                out.numElements);
    std::string values;
    size_t shown = std::min(out.numElements, MaxShown);
    for (size_t j = 0; j < shown; ++j)
      values += (j ? ", " : "") + formatElement(out.dtype, out.data.get(), j);
    if (out.numElements > shown)
      values += ", ...";
    std::printf("  [%s]\n", values.c_str());
  }
}

bool saveOutputs(const std::vector<Tensor> &outputs, const std::string &dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    reportError("cannot create '" + dir + "': " + ec.message());
    return false;
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor &out = outputs[i];
    onnx::TensorProto proto;
    proto.set_name(out.name);
    for (int64_t dim : out.dims)
      proto.add_dims(dim);
    proto.set_data_type(out.dtype);
    proto.set_raw_data(out.data.get(), out.sizeBytes);
    fs::path path = fs::path(dir) / ("output_" + std::to_string(i) + ".pb");
    std::ofstream stream(path, std::ios::binary | std::ios::trunc);
    if (!stream || !proto.SerializeToOstream(&stream) || !stream.flush()) {
      reportError("cannot write '" + path.string() + "'");
      return false;
    }
  }
  return true;
}

/// Element-wise error statistics of one output against its expected tensor.
struct Comparison {
  double maxAbsError = 0;
  double maxRelError = 0;
  size_t mismatches = 0;
  size_t worstIndex = 0;
  double worstExcess = -1; // Error divided by its tolerance, largest seen.
};

/// numpy.isclose semantics: |a - e| <= atol + rtol * |e|; NaN matches only
/// NaN, and an infinity only the same infinity.
Comparison compareValues(const Tensor &actual, const Tensor &expected,
                         double rtol, double atol) {
  constexpr double Inf = std::numeric_limits<double>::infinity();
  Comparison result;
  for (size_t i = 0; i < actual.numElements; ++i) {
    double a = elementAsDouble(actual.dtype, actual.data.get(), i);
    double e = elementAsDouble(expected.dtype, expected.data.get(), i);
    double error = 0;
    bool close = true;
    if (std::isnan(a) || std::isnan(e)) {
      close = std::isnan(a) && std::isnan(e);
      error = close ? 0 : Inf;
    } else if (a != e) {
      error = std::fabs(a - e);
      close = std::isfinite(a) && std::isfinite(e) &&
              error <= atol + rtol * std::fabs(e);
    }
    // Relative to an expected zero or infinity, any error is infinite.
    double relError = error == 0                   ? 0
                      : std::isfinite(e) && e != 0 ? error / std::fabs(e)
                                                   : Inf;
    result.maxAbsError = std::max(result.maxAbsError, error);
    result.maxRelError = std::max(result.maxRelError, relError);
    if (close)
      continue;
    ++result.mismatches;
    double tolerance = atol + rtol * std::fabs(e);
    double excess = tolerance > 0 ? error / tolerance : Inf;
    if (std::isnan(excess))
      excess = Inf;
    if (excess > result.worstExcess) {
      result.worstExcess = excess;
      result.worstIndex = i;
    }
  }
  return result;
}

/// Checks output `index` against its expected file; prints PASS or FAIL.
bool checkOutput(const Tensor &actual, size_t index, const Options &opts) {
  std::string head =
      "output " + std::to_string(index) + " '" + actual.name + "'";
  auto fail = [&](const std::string &why) {
    std::printf("FAIL %s: %s\n", head.c_str(), why.c_str());
    return false;
  };
  std::vector<fs::path> files =
      candidateFiles(opts.expectedDir, "output", index, actual.name.c_str());
  std::optional<fs::path> file = findTensorFile(files);
  if (!file)
    return fail("no expected file in '" + opts.expectedDir + "'; looked for " +
                joinFileNames(files));
  Tensor expected;
  std::string error;
  if (!readTensorFile(*file, expected, error))
    return fail(error);
  if (actual.dtype == QOPT_BFLOAT16 && expected.dtype == QOPT_UINT16)
    expected.dtype = QOPT_BFLOAT16; // bfloat16 bits stored as uint16
  if (expected.dtype != actual.dtype)
    return fail("dtype mismatch: the model produces " +
                dtypeName(actual.dtype) + " but " + file->string() + " holds " +
                dtypeName(expected.dtype));
  if (expected.dims != actual.dims)
    return fail("shape mismatch: the model produces " +
                formatShape(actual.dims) + " but " + file->string() +
                " holds " + formatShape(expected.dims));

  Comparison cmp = compareValues(actual, expected, opts.rtol, opts.atol);
  bool pass = cmp.mismatches == 0;
  std::printf("%s %s max_abs_error=%.3e max_rel_error=%.3e (%zu elements)",
              pass ? "PASS" : "FAIL", head.c_str(), cmp.maxAbsError,
              cmp.maxRelError, actual.numElements);
  if (!pass) {
    size_t worst = cmp.worstIndex;
    std::printf(
        ": %zu mismatched, worst at %s: actual=%s expected=%s", cmp.mismatches,
        formatIndex(actual.dims, worst).c_str(),
        formatElement(actual.dtype, actual.data.get(), worst).c_str(),
        formatElement(expected.dtype, expected.data.get(), worst).c_str());
  }
  std::printf("\n");
  return pass;
}

bool checkOutputs(const std::vector<Tensor> &outputs, const Options &opts) {
  std::error_code ec;
  if (!fs::is_directory(opts.expectedDir, ec)) {
    reportError("expected-output directory '" + opts.expectedDir +
                "' does not exist");
    return false;
  }
  bool allPass = true;
  for (size_t i = 0; i < outputs.size(); ++i)
    allPass &= checkOutput(outputs[i], i, opts);
  warnAboutExtraFiles(opts.expectedDir, "output", outputs.size(), "output");
  return allPass;
}

/// Times `runs` further runs after a warm-up of at least 3 runs and 20 ms:
/// in a fresh process one checked run left the medians of short models
/// (0.06 ms, 20 runs) spread over 0.058-0.100 ms, the first milliseconds
/// running slower (cold caches and TLB, clock ramp); an onnxruntime session
/// measured in a long-lived process has none of that.
bool benchmark(const ModelApi &api, qopt_model *model,
               const std::vector<qopt_tensor> &inputs,
               std::vector<qopt_tensor> &outputs, long runs) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point warmStart = Clock::now();
  for (int i = 0; i < 3 || Clock::now() - warmStart < std::chrono::milliseconds(20);
       ++i)
    if (!runModel(api, model, inputs, outputs))
      return false;
  std::vector<double> millis;
  millis.reserve(runs);
  for (long i = 0; i < runs; ++i) {
    Clock::time_point start = Clock::now();
    if (!runModel(api, model, inputs, outputs))
      return false;
    std::chrono::duration<double, std::milli> elapsed = Clock::now() - start;
    millis.push_back(elapsed.count());
  }
  std::sort(millis.begin(), millis.end());
  size_t mid = millis.size() / 2;
  double median =
      millis.size() % 2 ? millis[mid] : (millis[mid - 1] + millis[mid]) / 2;
  std::printf("bench: median %.3f ms, min %.3f ms over %ld runs\n", median,
              millis.front(), runs);
  return true;
}

int runTool(const Options &opts) {
  ModelApi api;
  std::string error;
  if (!loadModelApi(opts.modelPath, api, error))
    return reportError(error);

  qopt_model *rawModel = nullptr;
  qopt_status status = api.create(&rawModel);
  if (status != QOPT_OK || !rawModel)
    return reportError(
        "cannot create an instance of '" + opts.modelPath +
        "': " + runtimeMessage(api, nullptr, "qopt_model_create", status));
  ModelInstance model(api, rawModel);

  std::vector<Tensor> inputs, outputs;
  if (!readInputs(api, model.get(), opts.inputsDir, inputs) ||
      !allocateOutputs(api, model.get(), outputs))
    return ExitFailure;
  std::vector<qopt_tensor> inputViews, outputViews;
  for (const Tensor &input : inputs)
    inputViews.push_back(viewOf(input));
  for (const Tensor &output : outputs)
    outputViews.push_back(viewOf(output));

  if (!runModel(api, model.get(), inputViews, outputViews)) {
    noteInputMismatches(api, model.get(), inputs);
    return ExitFailure;
  }
  // Save before checking so that a failing run can still be inspected.
  if (!opts.saveDir.empty() && !saveOutputs(outputs, opts.saveDir))
    return ExitFailure;
  bool ok = true;
  if (!opts.expectedDir.empty())
    ok = checkOutputs(outputs, opts);
  else
    printOutputs(outputs);
  std::fflush(stdout);
  if (opts.benchRuns > 0 &&
      !benchmark(api, model.get(), inputViews, outputViews, opts.benchRuns))
    return ExitFailure;
  return ok ? ExitSuccess : ExitFailure;
}

} // namespace

int main(int argc, char **argv) {
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  Options opts;
  int exitCode = ExitSuccess;
  switch (parseArgs(argc, argv, opts, exitCode)) {
  case ParseResult::Help:
    printHelp();
    return ExitSuccess;
  case ParseResult::Error:
    return exitCode;
  case ParseResult::Run:
    break;
  }
  return runTool(opts);
}
