//===- QOptDialect.h - The qopt dialect -------------------------*- C++ -*-===//
#ifndef QOPT_DIALECT_QOPT_IR_QOPTDIALECT_H
#define QOPT_DIALECT_QOPT_IR_QOPTDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Dialect.h"

#include "qopt/Dialect/QOpt/IR/QOptOpsDialect.h.inc"

#endif // QOPT_DIALECT_QOPT_IR_QOPTDIALECT_H
