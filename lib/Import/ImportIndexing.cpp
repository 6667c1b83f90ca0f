//===- ImportIndexing.cpp - ONNX shape, slicing, gathering and padding ops ---===//
#include "ImporterCore.h"

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

void onnx_import::registerIndexingOps(OpRegistry &r) {}
