//===- ONNXImporter.cpp - ONNX graph to MLIR ------------------------------===//
#include "qopt/Import/ONNXImporter.h"

#include "ImporterCore.h"
#include "qopt/Dialect/QOpt/IR/NodeLocation.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "onnx/defs/schema.h"

#include <set>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

//===----------------------------------------------------------------------===//
// OpRegistry
//===----------------------------------------------------------------------===//

static std::string opKey(llvm::StringRef domain, llvm::StringRef opType) {
  if (domain == "ai.onnx")
    domain = "";
  return domain.empty() ? opType.str() : (domain + "::" + opType).str();
}

void OpRegistry::onOp(llvm::StringRef opType, int64_t sinceVersion,
                      OpImportFn fn, llvm::StringRef domain) {
  table[opKey(domain, opType)][sinceVersion] = std::move(fn);
}

const OpImportFn *OpRegistry::lookup(llvm::StringRef domain,
                                     llvm::StringRef opType,
                                     int64_t opset) const {
  auto it = table.find(opKey(domain, opType));
  if (it == table.end())
    return nullptr;
  auto v = it->second.upper_bound(opset);
  if (v == it->second.begin())
    return nullptr;
  return &std::prev(v)->second;
}

std::vector<std::pair<std::string, int64_t>> OpRegistry::listOps() const {
  std::vector<std::pair<std::string, int64_t>> out;
  for (auto &[k, versions] : table)
    out.emplace_back(k, versions.begin()->first);
  return out;
}

const OpRegistry &onnx_import::getOpRegistry() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerElementwiseOps(r);
    registerMatMulOps(r);
    registerNNOps(r);
    registerShapeOps(r);
    registerQuantOps(r);
    registerMathOps(r);
    registerReductionOps(r);
    registerIndexingOps(r);
    registerLossAndMiscOps(r);
    registerResizeAndConvTransposeOps(r);
    registerNBitsOps(r);
    return r;
  }();
  return registry;
}

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

OpBuilder &NodeContext::builder() { return g.b; }

Value NodeContext::input(size_t i) {
  return hasInput(i) ? g.values.lookup(node.input(i)) : Value();
}

RankedTensorType NodeContext::inputType(size_t i) {
  Value v = input(i);
  return v ? llvm::cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

const HostTensor *NodeContext::constantInput(size_t i) {
  return hasInput(i) ? g.getConstant(node.input(i)) : nullptr;
}

int32_t NodeContext::inputOnnxType(size_t i) {
  if (!hasInput(i))
    return onnx::TensorProto::UNDEFINED;
  auto it = g.onnxTypes.find(node.input(i));
  if (it != g.onnxTypes.end())
    return it->second;
  Value v = input(i);
  return v ? defaultOnnxType(getElementTypeOrSelf(v.getType()))
           : onnx::TensorProto::UNDEFINED;
}

const onnx::AttributeProto *NodeContext::attr(llvm::StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::attrInt(llvm::StringRef name, int64_t dflt) const {
  const auto *a = attr(name);
  return a ? a->i() : dflt;
}

float NodeContext::attrFloat(llvm::StringRef name, float dflt) const {
  const auto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string NodeContext::attrString(llvm::StringRef name,
                                    llvm::StringRef dflt) const {
  const auto *a = attr(name);
  return a ? a->s() : dflt.str();
}

std::vector<int64_t> NodeContext::attrInts(llvm::StringRef name,
                                           std::vector<int64_t> dflt) const {
  const auto *a = attr(name);
  if (!a)
    return dflt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<std::vector<int64_t>>
NodeContext::declaredOutputShape(size_t i) {
  if ((int)i >= node.output_size() || node.output(i).empty())
    return std::nullopt;
  auto it = g.declaredShapes.find(node.output(i));
  if (it == g.declaredShapes.end())
    return std::nullopt;
  return it->second;
}

FailureOr<std::vector<int64_t>>
NodeContext::shapeForRuntime(llvm::StringRef what, size_t i) {
  if (auto s = declaredOutputShape(i))
    return *s;
  return fail(what +
              " must be a compile-time constant, or the model must declare a "
              "static shape for output '" +
              node.output(i) + "'");
}

LogicalResult NodeContext::setOutputs(ValueRange values,
                                      llvm::ArrayRef<int32_t> types) {
  if ((int)values.size() < node.output_size())
    for (int i = values.size(); i < node.output_size(); ++i)
      if (!node.output(i).empty())
        return fail("output " + std::to_string(i) + " is not supported");
  for (int i = 0; i < node.output_size(); ++i) {
    const std::string &name = node.output(i);
    if (name.empty())
      continue;
    g.values[name] = values[i];
    g.onnxTypes[name] =
        i < (int)types.size()
            ? types[i]
            : defaultOnnxType(getElementTypeOrSelf(values[i].getType()));
  }
  return success();
}

LogicalResult NodeContext::setConstantOutput(size_t i, HostTensor t) {
  const std::string &name = node.output(i);
  g.values[name] = g.materialize(t);
  g.onnxTypes[name] = t.onnxType;
  g.constants[name] = std::move(t);
  return success();
}

InFlightDiagnostic NodeContext::emitError() {
  return mlir::emitError(loc) << "node '" << node.name() << "' ("
                              << node.op_type() << "): ";
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

/// Checks that a node has the operands its op requires (the ONNX schema's
/// minimum counts, required positions named), so that op importers may
/// take them for granted: a hostile node without them must not crash.
/// Extra operands are left to the importers, which accept some of a later
/// opset's; ops without an ONNX schema (other domains) too.
static std::optional<std::string> checkArity(const onnx::NodeProto &node,
                                             int64_t opset) {
  llvm::StringRef domain = node.domain();
  const onnx::OpSchema *schema = onnx::OpSchemaRegistry::Schema(
      node.op_type(), (int)std::min<int64_t>(opset, INT32_MAX),
      domain == "ai.onnx" ? "" : domain.str());
  if (!schema)
    return std::nullopt;
  auto check = [](const char *what, const auto &names, int min,
                  const std::vector<onnx::OpSchema::FormalParameter> &formal)
      -> std::optional<std::string> {
    int count = names.size();
    if (count < min)
      return "has " + std::to_string(count) + " " + what +
             "s; the op needs at least " + std::to_string(min);
    for (int i = 0; i < count && !formal.empty(); ++i) {
      const auto &param = formal[std::min<size_t>(i, formal.size() - 1)];
      if (names[i].empty() &&
          param.GetOption() != onnx::OpSchema::FormalParameterOption::Optional)
        return std::string(what) + " " + std::to_string(i) + " ('" +
               param.GetName() + "') is required but not named";
    }
    return std::nullopt;
  };
  if (auto err = check("input", node.input(), schema->min_input(),
                       schema->inputs()))
    return err;
  return check("output", node.output(), schema->min_output(),
               schema->outputs());
}

GraphImporter::GraphImporter(MLIRContext *ctx, const onnx::ModelProto &model,
                             std::string path, std::string externalDataDir)
    : ctx(ctx), b(ctx), model(model), modelPath(std::move(path)),
      modelDir(std::move(externalDataDir)) {
  for (const auto &os : model.opset_import())
    opsets[os.domain() == "ai.onnx" ? "" : os.domain()] = os.version();
}

int64_t GraphImporter::opsetFor(llvm::StringRef domain) const {
  auto it = opsets.find(domain == "ai.onnx" ? "" : domain.str());
  // Models without an opset_import for the default domain predate opset 7.
  return it == opsets.end() ? (domain.empty() ? 1 : 1) : it->second;
}

Location GraphImporter::fileLoc() {
  return FileLineColLoc::get(ctx, modelPath, 0, 0);
}

Location GraphImporter::nodeLoc(const onnx::NodeProto &node) {
  return makeNodeLoc(ctx, node.op_type(), node.name(), fileLoc());
}

const HostTensor *GraphImporter::getConstant(llvm::StringRef name) {
  auto it = constants.find(name);
  if (it != constants.end())
    return &it->second;
  auto init = initializers.find(name);
  if (init == initializers.end())
    return nullptr;
  std::vector<char> bytes;
  if (readTensorBytes(*init->second, modelDir, bytes))
    return nullptr; // reported when the initializer is materialised
  std::vector<int64_t> shape(init->second->dims().begin(),
                             init->second->dims().end());
  auto &slot = constants[name];
  slot = decodeHostTensor(init->second->data_type(), std::move(shape), bytes);
  return &slot;
}

bool GraphImporter::isFourBitInitializer(llvm::StringRef name) const {
  auto it = initializers.find(name);
  return it != initializers.end() && !values.count(name) &&
         isFourBitOnnxType(it->second->data_type());
}

Value GraphImporter::materializeBytes(int32_t onnxType,
                                      llvm::ArrayRef<int64_t> shape,
                                      llvm::ArrayRef<char> bytes) {
  Type elt = getElementType(ctx, onnxType);
  auto ty = RankedTensorType::get(shape, elt);
  Location loc = fileLoc();
  // Weights become dense_resource blobs: no uniquing copy in the context
  // and no hex in attributes; small tensors stay readable.
  constexpr size_t kResourceThreshold = 64;
  if (bytes.size() > kResourceThreshold && !elt.isInteger(1)) {
    size_t align = std::max<size_t>(onnxTypeSize(onnxType), 8);
    auto blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align);
    std::string name = "qopt_weight_" + std::to_string(resourceCounter++);
    auto attr = DenseResourceElementsAttr::get(ty, name, std::move(blob));
    return arith::ConstantOp::create(b, loc, ty, attr);
  }
  DenseElementsAttr attr;
  if (elt.isInteger(1)) {
    SmallVector<bool> bits;
    for (char c : bytes)
      bits.push_back(c != 0);
    attr = DenseElementsAttr::get(ty, ArrayRef<bool>(bits));
  } else {
    attr = DenseElementsAttr::getFromRawBuffer(ty, bytes);
  }
  return arith::ConstantOp::create(b, loc, ty, attr);
}

Value GraphImporter::materialize(const HostTensor &t) {
  std::vector<char> bytes = hostTensorBytes(t);
  return materializeBytes(t.onnxType, t.shape, bytes);
}

LogicalResult GraphImporter::checkSupported(const onnx::GraphProto &graph) {
  const OpRegistry &reg = getOpRegistry();
  std::vector<std::pair<std::string, std::string>> missing; // op, first node
  std::set<std::string> seen;
  for (const auto &node : graph.node()) {
    int64_t opset = opsetFor(node.domain());
    if (reg.lookup(node.domain(), node.op_type(), opset))
      continue;
    std::string key = opKey(node.domain(), node.op_type());
    if (seen.insert(key).second)
      missing.emplace_back(key + " (opset " + std::to_string(opset) + ")",
                           node.name());
  }
  if (missing.empty())
    return success();
  auto diag = emitError() << "unsupported ONNX op"
                          << (missing.size() > 1 ? "s" : "") << ": ";
  for (size_t i = 0; i < missing.size(); ++i)
    diag << (i ? ", " : "") << missing[i].first << " at node '"
         << missing[i].second << "'";
  return failure();
}

/// The largest tensor a model may declare: beyond it (or when the element
/// count overflows) the model is refused rather than compiled into code
/// whose buffers cannot exist.
static constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 40; // 1 TiB

/// Checks that `shape` of `elt` has a representable size under the cap.
static LogicalResult checkTensorSize(GraphImporter &g, llvm::StringRef what,
                                     llvm::ArrayRef<int64_t> shape, Type elt) {
  uint64_t bytes = std::max<uint64_t>(1, elt.getIntOrFloatBitWidth() / 8);
  for (int64_t d : shape) {
    if (d < 0 || (d && bytes > kMaxTensorBytes / (uint64_t)d))
      return g.emitError() << what << " has shape with a size beyond "
                           << kMaxTensorBytes << " bytes (or overflowing)";
    bytes *= (uint64_t)d;
  }
  return success();
}

/// Static type of a graph input: declared shape, overridden by --input-shape.
static FailureOr<RankedTensorType>
inputType(GraphImporter &g, const onnx::ValueInfoProto &vi,
          const llvm::StringMap<std::vector<int64_t>> &shapes) {
  const std::string &name = vi.name();
  if (!vi.type().has_tensor_type())
    return g.emitError() << "input '" << name
                         << "' is not a tensor (sequences, maps and optionals "
                            "are not supported)";
  const auto &tt = vi.type().tensor_type();
  Type elt = getElementType(g.ctx, tt.elem_type());
  if (!elt)
    return g.emitError() << "input '" << name << "' has unsupported element type "
                         << onnxTypeName(tt.elem_type());
  auto it = shapes.find(name);
  if (it != shapes.end()) {
    if (tt.has_shape() && tt.shape().dim_size() != (int)it->second.size())
      return g.emitError() << "--input-shape for '" << name << "' has rank "
                           << it->second.size() << " but the model declares rank "
                           << tt.shape().dim_size();
    for (int i = 0; tt.has_shape() && i < tt.shape().dim_size(); ++i) {
      const auto &d = tt.shape().dim(i);
      if (d.has_dim_value() && d.dim_value() != it->second[i])
        return g.emitError() << "--input-shape for '" << name << "' sets dim "
                             << i << " to " << it->second[i]
                             << " but the model fixes it at " << d.dim_value();
    }
    return RankedTensorType::get(it->second, elt);
  }
  if (!tt.has_shape())
    return g.emitError() << "input '" << name
                         << "' has no declared shape; give it with "
                            "--input-shape "
                         << name << "=D0xD1x...";
  SmallVector<int64_t> dims;
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto &d = tt.shape().dim(i);
    if (!d.has_dim_value() || d.dim_value() < 0) {
      std::string sym = d.has_dim_param() ? d.dim_param() : "?";
      return g.emitError() << "input '" << name << "' has symbolic dimension '"
                           << sym << "' at position " << i
                           << "; specialise it with --input-shape " << name
                           << "=D0xD1x...";
    }
    dims.push_back(d.dim_value());
  }
  return RankedTensorType::get(dims, elt);
}

LogicalResult GraphImporter::importGraph(
    ModuleOp module, const llvm::StringMap<std::vector<int64_t>> &shapes) {
  const onnx::GraphProto &graph = model.graph();
  if (failed(checkSupported(graph)))
    return failure();
  for (const auto &init : graph.initializer())
    initializers[init.name()] = &init;
  for (const auto *list : {&graph.output(), &graph.value_info()})
    for (const auto &vi : *list) {
      if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape())
        continue;
      std::vector<int64_t> shape;
      bool known = true;
      for (const auto &d : vi.type().tensor_type().shape().dim()) {
        known &= d.has_dim_value() && d.dim_value() >= 0;
        shape.push_back(d.dim_value());
      }
      if (known)
        declaredShapes.try_emplace(vi.name(), std::move(shape));
    }
  for (const auto &init : graph.sparse_initializer())
    return emitError() << "sparse initializer '" << init.values().name()
                       << "' is not supported";

  // Graph inputs that are also initializers are constants with defaults
  // (IR version < 4 lists every weight as an input).
  SmallVector<Type> argTypes;
  SmallVector<const onnx::ValueInfoProto *> args;
  for (const auto &vi : graph.input()) {
    if (initializers.count(vi.name()))
      continue;
    auto ty = inputType(*this, vi, shapes);
    if (failed(ty) ||
        failed(checkTensorSize(*this, "input '" + vi.name() + "'", ty->getShape(),
                               ty->getElementType())))
      return failure();
    argTypes.push_back(*ty);
    args.push_back(&vi);
  }
  for (const auto &kv : shapes)
    if (llvm::none_of(args, [&](auto *vi) { return vi->name() == kv.getKey(); }))
      return emitError() << "--input-shape names '" << kv.getKey()
                         << "', which is not an input of the model";

  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, fileLoc(), "main",
                                   b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToEnd(entry);
  for (auto [i, vi] : llvm::enumerate(args)) {
    values[vi->name()] = entry->getArgument(i);
    onnxTypes[vi->name()] = vi->type().tensor_type().elem_type();
    func.setArgAttr(i, "onnx.name", b.getStringAttr(vi->name()));
    func.setArgAttr(i, "onnx.elem_type",
                    b.getI32IntegerAttr(vi->type().tensor_type().elem_type()));
  }
  // Initializers become constants at the start of the body, in file order.
  for (const auto &init : graph.initializer()) {
    if (values.count(init.name()))
      continue;
    // 4-bit initializers have no tensor type of their own: DequantizeLinear
    // reads them from the proto (ImportNBits.cpp), nothing else may.
    if (isFourBitOnnxType(init.data_type())) {
      onnxTypes[init.name()] = init.data_type();
      continue;
    }
    std::vector<char> bytes;
    if (auto err = readTensorBytes(init, modelDir, bytes))
      return emitError() << "initializer '" << init.name() << "': " << *err;
    if (!getElementType(ctx, init.data_type()))
      return emitError() << "initializer '" << init.name()
                         << "' has unsupported element type "
                         << onnxTypeName(init.data_type());
    std::vector<int64_t> shape(init.dims().begin(), init.dims().end());
    values[init.name()] = materializeBytes(init.data_type(), shape, bytes);
    onnxTypes[init.name()] = init.data_type();
  }

  const OpRegistry &reg = getOpRegistry();
  for (const auto &node : graph.node()) {
    int64_t opset = opsetFor(node.domain());
    NodeContext nc(*this, node, opset, nodeLoc(node));
    if (auto err = checkArity(node, opset))
      return nc.fail(*err);
    for (const auto &in : node.input()) {
      if (isFourBitInitializer(in)) {
        if (node.op_type() != "DequantizeLinear")
          return nc.fail("reads the " +
                         std::string(onnxTypeName(onnxTypes.lookup(in))) +
                         " initializer '" + in +
                         "', which only DequantizeLinear may read");
        continue;
      }
      if (!in.empty() && !values.count(in))
        return nc.fail("input '" + in +
                       "' is not produced by any earlier node, input or "
                       "initializer (the graph is not topologically sorted, "
                       "has a cycle, or names a missing value)");
    }
    for (const auto &out : node.output())
      if (!out.empty() && values.count(out))
        return nc.fail("output '" + out + "' is already defined");
    const OpImportFn *fn = reg.lookup(node.domain(), node.op_type(), opset);
    if (failed((*fn)(nc)))
      return failure();
  }

  SmallVector<Value> results;
  for (const auto &vi : graph.output()) {
    Value v = values.lookup(vi.name());
    if (!v && isFourBitInitializer(vi.name()))
      return emitError() << "graph output '" << vi.name()
                         << "' is a 4-bit initializer, which is not supported";
    if (!v)
      return emitError() << "graph output '" << vi.name()
                         << "' is not produced by any node";
    results.push_back(v);
  }
  func::ReturnOp::create(b, fileLoc(), results);
  func.setType(b.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, vi] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, "onnx.name", b.getStringAttr(vi.name()));
    func.setResultAttr(i, "onnx.elem_type",
                       b.getI32IntegerAttr(onnxTypes.lookup(vi.name())));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

std::vector<std::pair<std::string, int64_t>> mlir::qopt::getSupportedONNXOps() {
  return getOpRegistry().listOps();
}

void mlir::qopt::registerImportDialects(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, quant::QuantDialect, tensor::TensorDialect,
                  tosa::TosaDialect, QOptDialect>();
}

std::string mlir::qopt::parseInputShape(llvm::StringRef text,
                                        ImportOptions &options) {
  auto [name, dims] = text.rsplit('=');
  if (name.empty() || dims.empty() || !text.contains('='))
    return "malformed --input-shape '" + text.str() +
           "': expected NAME=D0xD1x... (e.g. input=1x3x224x224)";
  std::vector<int64_t> shape;
  if (dims != "scalar") {
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d < 0)
        return "malformed dimension '" + p.str() + "' in --input-shape '" +
               text.str() + "'";
      shape.push_back(d);
    }
  }
  options.inputShapes[name] = std::move(shape);
  return "";
}

/// The directory external data of the model file at `path` comes from.
static std::string directoryOf(llvm::StringRef path) {
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  return dir.empty() ? "." : dir.str();
}

OwningOpRef<ModuleOp> mlir::qopt::importONNXBuffer(
    MLIRContext *ctx, llvm::StringRef bytes, llvm::StringRef path,
    llvm::StringRef externalDataDir, const ImportOptions &options) {
  DialectRegistry registry;
  registerImportDialects(registry);
  ctx->appendDialectRegistry(registry);
  ctx->loadAllAvailableDialects();
  Location fileLoc = FileLineColLoc::get(ctx, path, 0, 0);
  onnx::ModelProto model;
  if (bytes.size() > (size_t)INT32_MAX ||
      !model.ParseFromArray(bytes.data(), (int)bytes.size())) {
    emitError(fileLoc) << "not a valid ONNX model (protobuf parse failed; the "
                          "file may be truncated or not ONNX)";
    return nullptr;
  }
  if (!model.has_graph()) {
    emitError(fileLoc) << "the ONNX model has no graph";
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  GraphImporter importer(ctx, model, path.str(), externalDataDir.str());
  if (failed(importer.importGraph(*module, options.inputShapes)))
    return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> mlir::qopt::importONNXFile(MLIRContext *ctx,
                                                 llvm::StringRef path,
                                                 const ImportOptions &options) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf) {
    emitError(FileLineColLoc::get(ctx, path, 0, 0))
        << "cannot read '" << path << "': " << buf.getError().message();
    return nullptr;
  }
  return importONNXBuffer(ctx, (*buf)->getBuffer(), path, directoryOf(path),
                          options);
}

void mlir::qopt::registerONNXImportTranslation() {
  static llvm::cl::list<std::string> inputShapes(
      "input-shape",
      llvm::cl::desc("Static shape of a model input: NAME=D0xD1x... "
                     "(repeatable; replaces symbolic dimensions)"));
  static TranslateToMLIRRegistration reg(
      "import-onnx", "Import an ONNX model (.onnx protobuf) into TOSA + qopt",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *ctx) -> OwningOpRef<Operation *> {
        ImportOptions options;
        for (const auto &s : inputShapes) {
          std::string err = parseInputShape(s, options);
          if (!err.empty()) {
            emitError(UnknownLoc::get(ctx)) << err;
            return nullptr;
          }
        }
        const llvm::MemoryBuffer *buf =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        llvm::StringRef name = buf->getBufferIdentifier();
        OwningOpRef<ModuleOp> module = importONNXBuffer(
            ctx, buf->getBuffer(), name, directoryOf(name), options);
        if (!module)
          return nullptr;
        return OwningOpRef<Operation *>(module.release().getOperation());
      },
      [](DialectRegistry &registry) { registerImportDialects(registry); });
}
