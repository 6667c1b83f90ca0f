//===- qopt_ext.cpp - qopt._qopt: the compiler as a Python extension ------===//
//
// A thin nanobind layer over qopt's C++ libraries: compile a model (the
// library behind qopt-compile), import ONNX to MLIR text, run a pass
// pipeline on MLIR text, list the registered passes and pipelines. The
// Python side (qopt/__init__.py, qopt/ir.py) wraps these in the public API.
//
// Every MLIR diagnostic is captured into a string and raised as
// qopt.Error; nothing is printed to the terminal. The qopt libraries are
// built without C++ exceptions, so no exception may cross them: callbacks
// from the compiler into Python catch everything and re-raise afterwards.
//
//===----------------------------------------------------------------------===//
#include "qopt/Compile/Compiler.h"
#include "qopt/Dialect/QOpt/IR/NodeLocation.h"
#include "qopt/Import/ONNXImporter.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <unistd.h>

namespace nb = nanobind;
using namespace mlir;

namespace {

/// Raised as qopt.Error (qopt._runtime.Error) in Python.
struct QOptError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Collects the context's diagnostics as text, formatted as qopt-compile
/// prints them ("FILE: error: message", notes on their own lines).
class DiagnosticCapture {
public:
  explicit DiagnosticCapture(MLIRContext &ctx)
      : handler(&ctx, [this](Diagnostic &d) {
          record(d);
          return success();
        }) {}

  /// The errors (with their notes), or `fallback` when there were none.
  std::string errors(llvm::StringRef fallback) const {
    return errorText.empty() ? fallback.str() : errorText;
  }
  const std::vector<std::string> &warnings() const { return warningList; }

private:
  void record(Diagnostic &d) {
    std::string text;
    llvm::raw_string_ostream os(text);
    if (auto f = qopt::getFileLoc(d.getLocation()))
      if (!f->getFilename().getValue().empty()) {
        os << f->getFilename().getValue();
        if (f->getLine()) // MLIR text; ONNX files are located at 0:0
          os << ":" << f->getLine() << ":" << f->getColumn();
        os << ": ";
      }
    bool error = d.getSeverity() == DiagnosticSeverity::Error;
    bool warning = d.getSeverity() == DiagnosticSeverity::Warning;
    os << (error ? "error" : warning ? "warning" : "note") << ": " << d.str();
    if (auto node = qopt::getNodeOrigin(d.getLocation()))
      if (!node->nodeName.empty() &&
          !llvm::StringRef(d.str()).contains(node->nodeName))
        os << " (node '" << node->nodeName << "', " << node->opType << ")";
    for (Diagnostic &n : d.getNotes())
      os << "\n  note: " << n.str();
    if (warning) {
      warningList.push_back(text);
    } else {
      if (!errorText.empty())
        errorText += "\n";
      errorText += text;
    }
  }

  std::string errorText;
  std::vector<std::string> warningList;
  ScopedDiagnosticHandler handler;
};

/// Registers every pass and pipeline qopt-opt knows, once per process,
/// and the pass manager's command-line options (at their defaults: the
/// compiler applies them to every stage and fails where they are absent).
void ensureRegistered() {
  static std::once_flag once;
  std::call_once(once, [] {
    qopt::registerPipelinePasses();
    qopt::registerQOptPipelines();
    registerPassManagerCLOptions();
  });
}

using ShapeList = std::vector<std::pair<std::string, std::vector<int64_t>>>;

qopt::ImportOptions importOptions(const ShapeList &shapes) {
  qopt::ImportOptions options;
  for (const auto &[name, dims] : shapes)
    options.inputShapes[name] = dims;
  return options;
}

OpPrintingFlags printingFlags(bool debugInfo, bool elideWeights) {
  OpPrintingFlags flags;
  if (debugInfo)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  if (elideWeights) {
    flags.elideLargeElementsAttrs(16);
    flags.elideLargeResourceString(64);
  }
  return flags;
}

std::string printOp(Operation *op, bool debugInfo, bool elideWeights) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os, printingFlags(debugInfo, elideWeights));
  return text;
}

/// Compiles `input` to the library `output` and writes the JSON report to
/// `reportPath`. Returns the warnings. `onStep` (may be None) is called
/// with each step's name, with the GIL held.
std::vector<std::string>
compileModel(const std::string &input, const std::string &output,
             const std::string &recipe, const ShapeList &shapes,
             const std::vector<std::string> &keepF32,
             const std::string &runtimePrefix, const std::string &reportPath,
             const std::string &dumpIRDir, const std::string &memoryPlotPath,
             const std::string &validateInputsDir,
             const std::string &calibrationDir,
             const std::string &calibrationTable,
             const std::string &calibrationMethod, int64_t group,
             const std::string &int4Format, uint64_t memoryBudget,
             double minCosine, nb::object onStep) {
  ensureRegistered();
  qopt::CompileOptions opts;
  opts.inputPath = input;
  opts.outputPath = output;
  opts.recipe = recipe;
  opts.import = importOptions(shapes);
  opts.keepF32 = keepF32;
  opts.runtimePrefix = runtimePrefix;
  opts.dumpIRDir = dumpIRDir;
  opts.memoryPlotPath = memoryPlotPath;
  opts.validateInputsDir = validateInputsDir;
  opts.calibrationDir = calibrationDir;
  opts.calibrationTablePath = calibrationTable;
  opts.calibrationMethod = calibrationMethod;
  opts.group = group;
  if (!int4Format.empty())
    opts.int4Format = int4Format;
  opts.memoryBudget = memoryBudget;
  opts.minCosine = minCosine;

  std::exception_ptr callbackError;
  if (!onStep.is_none())
    opts.onStep = [&](llvm::StringRef step) {
      if (callbackError)
        return;
      nb::gil_scoped_acquire gil;
      try {
        onStep(nb::str(step.data(), step.size()));
      } catch (...) {
        callbackError = std::current_exception();
      }
    };

  MLIRContext context;
  DiagnosticCapture diagnostics(context);
  qopt::CompileReport report;
  bool ok;
  {
    nb::gil_scoped_release release;
    ok = succeeded(qopt::compileModel(context, opts, report)) &&
         (reportPath.empty() ||
          succeeded(qopt::writeReport(report, reportPath)));
  }
  if (callbackError)
    std::rethrow_exception(callbackError);
  if (!ok)
    throw QOptError(diagnostics.errors("compiling '" + input + "' failed"));
  return diagnostics.warnings();
}

std::string importONNX(const std::string &path, const ShapeList &shapes,
                       bool debugInfo, bool elideWeights) {
  MLIRContext context;
  DiagnosticCapture diagnostics(context);
  OwningOpRef<ModuleOp> module =
      qopt::importONNXFile(&context, path, importOptions(shapes));
  if (!module)
    throw QOptError(diagnostics.errors("importing '" + path + "' failed"));
  return printOp(*module, debugInfo, elideWeights);
}

/// The pipeline's elements at top level (commas outside () and {}).
llvm::SmallVector<llvm::StringRef> splitElements(llvm::StringRef text) {
  llvm::SmallVector<llvm::StringRef> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '(' || c == '{')
      ++depth;
    else if (c == ')' || c == '}')
      --depth;
    else if (c == ',' && depth == 0) {
      parts.push_back(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push_back(text.drop_front(start).trim());
  return parts;
}

/// Implicit nesting for textual pipelines: a pass element restricted to
/// another op than `anchor` (a func.func pass under builtin.module) is
/// wrapped in a pipeline on that op, as mlir-opt's --PASS options do.
std::string nestElements(llvm::StringRef anchor, llvm::StringRef elements) {
  std::string out;
  for (llvm::StringRef element : splitElements(elements)) {
    std::string piece = element.str();
    llvm::StringRef name = element.take_until(
        [](char c) { return c == '(' || c == '{' || llvm::isSpace(c); });
    bool isPipeline = element.drop_front(name.size()).ltrim().starts_with("(");
    if (!isPipeline && anchor != "any")
      if (const PassInfo *info = PassInfo::lookup(name)) {
        // An op-agnostic scratch manager accepts any pass; the pass then
        // tells which op it is restricted to.
        OpPassManager scratch(OpPassManager::Nesting::Implicit);
        if (succeeded(info->addToPipeline(
                scratch, "", [](const llvm::Twine &) { return failure(); })) &&
            scratch.size() == 1) {
          std::optional<llvm::StringRef> op = scratch.begin()->getOpName();
          if (op && *op != anchor)
            piece = (*op + "(" + element + ")").str();
        }
      }
    out += (out.empty() ? "" : ",") + piece;
  }
  return out;
}

std::string runPipeline(const std::string &source, const std::string &pipeline,
                        bool debugInfo, bool elideWeights) {
  ensureRegistered();
  DialectRegistry registry;
  qopt::registerPipelineDialects(registry);
  MLIRContext context(registry);
  DiagnosticCapture diagnostics(context);

  ParserConfig config(&context);
  OwningOpRef<Operation *> op =
      parseSourceString(source, config, /*sourceName=*/"<mlir>");
  if (!op)
    throw QOptError(diagnostics.errors("cannot parse the MLIR input"));

  // `anchor(elements)`: the elements are added with implicit nesting, so
  // that `builtin.module(qopt-fold-casts)` runs the function pass on every
  // function, as qopt-opt's pass-name options do.
  llvm::StringRef text = llvm::StringRef(pipeline).trim();
  size_t open = text.find('(');
  llvm::StringRef anchor = text.take_front(open).trim();
  if (open == llvm::StringRef::npos || !text.ends_with(")") || anchor.empty())
    throw QOptError("invalid pass pipeline '" + pipeline +
                    "': expected an anchored pipeline such as "
                    "'builtin.module(canonicalize,func.func(qopt-fold-casts))'");
  std::string elements =
      nestElements(anchor, text.drop_front(open + 1).drop_back());
  PassManager pm(&context, anchor, OpPassManager::Nesting::Implicit);
  std::string parseErrors;
  llvm::raw_string_ostream es(parseErrors);
  if (failed(parsePassPipeline(elements, pm, es)))
    throw QOptError("invalid pass pipeline '" + pipeline + "':\n" +
                    diagnostics.errors("") +
                    llvm::StringRef(parseErrors).trim().str());
  if (anchor != "any" && op->getName().getStringRef() != anchor)
    throw QOptError("the pipeline is anchored on '" + anchor.str() +
                    "' but the input's top-level op is '" +
                    op->getName().getStringRef().str() + "'");
  bool ok;
  {
    nb::gil_scoped_release release;
    ok = succeeded(pm.run(*op));
  }
  if (!ok)
    throw QOptError(diagnostics.errors("the pipeline '" + pipeline + "' failed"));
  return printOp(*op, debugInfo, elideWeights);
}

/// Runs `fn` with the process's stdout (file descriptor 1) sent to a
/// temporary file, and returns what it wrote: MLIR prints its pass registry
/// only to llvm::outs().
template <typename Fn> std::string captureStdout(Fn fn) {
  llvm::outs().flush();
  std::fflush(stdout);
  std::FILE *tmp = std::tmpfile();
  if (!tmp)
    throw QOptError("cannot create a temporary file");
  int saved = dup(1);
  dup2(fileno(tmp), 1);
  fn();
  llvm::outs().flush();
  std::fflush(stdout);
  dup2(saved, 1);
  close(saved);
  std::string text;
  std::rewind(tmp);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, tmp)) > 0)
    text.append(buf, n);
  std::fclose(tmp);
  return text;
}

/// The registered passes and pass pipelines with their options, as
/// mlir-opt's --help prints them ("Passes:" and "Pass Pipelines:"
/// sections); qopt/ir.py parses it.
std::string registeredPassesText() {
  ensureRegistered();
  static constexpr const char *kHelp =
      "Passes and pass pipelines registered with qopt";
  static std::once_flag once;
  // The parser registers a command-line option whose help lists every pass
  // and pipeline of the registry; it lives as long as the process.
  std::call_once(once, [] { new PassPipelineCLParser("qopt-python-passes", kHelp); });
  llvm::cl::Option *option = nullptr;
  for (auto &entry : llvm::cl::getRegisteredOptions())
    if (entry.second->HelpStr == kHelp)
      option = entry.second;
  if (!option)
    throw QOptError("the pass registry listing is unavailable");
  return captureStdout(
      [&] { option->printOptionInfo(option->getOptionWidth()); });
}

/// What qopt.compile runs after import, as one anchored pipeline.
std::string compilePipeline(const std::string &recipe,
                            const std::vector<std::string> &keepF32) {
  qopt::RecipeOptions options;
  options.recipe = recipe;
  options.keepF32 = keepF32;
  std::string error;
  std::string recipeText = qopt::getRecipePipelineText(options, error);
  if (!error.empty())
    throw QOptError(error);
  // The graph's symbol in compiled libraries (Compiler.cpp's kGraphSymbol).
  return qopt::getCompilePipelineText(
      qopt::getCompileStages(recipeText, "qopt_graph", {}));
}

} // namespace

NB_MODULE(_qopt, m) {
  m.doc() = "qopt's compiler (C++), wrapped by the qopt package";

  // qopt.Error is defined in pure Python (qopt._runtime) so that loading
  // a compiled model needs no extension; the compiler raises the same class.
  static PyObject *errorType =
      nb::object(nb::module_::import_("qopt._runtime").attr("Error"))
          .release()
          .ptr();
  nb::register_exception_translator(
      [](const std::exception_ptr &p, void *type) {
        try {
          std::rethrow_exception(p);
        } catch (const QOptError &e) {
          PyErr_SetString(static_cast<PyObject *>(type), e.what());
        }
      },
      errorType);

  m.def("compile_model", &compileModel, nb::arg("input"), nb::arg("output"),
        nb::arg("recipe"), nb::arg("input_shapes"), nb::arg("keep_f32"),
        nb::arg("runtime_prefix"), nb::arg("report_path"),
        nb::arg("dump_ir_dir"), nb::arg("memory_plot"),
        nb::arg("validate_inputs"), nb::arg("calibration_dir"),
        nb::arg("calibration_table"), nb::arg("calibration_method"),
        nb::arg("group"), nb::arg("int4_format"), nb::arg("memory_budget"),
        nb::arg("min_cosine"), nb::arg("on_step").none(),
        "Compiles an ONNX file to a model library; returns the warnings.");
  m.def("import_onnx", &importONNX, nb::arg("path"), nb::arg("input_shapes"),
        nb::arg("debug_info"), nb::arg("elide_weights"),
        "Imports an ONNX file; returns the module as MLIR text.");
  m.def("run_pipeline", &runPipeline, nb::arg("source"), nb::arg("pipeline"),
        nb::arg("debug_info"), nb::arg("elide_weights"),
        "Parses MLIR text, runs the anchored pass pipeline, prints the result.");
  m.def("registered_passes_text", &registeredPassesText,
        "The registered passes and pipelines, as mlir-opt --help lists them.");
  m.def("compile_pipeline", &compilePipeline, nb::arg("recipe"),
        nb::arg("keep_f32"),
        "The pipeline compile_model runs after import, as anchored text.");
  m.def("available_recipes",
        [] { return mlir::qopt::getAvailableRecipes().str(); },
        "The recipes the compiler accepts, comma-separated.");
}
