//===- TensorData.cpp - ONNX element types and tensor payloads ------------===//
#include "ImporterCore.h"
#include "qopt/Import/ONNXImporter.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;
using onnx::TensorProto;

bool HostTensor::isFloat() const {
  switch (onnxType) {
  case TensorProto::FLOAT: case TensorProto::DOUBLE:
  case TensorProto::FLOAT16: case TensorProto::BFLOAT16:
    return true;
  default:
    return false;
  }
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Type onnx_import::getElementType(MLIRContext *ctx, int32_t t) {
  Builder b(ctx);
  switch (t) {
  case TensorProto::FLOAT: return b.getF32Type();
  case TensorProto::DOUBLE: return b.getF64Type();
  case TensorProto::FLOAT16: return b.getF16Type();
  case TensorProto::BFLOAT16: return b.getBF16Type();
  case TensorProto::INT8: case TensorProto::UINT8: return b.getIntegerType(8);
  case TensorProto::INT16: case TensorProto::UINT16: return b.getIntegerType(16);
  case TensorProto::INT32: case TensorProto::UINT32: return b.getIntegerType(32);
  case TensorProto::INT64: case TensorProto::UINT64: return b.getIntegerType(64);
  case TensorProto::BOOL: return b.getI1Type();
  default: return {};
  }
}

const char *onnx_import::onnxTypeName(int32_t t) {
  if (TensorProto::DataType_IsValid(t))
    return TensorProto::DataType_Name(static_cast<TensorProto::DataType>(t))
        .c_str();
  // Types newer than the schema this is built against (ONNX 1.12).
  switch (t) {
  case 17: return "FLOAT8E4M3FN";
  case 18: return "FLOAT8E4M3FNUZ";
  case 19: return "FLOAT8E5M2";
  case 20: return "FLOAT8E5M2FNUZ";
  case kOnnxUInt4: return "UINT4";
  case kOnnxInt4: return "INT4";
  default: return "UNKNOWN";
  }
}

bool onnx_import::isUnsignedOnnxType(int32_t t) {
  return t == TensorProto::UINT8 || t == TensorProto::UINT16 ||
         t == TensorProto::UINT32 || t == TensorProto::UINT64 ||
         t == kOnnxUInt4;
}

int32_t onnx_import::defaultOnnxType(Type elt) {
  if (elt.isF32()) return TensorProto::FLOAT;
  if (elt.isF64()) return TensorProto::DOUBLE;
  if (elt.isF16()) return TensorProto::FLOAT16;
  if (elt.isBF16()) return TensorProto::BFLOAT16;
  if (elt.isInteger(1)) return TensorProto::BOOL;
  if (elt.isInteger(8)) return TensorProto::INT8;
  if (elt.isInteger(16)) return TensorProto::INT16;
  if (elt.isInteger(32)) return TensorProto::INT32;
  if (elt.isInteger(64)) return TensorProto::INT64;
  return TensorProto::UNDEFINED;
}

size_t onnx_import::onnxTypeSize(int32_t t) {
  switch (t) {
  case TensorProto::BOOL: case TensorProto::INT8: case TensorProto::UINT8:
    return 1;
  case TensorProto::INT16: case TensorProto::UINT16:
  case TensorProto::FLOAT16: case TensorProto::BFLOAT16:
    return 2;
  case TensorProto::FLOAT: case TensorProto::INT32: case TensorProto::UINT32:
    return 4;
  case TensorProto::DOUBLE: case TensorProto::INT64: case TensorProto::UINT64:
    return 8;
  default:
    return 0;
  }
}

/// Reads the external-data region of `proto`, refusing any location that
/// escapes the model's directory (CVE-2022-25882).
static std::optional<std::string> readExternal(const TensorProto &proto,
                                               llvm::StringRef modelDir,
                                               size_t expected,
                                               std::vector<char> &bytes) {
  std::string location;
  uint64_t offset = 0, length = expected;
  bool hasLength = false;
  for (const auto &kv : proto.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset" || kv.key() == "length") {
      char *end = nullptr;
      errno = 0;
      unsigned long long v = std::strtoull(kv.value().c_str(), &end, 10);
      if (kv.value().empty() || *end || errno || kv.value()[0] == '-')
        return "external data " + kv.key() + " '" + kv.value() +
               "' is not a non-negative integer";
      if (kv.key() == "offset")
        offset = v;
      else {
        length = v;
        hasLength = true;
      }
    }
  }
  if (location.empty())
    return std::string("external data has no location");
  if (modelDir.empty())
    return "external data '" + location +
           "' is not allowed: the model has no directory to read it from";
  if (llvm::sys::path::is_absolute(location))
    return "external data location '" + location + "' is absolute";
  for (auto it = llvm::sys::path::begin(location),
            e = llvm::sys::path::end(location);
       it != e; ++it)
    if (*it == "..")
      return "external data location '" + location +
             "' leaves the model's directory";
  llvm::SmallString<256> full(modelDir);
  llvm::sys::path::append(full, location);
  llvm::SmallString<256> realDir, realFile;
  if (llvm::sys::fs::real_path(modelDir, realDir) ||
      llvm::sys::fs::real_path(full, realFile))
    return "cannot open external data file '" + std::string(full) + "'";
  if (!llvm::StringRef(realFile).starts_with(std::string(realDir) + "/"))
    return "external data location '" + location +
           "' resolves outside the model's directory";
  if (hasLength && length != expected)
    return "external data length " + std::to_string(length) +
           " differs from the " + std::to_string(expected) +
           " bytes of the tensor's shape";
  uint64_t fileSize = 0;
  if (llvm::sys::fs::file_size(realFile, fileSize) || offset > fileSize ||
      expected > fileSize - offset)
    return "external data '" + location + "' holds " + std::to_string(fileSize) +
           " bytes, fewer than offset " + std::to_string(offset) + " + length " +
           std::to_string(expected);
  auto buf = llvm::MemoryBuffer::getFileSlice(realFile, expected, offset,
                                              /*IsVolatile=*/false);
  if (!buf || (*buf)->getBufferSize() != expected)
    return "external data '" + location + "' is shorter than offset " +
           std::to_string(offset) + " + length " + std::to_string(expected);
  bytes.assign((*buf)->getBufferStart(), (*buf)->getBufferEnd());
  return std::nullopt;
}

template <typename T>
static void appendLE(std::vector<char> &bytes, T v) {
  const char *p = reinterpret_cast<const char *>(&v);
  bytes.insert(bytes.end(), p, p + sizeof(T));
}

/// Unpacks 4-bit elements stored two a byte (element 2i in the low nibble of
/// byte i) into one byte each, sign-extended for INT4.
static void unpackFourBit(llvm::ArrayRef<char> packed, uint64_t n,
                          bool isSigned, std::vector<char> &bytes) {
  bytes.resize(n);
  for (uint64_t k = 0; k < n; ++k) {
    uint8_t v = (uint8_t(packed[k / 2]) >> (k % 2 ? 4 : 0)) & 0xF;
    bytes[k] = char(isSigned && v >= 8 ? int(v) - 16 : int(v));
  }
}

/// readTensorBytes for INT4 / UINT4: the payload (raw, int32_data holding
/// one packed byte each, or external) is ceil(n / 2) bytes.
static std::optional<std::string> readFourBitBytes(const TensorProto &proto,
                                                   llvm::StringRef modelDir,
                                                   uint64_t n,
                                                   std::vector<char> &bytes) {
  bool isSigned = proto.data_type() == kOnnxInt4;
  size_t expected = (n + 1) / 2;
  std::vector<char> packed;
  if (proto.data_location() == TensorProto::EXTERNAL) {
    if (auto err = readExternal(proto, modelDir, expected, packed))
      return err;
  } else if (proto.has_raw_data()) {
    if (proto.raw_data().size() != expected)
      return "raw data holds " + std::to_string(proto.raw_data().size()) +
             " bytes, the shape needs " + std::to_string(expected);
    packed.assign(proto.raw_data().begin(), proto.raw_data().end());
  } else {
    if ((size_t)proto.int32_data_size() != expected)
      return "tensor holds " + std::to_string(proto.int32_data_size()) +
             " packed bytes, the shape needs " + std::to_string(expected);
    for (int32_t v : proto.int32_data())
      packed.push_back(char(uint8_t(v)));
  }
  unpackFourBit(packed, n, isSigned, bytes);
  return std::nullopt;
}

std::optional<std::string>
onnx_import::readTensorBytes(const TensorProto &proto, llvm::StringRef modelDir,
                             std::vector<char> &bytes) {
  int32_t t = proto.data_type();
  size_t eltSize = isFourBitOnnxType(t) ? 1 : onnxTypeSize(t);
  if (!eltSize)
    return std::string("unsupported element type ") + onnxTypeName(t);
  // Count elements with overflow checks: a hostile shape must not wrap.
  uint64_t n = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0)
      return "negative dimension " + std::to_string(d);
    if (d && n > (uint64_t(1) << 62) / (uint64_t)d)
      return std::string("tensor size overflows");
    n *= (uint64_t)d;
  }
  if (n > (uint64_t(1) << 62) / eltSize)
    return std::string("tensor size overflows");
  size_t expected = n * eltSize;
  bytes.clear();
  if (isFourBitOnnxType(t))
    return readFourBitBytes(proto, modelDir, n, bytes);
  if (proto.data_location() == TensorProto::EXTERNAL)
    return readExternal(proto, modelDir, expected, bytes);
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != expected)
      return "raw data holds " + std::to_string(proto.raw_data().size()) +
             " bytes, the shape needs " + std::to_string(expected);
    bytes.assign(proto.raw_data().begin(), proto.raw_data().end());
    return std::nullopt;
  }
  bytes.reserve(expected);
  size_t count = 0;
  switch (t) {
  case TensorProto::FLOAT:
    count = proto.float_data_size();
    for (float v : proto.float_data()) appendLE(bytes, v);
    break;
  case TensorProto::DOUBLE:
    count = proto.double_data_size();
    for (double v : proto.double_data()) appendLE(bytes, v);
    break;
  case TensorProto::INT64:
    count = proto.int64_data_size();
    for (int64_t v : proto.int64_data()) appendLE(bytes, v);
    break;
  case TensorProto::UINT32: case TensorProto::UINT64:
    count = proto.uint64_data_size();
    for (uint64_t v : proto.uint64_data()) {
      if (t == TensorProto::UINT32) appendLE(bytes, (uint32_t)v);
      else appendLE(bytes, v);
    }
    break;
  default: // int32_data carries every type of 32 bits or less
    count = proto.int32_data_size();
    for (int32_t v : proto.int32_data()) {
      switch (eltSize) {
      case 1: appendLE(bytes, (uint8_t)v); break;
      case 2: appendLE(bytes, (uint16_t)v); break;
      default: appendLE(bytes, v); break;
      }
    }
  }
  if (count != n)
    return "tensor holds " + std::to_string(count) + " values, the shape needs " +
           std::to_string(n);
  return std::nullopt;
}

static double halfToDouble(uint16_t bits, bool bf16) {
  if (bf16) {
    uint32_t w = uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &w, 4);
    return f;
  }
  llvm::APFloat v(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
  return v.convertToDouble();
}

HostTensor onnx_import::decodeHostTensor(int32_t t, std::vector<int64_t> shape,
                                         llvm::ArrayRef<char> bytes) {
  HostTensor h;
  h.onnxType = t;
  h.shape = std::move(shape);
  size_t eltSize = isFourBitOnnxType(t) ? 1 : onnxTypeSize(t);
  size_t n = eltSize ? bytes.size() / eltSize : 0;
  const char *p = bytes.data();
  auto load = [&](auto tag, size_t k) {
    decltype(tag) v;
    std::memcpy(&v, p + k * sizeof(v), sizeof(v));
    return v;
  };
  if (h.isFloat())
    h.f.resize(n);
  else
    h.i.resize(n);
  for (size_t k = 0; k < n; ++k) {
    switch (t) {
    case TensorProto::FLOAT: h.f[k] = load(float(), k); break;
    case TensorProto::DOUBLE: h.f[k] = load(double(), k); break;
    case TensorProto::FLOAT16: h.f[k] = halfToDouble(load(uint16_t(), k), false); break;
    case TensorProto::BFLOAT16: h.f[k] = halfToDouble(load(uint16_t(), k), true); break;
    case TensorProto::BOOL: h.i[k] = load(uint8_t(), k) != 0; break;
    case TensorProto::INT8: case kOnnxInt4: h.i[k] = load(int8_t(), k); break;
    case TensorProto::UINT8: case kOnnxUInt4: h.i[k] = load(uint8_t(), k); break;
    case TensorProto::INT16: h.i[k] = load(int16_t(), k); break;
    case TensorProto::UINT16: h.i[k] = load(uint16_t(), k); break;
    case TensorProto::INT32: h.i[k] = load(int32_t(), k); break;
    case TensorProto::UINT32: h.i[k] = load(uint32_t(), k); break;
    case TensorProto::INT64: h.i[k] = load(int64_t(), k); break;
    case TensorProto::UINT64: h.i[k] = (int64_t)load(uint64_t(), k); break;
    }
  }
  return h;
}

std::vector<char> onnx_import::hostTensorBytes(const HostTensor &h) {
  std::vector<char> bytes;
  int64_t n = h.numElements();
  bytes.reserve(n * onnxTypeSize(h.onnxType));
  for (int64_t k = 0; k < n; ++k) {
    switch (h.onnxType) {
    case TensorProto::FLOAT: appendLE(bytes, (float)h.f[k]); break;
    case TensorProto::DOUBLE: appendLE(bytes, h.f[k]); break;
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16: {
      llvm::APFloat v(h.f[k]);
      bool lost;
      v.convert(h.onnxType == TensorProto::FLOAT16 ? llvm::APFloat::IEEEhalf()
                                                   : llvm::APFloat::BFloat(),
                llvm::APFloat::rmNearestTiesToEven, &lost);
      appendLE(bytes, (uint16_t)v.bitcastToAPInt().getZExtValue());
      break;
    }
    case TensorProto::BOOL: case TensorProto::INT8: case TensorProto::UINT8:
    case kOnnxInt4: case kOnnxUInt4:
      appendLE(bytes, (uint8_t)h.i[k]); break;
    case TensorProto::INT16: case TensorProto::UINT16:
      appendLE(bytes, (uint16_t)h.i[k]); break;
    case TensorProto::INT32: case TensorProto::UINT32:
      appendLE(bytes, (uint32_t)h.i[k]); break;
    default: appendLE(bytes, h.i[k]); break;
    }
  }
  return bytes;
}

std::optional<std::string>
mlir::qopt::readTensorFile(llvm::StringRef path, TensorFileData &out) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return "cannot read '" + path.str() + "': " + buf.getError().message();
  TensorProto proto;
  if ((*buf)->getBufferSize() > (size_t)INT32_MAX ||
      !proto.ParseFromArray((*buf)->getBufferStart(), (int)(*buf)->getBufferSize()))
    return "'" + path.str() + "' is not an ONNX TensorProto";
  std::vector<char> bytes;
  if (proto.data_location() == TensorProto::EXTERNAL)
    return "'" + path.str() + "' uses external data, which is not supported here";
  if (auto err = readTensorBytes(proto, "", bytes))
    return "'" + path.str() + "': " + *err;
  out.name = proto.name();
  out.onnxType = proto.data_type();
  out.shape.assign(proto.dims().begin(), proto.dims().end());
  HostTensor h = decodeHostTensor(proto.data_type(), out.shape, bytes);
  out.values.resize(h.numElements());
  for (int64_t k = 0; k < h.numElements(); ++k)
    out.values[k] = h.asDouble(k);
  return std::nullopt;
}
