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
  /// tensors -> memrefs with caller-provided outputs, every intermediate
  /// a memref.alloc.
  std::string bufferize;
  /// The allocations placed in one arena (qopt-plan-buffers), the rest
  /// freed; part of the `bufferize` stage.
  std::string planBuffers;
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
  /// int8 (static): the calibration table qopt-insert-qdq reads, the
  /// method/percentile overriding the table's ("" / 0: the table's), and
  /// the activation grid (asymmetric, symmetric, unsigned).
  std::string calibrationTable;
  std::string calibrationMethod;
  double percentile = 0;
  std::string int8Activations = "asymmetric";
  /// llm-int8: |x| above which a feature column is computed in f32.
  double llmInt8Threshold = 6.0;
  /// int4 recipes: inputs per scale (0: 128, 64 for nf4), the grid
  /// (symmetric or asymmetric), and for int4-gptq/int4-awq the directory of
  /// layer inputs calibration wrote (qopt/Analysis/LayerInputs.h).
  int64_t group = 0;
  std::string int4Format = "symmetric";
  std::string int4Activations = "int8"; // matrix-vector products: int8, f32
  std::string layerInputsDir;
  /// int4 recipes: layers (calibration keys) left in f32.
  std::vector<std::string> keepFloatLayers;
};

/// The recipe stage as pipeline text ("" for fp32), or an error message in
/// `error` for an unknown or ill-combined recipe.
std::string getRecipePipelineText(const RecipeOptions &options,
                                  std::string &error);

/// Whether a recipe list includes one that needs calibration data (int8,
/// int4-gptq, int4-awq).
bool recipeNeedsCalibration(llvm::StringRef recipe);
/// Whether it needs the inputs of each layer, not only ranges (int4-gptq,
/// int4-awq).
bool recipeNeedsLayerInputs(llvm::StringRef recipe);

/// The qopt-quantize-weights method of a weight-only 4-bit recipe ("rtn"
/// for int4, "gptq", "awq", "nf4"), or "" for any other recipe.
llvm::StringRef int4MethodOf(llvm::StringRef recipe);
/// The group size of a 4-bit recipe: `group` when given (non-zero), else
/// 128, or 64 for nf4.
int64_t int4Group(llvm::StringRef recipe, int64_t group);
/// The group of int4 embedding tables for a recipe's group: at most 32
/// (llama.cpp's Q4_0 block), since a gathered row costs no arithmetic.
int64_t int4EmbeddingGroup(int64_t group);

/// The recipes qopt-compile accepts, for help and error messages.
llvm::StringRef getAvailableRecipes();

/// `builtin.module(<stage>,<stage>,...)`: the whole CPU lowering as text.
std::string getCPUPipelineText();

/// Points of qopt-compile's pipeline where `--insert-pass` adds passes.
enum class InsertionPoint {
  /// The module as imported (`@main`), before anything else runs.
  AfterImport,
  /// After the recipe, before `lower-to-linalg`: TOSA + qopt, quantized.
  BeforeLowering,
  /// After one-shot bufferization, before `qopt-plan-buffers`: memrefs,
  /// every intermediate a `memref.alloc`.
  AfterBufferize,
  /// After buffer planning, before `lower-to-llvm`.
  BeforeLLVM,
};

/// Every insertion point, in pipeline order.
llvm::ArrayRef<InsertionPoint> getInsertionPoints();
/// The point's command-line name (`after-import`, ...).
llvm::StringRef getInsertionPointName(InsertionPoint point);
/// A one-line description of where the point is, for --help.
llvm::StringRef getInsertionPointDescription(InsertionPoint point);

/// Passes to run at an insertion point: the elements of a module-level
/// pass pipeline (`func.func(my-pass),canonicalize`).
struct PassInsertion {
  InsertionPoint point;
  std::string pipeline;
};

/// Parses `POINT:PIPELINE`. A pipeline written as `builtin.module(...)` is
/// unwrapped to its elements. Checks the syntax only: whether the passes
/// exist is known once plugins are loaded (see verifyPassInsertion).
LogicalResult parsePassInsertion(llvm::StringRef spec, PassInsertion &out,
                                 std::string &error);

/// Checks that the inserted pipeline parses with the registered passes.
LogicalResult verifyPassInsertion(const PassInsertion &insertion,
                                  std::string &error);

/// One stage of qopt-compile: a name (for --dump-ir and messages) and the
/// elements of a module pipeline.
struct CompileStage {
  std::string name;
  std::string pipeline;
};

/// The stages qopt-compile runs on the imported module, in order:
///   recipe          [after-import], qopt-prepare-entry{name=...}, recipe
///   lower-to-linalg [before-lowering], lowerToLinalg
///   bufferize       bufferize, [after-bufferize], planBuffers
///   lower-to-llvm   [before-llvm], lowerToLLVM
/// `recipeText` is getRecipePipelineText's result; `graphSymbol` the name
/// the graph function gets in the library.
std::vector<CompileStage>
getCompileStages(llvm::StringRef recipeText, llvm::StringRef graphSymbol,
                 llvm::ArrayRef<PassInsertion> insertions,
                 const struct CUDATarget *cuda = nullptr);

/// The NVIDIA GPU target (`--target cuda[:sm_XX]`).
struct CUDATarget {
  /// The compute capability the kernels are assembled for.
  std::string chip = "sm_80";
  /// The CUDA toolkit root: bin/ptxas, bin/fatbinary, nvvm/libdevice
  /// (qopt-compile's --cuda-toolkit, $CUDA_HOME or /usr/local/cuda).
  std::string toolkit;
  /// gpu-module-to-binary's format: `fatbin` (PTX and the chip's machine
  /// code, assembled by the toolkit's ptxas) or `isa` (PTX text only).
  std::string format = "fatbin";
};

/// Parses `cpu`, `cuda` or `cuda:sm_XX` (XX >= 70). Returns false with
/// `error` set on anything else; `cuda` is empty for the CPU.
bool parseTarget(llvm::StringRef text, std::optional<CUDATarget> &cuda,
                 std::string &error);

/// The GPU stages: lowering to linalg without the CPU kernel strategy, and
/// from planned buffers to GPU kernels in NVVM, assembled into a
/// gpu.binary, with the host side in the LLVM dialect.
std::string getCUDALowerToLinalg();
std::string getCUDALowerToLLVM(const CUDATarget &target);

/// `builtin.module(<stage>,...)`: what qopt-compile runs, as one pipeline
/// for `qopt-opt --pass-pipeline`.
std::string getCompilePipelineText(llvm::ArrayRef<CompileStage> stages);

/// Parses `text` (elements of a module pipeline, no anchor) into `pm`.
LogicalResult addPipelineText(OpPassManager &pm, llvm::StringRef text,
                              llvm::raw_ostream &errors);

/// Registers the dialects, interface models and LLVM IR translations that
/// the pipelines create or need (bufferization models, ConvertToLLVM...).
void registerPipelineDialects(DialectRegistry &registry);

/// Registers every pass the pipelines name (upstream's and qopt's), once.
void registerPipelinePasses();

/// Loads the pass plugins that `argv` names with --load-pass-plugin=LIB (or
/// --load-pass-plugin LIB) and registers their passes, before the command
/// line is parsed: options that name passes (pass flags,
/// --mlir-print-ir-after=PASS) only know the passes registered when they
/// are created. Reports a plugin that cannot be loaded to `errors`.
LogicalResult loadPassPluginsFromCommandLine(int argc, char **argv,
                                             llvm::raw_ostream &errors);

/// Registers `qopt-lower-to-linalg`, `qopt-bufferize`, `qopt-lower-to-llvm`
/// and `qopt-cpu-pipeline` as pass pipelines.
void registerQOptPipelines();

} // namespace mlir::qopt

#endif // QOPT_PIPELINES_PIPELINES_H
