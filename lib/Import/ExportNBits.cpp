//===- ExportNBits.cpp - The int4 recipes as onnxruntime MatMulNBits ------===//
//
// Like ExportQDQ.cpp, on the ONNX protobuf: each MatMul (and Gemm with
// alpha = beta = 1, transA = 0) whose weight is an f32 initializer becomes
// com.microsoft.MatMulNBits over the weight quantized exactly as the
// compiler quantizes it (the same candidate keys, the same quantizers in
// qopt/Analysis/WeightQuantization.h, the same layer inputs for GPTQ and
// AWQ), so that onnxruntime runs what qopt's int4 model computes.
//
//===----------------------------------------------------------------------===//
#include "qopt/Import/ONNXExporter.h"

#include "ExportCommon.h"
#include "qopt/Analysis/LayerInputs.h"
#include "qopt/Analysis/WeightQuantization.h"

#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_export;

namespace {

int64_t intAttr(const onnx::NodeProto &node, llvm::StringRef name,
                int64_t dflt) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return a.i();
  return dflt;
}

float floatAttr(const onnx::NodeProto &node, llvm::StringRef name, float dflt) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return a.f();
  return dflt;
}

void addIntAttr(onnx::NodeProto &node, const std::string &name, int64_t v) {
  onnx::AttributeProto *a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

class NBitsExporter : GraphEditor {
public:
  NBitsExporter(onnx::ModelProto &model, const NBitsExportOptions &options,
                std::string modelDir, std::vector<std::string> &notes)
      : GraphEditor(model, std::move(modelDir)), options(options),
        notes(notes) {}

  std::string run() {
    std::vector<onnx::NodeProto> out;
    if (std::string e = decodeEmbeddings(); !e.empty())
      return e;
    llvm::StringMap<unsigned> seen;
    for (const onnx::NodeProto &node : graph.node()) {
      // Every node the compiler's passes count (MatMul, Gemm, Conv with an
      // initializer weight) takes a key, so that keys agree with theirs.
      std::optional<std::string> key = candidateKey(node, countedAxis(node), seen);
      if (!key || !rewritable(node)) {
        if (key && node.op_type() != "Conv")
          notes.push_back("node '" + *key + "' (" + node.op_type() +
                          ") stays float in the exported model: only MatMul "
                          "and plain Gemm (alpha = beta = 1, no transA) become "
                          "MatMulNBits");
        out.push_back(node);
        continue;
      }
      if (std::string e = rewrite(node, *key, out); !e.empty())
        return e;
    }
    graph.clear_node();
    for (onnx::NodeProto &n : out)
      *graph.add_node() = std::move(n);
    dropReplacedWeights();
    return "";
  }

private:
  /// >= 0 when the compiler's candidate search counts the node.
  int64_t countedAxis(const onnx::NodeProto &node) {
    if (node.input_size() < 2)
      return -1;
    auto w = initializers.find(node.input(1));
    if (w == initializers.end())
      return -1;
    int64_t rank = w->second->dims_size();
    if (node.op_type() == "MatMul" || node.op_type() == "Gemm")
      return rank == 2 ? 1 : -1;
    if (node.op_type() == "Conv")
      return rank == 4 ? 0 : -1;
    return -1;
  }

  bool rewritable(const onnx::NodeProto &node) {
    if (node.op_type() == "MatMul")
      return true;
    return node.op_type() == "Gemm" && intAttr(node, "transA", 0) == 0 &&
           floatAttr(node, "alpha", 1.f) == 1.f &&
           floatAttr(node, "beta", 1.f) == 1.f &&
           (node.input_size() < 3 || node.input(2).empty() ||
            (initializers.count(node.input(2)) &&
             initializers[node.input(2)]->dims_size() == 1));
  }

  /// The int4 embedding tables of the recipe, as the f32 values their codes
  /// decode to: ONNX has int4 DequantizeLinear only from opset 21, and a
  /// model of an earlier opset cannot simply be relabelled.
  std::string decodeEmbeddings() {
    for (const onnx::TensorProto *table : embeddingTables()) {
      std::vector<char> bytes;
      if (auto e = readBytes(*table, bytes))
        return "embedding table '" + table->name() + "': " + *e;
      int64_t rows = table->dims(0), cols = table->dims(1);
      ::qopt::Int4Weights q = ::qopt::quantizeRTN(
          reinterpret_cast<const float *>(bytes.data()), rows, cols,
          options.embeddingGroup, ::qopt::Int4Format::Symmetric);
      std::vector<float> values = q.dequantize();
      initializers[table->name()]->set_raw_data(values.data(),
                                                values.size() * 4);
      notes.push_back("embedding table '" + table->name() +
                      "': exported as the f32 values of its int4 codes (int4 "
                      "DequantizeLinear needs opset 21)");
    }
    return "";
  }

  std::string rewrite(const onnx::NodeProto &node, const std::string &key,
                      std::vector<onnx::NodeProto> &out) {
    const onnx::TensorProto &w = *initializers[node.input(1)];
    std::vector<char> bytes;
    if (auto e = readBytes(w, bytes))
      return "weight '" + w.name() + "' of node '" + key + "': " + *e;
    const float *data = reinterpret_cast<const float *>(bytes.data());
    bool transposed = node.op_type() == "Gemm" && intAttr(node, "transB", 0);
    int64_t k = transposed ? w.dims(1) : w.dims(0);
    int64_t n = transposed ? w.dims(0) : w.dims(1);
    std::vector<float> rows(n * k); // N x K: one row per output
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        rows[j * k + i] = transposed ? data[j * k + i] : data[i * n + j];

    ::qopt::Int4Format format = options.format == "asymmetric"
                                    ? ::qopt::Int4Format::Asymmetric
                                    : ::qopt::Int4Format::Symmetric;
    ::qopt::Int4Recipe recipe;
    recipe.method = *::qopt::parseInt4Method(options.method);
    recipe.group = options.group;
    recipe.format = format;
    ::qopt::LayerInputs in;
    if (recipe.method != ::qopt::Int4Method::RTN)
      if (std::string e = ::qopt::readLayerInputsFor(options.layerInputsDir,
                                                     key, k, in);
          !e.empty())
        return e;
    std::vector<float> inputScales;
    ::qopt::Int4Weights q = ::qopt::quantizeInt4(
        rows.data(), n, k, recipe, in.rows.data(), in.count(), inputScales);

    std::string base = node.name().empty() ? key : node.name();
    std::string a = node.input(0);
    if (!inputScales.empty()) { // AWQ: x / s before the product
      std::vector<float> inv(k);
      for (int64_t i = 0; i < k; ++i)
        inv[i] = 1.0f / inputScales[i];
      std::string s = fresh(base + "/awq_inverse_scale");
      *graph.add_initializer() =
          makeTensor(s, onnx::TensorProto::FLOAT, {k}, inv.data(), k * 4);
      onnx::NodeProto mul;
      mul.set_op_type("Mul");
      mul.set_name(fresh(base + "/awq_scale"));
      mul.add_input(a);
      mul.add_input(s);
      a = fresh(base + "/awq_scaled_input");
      mul.add_output(a);
      out.push_back(mul);
    }
    int64_t blocks = q.blocks();
    std::string qb = fresh(w.name() + "_Q4");
    std::string qs = fresh(w.name() + "_scales");
    *graph.add_initializer() =
        makeTensor(qb, onnx::TensorProto::UINT8, {n, blocks, options.group / 2},
                   q.packed.data(), q.packed.size());
    *graph.add_initializer() = makeTensor(
        qs, onnx::TensorProto::FLOAT, {n, blocks}, q.scales.data(),
        q.scales.size() * 4);
    onnx::NodeProto mm;
    mm.set_op_type("MatMulNBits");
    mm.set_domain("com.microsoft");
    mm.set_name(node.name().empty() ? fresh(base + "/MatMulNBits") : node.name());
    mm.add_input(a);
    mm.add_input(qb);
    mm.add_input(qs);
    std::string zeros;
    if (format == ::qopt::Int4Format::Asymmetric) {
      zeros = fresh(w.name() + "_zero_points");
      *graph.add_initializer() =
          makeTensor(zeros, onnx::TensorProto::UINT8, {n, (blocks + 1) / 2},
                     q.zeros.data(), q.zeros.size());
    }
    bool bias = node.op_type() == "Gemm" && node.input_size() > 2 &&
                !node.input(2).empty();
    if (!zeros.empty() || bias)
      mm.add_input(zeros);
    if (bias) {
      mm.add_input(""); // g_idx
      mm.add_input(node.input(2));
    }
    mm.add_output(node.output(0));
    addIntAttr(mm, "K", k);
    addIntAttr(mm, "N", n);
    addIntAttr(mm, "bits", 4);
    addIntAttr(mm, "block_size", options.group);
    // accuracy_level 0: f32 activations, the graph's exact meaning (qopt's
    // matrix-vector kernel may read int8 activations: --int4-activations).
    addIntAttr(mm, "accuracy_level", 0);
    out.push_back(mm);
    replaced.insert(w.name());
    return "";
  }

  const NBitsExportOptions &options;
  std::vector<std::string> &notes;
};

} // namespace

std::string mlir::qopt::exportNBitsModel(llvm::StringRef inputPath,
                                         llvm::StringRef outputPath,
                                         const NBitsExportOptions &options,
                                         std::vector<std::string> &notes) {
  std::optional<::qopt::Int4Method> method =
      ::qopt::parseInt4Method(options.method);
  if (!method)
    return "unknown int4 method '" + options.method + "'";
  if (*method == ::qopt::Int4Method::NF4)
    return "--emit onnx writes int4 models as onnxruntime's MatMulNBits, "
           "which has no NF4 codebook: use --recipe int4, int4-gptq or "
           "int4-awq";
  if (options.group < 16 || (options.group & (options.group - 1)))
    return "group " + std::to_string(options.group) +
           " is not a power of two of at least 16";
  onnx::ModelProto model;
  int64_t opset;
  if (std::string e = loadModel(inputPath, model, 1, "", opset); !e.empty())
    return e;
  llvm::StringRef dir = llvm::sys::path::parent_path(inputPath);
  NBitsExporter exporter(model, options, dir.empty() ? "." : dir.str(), notes);
  if (std::string e = exporter.run(); !e.empty())
    return e;
  bool declared = false;
  for (const auto &o : model.opset_import())
    declared |= o.domain() == "com.microsoft";
  if (!declared) {
    auto *o = model.add_opset_import();
    o->set_domain("com.microsoft");
    o->set_version(1);
  }
  return saveModel(model, outputPath);
}
