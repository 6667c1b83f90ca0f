//===- ExportCommon.cpp - Editing an ONNX graph for the exporters ---------===//
#include "ExportCommon.h"

#include "llvm/Support/MemoryBuffer.h"

#include <fstream>

using namespace mlir::qopt;
using namespace mlir::qopt::onnx_export;

onnx::TensorProto onnx_export::makeTensor(const std::string &name, int32_t type,
                                          std::vector<int64_t> dims,
                                          const void *data, size_t bytes) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (int64_t d : dims)
    t.add_dims(d);
  t.set_raw_data(data, bytes);
  return t;
}

std::string onnx_export::loadModel(llvm::StringRef path, onnx::ModelProto &model,
                                   int64_t minOpset, llvm::StringRef why,
                                   int64_t &opset) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return "cannot read '" + path.str() + "': " + buf.getError().message();
  if ((*buf)->getBufferSize() > (size_t)INT32_MAX ||
      !model.ParseFromArray((*buf)->getBufferStart(),
                            (int)(*buf)->getBufferSize()))
    return "'" + path.str() + "' is not a valid ONNX model";
  for (const auto &init : model.graph().initializer())
    if (init.data_location() == onnx::TensorProto::EXTERNAL)
      return "exporting a model with external data is not supported yet "
             "(initializer '" + init.name() + "')";
  opset = 0;
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < minOpset)
    return "the model's opset is " + std::to_string(opset) + "; " + why.str() +
           " needs opset " + std::to_string(minOpset) + " or later";
  return "";
}

std::string onnx_export::saveModel(onnx::ModelProto &model, llvm::StringRef path) {
  model.set_producer_name("qopt");
  std::ofstream os(path.str(), std::ios::binary);
  if (!os || !model.SerializeToOstream(&os))
    return "cannot write '" + path.str() + "'";
  return "";
}

GraphEditor::GraphEditor(onnx::ModelProto &model, std::string modelDir)
    : graph(*model.mutable_graph()), modelDir(std::move(modelDir)) {
  for (auto &init : *graph.mutable_initializer())
    initializers[init.name()] = &init;
  for (const auto &n : graph.node())
    for (const auto &o : n.output())
      names.insert(o);
  for (const auto &i : graph.input())
    names.insert(i.name());
  for (const auto &i : graph.initializer())
    names.insert(i.name());
}

std::string GraphEditor::fresh(const std::string &base) {
  std::string name = base;
  for (int k = 1; names.contains(name); ++k)
    name = base + "_" + std::to_string(k);
  names.insert(name);
  return name;
}

std::optional<std::string> GraphEditor::readBytes(const onnx::TensorProto &t,
                                                  std::vector<char> &bytes) {
  return onnx_import::readTensorBytes(t, modelDir, bytes);
}

std::optional<std::string>
GraphEditor::candidateKey(const onnx::NodeProto &node, int64_t axis,
                          llvm::StringMap<unsigned> &seen) {
  if (node.input_size() < 2 || initializers.count(node.input(0)))
    return std::nullopt;
  auto w = initializers.find(node.input(1));
  if (w == initializers.end() ||
      w->second->data_type() != onnx::TensorProto::FLOAT || axis < 0)
    return std::nullopt;
  std::string base = node.name().empty() ? node.op_type() : node.name();
  unsigned n = seen[base]++;
  return n ? base + "#" + std::to_string(n) : base;
}

std::vector<const onnx::TensorProto *> GraphEditor::embeddingTables() {
  llvm::StringMap<bool> gatheredOnly;
  std::vector<std::string> order;
  for (const auto &n : graph.node())
    for (int i = 0; i < n.input_size(); ++i)
      if (initializers.count(n.input(i))) {
        bool gathered = n.op_type() == "Gather" && i == 0;
        auto [it, isNew] = gatheredOnly.try_emplace(n.input(i), gathered);
        if (isNew)
          order.push_back(n.input(i));
        else
          it->second &= gathered;
      }
  for (const auto &o : graph.output())
    gatheredOnly[o.name()] = false;
  std::vector<const onnx::TensorProto *> tables;
  for (const std::string &name : order) {
    const onnx::TensorProto &t = *initializers[name];
    if (gatheredOnly[name] && t.data_type() == onnx::TensorProto::FLOAT &&
        t.dims_size() == 2)
      tables.push_back(&t);
  }
  return tables;
}

void GraphEditor::dropReplacedWeights() {
  llvm::StringSet<> read;
  for (const auto &n : graph.node())
    for (const auto &i : n.input())
      read.insert(i);
  for (const auto &o : graph.output())
    read.insert(o.name());
  auto *inits = graph.mutable_initializer();
  for (int k = inits->size(); k-- > 0;)
    if (replaced.contains(inits->Get(k).name()) &&
        !read.contains(inits->Get(k).name()))
      inits->DeleteSubrange(k, 1);
}
