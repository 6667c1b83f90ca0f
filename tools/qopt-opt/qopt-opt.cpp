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
  // MlirOptMain loads --load-pass-plugin libraries while it parses, after
  // the pass flags exist; loading them first also makes the plugins' passes
  // flags (--my-pass) and names for --mlir-print-ir-after=my-pass. Loading
  // a plugin twice registers the same passes again, which is harmless.
  std::string pluginError;
  llvm::raw_string_ostream pluginErrors(pluginError);
  if (mlir::failed(mlir::qopt::loadPassPluginsFromCommandLine(argc, argv,
                                                              pluginErrors))) {
    llvm::errs() << "qopt-opt: error: " << pluginError;
    return 1;
  }

  mlir::DialectRegistry registry;
  mlir::qopt::registerPipelineDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "qopt optimizer driver: MLIR passes plus qopt's\n",
      registry));
}
