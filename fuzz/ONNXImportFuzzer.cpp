//===- ONNXImportFuzzer.cpp - libFuzzer target: ONNX bytes -> MLIR --------===//
//
// Bytes -> onnx::ModelProto -> qopt's importer -> verified module, through
// the entry point qopt-translate --import-onnx and qopt-compile use. A
// hostile model must end in a diagnostic, never in a crash, a sanitizer
// report, a hang or an allocation beyond libFuzzer's limits.
//
//===----------------------------------------------------------------------===//
#include "qopt/Import/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace mlir;

/// The only directory the model's external data may come from: a private
/// temporary directory holding one data file, so that the fuzzer reaches
/// the offset/length checks without any path that leads into the real
/// file system being acceptable.
static std::string externalDataDir;

static void removeExternalDataDir() {
  llvm::SmallString<256> file(externalDataDir);
  llvm::sys::path::append(file, "weights.bin");
  llvm::sys::fs::remove(file);
  llvm::sys::fs::remove(externalDataDir);
}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  llvm::SmallString<256> dir;
  if (llvm::sys::fs::createUniqueDirectory("qopt-fuzz-onnx", dir)) {
    llvm::errs() << "qopt-fuzz-onnx: cannot create a temporary directory\n";
    std::abort();
  }
  externalDataDir = dir.str().str();
  llvm::SmallString<256> file(dir);
  llvm::sys::path::append(file, "weights.bin");
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec);
  // 1 KiB: the floats 0, 1, ..., 255.
  for (int i = 0; i < 256 && !ec; ++i) {
    float v = (float)i;
    os.write(reinterpret_cast<const char *>(&v), sizeof(v));
  }
  if (ec) {
    llvm::errs() << "qopt-fuzz-onnx: cannot write " << file << "\n";
    std::abort();
  }
  std::atexit(removeExternalDataDir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // One context per input: no state (uniqued types, resources) carries over.
  MLIRContext ctx(MLIRContext::Threading::DISABLED);
  // Diagnostics are the expected outcome for most inputs; printing them
  // would only slow the fuzzer down. QOPT_FUZZ_VERBOSE=1 shows them.
  static const bool verbose = std::getenv("QOPT_FUZZ_VERBOSE");
  ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &diag) {
    if (verbose)
      llvm::errs() << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  qopt::ImportOptions options;
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // importONNXBuffer verifies the module it returns.
  (void)qopt::importONNXBuffer(&ctx, bytes, "fuzz.onnx", externalDataDir,
                               options);
  return 0;
}
