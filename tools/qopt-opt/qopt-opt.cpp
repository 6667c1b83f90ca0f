//===- qopt-opt.cpp - mlir-opt with the qopt dialect and passes -----------===//
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include "qopt/Conversion/Passes.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "qopt/Pipelines/Pipelines.h"

int main(int argc, char **argv) {
  mlir::qopt::registerPipelinePasses();
  mlir::qopt::registerQOptPipelines();

  mlir::DialectRegistry registry;
  mlir::qopt::registerPipelineDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "qopt optimizer driver: MLIR passes plus qopt's\n",
      registry));
}
