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
#include <vector>

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

/// Options of the memory-reduction recipes.
struct RecipeOptions {
  /// Comma-joined recipes, in the order of DESIGN.md (fp32, bf16, f16).
  std::string recipe = "fp32";
  /// ONNX op types or node:NAME kept in f32 by the precision cast.
  std::vector<std::string> keepF32;
};

/// The recipe stage as pipeline text ("" for fp32), or an error message in
/// `error` for an unknown or ill-combined recipe.
std::string getRecipePipelineText(const RecipeOptions &options,
                                  std::string &error);

/// The recipes qopt-compile accepts, for help and error messages.
llvm::StringRef getAvailableRecipes();

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
