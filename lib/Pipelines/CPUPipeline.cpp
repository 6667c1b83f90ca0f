//===- CPUPipeline.cpp - From TOSA + qopt to the LLVM dialect -------------===//
//
// Upstream passes do the lowering; qopt adds only its own conversions.
//
//===----------------------------------------------------------------------===//
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "qopt/Conversion/Passes.h"
#include "qopt/Dialect/QOpt/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;

qopt::CPUStages qopt::getCPUStages() {
  CPUStages s;
  s.lowerToLinalg = llvm::join(
      llvm::ArrayRef<llvm::StringRef>{
          "canonicalize",
          // Dequantize -> matmul/conv (QDQ models, the int8 recipe) as
          // integer kernels; what is left emulates in float.
          "func.func(qopt-fuse-qdq)",
          // NCHW <-> NHWC transposes around convolutions cancel through
          // the elementwise ops between them.
          "func.func(tosa-reduce-transposes)",
          "convert-qopt-to-linalg",
          "func.func(tosa-optional-decompositions,tosa-to-linalg-named,"
          "tosa-to-linalg,tosa-to-arith,tosa-to-tensor)",
          "canonicalize",
          "convert-elementwise-to-linalg",
          // Upstream's elementwise fusion, except into matrix products.
          "func.func(qopt-fuse-elementwise,linalg-fold-unit-extent-dims)",
          "canonicalize",
          "cse",
          // Weight layout changes fold before the strategy sees the
          // filters, and again after it picks new layouts.
          "func.func(qopt-fold-constant-transposes)",
          "qopt-cpu-kernel-strategy",
          // Biases and residuals become the products' initial values.
          "func.func(qopt-fold-constant-transposes,"
          "qopt-fold-add-into-contraction)",
          // 4-bit weight products last: the passes above rebuild generics
          // and would drop the kernel marker.
          "func.func(qopt-lower-matmul-nbits)", "canonicalize"},
      ",");
  s.bufferize = llvm::join(
      llvm::ArrayRef<llvm::StringRef>{
          "one-shot-bufferize{bufferize-function-boundaries "
          "function-boundary-type-conversion=identity-layout-map}",
          "buffer-results-to-out-params{hoist-static-allocs "
          "modify-public-functions}",
          "canonicalize"},
      ",");
  s.planBuffers = llvm::join(
      llvm::ArrayRef<llvm::StringRef>{
          // Planned buffers become views of the arena; whatever could not
          // be planned (dynamic shapes) is freed by upstream deallocation.
          "qopt-plan-buffers", "buffer-deallocation-pipeline", "canonicalize"},
      ",");
  s.lowerToLLVM = llvm::join(
      llvm::ArrayRef<llvm::StringRef>{
          // Matrix products and convolutions run on the runtime's packed
          // GEMM kernel; the rest becomes loops.
          "qopt-cpu-ukernels",
          // Elementwise loops and row reductions as vector code (upstream
          // tiling and linalg vectorisation); sums may be reassociated, and
          // a row's sum is then a tree of vector adds.
          "func.func(qopt-reassociate-reductions,qopt-vectorize-elementwise)",
          "canonicalize",
          "convert-linalg-to-loops", "lower-affine", "convert-scf-to-cf",
          // bf16/f16 arithmetic and math run in f32 registers, a chain of
          // them rounding once (qopt-excess-precision); bf16 rounding is
          // expanded inline (no libgcc soft-float helpers).
          "func.func(qopt-excess-precision)",
          "math-extend-to-supported-types",
          // erf/exp/tanh/log as polynomials: loops calling libm do not
          // vectorise.
          "func.func(qopt-math-approximations)",
          "arith-emulate-unsupported-floats{source-types=bf16,f16 "
          "target-type=f32}",
          // f32 -> bf16 rounding that stays vector code on x86 (upstream's
          // ends in a select that LLVM runs per element there).
          "func.func(qopt-expand-bf16-truncation)",
          "arith-expand{include-bf16}",
          "convert-vector-to-scf", "lower-affine", "convert-scf-to-cf",
          "expand-strided-metadata", "lower-affine", "convert-vector-to-llvm",
          "convert-ub-to-llvm", "finalize-memref-to-llvm",
          "convert-math-to-llvm", "convert-math-to-libm",
          "convert-arith-to-llvm", "convert-cf-to-llvm",
          "convert-func-to-llvm", "convert-index-to-llvm",
          "reconcile-unrealized-casts"},
      ",");
  return s;
}

llvm::StringRef qopt::getAvailableRecipes() {
  return "fp32, bf16, f16, int8, int8-dynamic, llm-int8, int4, int4-gptq, "
         "int4-awq, nf4";
}

bool qopt::recipeNeedsCalibration(llvm::StringRef recipe) {
  llvm::SmallVector<llvm::StringRef> parts;
  recipe.split(parts, ',', -1, /*KeepEmpty=*/false);
  return llvm::any_of(parts, [](llvm::StringRef r) {
    return r.trim() == "int8" || recipeNeedsLayerInputs(r.trim());
  });
}

llvm::StringRef qopt::int4MethodOf(llvm::StringRef recipe) {
  return llvm::StringSwitch<llvm::StringRef>(recipe.trim())
      .Case("int4", "rtn")
      .Case("int4-gptq", "gptq")
      .Case("int4-awq", "awq")
      .Case("nf4", "nf4")
      .Default("");
}

int64_t qopt::int4EmbeddingGroup(int64_t group) {
  // On the decoder test model the table's error is the largest single loss:
  // mean output cosine 0.9788 with groups of 128, 0.9811 with 32, for 2%
  // more weight bytes.
  return std::min<int64_t>(group, 32);
}

int64_t qopt::int4Group(llvm::StringRef recipe, int64_t group) {
  if (group)
    return group;
  return int4MethodOf(recipe) == "nf4" ? 64 : 128; // QLoRA's block for NF4
}

bool qopt::recipeNeedsLayerInputs(llvm::StringRef recipe) {
  llvm::SmallVector<llvm::StringRef> parts;
  recipe.split(parts, ',', -1, /*KeepEmpty=*/false);
  return llvm::any_of(parts, [](llvm::StringRef r) {
    return r.trim() == "int4-gptq" || r.trim() == "int4-awq";
  });
}

std::string qopt::getRecipePipelineText(const RecipeOptions &options,
                                        std::string &error) {
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(options.recipe).split(parts, ',', -1, /*KeepEmpty=*/false);
  std::string precision;
  std::string weights; // the quantizing recipe (at most one)
  for (llvm::StringRef r : parts) {
    r = r.trim();
    if (r == "fp32")
      continue;
    if (r == "int8-dynamic" || r == "int8" || r == "llm-int8" ||
        !int4MethodOf(r).empty()) {
      if (!weights.empty() && weights != r) {
        error = "recipes " + weights + " and " + r.str() + " exclude each other";
        return "";
      }
      weights = r.str();
      continue;
    }
    if (r == "bf16" || r == "f16") {
      if (!precision.empty() && precision != r) {
        error = "recipes " + precision + " and " + r.str() + " exclude each other";
        return "";
      }
      precision = r.str();
      continue;
    }
    error = "unknown recipe '" + r.str() + "' (available: " +
            getAvailableRecipes().str() + ")";
    return "";
  }
  // Weights are quantized from their f32 values, before any cast to a
  // reduced type; what stays in float then follows the precision recipe.
  std::string quantize;
  if (weights == "int8-dynamic") {
    quantize = "func.func(qopt-quantize-dynamic),canonicalize";
  } else if (weights == "llm-int8") {
    quantize = "func.func(qopt-quantize-llm-int8{threshold=" +
               std::to_string(options.llmInt8Threshold) + "}),canonicalize";
  } else if (weights == "int8") {
    std::string table = options.calibrationTable.empty()
                            ? "CALIBRATION_TABLE.json"
                            : options.calibrationTable;
    quantize = "func.func(qopt-insert-qdq{activations=" +
               options.int8Activations + " calibration-table=\"" + table + "\"";
    if (!options.calibrationMethod.empty())
      quantize += " method=" + options.calibrationMethod;
    if (options.percentile != 0)
      quantize += " percentile=" + std::to_string(options.percentile);
    quantize += "}),canonicalize";
  }
  // Every int8 recipe stores embedding tables as int8 too.
  if (!quantize.empty())
    quantize = "func.func(qopt-quantize-embeddings)," + quantize;
  // Weight-only 4-bit: matmul weights and embedding tables in groups.
  if (std::string method = int4MethodOf(weights).str(); !method.empty()) {
    int64_t group = int4Group(weights, options.group);
    std::string g = std::to_string(group);
    std::string eg = std::to_string(int4EmbeddingGroup(group));
    quantize = "func.func(qopt-quantize-embeddings{bits=4 group=" + eg +
               "},qopt-quantize-weights{method=" + method + " group=" + g +
               " format=" + options.int4Format +
               " activations=" + options.int4Activations;
    if (method == "gptq" || method == "awq")
      quantize += " calibration-data=\"" +
                  (options.layerInputsDir.empty() ? std::string("LAYER_INPUTS")
                                                  : options.layerInputsDir) +
                  "\"";
    if (!options.keepFloatLayers.empty())
      quantize += " keep=" + llvm::join(options.keepFloatLayers, ",");
    quantize += "}),canonicalize";
  }
  if (precision.empty())
    return quantize;
  if (!quantize.empty())
    quantize += ",";
  std::string keep;
  for (const std::string &k : options.keepF32)
    keep += (keep.empty() ? "" : ",") + k;
  std::string cast = "qopt-cast-precision{to=" + precision +
                     (keep.empty() ? "" : " keep-f32=" + keep) + "}";
  // Dequantize -> matmul/conv (static int8, QDQ models) becomes integer
  // before the cast would put a bf16 cast between them.
  return quantize + "func.func(qopt-fuse-qdq," + cast +
         ",qopt-fold-casts),canonicalize,func.func(qopt-fold-casts)";
}

std::string qopt::getCPUPipelineText() {
  CPUStages s = getCPUStages();
  return "builtin.module(" + s.lowerToLinalg + "," + s.bufferize + "," +
         s.planBuffers + "," + s.lowerToLLVM + ")";
}

//===----------------------------------------------------------------------===//
// qopt-compile's stages and insertion points
//===----------------------------------------------------------------------===//

namespace {
struct PointInfo {
  qopt::InsertionPoint point;
  llvm::StringLiteral name;
  llvm::StringLiteral description;
};
} // namespace

static constexpr PointInfo kPoints[] = {
    {qopt::InsertionPoint::AfterImport, "after-import",
     "the module as imported (@main), before the recipe"},
    {qopt::InsertionPoint::BeforeLowering, "before-lowering",
     "after the recipe, before lower-to-linalg (TOSA + qopt)"},
    {qopt::InsertionPoint::AfterBufferize, "after-bufferize",
     "after one-shot bufferization, before qopt-plan-buffers (memrefs)"},
    {qopt::InsertionPoint::BeforeLLVM, "before-llvm",
     "after buffer planning, before lower-to-llvm"},
};

llvm::ArrayRef<qopt::InsertionPoint> qopt::getInsertionPoints() {
  static const auto points = [] {
    llvm::SmallVector<InsertionPoint, 4> v;
    for (const PointInfo &p : kPoints)
      v.push_back(p.point);
    return v;
  }();
  return points;
}

llvm::StringRef qopt::getInsertionPointName(InsertionPoint point) {
  for (const PointInfo &p : kPoints)
    if (p.point == point)
      return p.name;
  llvm_unreachable("unknown insertion point");
}

llvm::StringRef qopt::getInsertionPointDescription(InsertionPoint point) {
  for (const PointInfo &p : kPoints)
    if (p.point == point)
      return p.description;
  llvm_unreachable("unknown insertion point");
}

/// `builtin.module(X)` -> `X` when the outer parentheses enclose the rest.
static llvm::StringRef unwrapModuleAnchor(llvm::StringRef text) {
  llvm::StringRef inner = text;
  if (!inner.consume_front("builtin.module(") || !inner.ends_with(")"))
    return text;
  int depth = 1;
  for (size_t i = 0, e = inner.size(); i < e; ++i) {
    depth += inner[i] == '(' ? 1 : inner[i] == ')' ? -1 : 0;
    if (depth == 0)
      return i + 1 == e ? inner.drop_back().trim() : text;
  }
  return text;
}

LogicalResult qopt::parsePassInsertion(llvm::StringRef spec,
                                       PassInsertion &out, std::string &error) {
  auto [pointName, pipeline] = spec.split(':');
  pointName = pointName.trim();
  std::string names;
  for (const PointInfo &p : kPoints) {
    names += (names.empty() ? "" : ", ") + p.name.str();
    if (p.name == pointName) {
      out.point = p.point;
      out.pipeline = unwrapModuleAnchor(pipeline.trim()).str();
      if (out.pipeline.empty()) {
        error = "--insert-pass=" + spec.str() + ": no passes after '" +
                pointName.str() + ":'";
        return failure();
      }
      return success();
    }
  }
  error = "--insert-pass=" + spec.str() + ": unknown insertion point '" +
          pointName.str() + "' (expected POINT:PIPELINE, POINT one of " +
          names + ")";
  return failure();
}

LogicalResult qopt::verifyPassInsertion(const PassInsertion &insertion,
                                        std::string &error) {
  registerPipelinePasses();
  OpPassManager pm("builtin.module");
  std::string message;
  llvm::raw_string_ostream es(message);
  if (succeeded(addPipelineText(pm, insertion.pipeline, es)))
    return success();
  error = "--insert-pass at '" +
          getInsertionPointName(insertion.point).str() + "': cannot parse '" +
          insertion.pipeline + "': " + llvm::StringRef(message).trim().str();
  return failure();
}

std::vector<qopt::CompileStage>
qopt::getCompileStages(llvm::StringRef recipeText, llvm::StringRef graphSymbol,
                       llvm::ArrayRef<PassInsertion> insertions,
                       const CUDATarget *cuda) {
  auto inserted = [&](InsertionPoint point) {
    llvm::SmallVector<llvm::StringRef> parts;
    for (const PassInsertion &i : insertions)
      if (i.point == point)
        parts.push_back(i.pipeline);
    return parts;
  };
  auto join = [](llvm::ArrayRef<llvm::SmallVector<llvm::StringRef>> groups) {
    std::string text;
    for (const auto &group : groups)
      for (llvm::StringRef part : group)
        if (!part.empty())
          text += (text.empty() ? "" : ",") + part.str();
    return text;
  };
  CPUStages s = getCPUStages();
  if (cuda) {
    s.lowerToLinalg = getCUDALowerToLinalg();
    s.lowerToLLVM = getCUDALowerToLLVM(*cuda);
  }
  std::string prepare = "qopt-prepare-entry{name=" + graphSymbol.str() + "}";
  // BatchNormalization folds into its convolution before any recipe, so
  // that quantization sees the filters that run.
  return {
      {"recipe", join({inserted(InsertionPoint::AfterImport),
                       {prepare, "func.func(qopt-fold-conv-affine)",
                        recipeText}})},
      {"lower-to-linalg",
       join({inserted(InsertionPoint::BeforeLowering), {s.lowerToLinalg}})},
      {"bufferize", join({{s.bufferize},
                          inserted(InsertionPoint::AfterBufferize),
                          {s.planBuffers}})},
      {"lower-to-llvm",
       join({inserted(InsertionPoint::BeforeLLVM), {s.lowerToLLVM}})},
  };
}

std::string qopt::getCompilePipelineText(llvm::ArrayRef<CompileStage> stages) {
  std::string text;
  for (const CompileStage &stage : stages)
    if (!stage.pipeline.empty())
      text += (text.empty() ? "" : ",") + stage.pipeline;
  return "builtin.module(" + text + ")";
}

LogicalResult qopt::addPipelineText(OpPassManager &pm, llvm::StringRef text,
                                    llvm::raw_ostream &errors) {
  return parsePassPipeline(text, pm, errors);
}

void qopt::registerPipelineDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<QOptDialect>();
}

void qopt::registerPipelinePasses() {
  static bool once = [] {
    registerAllPasses();
    registerQOptConversionPasses();
    registerQOptTransformsPasses();
    return true;
  }();
  (void)once;
}

LogicalResult qopt::loadPassPluginsFromCommandLine(int argc, char **argv,
                                                   llvm::raw_ostream &errors) {
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg == "--")
      break;
    if (!arg.consume_front("-"))
      continue;
    arg.consume_front("-");
    if (!arg.consume_front("load-pass-plugin"))
      continue;
    std::string path;
    if (arg.consume_front("="))
      path = arg.str();
    else if (arg.empty() && i + 1 < argc)
      path = argv[++i];
    else
      continue;
    auto plugin = PassPlugin::load(path);
    if (!plugin) {
      errors << "cannot load pass plugin '" << path
             << "': " << llvm::toString(plugin.takeError()) << "\n";
      return failure();
    }
    plugin->registerPassRegistryCallbacks();
  }
  return success();
}

static std::string recipeText(const char *recipe) {
  qopt::RecipeOptions o;
  o.recipe = recipe;
  std::string error;
  return qopt::getRecipePipelineText(o, error);
}

/// Registers one stage under `name`.
static void registerStage(llvm::StringRef name, llvm::StringRef summary,
                          std::string (*getText)()) {
  PassPipelineRegistration<>(
      name, summary, [getText](OpPassManager &pm) {
        if (failed(qopt::addPipelineText(pm, getText(), llvm::errs())))
          llvm::report_fatal_error("invalid built-in qopt pipeline");
      });
}

void qopt::registerQOptPipelines() {
  registerStage("qopt-recipe-bf16",
                "Recipe: bf16 compute, f32 for sensitive ops and accumulation, "
                "casts folded and weights converted at compile time",
                [] { return recipeText("bf16"); });
  registerStage("qopt-recipe-f16",
                "Recipe: f16 compute (saturating casts), f32 for sensitive ops "
                "and accumulation, casts folded",
                [] { return recipeText("f16"); });
  registerStage("qopt-lower-to-linalg",
                "Lower TOSA and qopt ops to linalg on tensors, fused",
                [] { return getCPUStages().lowerToLinalg; });
  registerStage("qopt-bufferize",
                "Bufferize @main with caller-provided output buffers",
                [] {
                  CPUStages s = getCPUStages();
                  return s.bufferize + "," + s.planBuffers;
                });
  registerStage("qopt-lower-to-llvm",
                "Lower bufferized linalg/memref code to the LLVM dialect",
                [] { return getCPUStages().lowerToLLVM; });
  registerStage("qopt-cpu-pipeline",
                "The whole CPU lowering, from TOSA + qopt to the LLVM dialect",
                [] {
                  CPUStages s = getCPUStages();
                  return s.lowerToLinalg + "," + s.bufferize + "," +
                         s.planBuffers + "," + s.lowerToLLVM;
                });
}
