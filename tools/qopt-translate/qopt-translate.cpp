//===- qopt-translate.cpp - ONNX <-> MLIR translations --------------------===//
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

#include "qopt/Import/ONNXImporter.h"

int main(int argc, char **argv) {
  mlir::qopt::registerONNXImportTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "qopt translation driver\n"));
}
