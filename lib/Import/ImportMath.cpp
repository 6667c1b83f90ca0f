//===- ImportMath.cpp - ONNX elementwise math, comparison, logic and cast ops ---===//
#include "ImporterCore.h"

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

void onnx_import::registerMathOps(OpRegistry &r) {}
