//===- ModelArtifacts.cpp - Files that make up a model library ------------===//
#include "ModelArtifacts.h"
#include "Validate.h"

#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "qopt/Runtime/qopt_runtime.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qopt;

static constexpr size_t kMaxRank = 16;
static constexpr uint64_t kWeightAlign = 64;
/// Globals smaller than this stay in the IR (scalars, small tables).
static constexpr uint64_t kInlineLimit = 64;

ModelSignature mlir::qopt::collectSignature(func::FuncOp graph) {
  ModelSignature sig;
  auto read = [](DictionaryAttr attrs, Type type, size_t index,
                 const char *prefix) {
    TensorSignature t;
    auto ty = llvm::cast<RankedTensorType>(type);
    t.shape.assign(ty.getShape().begin(), ty.getShape().end());
    auto name = attrs ? attrs.getAs<StringAttr>("onnx.name") : StringAttr();
    t.name = name ? name.str() : (prefix + std::to_string(index));
    auto et = attrs ? attrs.getAs<IntegerAttr>("onnx.elem_type") : IntegerAttr();
    t.onnxType = et ? (int32_t)et.getInt() : 0;
    return t;
  };
  FunctionType fty = graph.getFunctionType();
  for (unsigned i = 0; i < fty.getNumInputs(); ++i)
    sig.inputs.push_back(read(graph.getArgAttrDict(i), fty.getInput(i), i, "input_"));
  for (unsigned i = 0; i < fty.getNumResults(); ++i)
    sig.outputs.push_back(
        read(graph.getResultAttrDict(i), fty.getResult(i), i, "output_"));
  return sig;
}

LogicalResult mlir::qopt::checkSignature(func::FuncOp graph,
                                         const ModelSignature &sig) {
  for (const auto *list : {&sig.inputs, &sig.outputs})
    for (const TensorSignature &t : *list) {
      if (t.shape.size() > kMaxRank)
        return graph.emitError() << "'" << t.name << "' has rank "
                                 << t.shape.size() << "; at most " << kMaxRank
                                 << " is supported";
      if (!qopt_dtype_size((qopt_dtype)t.onnxType))
        return graph.emitError() << "'" << t.name
                                 << "' has an element type the runtime cannot "
                                    "exchange (ONNX type "
                                 << t.onnxType << ")";
    }
  return success();
}

LogicalResult ArtifactDir::create(Location loc) {
  llvm::SmallString<128> dir;
  if (auto ec = llvm::sys::fs::createUniqueDirectory("qopt-compile", dir))
    return emitError(loc) << "cannot create a temporary directory: " << ec.message();
  root = dir.str().str();
  return success();
}

ArtifactDir::~ArtifactDir() {
  if (root.empty())
    return;
  if (auto keep = llvm::sys::Process::GetEnv("QOPT_KEEP_TEMPS"); keep && *keep == "1") {
    llvm::errs() << "qopt-compile: kept temporary files in " << root << "\n";
    return;
  }
  llvm::sys::fs::remove_directories(root);
}

std::string ArtifactDir::path(llvm::StringRef file) const {
  llvm::SmallString<256> p(root);
  llvm::sys::path::append(p, file);
  return p.str().str();
}

/// Raw little-endian bytes of a global's initial value, or false when the
/// value is not a plain elements attribute.
static bool elementsBytes(Attribute value, std::vector<char> &out) {
  if (auto res = llvm::dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return false;
    ArrayRef<char> data = blob->getData();
    out.assign(data.begin(), data.end());
    return true;
  }
  auto dense = llvm::dyn_cast<DenseElementsAttr>(value);
  if (!dense)
    return false;
  Type elt = dense.getElementType();
  int64_t n = dense.getNumElements();
  if (elt.isInteger(1)) {
    for (bool v : dense.getValues<bool>())
      out.push_back(v ? 1 : 0);
    return true;
  }
  unsigned bytes = elt.getIntOrFloatBitWidth() / 8;
  if (!bytes || !elt.isIntOrFloat())
    return false;
  ArrayRef<char> raw = dense.getRawData();
  if (dense.isSplat()) {
    out.reserve(n * bytes);
    for (int64_t i = 0; i < n; ++i)
      out.insert(out.end(), raw.begin(), raw.begin() + bytes);
  } else {
    out.assign(raw.begin(), raw.end());
  }
  return true;
}

LogicalResult mlir::qopt::externalizeWeights(ModuleOp module,
                                             llvm::StringRef blobPath,
                                             WeightBlob &blob, bool all) {
  std::error_code ec;
  llvm::raw_fd_ostream os(blobPath, ec);
  if (ec)
    return emitError(module.getLoc()) << "cannot write '" << blobPath << "'";
  blob.path = blobPath.str();
  uint64_t offset = 0;
  std::vector<char> bytes;
  for (auto global : module.getOps<LLVM::GlobalOp>()) {
    if (!global.getConstant() ||
        global.getSymName().starts_with(kKernelDescriptorPrefix))
      continue;
    std::optional<Attribute> value = global.getValue();
    bytes.clear();
    if (!value || !elementsBytes(*value, bytes))
      continue;
    blob.totalBytes += bytes.size();
    if (bytes.size() < kInlineLimit && !all)
      continue;
    uint64_t pad = (kWeightAlign - offset % kWeightAlign) % kWeightAlign;
    os.write_zeros(pad);
    offset += pad;
    os.write(bytes.data(), bytes.size());
    blob.symbols.push_back({global.getSymName().str(), offset, bytes.size()});
    offset += bytes.size();
    global.removeValueAttr();
    global.setLinkage(LLVM::Linkage::External);
  }
  return success();
}

/// A C string literal for arbitrary bytes (ONNX names are untrusted text).
static std::string cString(llvm::StringRef s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += std::string("\\") + (char)c;
    else if (c >= 0x20 && c < 0x7f && c != '?')
      out += (char)c;
    else
      out += llvm::formatv("\\{0:o3}", (unsigned)c).str();
  }
  return out + "\"";
}

static void writeInfos(llvm::raw_ostream &os, llvm::StringRef prefix,
                       const std::vector<TensorSignature> &list) {
  for (size_t i = 0; i < list.size(); ++i) {
    os << "static const int64_t " << prefix << i << "_dims[] = {";
    for (int64_t d : list[i].shape)
      os << d << ",";
    os << "0};\n";
  }
  os << "static const qopt_tensor_info " << prefix << "s[] = {\n";
  for (size_t i = 0; i < list.size(); ++i)
    os << "  {" << cString(list[i].name) << ", (qopt_dtype)" << list[i].onnxType
       << ", " << list[i].shape.size() << ", " << prefix << i << "_dims},\n";
  if (list.empty())
    os << "  {0, (qopt_dtype)0, 0, 0},\n";
  os << "};\n";
}

DeviceWeights mlir::qopt::readDeviceWeights(Operation *graph) {
  DeviceWeights d;
  auto layout = graph->getAttrOfType<ArrayAttr>("qopt.device_weights");
  if (!layout)
    return d;
  d.enabled = true;
  for (auto slot : layout.getAsRange<ArrayAttr>()) {
    WeightSymbol w;
    w.symbol = llvm::cast<FlatSymbolRefAttr>(slot[0]).getValue().str();
    w.offset = llvm::cast<IntegerAttr>(slot[1]).getInt();
    w.size = llvm::cast<IntegerAttr>(slot[2]).getInt();
    d.slots.push_back(w);
  }
  if (auto bytes = graph->getAttrOfType<IntegerAttr>("qopt.device_weights_bytes"))
    d.bytes = bytes.getInt();
  return d;
}

static LogicalResult writeDescription(const ModelSignature &sig,
                                      llvm::StringRef path,
                                      llvm::StringRef graphSymbol,
                                      const DeviceWeights &device) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return failure();
  os << "/* Generated by qopt-compile: the model description. */\n"
     << "#include \"qopt/Runtime/qopt_model_desc.h\"\n\n";
  writeInfos(os, "input", sig.inputs);
  writeInfos(os, "output", sig.outputs);
  size_t n = sig.inputs.size() + sig.outputs.size();
  // The graph takes inputs, outputs, the arena as memref<Nxi8>, and on a
  // GPU the device weight buffer as memref<Wxi8>.
  size_t extra = device.enabled ? 2 : 1;
  os << "\nextern void _mlir_ciface_" << graphSymbol << "(";
  for (size_t i = 0; i < n + extra; ++i)
    os << (i ? ", " : "") << "void *";
  os << ");\n\nstatic void invoke(void *arena, void *weights, void **d) {\n"
     << "  struct buf { void *allocated, *aligned; int64_t offset, size, "
        "stride; };\n"
     << "  struct buf a = {arena, arena, 0, " << sig.arenaBytes << ", 1};\n"
     << "  struct buf w = {weights, weights, 0, "
     << std::max<uint64_t>(device.bytes, 1) << ", 1};\n"
     << "  (void)d; (void)w;\n  _mlir_ciface_" << graphSymbol << "(";
  for (size_t i = 0; i < n; ++i)
    os << "d[" << i << "], ";
  os << "&a" << (device.enabled ? ", &w" : "") << ");\n}\n\n";
  if (device.enabled) {
    // Symbols by their assembler names: MLIR's need not be C identifiers.
    for (size_t i = 0; i < device.slots.size(); ++i)
      os << "extern const char qopt_dw" << i << "[] __asm__("
         << cString(device.slots[i].symbol) << ");\n";
    os << "static const qopt_device_weight device_weights[] = {\n";
    for (size_t i = 0; i < device.slots.size(); ++i)
      os << "  {qopt_dw" << i << ", " << device.slots[i].offset << "u, "
         << device.slots[i].size << "u},\n";
    if (device.slots.empty())
      os << "  {0, 0, 0},\n";
    os << "};\n\n";
  }
  os << "const qopt_model_desc qopt_generated_model = {\n"
     << "  QOPT_ABI_VERSION, " << sig.inputs.size() << ", " << sig.outputs.size()
     << ", inputs, outputs, invoke, " << sig.arenaBytes << "u, "
     << sig.arenaLowerBoundBytes << "u, 64,\n";
  if (device.enabled)
    os << "  &qopt_cuda_device, device_weights, " << device.slots.size()
       << ", " << device.bytes << "u};\n";
  else
    os << "  0, 0, 0, 0};\n";
  return success();
}

static LogicalResult writeWeightsAssembly(const WeightBlob &weights,
                                          llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return failure();
  os << "/* Generated by qopt-compile: weights in read-only data. */\n"
     << "  .section .rodata.qopt_weights,\"a\",@progbits\n";
  for (const WeightSymbol &w : weights.symbols)
    os << "  .balign " << kWeightAlign << "\n  .globl " << w.symbol
       << "\n  .hidden " << w.symbol << "\n  .type " << w.symbol
       << ", @object\n  .size " << w.symbol << ", " << w.size << "\n"
       << w.symbol << ":\n  .incbin " << cString(weights.path) << ", "
       << w.offset << ", " << w.size << "\n";
  os << "  .section .note.GNU-stack,\"\",@progbits\n";
  return success();
}

static void describe(llvm::raw_ostream &os, const char *role,
                     const std::vector<TensorSignature> &list) {
  for (size_t i = 0; i < list.size(); ++i) {
    os << " *   " << role << " " << i << ": '" << list[i].name << "' "
       << qopt_dtype_name((qopt_dtype)list[i].onnxType) << " [";
    for (size_t k = 0; k < list[i].shape.size(); ++k)
      os << (k ? "x" : "") << list[i].shape[k];
    os << "]\n";
  }
}

/// The model's header: the runtime API with the signature as a comment.
static LogicalResult writeHeader(const ModelSignature &sig,
                                 llvm::StringRef runtimeHeader,
                                 llvm::StringRef path) {
  auto api = llvm::MemoryBuffer::getFile(runtimeHeader);
  if (!api)
    return failure();
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return failure();
  os << "/* Generated by qopt-compile.\n *\n";
  describe(os, "input ", sig.inputs);
  describe(os, "output", sig.outputs);
  os << " */\n" << (*api)->getBuffer();
  return success();
}


LogicalResult mlir::qopt::linkModelLibrary(
    Location loc, const ArtifactDir &dir, const ModelSignature &sig,
    const WeightBlob &weights, llvm::StringRef object,
    llvm::StringRef outputPath, llvm::StringRef graphSymbol,
    llvm::StringRef runtimePrefix, const DeviceWeights &device) {
  std::string prefix = resolveQOptPrefix(runtimePrefix);
  std::string include = prefix + "/include";
  std::string runtimeLib = prefix + "/lib/libqopt_runtime.a";
  std::string runtimeHeader = include + "/qopt/Runtime/qopt_runtime.h";
  if (!llvm::sys::fs::exists(runtimeLib) || !llvm::sys::fs::exists(runtimeHeader))
    return emitError(loc) << "qopt runtime not found "
                          << (runtimePrefix.empty() ? "next to qopt-compile"
                                                    : "in the runtime prefix")
                          << " (" << runtimeLib << ")";

  std::string desc = dir.path("model_desc.c"), asmFile = dir.path("weights.S"),
              versionScript = dir.path("exports.map");
  std::string cudaLib = prefix + "/lib/libqopt_runtime_cuda.a";
  if (device.enabled && !llvm::sys::fs::exists(cudaLib))
    return emitError(loc) << "qopt's CUDA runtime not found (" << cudaLib
                          << ")";
  if (failed(writeDescription(sig, desc, graphSymbol, device)) ||
      failed(writeWeightsAssembly(weights, asmFile)))
    return emitError(loc) << "cannot write temporary files in " << dir.path("");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(versionScript, ec);
    os << "{ global: qopt_model_*; qopt_dtype_*; local: *; };\n";
  }

#ifdef QOPT_DEFAULT_CC
  std::string ccName = QOPT_DEFAULT_CC;
#else
  std::string ccName = "cc";
#endif
  if (auto env = llvm::sys::Process::GetEnv("QOPT_CC"))
    ccName = *env;
  auto cc = llvm::sys::findProgramByName(ccName);
  if (!cc)
    return emitError(loc) << "no C compiler '" << ccName
                          << "' on PATH to link the model (set QOPT_CC)";
  std::string out = outputPath.str();
  std::vector<std::string> args = {
      *cc, "-shared", "-fPIC", "-O2", "-I", include, "-o", out, object.str(),
      desc, asmFile, "-Wl,--whole-archive", runtimeLib,
      "-Wl,--no-whole-archive", "-Wl,--version-script=" + versionScript,
      "-Wl,-z,noexecstack", "-lm",
      // The kernels' threads.
      "-L" QOPT_OMP_LIBDIR, "-Wl,-rpath," QOPT_OMP_LIBDIR, "-lomp"};
  if (device.enabled) {
    // The driver itself is opened at create (dlopen), not linked.
    args.insert(args.end(), {"-Wl,--whole-archive", cudaLib,
                             "-Wl,--no-whole-archive", "-ldl", "-lpthread"});
  }
#ifdef QOPT_SANITIZE_FLAGS
  // The runtime was built instrumented: link its sanitizer runtimes too.
  llvm::SmallVector<llvm::StringRef> flags;
  llvm::StringRef(QOPT_SANITIZE_FLAGS).split(flags, ' ', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef f : flags)
    args.push_back(f.str());
#endif
  std::vector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::string errMsg;
  std::string logPath = dir.path("link.log");
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(logPath),
                                               llvm::StringRef(logPath)};
  int rc = llvm::sys::ExecuteAndWait(*cc, argRefs, std::nullopt, redirects, 0, 0,
                                     &errMsg);
  if (rc != 0) {
    auto log = llvm::MemoryBuffer::getFile(logPath);
    return emitError(loc) << "linking " << out << " failed (" << *cc << ", exit "
                          << rc << ")" << (errMsg.empty() ? "" : ": ") << errMsg
                          << "\n"
                          << (log ? (*log)->getBuffer() : "");
  }
  llvm::SmallString<256> header(outputPath);
  llvm::sys::path::replace_extension(header, "h");
  if (failed(writeHeader(sig, runtimeHeader, header)))
    return emitError(loc) << "cannot write the header " << header;
  return success();
}

void mlir::qopt::readArenaPlan(func::FuncOp graph, ModelSignature &sig,
                               std::vector<PlotBuffer> *plot) {
  if (auto a = graph->getAttrOfType<IntegerAttr>("qopt.arena_bytes"))
    sig.arenaBytes = a.getInt();
  if (auto a = graph->getAttrOfType<IntegerAttr>("qopt.arena_lower_bound_bytes"))
    sig.arenaLowerBoundBytes = a.getInt();
  if (!plot)
    return;
  auto table = graph->getAttrOfType<DenseI64ArrayAttr>("qopt.buffer_plan");
  auto labels = graph->getAttrOfType<ArrayAttr>("qopt.buffer_labels");
  if (!table || !labels)
    return;
  ArrayRef<int64_t> t = table.asArrayRef();
  for (size_t i = 0; i + 3 < t.size() && i / 4 < labels.size(); i += 4)
    plot->push_back({t[i], t[i + 1], (uint64_t)t[i + 2], (uint64_t)t[i + 3],
                     llvm::cast<StringAttr>(labels[i / 4]).str()});
}

static std::string xmlEscape(llvm::StringRef s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '&': out += "&amp;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

static std::string humanBytes(uint64_t b) {
  if (b >= (1u << 20))
    return llvm::formatv("{0:f2} MiB", b / 1048576.0).str();
  if (b >= 1024)
    return llvm::formatv("{0:f1} KiB", b / 1024.0).str();
  return std::to_string(b) + " B";
}

LogicalResult mlir::qopt::writeMemoryPlot(const std::vector<PlotBuffer> &buffers,
                                          uint64_t arenaBytes,
                                          uint64_t lowerBound,
                                          llvm::StringRef title,
                                          llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return failure();
  int64_t points = 1;
  for (const PlotBuffer &b : buffers)
    points = std::max(points, b.end + 1);
  const double left = 90, top = 60, width = 900, height = 500;
  double arena = std::max<double>(arenaBytes, 1);
  double xs = width / points, ys = height / arena;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << left + width + 40
     << "\" height=\"" << top + height + 70 << "\" font-family=\"sans-serif\" "
     << "font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << left << "\" y=\"22\" font-size=\"15\">" << xmlEscape(title)
     << ": arena " << humanBytes(arenaBytes) << ", lower bound "
     << humanBytes(lowerBound) << llvm::formatv(" (ratio {0:f3})",
                                                 lowerBound ? (double)arenaBytes / lowerBound : 1.0)
     << ", " << buffers.size() << " buffers</text>\n"
     << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << width
     << "\" height=\"" << height << "\" fill=\"none\" stroke=\"#444\"/>\n";
  static const char *palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                  "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                                  "#9c755f", "#bab0ac"};
  for (size_t i = 0; i < buffers.size(); ++i) {
    const PlotBuffer &b = buffers[i];
    double x = left + b.start * xs, w = std::max(1.0, (b.end - b.start + 1) * xs);
    double y = top + height - (b.offset + b.size) * ys, h = std::max(1.0, b.size * ys);
    os << "<g><title>" << xmlEscape(b.label) << ": " << humanBytes(b.size)
       << " at offset " << b.offset << ", live " << b.start << ".." << b.end
       << "</title><rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << w
       << "\" height=\"" << h << "\" fill=\"" << palette[i % 10]
       << "\" fill-opacity=\"0.75\" stroke=\"#222\" stroke-width=\"0.5\"/>";
    if (h > 12 && w > 40)
      os << "<text x=\"" << x + 3 << "\" y=\"" << y + 11 << "\">"
         << xmlEscape(llvm::StringRef(b.label).take_front(std::max<size_t>(3, w / 6.5)))
         << "</text>";
    os << "</g>\n";
  }
  double lb = top + height - lowerBound * ys;
  os << "<line x1=\"" << left << "\" x2=\"" << left + width << "\" y1=\"" << lb
     << "\" y2=\"" << lb << "\" stroke=\"#d00\" stroke-dasharray=\"6,4\"/>\n"
     << "<text x=\"" << left + width - 150 << "\" y=\"" << lb - 4
     << "\" fill=\"#d00\">lower bound " << humanBytes(lowerBound) << "</text>\n"
     << "<text x=\"" << left + width / 2 - 60 << "\" y=\"" << top + height + 35
     << "\">program point (0.." << points - 1 << ")</text>\n"
     << "<text x=\"10\" y=\"" << top + height / 2 << "\">offset</text>\n"
     << "<text x=\"" << left - 5 << "\" y=\"" << top + height
     << "\" text-anchor=\"end\">0</text>\n<text x=\"" << left - 5 << "\" y=\""
     << top + 10 << "\" text-anchor=\"end\">" << humanBytes(arenaBytes)
     << "</text>\n</svg>\n";
  return success();
}
