//===- ImportReduction.cpp - ONNX reductions and normalisations ---===//
#include "ImporterCore.h"

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

void onnx_import::registerReductionOps(OpRegistry &r) {}
