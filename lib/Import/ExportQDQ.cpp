//===- ExportQDQ.cpp - The static int8 recipe as an ONNX QDQ model --------===//
//
// Works on the ONNX protobuf, not on the IR: the source graph keeps every
// op as its author wrote it and gains only the Q/DQ nodes and int8
// initializers. Which nodes get them, and with which parameters, follows
// the compiler's own rules (qopt-insert-qdq): the same candidate keys,
// the same activation grid (qopt::activationParams) and the same weight
// quantizer (qopt::quantizePerChannel, on qopt-insert-qdq's default E4M4
// scale grid).
//
//===----------------------------------------------------------------------===//
#include "qopt/Import/ONNXExporter.h"

#include "ExportCommon.h"
#include "qopt/Analysis/CalibrationTable.h"

#include "llvm/Support/Path.h"

#include <cstring>
#include <set>

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_export;

namespace {

/// The weight axis holding output channels, or -1 when the node is not one
/// the compiler quantizes.
int64_t channelAxis(const onnx::NodeProto &node, const onnx::TensorProto &w) {
  auto attr = [&](llvm::StringRef name, int64_t dflt) {
    for (const auto &a : node.attribute())
      if (a.name() == name)
        return static_cast<int64_t>(a.i());
    return dflt;
  };
  if (node.op_type() == "MatMul")
    return w.dims_size() == 2 ? 1 : -1;
  if (node.op_type() == "Gemm")
    return w.dims_size() == 2 ? (attr("transB", 0) ? 0 : 1) : -1;
  if (node.op_type() == "Conv")
    return w.dims_size() == 4 && attr("group", 1) == 1 ? 0 : -1;
  return -1;
}

class Exporter : GraphEditor {
public:
  Exporter(onnx::ModelProto &model, const ::qopt::CalibrationTable &table,
           ::qopt::ActivationScheme scheme, std::string modelDir,
           std::vector<std::string> &notes)
      : GraphEditor(model, std::move(modelDir)), table(table), scheme(scheme),
        notes(notes) {}

  std::string run() {
    if (std::string error = foldBatchNorms(); !error.empty())
      return error;
    std::vector<onnx::NodeProto> out;
    if (std::string error = quantizeEmbeddings(out); !error.empty())
      return error;
    llvm::StringMap<unsigned> seen;
    llvm::StringSet<> used;
    for (const onnx::NodeProto &node : graph.node()) {
      std::optional<std::string> key = candidateKey(node, weightAxis(node), seen);
      std::optional<::qopt::Range> range =
          key ? table.rangeOf(*key) : std::nullopt;
      if (!range) {
        out.push_back(node);
        continue;
      }
      used.insert(*key);
      onnx::NodeProto rewritten = node;
      std::string error = quantizeNode(rewritten, *key, *range, out);
      if (!error.empty())
        return error;
      out.push_back(rewritten);
    }
    for (const auto &entry : table.tensors)
      if (!used.contains(entry.first))
        notes.push_back("'" + entry.first +
                        "' (in the calibration table) is not a MatMul, Gemm "
                        "or ungrouped Conv with an initializer weight in the "
                        "ONNX graph: it stays float in the exported model");
    graph.clear_node();
    for (onnx::NodeProto &n : out)
      *graph.add_node() = std::move(n);
    dropReplacedWeights();
    return "";
  }

private:
  /// BatchNormalization (inference, constant parameters) folded into the
  /// Conv before it, as the compiler folds it (qopt-fold-conv-affine) before
  /// quantizing: the exported filters are those qopt quantized. The
  /// per-channel a and s come from onnx_import::batchNormAffine, rounded
  /// to f32 as the importer rounds them; then W' = W * a, b' = b * a + s
  /// in f32.
  std::string foldBatchNorms() {
    std::map<std::string, int> readers;
    for (const onnx::NodeProto &n : graph.node())
      for (const std::string &in : n.input())
        ++readers[in];
    for (const onnx::ValueInfoProto &o : graph.output())
      ++readers[o.name()];
    std::map<std::string, int> producer;
    for (int i = 0; i < graph.node_size(); ++i)
      for (const std::string &o : graph.node(i).output())
        producer[o] = i;
    auto f32Initializer = [&](const std::string &name) -> const onnx::TensorProto * {
      auto it = initializers.find(name);
      return it != initializers.end() &&
                     it->second->data_type() == onnx::TensorProto::FLOAT
                 ? it->second
                 : nullptr;
    };
    std::set<int> folded;
    for (int i = 0; i < graph.node_size(); ++i) {
      const onnx::NodeProto &bn = graph.node(i);
      if (bn.op_type() != "BatchNormalization" || bn.input_size() != 5)
        continue;
      float eps = 1e-5f;
      bool training = false;
      for (const auto &a : bn.attribute()) {
        if (a.name() == "epsilon")
          eps = a.f();
        if (a.name() == "training_mode")
          training = a.i() != 0;
      }
      auto p = producer.find(bn.input(0));
      if (training || p == producer.end() || readers[bn.input(0)] != 1)
        continue;
      onnx::NodeProto &conv = *graph.mutable_node(p->second);
      const onnx::TensorProto *w =
          conv.op_type() == "Conv" && conv.input_size() >= 2
              ? f32Initializer(conv.input(1))
              : nullptr;
      const onnx::TensorProto *b =
          conv.input_size() >= 3 && !conv.input(2).empty()
              ? f32Initializer(conv.input(2))
              : nullptr;
      if (!w || w->dims_size() < 1 || (conv.input_size() >= 3 &&
                                       !conv.input(2).empty() && !b))
        continue;
      auto floats = [&](const onnx::TensorProto *t) {
        std::vector<char> bytes;
        std::vector<float> v;
        if (t && !readBytes(*t, bytes)) {
          v.resize(bytes.size() / 4);
          std::memcpy(v.data(), bytes.data(), v.size() * 4);
        }
        return v;
      };
      int64_t channels = w->dims(0);
      std::vector<std::vector<float>> params;
      for (int k = 1; k <= 4; ++k)
        params.push_back(floats(f32Initializer(bn.input(k))));
      std::vector<float> weight = floats(w), bias = floats(b);
      if (llvm::any_of(params, [&](const std::vector<float> &v) {
            return v.size() != static_cast<size_t>(channels);
          }) ||
          weight.empty() || (b && bias.size() != static_cast<size_t>(channels)))
        continue;
      bias.resize(channels, 0.f);
      int64_t perFilter = weight.size() / channels;
      for (int64_t k = 0; k < channels; ++k) {
        onnx_import::BatchNormAffine affine =
            onnx_import::batchNormAffine(params[0][k], params[1][k],
                                         params[2][k], params[3][k], eps);
        auto a = static_cast<float>(affine.a);
        for (int64_t e = 0; e < perFilter; ++e)
          weight[k * perFilter + e] *= a;
        bias[k] = bias[k] * a + static_cast<float>(affine.s);
      }
      auto add = [&](const std::string &name, std::vector<int64_t> dims,
                     const std::vector<float> &v) {
        *graph.add_initializer() = makeTensor(name, onnx::TensorProto::FLOAT,
                                              dims, v.data(), v.size() * 4);
        initializers[name] = graph.mutable_initializer(graph.initializer_size() - 1);
      };
      std::string wName = fresh(conv.input(1) + "_bn_folded");
      std::string bName = fresh(bn.output(0) + "_bias");
      add(wName, {w->dims().begin(), w->dims().end()}, weight);
      add(bName, {channels}, bias);
      replaced.insert(conv.input(1));
      if (b)
        replaced.insert(conv.input(2));
      for (int k = 1; k <= 4; ++k)
        replaced.insert(bn.input(k));
      conv.set_input(1, wName);
      if (conv.input_size() >= 3)
        conv.set_input(2, bName);
      else
        conv.add_input(bName);
      conv.set_output(0, bn.output(0));
      folded.insert(i);
    }
    if (folded.empty())
      return "";
    std::vector<onnx::NodeProto> kept;
    for (int i = 0; i < graph.node_size(); ++i)
      if (!folded.count(i))
        kept.push_back(graph.node(i));
    graph.clear_node();
    for (onnx::NodeProto &n : kept)
      *graph.add_node() = std::move(n);
    return "";
  }

  /// Embedding tables, as qopt-quantize-embeddings stores them: a rank-2
  /// f32 initializer read only as the data of Gather nodes becomes
  /// DequantizeLinear(int8 table, a scale per row, axis 0), placed first.
  std::string quantizeEmbeddings(std::vector<onnx::NodeProto> &out) {
    for (const onnx::TensorProto *table : embeddingTables()) {
      const onnx::TensorProto &t = *table;
      std::vector<char> bytes;
      if (auto e = readBytes(t, bytes))
        return "embedding table '" + t.name() + "': " + *e;
      int64_t rows = t.dims(0), cols = t.dims(1);
      ::qopt::QuantizedWeight q = ::qopt::quantizePerChannel(
          reinterpret_cast<const float *>(bytes.data()), bytes.size() / 4,
          rows, cols);
      std::string dq = addPerChannelDequantize(t.name(), {rows, cols}, q, 0,
                                               t.name() + "/DequantizeLinear", out);
      for (auto &n : *graph.mutable_node())
        if (n.op_type() == "Gather" && n.input(0) == t.name())
          n.set_input(0, dq);
      replaced.insert(t.name());
    }
    return "";
  }

  /// Adds the int8 values, scales and zero points of `q` as initializers
  /// and a DequantizeLinear node (quantized along `axis`) to `out`;
  /// returns its output's name.
  std::string addPerChannelDequantize(const std::string &weight,
                                      std::vector<int64_t> dims,
                                      const ::qopt::QuantizedWeight &q,
                                      int64_t axis, const std::string &nodeName,
                                      std::vector<onnx::NodeProto> &out) {
    int64_t channels = dims[axis];
    std::string wq = fresh(weight + "_quantized");
    std::string ws = fresh(weight + "_scale");
    std::string wz = fresh(weight + "_zero_point");
    std::string wd = fresh(weight + "_dequantized");
    std::vector<int8_t> zeros(channels, 0);
    *graph.add_initializer() = makeTensor(wq, onnx::TensorProto::INT8, dims,
                                          q.values.data(), q.values.size());
    *graph.add_initializer() = makeTensor(ws, onnx::TensorProto::FLOAT,
                                          {channels}, q.scales.data(),
                                          q.scales.size() * 4);
    *graph.add_initializer() = makeTensor(wz, onnx::TensorProto::INT8,
                                          {channels}, zeros.data(), channels);
    onnx::NodeProto dq;
    dq.set_op_type("DequantizeLinear");
    dq.set_name(fresh(nodeName));
    dq.add_input(wq);
    dq.add_input(ws);
    dq.add_input(wz);
    dq.add_output(wd);
    onnx::AttributeProto *a = dq.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(axis);
    out.push_back(dq);
    return wd;
  }

  /// The weight axis holding output channels of a node the compiler
  /// quantizes, or -1.
  int64_t weightAxis(const onnx::NodeProto &node) {
    if (node.input_size() < 2)
      return -1;
    auto w = initializers.find(node.input(1));
    return w == initializers.end() ? -1 : channelAxis(node, *w->second);
  }

  std::string quantizeNode(onnx::NodeProto &node, const std::string &key,
                           ::qopt::Range range, std::vector<onnx::NodeProto> &out) {
    const onnx::TensorProto &w = *initializers[node.input(1)];
    std::vector<char> bytes;
    if (auto e = readBytes(w, bytes))
      return "weight '" + w.name() + "' of node '" + key + "': " + *e;
    std::vector<int64_t> dims(w.dims().begin(), w.dims().end());
    int64_t axis = channelAxis(node, w);
    int64_t channels = dims[axis], inner = 1;
    for (size_t d = axis + 1; d < dims.size(); ++d)
      inner *= dims[d];
    ::qopt::QuantizedWeight q = ::qopt::quantizePerChannel(
        reinterpret_cast<const float *>(bytes.data()), bytes.size() / 4,
        channels, inner, ::qopt::WeightScaleGrid::E4M4);

    std::string base = node.name().empty() ? key : node.name();
    std::string wd = addPerChannelDequantize(w.name(), dims, q, axis,
                                             base + "/weight/DequantizeLinear",
                                             out);

    ::qopt::QuantParams p = ::qopt::activationParams(range, scheme);
    bool isUnsigned = scheme == ::qopt::ActivationScheme::Unsigned;
    float scale = static_cast<float>(p.scale);
    std::string xs = fresh(base + "/input_scale");
    std::string xz = fresh(base + "/input_zero_point");
    std::string xq = fresh(base + "/input_quantized");
    std::string xd = fresh(base + "/input_dequantized");
    int8_t zp = static_cast<int8_t>(p.zeroPoint);
    uint8_t zpu = static_cast<uint8_t>(p.zeroPoint);
    *graph.add_initializer() =
        makeTensor(xs, onnx::TensorProto::FLOAT, {}, &scale, 4);
    *graph.add_initializer() =
        isUnsigned ? makeTensor(xz, onnx::TensorProto::UINT8, {}, &zpu, 1)
                   : makeTensor(xz, onnx::TensorProto::INT8, {}, &zp, 1);
    onnx::NodeProto qx, dqx;
    qx.set_op_type("QuantizeLinear");
    qx.set_name(fresh(base + "/input/QuantizeLinear"));
    qx.add_input(node.input(0));
    qx.add_input(xs);
    qx.add_input(xz);
    qx.add_output(xq);
    dqx.set_op_type("DequantizeLinear");
    dqx.set_name(fresh(base + "/input/DequantizeLinear"));
    dqx.add_input(xq);
    dqx.add_input(xs);
    dqx.add_input(xz);
    dqx.add_output(xd);
    out.push_back(qx);
    out.push_back(dqx);
    replaced.insert(node.input(1));
    node.set_input(0, xd);
    node.set_input(1, wd);
    return "";
  }

  const ::qopt::CalibrationTable &table;
  ::qopt::ActivationScheme scheme;
  std::vector<std::string> &notes;
};

} // namespace

std::string mlir::qopt::exportQDQModel(llvm::StringRef inputPath,
                                       llvm::StringRef outputPath,
                                       const QDQExportOptions &options,
                                       std::vector<std::string> &notes) {
  ::qopt::CalibrationTable table;
  if (std::string e = ::qopt::readCalibrationTable(options.calibrationTable, table);
      !e.empty())
    return e;
  if (!options.method.empty()) {
    auto m = ::qopt::parseCalibrationMethod(options.method);
    if (!m)
      return "unknown calibration method '" + options.method + "'";
    table.method = *m;
  }
  if (options.percentile != 0)
    table.percentile = options.percentile;
  auto scheme = ::qopt::parseActivationScheme(options.activations);
  if (!scheme)
    return "unknown activations '" + options.activations + "'";
  if (*scheme == ::qopt::ActivationScheme::Symmetric)
    // ONNX int8 saturates to -128, the symmetric grid to -127: a value
    // below the calibrated range would differ by one step.
    notes.push_back("symmetric activations: onnxruntime saturates below the "
                    "calibrated range at -128, qopt at -127");

  onnx::ModelProto model;
  int64_t opset;
  if (std::string e = loadModel(inputPath, model, 13,
                                "per-channel DequantizeLinear", opset);
      !e.empty())
    return e;

  llvm::StringRef dir = llvm::sys::path::parent_path(inputPath);
  Exporter exporter(model, table, *scheme, dir.empty() ? "." : dir.str(), notes);
  if (std::string e = exporter.run(); !e.empty())
    return e;
  return saveModel(model, outputPath);
}
