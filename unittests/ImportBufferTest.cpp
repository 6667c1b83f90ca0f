//===- ImportBufferTest.cpp - importONNXBuffer's external-data rules ------===//
//
// A model given as bytes has no directory of its own: its external data is
// read from the directory the caller names and from nowhere else.
//
//===----------------------------------------------------------------------===//
#include "qopt/Import/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "onnx/onnx_pb.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

/// y = x + w over 4 floats, w stored in `weights.bin` when `external`.
std::string addModel(bool external) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(17);
  onnx::GraphProto *g = model.mutable_graph();
  g->set_name("g");
  onnx::NodeProto *add = g->add_node();
  add->set_op_type("Add");
  add->add_input("x");
  add->add_input("w");
  add->add_output("y");
  auto declare = [](onnx::ValueInfoProto *vi, const char *name) {
    vi->set_name(name);
    auto *t = vi->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_value(4);
  };
  declare(g->add_input(), "x");
  declare(g->add_output(), "y");
  onnx::TensorProto *w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  if (external) {
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    auto *loc = w->add_external_data();
    loc->set_key("location");
    loc->set_value("weights.bin");
  } else {
    for (int i = 0; i < 4; ++i)
      w->add_float_data(i);
  }
  return model.SerializeAsString();
}

/// Imports `bytes`; returns whether it succeeded, the diagnostics in `errors`.
bool import(const std::string &bytes, llvm::StringRef dir, std::string &errors) {
  MLIRContext ctx;
  llvm::raw_string_ostream os(errors);
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    os << d << "\n";
    return success();
  });
  return (bool)qopt::importONNXBuffer(&ctx, bytes, "memory.onnx", dir,
                                      qopt::ImportOptions());
}

TEST(ImportBuffer, InlineWeightsNeedNoDirectory) {
  std::string errors;
  EXPECT_TRUE(import(addModel(/*external=*/false), "", errors)) << errors;
}

TEST(ImportBuffer, ExternalDataRefusedWithoutDirectory) {
  std::string errors;
  EXPECT_FALSE(import(addModel(/*external=*/true), "", errors));
  EXPECT_NE(errors.find("external data 'weights.bin' is not allowed"),
            std::string::npos)
      << errors;
}

TEST(ImportBuffer, ExternalDataReadFromGivenDirectory) {
  llvm::SmallString<128> dir, file;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qopt-import-test", dir));
  file = dir;
  llvm::sys::path::append(file, "weights.bin");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    ASSERT_FALSE(ec);
    float w[4] = {0, 1, 2, 3};
    os.write(reinterpret_cast<const char *>(w), sizeof(w));
  }
  std::string errors;
  EXPECT_TRUE(import(addModel(/*external=*/true), dir, errors)) << errors;
  // The same bytes with another directory do not find the data there.
  llvm::SmallString<128> other;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("qopt-import-test", other));
  errors.clear();
  EXPECT_FALSE(import(addModel(/*external=*/true), other, errors));
  EXPECT_NE(errors.find("cannot open external data file"), std::string::npos)
      << errors;
  llvm::sys::fs::remove(file);
  llvm::sys::fs::remove(dir);
  llvm::sys::fs::remove(other);
}

} // namespace
