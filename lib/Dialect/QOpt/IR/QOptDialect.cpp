//===- QOptDialect.cpp - The qopt dialect ---------------------------------===//
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

using namespace mlir;
using namespace mlir::qopt;

#include "qopt/Dialect/QOpt/IR/QOptOpsDialect.cpp.inc"

void QOptDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "qopt/Dialect/QOpt/IR/QOptOps.cpp.inc"
      >();
}

Operation *QOptDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  return arith::ConstantOp::materialize(builder, value, type, loc);
}
