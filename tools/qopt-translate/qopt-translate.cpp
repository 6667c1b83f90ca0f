//===- qopt-translate.cpp - ONNX <-> MLIR translations --------------------===//
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

#include "qopt/Import/ONNXImporter.h"

#include "llvm/Support/raw_ostream.h"

#include <cstring>

/// `--list-onnx-ops`: the supported ONNX ops as a markdown table (the
/// README's table is this output).
static int listONNXOps() {
  llvm::outs() << "| op | opsets |\n| --- | --- |\n";
  for (const auto &[op, since] : mlir::qopt::getSupportedONNXOps())
    llvm::outs() << "| " << op << " | " << since << "+ |\n";
  return 0;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--list-onnx-ops"))
      return listONNXOps();
  mlir::qopt::registerONNXImportTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "qopt translation driver\n"));
}
