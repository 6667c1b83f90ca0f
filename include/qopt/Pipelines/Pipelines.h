//===- Pipelines.h - qopt pass pipelines ------------------------*- C++ -*-===//
//
// Pipelines are library functions shared by qopt-opt (as registered pass
// pipelines) and qopt-compile. Each stage is kept as pass-pipeline text so
// that `qopt-compile --print-pipeline` prints exactly what runs.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_PIPELINES_PIPELINES_H
#define QOPT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir::qopt {

/// The stages of the CPU lowering, in order; each is the text of a pass
/// pipeline nested under builtin.module.
struct CPUStages {
  /// tosa + qopt -> linalg/tensor/arith on tensors, fused.
  std::string lowerToLinalg;
  /// tensors -> memrefs with caller-provided outputs.
  std::string bufferize;
  /// memrefs/loops -> the LLVM dialect.
  std::string lowerToLLVM;
};

CPUStages getCPUStages();

/// `builtin.module(<stage>,<stage>,...)`: the whole CPU lowering as text.
std::string getCPUPipelineText();

/// Parses `text` (elements of a module pipeline, no anchor) into `pm`.
LogicalResult addPipelineText(OpPassManager &pm, llvm::StringRef text,
                              llvm::raw_ostream &errors);

/// Registers the dialects, interface models and LLVM IR translations that
/// the pipelines create or need (bufferization models, ConvertToLLVM...).
void registerPipelineDialects(DialectRegistry &registry);

/// Registers every pass the pipelines name (upstream's and qopt's), once.
void registerPipelinePasses();

/// Registers `qopt-lower-to-linalg`, `qopt-bufferize`, `qopt-lower-to-llvm`
/// and `qopt-cpu-pipeline` as pass pipelines.
void registerQOptPipelines();

} // namespace mlir::qopt

#endif // QOPT_PIPELINES_PIPELINES_H
