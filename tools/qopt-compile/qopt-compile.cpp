//===- qopt-compile.cpp - ONNX model to a shared library ------------------===//
#include "qopt/Compile/Compiler.h"
#include "qopt/Dialect/QOpt/IR/NodeLocation.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

static cl::OptionCategory category("qopt-compile options");

static cl::opt<std::string> inputPath(cl::Positional, cl::desc("MODEL.onnx"),
                                      cl::cat(category));
static cl::opt<std::string> outputPath(
    "o", cl::desc("Output library (model.so; the header is written beside it "
                  "as model.h)"),
    cl::value_desc("OUT.so"), cl::cat(category));
static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Static shape of an input, NAME=D0xD1x... (repeatable); needed "
             "for every symbolic dimension"),
    cl::value_desc("NAME=DxD"), cl::cat(category));
static cl::opt<std::string> recipe(
    "recipe",
    cl::desc("Memory-reduction recipe(s), comma-joined: fp32 (default), bf16 "
             "(bf16 compute, sensitive ops in f32), f16, int8 (static: int8 "
             "weights per channel and activations per tensor, calibrated; "
             "needs --calibration or --calibration-table), int8-dynamic "
             "(activation scales computed at run time), llm-int8 (vector-wise "
             "int8, outlier feature columns in f32), int4 (weight-only 4-bit, "
             "round to nearest in groups of 128), int4-gptq and int4-awq "
             "(error-compensated / activation-aware; need --calibration), "
             "nf4 (QLoRA's normal-float codebook, groups of 64); e.g. "
             "int8,bf16 or bf16,int4"),
    cl::value_desc("R[,R...]"), cl::init("fp32"), cl::cat(category));
static cl::list<std::string> keepF32(
    "keep-f32",
    cl::desc("With bf16/f16: also keep these ONNX op types (Softmax) or nodes "
             "(node:NAME) in f32"),
    cl::CommaSeparated, cl::value_desc("OP|node:NAME,..."), cl::cat(category));
static cl::opt<std::string> emit(
    "emit",
    cl::desc("What to write: so (library + header), obj, mlir (LLVM dialect), "
             "llvm (LLVM IR), ptx (--target cuda: the kernels' PTX), onnx (with --recipe int8: the source model as "
             "a standard QDQ model with qopt's scales, zero points and int8 "
             "weights, for onnxruntime and other runtimes)"),
    cl::init("so"), cl::cat(category));
static cl::opt<std::string> target(
    "target",
    cl::desc("What the library runs on: cpu (this host), or cuda / "
             "cuda:sm_XX for NVIDIA GPUs (default sm_80; the kernels are "
             "assembled by the CUDA toolkit's ptxas at compile time, and the "
             "library loads the CUDA driver when a model is created)"),
    cl::value_desc("cpu|cuda[:sm_XX]"), cl::init("cpu"), cl::cat(category));
static cl::opt<std::string> cudaToolkit(
    "cuda-toolkit",
    cl::desc("CUDA toolkit root for --target cuda (bin/ptxas, bin/fatbinary, "
             "nvvm/libdevice); default $CUDA_HOME, else /usr/local/cuda"),
    cl::value_desc("DIR"), cl::cat(category));
static cl::opt<std::string> reportPath(
    "report", cl::desc("Write the compile report (JSON) to this file"),
    cl::value_desc("FILE.json"), cl::cat(category));
static cl::opt<std::string> dumpIR(
    "dump-ir", cl::desc("Write the module after each stage to DIR/NN-stage.mlir"),
    cl::value_desc("DIR"), cl::cat(category));
static cl::opt<std::string> memoryPlot(
    "memory-plot",
    cl::desc("Draw the buffer plan as SVG: buffers over program points and "
             "arena offsets, with the lower bound"),
    cl::value_desc("FILE.svg"), cl::cat(category));
static cl::opt<std::string> validateInputs(
    "validate-inputs",
    cl::desc("Compare every output with the FP32 compile of the same model on "
             "these inputs (input_K.pb, or one sub-directory per sample); the "
             "report gets max_abs_error, max_rel_error and cosine per output"),
    cl::value_desc("DIR"), cl::cat(category));
static cl::opt<std::string> calibrationDir(
    "calibration",
    cl::desc("int8: calibrate on these sample inputs (qopt-run's layout: one "
             "sub-directory of input_K.pb or NAME.npy files per sample); the "
             "FP32 model runs on each and the range of every quantized "
             "activation is measured"),
    cl::value_desc("DIR"), cl::cat(category));
static cl::opt<std::string> calibrationTable(
    "calibration-table",
    cl::desc("int8: with --calibration, save the measured statistics (JSON) "
             "here; without, reuse a table saved so"),
    cl::value_desc("FILE.json"), cl::cat(category));
static cl::opt<std::string> calibrationMethod(
    "calibration-method",
    cl::desc("int8: how a range is chosen from the statistics: percentile "
             "(default, 99.999), entropy (KL, TensorRT-style), mse or minmax; "
             "also re-chooses from a saved table"),
    cl::value_desc("METHOD"), cl::cat(category));
static cl::opt<double> calibrationPercentile(
    "calibration-percentile",
    cl::desc("int8 with the percentile method: the percentage of |x| the "
             "range keeps (default 99.999)"),
    cl::value_desc("P"), cl::init(0), cl::cat(category));
static cl::opt<std::string> int8Activations(
    "int8-activations",
    cl::desc("int8: the activation grid: asymmetric (int8 with a zero point, "
             "default), symmetric (int8, zero point 0) or unsigned (uint8)"),
    cl::value_desc("GRID"), cl::init("asymmetric"), cl::cat(category));
static cl::opt<double> llmInt8Threshold(
    "llm-int8-threshold",
    cl::desc("llm-int8: a feature column with any |x| above this is computed "
             "in f32 (default 6.0, as in LLM.int8())"),
    cl::value_desc("T"), cl::init(6.0), cl::cat(category));
static cl::opt<int64_t> group(
    "group",
    cl::desc("int4 recipes: weights per scale along K (a power of two >= 16; "
             "default 128, 64 for nf4)"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));
static cl::opt<std::string> int4Format(
    "int4-format",
    cl::desc("int4, int4-gptq, int4-awq: symmetric (codes around 8, "
             "onnxruntime's default) or asymmetric (a zero point per group)"),
    cl::value_desc("GRID"), cl::init("symmetric"), cl::cat(category));
static cl::opt<std::string> int4Activations(
    "int4-activations",
    cl::desc("int4 recipes: how batch-1 (matrix-vector) products read their "
             "activations: int8 (default; a scale per weight group, integer dot "
             "products, as llama.cpp and onnxruntime's accuracy_level 4) or "
             "f32 (exact)"),
    cl::value_desc("int8|f32"), cl::init("int8"), cl::cat(category));
static cl::opt<std::string> memoryBudget(
    "memory-budget",
    cl::desc("Choose the recipe: the most accurate of fp32, bf16, int8-dynamic, "
             "int8, int4, bf16,int4, int4-gptq, int4-awq and nf4 (and int4 "
             "with its most sensitive layers in f32) whose predicted peak "
             "memory (library + arena + runtime) fits SIZE and whose output "
             "cosine against FP32 on the --calibration samples reaches "
             "--min-cosine; prints every candidate and the choice (also in "
             "--report)"),
    cl::value_desc("SIZE (e.g. 2GiB, 300MiB)"), cl::cat(category));
static cl::opt<double> minCosine(
    "min-cosine",
    cl::desc("With --memory-budget: the accuracy floor, the output cosine "
             "against FP32 (default 0.99)"),
    cl::value_desc("C"), cl::init(0.99), cl::cat(category));
static cl::opt<bool> printPipeline(
    "print-pipeline",
    cl::desc("Print the pass pipeline (runnable by qopt-opt --pass-pipeline) "
             "and exit"),
    cl::cat(category));

// Loaded by loadPassPluginsFromCommandLine, before the options are parsed.
static cl::list<std::string> passPlugins(
    "load-pass-plugin",
    cl::desc("Load passes from a plugin library (repeatable); they can then "
             "be named in --insert-pass"),
    cl::value_desc("LIB.so"), cl::cat(category));

/// --insert-pass's help: the syntax, then every point and where it is.
static std::string insertPassHelp() {
  std::string help =
      "Run the passes PIPELINE (elements of a module pipeline, e.g. "
      "'func.func(my-pass),cse') at POINT (repeatable; in order at one "
      "point). POINT is one of:";
  for (mlir::qopt::InsertionPoint p : mlir::qopt::getInsertionPoints())
    help += "\n  " + mlir::qopt::getInsertionPointName(p).str() + ": " +
            mlir::qopt::getInsertionPointDescription(p).str();
  return help;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  mlir::qopt::registerPipelinePasses();
  std::string pluginError;
  raw_string_ostream pluginErrors(pluginError);
  if (mlir::failed(
          mlir::qopt::loadPassPluginsFromCommandLine(argc, argv, pluginErrors))) {
    errs() << "qopt-compile: error: " << pluginError;
    return 2;
  }
  std::string insertHelp = insertPassHelp();
  cl::list<std::string> insertPasses("insert-pass", cl::desc(insertHelp),
                                     cl::value_desc("POINT:PIPELINE"),
                                     cl::cat(category));
  cl::HideUnrelatedOptions(category);
  // MLIR's own options stay visible: IR printing (--mlir-print-ir-after-all,
  // --mlir-print-ir-before=PASS, ...), --mlir-timing, --mlir-pass-statistics,
  // crash reproducers, --mlir-print-debuginfo, --mlir-disable-threading.
  mlir::registerMLIRContextCLOptions();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  cl::ParseCommandLineOptions(
      argc, argv,
      "qopt-compile: compile an ONNX model into a self-contained shared "
      "library\n\n"
      "  qopt-compile model.onnx -o model.so [--input-shape x=1x3x224x224]\n\n"
      "The library exports the C API of qopt_runtime.h (written beside it as "
      "model.h) and needs only libc, libm and the OpenMP runtime at run "
      "time; with --target cuda it opens the CUDA driver when a model is "
      "created.\n");

  mlir::qopt::CompileOptions opts;
  opts.inputPath = inputPath;
  opts.outputPath = outputPath;
  opts.recipe = recipe;
  opts.keepF32.assign(keepF32.begin(), keepF32.end());
  opts.emit = emit;
  opts.target = target;
  opts.cudaToolkit = cudaToolkit;
  opts.reportPath = reportPath;
  opts.dumpIRDir = dumpIR;
  opts.printPipeline = printPipeline;
  opts.memoryPlotPath = memoryPlot;
  opts.validateInputsDir = validateInputs;
  opts.calibrationDir = calibrationDir;
  opts.calibrationTablePath = calibrationTable;
  opts.calibrationMethod = calibrationMethod;
  opts.percentile = calibrationPercentile;
  opts.int8Activations = int8Activations;
  opts.llmInt8Threshold = llmInt8Threshold;
  opts.group = group;
  opts.int4Format = int4Format;
  opts.int4Activations = int4Activations;
  if (!memoryBudget.empty()) {
    auto bytes = mlir::qopt::parseByteSize(memoryBudget);
    if (!bytes) {
      errs() << "qopt-compile: error: --memory-budget=" << memoryBudget
             << ": expected a size such as 2GiB, 300MiB, 1.5GB or 800000\n";
      return 2;
    }
    opts.memoryBudget = *bytes;
    opts.minCosine = minCosine;
  }
  // On a terminal, the step in progress shows on one line that is then
  // cleared; redirected output gets none of it.
  bool progress = llvm::sys::Process::StandardErrIsDisplayed();
  if (progress)
    opts.onStep = [](llvm::StringRef step) {
      errs() << "\r\x1b[Kqopt-compile: " << step << " ...";
      errs().flush();
    };
  for (const auto &spec : insertPasses) {
    std::string err;
    mlir::qopt::PassInsertion insertion;
    if (mlir::failed(mlir::qopt::parsePassInsertion(spec, insertion, err))) {
      errs() << "qopt-compile: error: " << err << "\n";
      return 2;
    }
    opts.insertions.push_back(std::move(insertion));
  }
  if (!printPipeline) {
    if (inputPath.empty() || outputPath.empty()) {
      errs() << "qopt-compile: error: expected MODEL.onnx and -o OUT.so (see "
                "--help)\n";
      return 2;
    }
  }
  for (const auto &s : inputShapes) {
    std::string err = mlir::qopt::parseInputShape(s, opts.import);
    if (!err.empty()) {
      errs() << "qopt-compile: error: " << err << "\n";
      return 2;
    }
  }

  mlir::MLIRContext context;
  // Diagnostics print as "file: error: message", one per line.
  mlir::ScopedDiagnosticHandler handler(&context, [progress](mlir::Diagnostic &d) {
    if (progress)
      errs() << "\r\x1b[K"; // the progress line gives way to the message
    std::string loc;
    llvm::raw_string_ostream ls(loc);
    if (auto f = mlir::qopt::getFileLoc(d.getLocation()))
      ls << f->getFilename().getValue() << ": ";
    const char *sev = d.getSeverity() == mlir::DiagnosticSeverity::Error
                          ? "error"
                          : d.getSeverity() == mlir::DiagnosticSeverity::Warning
                                ? "warning"
                                : "note";
    errs() << "qopt-compile: " << loc << sev << ": " << d.str() << "\n";
    for (auto &n : d.getNotes())
      errs() << "qopt-compile: note: " << n.str() << "\n";
    return mlir::success();
  });

  mlir::qopt::CompileReport report;
  mlir::LogicalResult compiled = mlir::qopt::compileModel(context, opts, report);
  if (progress)
    errs() << "\r\x1b[K";
  if (mlir::failed(compiled))
    return 1;
  if (!reportPath.empty() &&
      mlir::failed(mlir::qopt::writeReport(report, reportPath))) {
    errs() << "qopt-compile: error: cannot write " << reportPath << "\n";
    return 1;
  }
  return 0;
}
