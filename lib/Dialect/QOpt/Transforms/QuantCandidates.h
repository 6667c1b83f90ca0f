//===- QuantCandidates.h - What the int8 recipes quantize -------*- C++ -*-===//
//
// The matrix products and convolutions whose weight is a constant, found
// the same way by every int8 pass (observers, Q/DQ insertion, dynamic
// quantization), and the compile-time work on their weights.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_DIALECT_QOPT_TRANSFORMS_QUANTCANDIDATES_H
#define QOPT_LIB_DIALECT_QOPT_TRANSFORMS_QUANTCANDIDATES_H

#include "qopt/Analysis/Calibration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::qopt {

/// A `tosa.matmul` (weight [1, K, N], through the importer's reshape) or
/// `tosa.conv2d` (weight [F, KH, KW, C], through its transpose) with an f32
/// constant weight and an f32 activation of static shape.
struct QuantCandidate {
  Operation *op;
  /// The activation operand (operand 0).
  Value activation;
  /// The weight operand as the op reads it (f32, the op's layout).
  Value weight;
  /// Names the ONNX node the op came from, unique within the function
  /// ("<node>", then "<node>#1", ...; "<OpType>#<k>" for unnamed nodes):
  /// the key of calibration tables.
  std::string key;
};

/// The candidates of `f` in program order; weights with fewer than
/// `minElements` elements are left out.
std::vector<QuantCandidate> findQuantCandidates(func::FuncOp f,
                                                int64_t minElements = 0);

/// Calls `onMatMul` / `onConv` on every tosa.matmul / tosa.conv2d of `f`,
/// collected first so that the callbacks may replace them.
void forEachProduct(func::FuncOp f, function_ref<void(tosa::MatMulOp)> onMatMul,
                    function_ref<void(tosa::Conv2DOp)> onConv);

/// The f32 values of a constant weight (arith.constant dense or
/// dense_resource, or tosa.const), row-major, through tosa.reshape and
/// tosa.transpose ops (the values then come in the op's layout).
std::optional<std::vector<float>> constantValues(Value v);

/// The `channels` f32 values of a constant that varies at most along its
/// dim `axis` (every other dim 1; that one 1 or `channels`), a single
/// value broadcast to all; nullopt for anything else.
std::optional<std::vector<float>> channelConstant(Value c, int64_t axis,
                                                  int64_t channels);

using QuantizedWeight = ::qopt::QuantizedWeight;

/// ::qopt::quantizePerChannel over `w`.
inline QuantizedWeight
quantizePerChannel(ArrayRef<float> w, int64_t channels, int64_t inner,
                   ::qopt::WeightScaleGrid grid = ::qopt::WeightScaleGrid::F32) {
  return ::qopt::quantizePerChannel(w.data(), w.size(), channels, inner, grid);
}

/// The weight dim that holds output channels: N of tosa.matmul's
/// [1, K, N], F of tosa.conv2d's [F, KH, KW, C].
unsigned outputChannelDim(Operation *product);

/// The constant `weight` of `product` (tosa.matmul or tosa.conv2d) quantized
/// per output channel, in the op's layout; nullopt when it is not a
/// constant the compiler can read.
std::optional<QuantizedWeight> quantizeProductWeight(
    Operation *product, Value weight,
    ::qopt::WeightScaleGrid grid = ::qopt::WeightScaleGrid::F32);

/// A zero point of 0 as TOSA's integer products take it (tensor<1xi8>).
Value int8ZeroPoint(OpBuilder &b, Location loc);

/// How an epilogue over `result` (output channels in its last dim) reads a
/// bias of [C] (per channel) or [1] (broadcast).
AffineMap biasMap(Value bias, RankedTensorType result);

/// A dense_resource constant holding `bytes`, so that the blob is written
/// once into the model's weights (and counted in weight_bytes).
Value resourceConstant(OpBuilder &b, Location loc, RankedTensorType type,
                       ArrayRef<char> bytes, StringRef key, size_t align = 8);

/// resourceConstant for a vector of trivially copyable values.
template <typename T>
Value resourceConstant(OpBuilder &b, Location loc, RankedTensorType type,
                       const std::vector<T> &values, StringRef key) {
  return resourceConstant(
      b, loc, type,
      ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                     values.size() * sizeof(T)),
      key);
}

} // namespace mlir::qopt

#endif // QOPT_LIB_DIALECT_QOPT_TRANSFORMS_QUANTCANDIDATES_H
