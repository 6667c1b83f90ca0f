//===- ImporterCore.h - Shared machinery of the ONNX importer ---*- C++ -*-===//
//
// The graph importer keeps the ONNX-name -> Value table and the host copies
// of constant tensors; op importers are functions keyed by op name and the
// opset version they apply from (as torch-mlir's `onOp("Add", 7, ...)`).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_IMPORT_IMPORTERCORE_H
#define QOPT_LIB_IMPORT_IMPORTERCORE_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::qopt::onnx_import {

/// The most elements an op folded at import time may produce (128 MiB of
/// host values): a hostile model must not make the importer allocate
/// without bound.
constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

/// A constant tensor known at import time, kept on the host as doubles
/// (float types) or int64 (integer and bool types) for shape computations and
/// compile-time folding, plus the proto it came from for raw bytes.
struct HostTensor {
  int32_t onnxType = 0;
  std::vector<int64_t> shape;
  std::vector<double> f;  // float element types
  std::vector<int64_t> i; // integer and bool element types
  bool isFloat() const;
  int64_t numElements() const;
  /// Element k as double / int64 whatever the storage.
  double asDouble(int64_t k) const { return isFloat() ? f[k] : (double)i[k]; }
  int64_t asInt(int64_t k) const { return isFloat() ? (int64_t)f[k] : i[k]; }
};

/// BatchNormalization in inference as y = x * a + s, with
/// a = scale / sqrt(var + eps) and s = B - mean * a in double. The importer
/// folds constant parameters so, and the QDQ exporter folds them into the
/// Conv before them from the same values (qopt-fold-conv-affine's filters).
struct BatchNormAffine {
  double a, s;
};
inline BatchNormAffine batchNormAffine(double scale, double bias, double mean,
                                       double var, double eps) {
  double a = scale / std::sqrt(var + eps);
  return {a, bias - mean * a};
}

class GraphImporter;

/// What an op importer sees of one node.
class NodeContext {
public:
  NodeContext(GraphImporter &g, const onnx::NodeProto &node, int64_t opset,
              Location loc)
      : g(g), node(node), opset(opset), loc(loc) {}

  GraphImporter &g;
  const onnx::NodeProto &node;
  int64_t opset;
  Location loc;

  OpBuilder &builder();
  size_t numInputs() const { return node.input_size(); }
  /// True when input `i` is present (ONNX marks omitted optionals by "").
  bool hasInput(size_t i) const {
    return (int)i < node.input_size() && !node.input(i).empty();
  }
  Value input(size_t i);
  RankedTensorType inputType(size_t i);
  /// Host value of input `i` when it is a compile-time constant.
  const HostTensor *constantInput(size_t i);
  /// ONNX element type of input `i` (TensorProto.DataType).
  int32_t inputOnnxType(size_t i);

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t attrInt(llvm::StringRef name, int64_t dflt) const;
  float attrFloat(llvm::StringRef name, float dflt) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef dflt) const;
  std::vector<int64_t> attrInts(llvm::StringRef name,
                                std::vector<int64_t> dflt = {}) const;

  /// The static shape the model declares for output `i` (as a graph output
  /// or in value_info) when every dim is known. Ops whose shape operands
  /// are runtime values use it: the values must agree with it.
  std::optional<std::vector<int64_t>> declaredOutputShape(size_t i);
  /// The declared shape of output `i`, or an error saying that `what` must
  /// be a compile-time constant.
  FailureOr<std::vector<int64_t>> shapeForRuntime(llvm::StringRef what,
                                                  size_t i = 0);

  /// Binds the node's outputs in order. `onnxTypes` gives their ONNX element
  /// types when they differ from what the MLIR type implies (unsigned ints).
  LogicalResult setOutputs(ValueRange values,
                           llvm::ArrayRef<int32_t> onnxTypes = {});
  /// Binds output 0 to a host constant, materialised as an arith.constant.
  LogicalResult setConstantOutput(size_t i, HostTensor t);

  /// Reports an error at the node, prefixed with its op type and name.
  InFlightDiagnostic emitError();
  LogicalResult fail(const llvm::Twine &msg) { return emitError() << msg; }
};

using OpImportFn = std::function<LogicalResult(NodeContext &)>;

/// Op importers by (domain, op type), each with the opset versions from
/// which it applies; the newest version not above the model's opset wins.
class OpRegistry {
public:
  void onOp(llvm::StringRef opType, int64_t sinceVersion, OpImportFn fn,
            llvm::StringRef domain = "");
  const OpImportFn *lookup(llvm::StringRef domain, llvm::StringRef opType,
                           int64_t opset) const;
  /// Every registered (domain, op type) with its lowest version.
  std::vector<std::pair<std::string, int64_t>> listOps() const;

private:
  std::map<std::string, std::map<int64_t, OpImportFn>> table;
};

/// The registry with every op family registered.
const OpRegistry &getOpRegistry();

void registerElementwiseOps(OpRegistry &r);
void registerMatMulOps(OpRegistry &r);
void registerNNOps(OpRegistry &r);
void registerShapeOps(OpRegistry &r);
void registerQuantOps(OpRegistry &r);
void registerMathOps(OpRegistry &r);      // ImportMath.cpp: elementwise math, logic, casts
void registerReductionOps(OpRegistry &r); // ImportReduction.cpp: reductions, normalisations
void registerIndexingOps(OpRegistry &r);  // ImportIndexing.cpp: shape, slice, gather, pad...
void registerLossAndMiscOps(OpRegistry &r); // ImportLoss.cpp: losses, Dropout, TopK, Einsum...
void registerResizeAndConvTransposeOps(OpRegistry &r); // ImportResize.cpp
void registerNBitsOps(OpRegistry &r); // ImportNBits.cpp: com.microsoft.MatMulNBits

/// Imports one graph into `@main` of a module.
class GraphImporter {
public:
  /// `externalDataDir` is the only directory external data may come from;
  /// empty refuses external data.
  GraphImporter(MLIRContext *ctx, const onnx::ModelProto &model,
                std::string modelPath, std::string externalDataDir);

  LogicalResult importGraph(ModuleOp module,
                            const llvm::StringMap<std::vector<int64_t>> &shapes);

  MLIRContext *ctx;
  OpBuilder b;
  const onnx::ModelProto &model;
  std::string modelPath; // for locations
  std::string modelDir;  // external data root; empty: none allowed

  llvm::StringMap<Value> values;
  llvm::StringMap<int32_t> onnxTypes;   // ONNX element type per value
  /// Compile-time known values: host copies, decoded on demand for
  /// initializers (weights are never decoded unless an op folds them).
  llvm::StringMap<HostTensor> constants;
  llvm::StringMap<const onnx::TensorProto *> initializers;
  /// Static shapes declared for values (graph outputs and value_info).
  llvm::StringMap<std::vector<int64_t>> declaredShapes;
  /// Host value of `name` when known at compile time, else null.
  const HostTensor *getConstant(llvm::StringRef name);
  /// True for an INT4 / UINT4 initializer: it has no Value; only
  /// DequantizeLinear reads it, from its proto.
  bool isFourBitInitializer(llvm::StringRef name) const;

  /// A 4-bit weight in MatMulNBits layout that a DequantizeLinear produced
  /// for the MatMuls reading it as B (every reader is one): the value bound
  /// to its name is a placeholder that the MatMul importer replaces by a
  /// qopt.matmul_nbits of these operands.
  struct NBitsWeight {
    Value weights, scales, zeros; // zeros null unless format == asymmetric
    int64_t k, group;
    std::string format;
  };
  llvm::StringMap<NBitsWeight> nbitsWeights;

  int64_t opsetFor(llvm::StringRef domain) const;
  Location fileLoc();
  Location nodeLoc(const onnx::NodeProto &node);

  /// Materialises a host tensor (an arith.constant; dense_resource when
  /// large so that weights are not copied into attributes).
  Value materialize(const HostTensor &t);
  /// Materialises a tensor given as raw bytes of `onnxType`.
  Value materializeBytes(int32_t onnxType, llvm::ArrayRef<int64_t> shape,
                         llvm::ArrayRef<char> bytes);
  /// Reports an error at the model file.
  InFlightDiagnostic emitError() { return mlir::emitError(fileLoc()); }

private:
  LogicalResult checkSupported(const onnx::GraphProto &graph);
  std::map<std::string, int64_t> opsets;
  unsigned resourceCounter = 0;
};

/// DequantizeLinear of an INT4 / UINT4 initializer (ImportNBits.cpp): a
/// qopt.matmul_nbits weight when MatMuls read it as B, else an f32
/// constant dequantized at compile time.
LogicalResult importDequantizeLinear4Bit(NodeContext &n);
/// MatMul whose B is a 4-bit weight from importDequantizeLinear4Bit.
LogicalResult importMatMulNBitsWeight(NodeContext &n,
                                      const GraphImporter::NBitsWeight &w);

//===----------------------------------------------------------------------===//
// Types and tensor data (TensorData.cpp)
//===----------------------------------------------------------------------===//

/// MLIR element type of an ONNX element type (signless integers), or null.
Type getElementType(MLIRContext *ctx, int32_t onnxType);
/// Name of an ONNX element type, for messages.
const char *onnxTypeName(int32_t onnxType);
bool isUnsignedOnnxType(int32_t onnxType);
/// The ONNX element type an MLIR type stands for by default.
int32_t defaultOnnxType(Type elt);

/// Bytes of one element of an ONNX element type (0 when unsupported,
/// 4-bit types included).
size_t onnxTypeSize(int32_t onnxType);

/// TensorProto.DataType values of the 4-bit integers (ONNX 1.16, opset 21),
/// newer than the schema qopt builds against.
constexpr int32_t kOnnxUInt4 = 21, kOnnxInt4 = 22;
inline bool isFourBitOnnxType(int32_t t) {
  return t == kOnnxUInt4 || t == kOnnxInt4;
}

/// Reads the data of a TensorProto as little-endian bytes in its element
/// type's layout, from any storage form (raw_data, typed fields, external
/// data confined to `modelDir`, refused when it is empty). INT4 and UINT4,
/// stored two a byte, come out unpacked: one byte per element (INT4
/// sign-extended), the layout decodeHostTensor reads for them. On failure
/// returns an error message.
std::optional<std::string> readTensorBytes(const onnx::TensorProto &proto,
                                           llvm::StringRef modelDir,
                                           std::vector<char> &bytes);

/// Decodes bytes in an ONNX element type's layout into a host tensor.
HostTensor decodeHostTensor(int32_t onnxType, std::vector<int64_t> shape,
                            llvm::ArrayRef<char> bytes);

/// Little-endian bytes of `t` in its ONNX element type's layout.
std::vector<char> hostTensorBytes(const HostTensor &t);

//===----------------------------------------------------------------------===//
// Builders shared by op importers (Builders.cpp)
//===----------------------------------------------------------------------===//

RankedTensorType tensorOf(llvm::ArrayRef<int64_t> shape, Type elt);
Value reshapeTo(OpBuilder &b, Location loc, Value v,
                llvm::ArrayRef<int64_t> shape);
Value transposeBy(OpBuilder &b, Location loc, Value v,
                  llvm::ArrayRef<int32_t> perm);
/// A constant of `elt` with every element `value`, of shape `shape`.
Value splatConstant(OpBuilder &b, Location loc, Type elt,
                    llvm::ArrayRef<int64_t> shape, double value);
/// numpy broadcast shape of two shapes, or nullopt when incompatible.
std::optional<std::vector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);
/// Reshapes the lower-rank value to the other's rank by leading 1s (TOSA's
/// elementwise ops broadcast size-1 dims of equal-rank operands only).
std::pair<Value, Value> equalizeRanks(OpBuilder &b, Location loc, Value x,
                                      Value y);
/// tosa.mul's shift operand (0), for floating-point multiplies.
Value zeroShift(OpBuilder &b, Location loc);
/// x * y with numpy broadcasting (tosa.mul).
Value mulBroadcast(OpBuilder &b, Location loc, Value x, Value y);
Value addBroadcast(OpBuilder &b, Location loc, Value x, Value y);
Value subBroadcast(OpBuilder &b, Location loc, Value x, Value y);
/// Normalises a possibly negative axis; nullopt when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// The zero points of an integer matrix product or convolution, each a
/// tensor<1xi8> as TOSA takes them. Given to the builders below, they make
/// int8 x int8 -> int32 ops; absent, the ops are in the inputs' float type.
struct IntegerZeroPoints {
  Value input, weight;
};

/// ONNX MatMul (numpy matmul, vectors and batch broadcasting included) of
/// `a` and `b` as one tosa.matmul between reshapes (ImportMatMul.cpp).
/// Errors are reported at node `n`.
FailureOr<Value> buildMatMul(NodeContext &n, Value a, Value b,
                             const IntegerZeroPoints *zp = nullptr);
/// ONNX Conv (1-D or 2-D, NCHW) of `x` and `w` with `n`'s convolution
/// attributes (kernel_shape, strides, dilations, pads, auto_pad, group) as
/// TOSA ops in NHWC between transposes (ImportNN.cpp). `bias` may be null.
FailureOr<Value> buildConv(NodeContext &n, Value x, Value w, Value bias,
                           const IntegerZeroPoints *zp = nullptr);

} // namespace mlir::qopt::onnx_import

#endif // QOPT_LIB_IMPORT_IMPORTERCORE_H

namespace mlir::qopt::onnx_import {
/// A linalg.generic over the numpy broadcast of `inputs` whose body computes
/// one element from the inputs' elements. Returns null when the shapes do
/// not broadcast. For ops TOSA lacks or rounds differently (exact division).
Value buildElementwise(
    OpBuilder &b, Location loc, ValueRange inputs, Type resultElt,
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> body);
} // namespace mlir::qopt::onnx_import

namespace mlir::qopt::onnx_import {
/// Largest tensor the importer computes on the host (shape arithmetic, not
/// weights).
constexpr int64_t kHostFoldLimit = 65536;

/// Elementwise `a op b` with numpy broadcasting on the host, in a's ONNX
/// type; nullopt when the shapes do not broadcast or the result is large.
std::optional<HostTensor>
foldBinaryOnHost(const HostTensor &a, const HostTensor &b,
                 llvm::function_ref<double(double, double)> onFloat,
                 llvm::function_ref<int64_t(int64_t, int64_t)> onInt);
} // namespace mlir::qopt::onnx_import

namespace mlir::qopt::onnx_import {
/// Numerically stable log-softmax of float tensor `x` along `axis`, in x's
/// element type (ImportReduction.cpp).
Value buildLogSoftmax(OpBuilder &b, Location loc, Value x, int64_t axis);
} // namespace mlir::qopt::onnx_import
