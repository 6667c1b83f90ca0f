//===- IRPassesFuzzer.cpp - libFuzzer target: IR text -> qopt passes ------===//
//
// Text -> parse (every dialect qopt-opt registers) -> verify -> qopt's
// passes. Inputs are split at `// -----` like `qopt-opt --split-input-file`
// so that the lit tests' files seed it chunk by chunk. A pass may fail with
// a diagnostic; it must not crash, and what it leaves after succeeding must
// verify and survive a print/parse round trip (qopt's custom assembly).
//
//===----------------------------------------------------------------------===//
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/ToolUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>

using namespace mlir;

/// Each pipeline runs on its own copy of the input, so that one failing
/// pass does not hide the others. The passes are qopt's (the recipe's
/// first, then the lowering helpers that accept arbitrary modules), with
/// canonicalize for the qopt ops' folders and canonicalization patterns.
static const char *const kPipelines[] = {
    "builtin.module(func.func(qopt-fold-casts),canonicalize)",
    "builtin.module(func.func(qopt-cast-precision{to=bf16},qopt-fold-casts))",
    ("builtin.module(func.func(qopt-cast-precision{to=f16 no-default-keep},"
     "qopt-fold-casts))"),
    "builtin.module(func.func(qopt-fold-constant-transposes))",
    "builtin.module(func.func(qopt-fold-conv-affine))",
    "builtin.module(func.func(qopt-fold-add-into-contraction))",
    "builtin.module(func.func(qopt-expand-bf16-truncation))",
    "builtin.module(func.func(qopt-excess-precision))",
    "builtin.module(convert-qopt-to-linalg)",
    "builtin.module(qopt-plan-buffers)",
    "builtin.module(qopt-prepare-entry)",
    // The int8 recipes' passes on arbitrary TOSA + qopt.
    "builtin.module(func.func(qopt-fuse-qdq),canonicalize)",
    "builtin.module(func.func(qopt-insert-observers))",
    "builtin.module(func.func(qopt-quantize-dynamic,qopt-quantize-llm-int8))",
    "builtin.module(func.func(qopt-fuse-elementwise))",
};

static const DialectRegistry &getRegistry() {
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry;
    qopt::registerPipelineDialects(*r);
    qopt::registerPipelinePasses();
    return r;
  }();
  return *registry;
}

static OwningOpRef<ModuleOp> parse(llvm::StringRef text, MLIRContext &ctx) {
  llvm::SourceMgr sourceMgr;
  // A copy: the parser needs a null-terminated buffer.
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text),
                               llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&ctx));
}

static void checkRoundTrip(ModuleOp module, MLIRContext &ctx,
                           llvm::StringRef pipeline) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os);
  if (parse(text, ctx))
    return;
  llvm::errs() << "qopt-fuzz-ir: the IR after '" << pipeline
               << "' does not parse back:\n"
               << text << "\n";
  std::abort();
}

static void processChunk(llvm::StringRef text) {
  MLIRContext ctx(getRegistry(), MLIRContext::Threading::DISABLED);
  // Diagnostics are the expected outcome for most inputs; printing them
  // would only slow the fuzzer down. QOPT_FUZZ_VERBOSE=1 shows them.
  static const bool verbose = std::getenv("QOPT_FUZZ_VERBOSE");
  ScopedDiagnosticHandler quiet(&ctx, [](Diagnostic &diag) {
    if (verbose)
      llvm::errs() << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  OwningOpRef<ModuleOp> input = parse(text, ctx);
  if (!input || failed(verify(*input)))
    return;
  for (const char *pipeline : kPipelines) {
    OwningOpRef<ModuleOp> module = input->clone();
    PassManager pm(&ctx);
    if (failed(parsePassPipeline(pipeline, pm))) {
      llvm::errs() << "qopt-fuzz-ir: cannot parse '" << pipeline << "'\n";
      std::abort();
    }
    // The pass manager verifies after every pass; success means valid IR.
    if (succeeded(pm.run(*module)))
      checkRoundTrip(*module, ctx, pipeline);
  }
}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  (void)getRegistry();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  std::string discard;
  llvm::raw_string_ostream out(discard);
  (void)splitAndProcessBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz.mlir"),
      [](std::unique_ptr<llvm::MemoryBuffer> chunk, raw_ostream &) {
        processChunk(chunk->getBuffer());
        return success();
      },
      out);
  return 0;
}
