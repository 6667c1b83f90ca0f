//===- Compiler.cpp - ONNX to a self-contained model library --------------===//
//
// import -> CPU pipeline -> weights moved out of the IR into a blob the
// assembler includes -> LLVM IR -> host object -> link with the C runtime.
//
//===----------------------------------------------------------------------===//
#include "qopt/Compile/Compiler.h"

#include "Calibrate.h"
#include "FitBudget.h"
#include "ModelArtifacts.h"
#include "Validate.h"
#include "qopt/Import/ONNXExporter.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <chrono>

using namespace mlir;

/// The largest arena a model may need (the importer's cap on one tensor).
static constexpr uint64_t kMaxArenaBytes = uint64_t(1) << 40;
using namespace mlir::qopt;

/// The graph function's symbol in the library; `main` would clash with C.
static constexpr llvm::StringLiteral kGraphSymbol = "qopt_graph";

static Location fileLoc(MLIRContext &ctx, llvm::StringRef path) {
  return FileLineColLoc::get(&ctx, path, 0, 0);
}

/// Bytes the weights occupy as the ONNX file stores them: every constant of
/// the imported graph, at its element type's width.
static uint64_t countConstantBytes(ModuleOp module) {
  uint64_t bytes = 0;
  module.walk([&](arith::ConstantOp c) {
    auto ty = llvm::dyn_cast<RankedTensorType>(c.getType());
    if (!ty)
      return;
    unsigned bits = ty.getElementTypeBitWidth();
    bytes += ty.getNumElements() * std::max(1u, bits / 8);
  });
  return bytes;
}

/// Writes the module to DIR/NN-stage.mlir when dumping is on.
static void dumpStage(const CompileOptions &opts, ModuleOp module, int index,
                      llvm::StringRef stage) {
  if (opts.dumpIRDir.empty())
    return;
  llvm::sys::fs::create_directories(opts.dumpIRDir);
  llvm::SmallString<256> path(opts.dumpIRDir);
  llvm::sys::path::append(path, llvm::formatv("{0:02}-{1}.mlir", index, stage).str());
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (!ec)
    module.print(os);
}

/// Runs the stages in order, each in its own pass manager with MLIR's
/// command-line options applied and its passes timed under `timing`;
/// `afterStage` sees the module after each.
static LogicalResult
runStages(MLIRContext &ctx, ModuleOp module, const CompileOptions &opts,
          llvm::ArrayRef<CompileStage> stages, TimingScope &timing,
          llvm::function_ref<void(llvm::StringRef)> afterStage) {
  registerPipelinePasses();
  int index = 1;
  for (const CompileStage &stage : stages) {
    if (stage.pipeline.empty())
      continue;
    if (opts.onStep)
      opts.onStep(stage.name);
    PassManager pm(&ctx);
    if (failed(applyPassManagerCLOptions(pm)))
      return emitError(module.getLoc()) << "invalid pass manager options";
    TimingScope stageTiming = timing.nest(stage.name);
    pm.enableTiming(stageTiming);
    std::string errors;
    llvm::raw_string_ostream es(errors);
    if (failed(addPipelineText(pm, stage.pipeline, es)))
      return emitError(module.getLoc()) << "internal pipeline error: " << errors;
    if (failed(pm.run(module)))
      return emitError(module.getLoc())
             << "compilation failed in stage '" << stage.name << "'";
    dumpStage(opts, module, ++index, stage.name);
    afterStage(stage.name);
  }
  return success();
}

/// Translates to LLVM IR and writes an object for the host CPU.
static LogicalResult emitObject(ModuleOp module, llvm::StringRef path,
                                bool textualIR) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());

  llvm::LLVMContext llvmCtx;
  auto llvmModule = translateModuleToLLVMIR(module, llvmCtx, "qopt_model");
  if (!llvmModule)
    return emitError(module.getLoc()) << "translation to LLVM IR failed";

  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return emitError(module.getLoc()) << "no LLVM target for host: " << error;
  std::string features;
  for (auto &f : llvm::sys::getHostCPUFeatures())
    features += (f.second ? "+" : "-") + f.first().str() + ",";
  llvm::TargetOptions topts;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, llvm::sys::getHostCPUName(), features, topts, llvm::Reloc::PIC_));
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(tm->createDataLayout());

  auto optimize = makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                            tm.get());
  if (auto err = optimize(llvmModule.get()))
    return emitError(module.getLoc())
           << "LLVM optimisation failed: " << llvm::toString(std::move(err));

  std::error_code ec;
  llvm::ToolOutputFile out(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return emitError(module.getLoc()) << "cannot write '" << path << "': " << ec.message();
  if (textualIR) {
    llvmModule->print(out.os(), nullptr);
  } else {
    llvm::legacy::PassManager codegen;
    if (tm->addPassesToEmitFile(codegen, out.os(), nullptr,
                                llvm::CodeGenFileType::ObjectFile))
      return emitError(module.getLoc()) << "the host target cannot emit objects";
    codegen.run(*llvmModule);
  }
  out.keep();
  return success();
}

/// The toolkit that assembles the kernels: --cuda-toolkit, $CUDA_HOME, or
/// /usr/local/cuda. PTX alone (--emit ptx) needs none.
static LogicalResult resolveCUDAToolkit(Location loc, const CompileOptions &opts,
                                        CUDATarget &cuda) {
  std::string root = opts.cudaToolkit;
  if (root.empty())
    if (auto env = llvm::sys::Process::GetEnv("CUDA_HOME"))
      root = *env;
  if (root.empty())
    root = "/usr/local/cuda";
  cuda.toolkit = root;
  if (opts.emit == "ptx" || opts.printPipeline)
    return success();
  for (const char *tool : {"bin/ptxas", "bin/fatbinary"}) {
    llvm::SmallString<256> path(root);
    llvm::sys::path::append(path, tool);
    if (!llvm::sys::fs::can_execute(path))
      return emitError(loc) << "--target " << opts.target << " assembles its "
                            << "kernels with the CUDA toolkit, but " << path
                            << " is missing (install the toolkit, or point "
                               "--cuda-toolkit / CUDA_HOME at it)";
  }
  return success();
}

/// --emit ptx: every kernel module's PTX, one after another.
static LogicalResult writeKernelsPTX(ModuleOp module, llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return emitError(module.getLoc()) << "cannot write '" << path << "'";
  for (auto binary : module.getOps<gpu::BinaryOp>())
    for (auto object : binary.getObjects().getAsRange<gpu::ObjectAttr>())
      os << "// kernel module " << binary.getSymName() << "\n"
         << object.getObject().getValue() << "\n";
  return success();
}

static LogicalResult compile(MLIRContext &ctx, const CompileOptions &opts,
                             CompileReport &report, TimingScope &timing) {
  auto start = std::chrono::steady_clock::now();
  report.recipe = opts.recipe;
  Location loc = fileLoc(ctx, opts.inputPath);
  RecipeOptions recipeOptions;
  recipeOptions.recipe = opts.recipe;
  recipeOptions.keepF32 = opts.keepF32;
  recipeOptions.int8Activations = opts.int8Activations;
  recipeOptions.llmInt8Threshold = opts.llmInt8Threshold;
  recipeOptions.group = opts.group;
  recipeOptions.int4Format = opts.int4Format;
  recipeOptions.int4Activations = opts.int4Activations;
  recipeOptions.keepFloatLayers = opts.keepFloatLayers;
  recipeOptions.calibrationTable = opts.calibrationTablePath;
  recipeOptions.calibrationMethod = opts.calibrationMethod;
  recipeOptions.percentile = opts.percentile;
  std::string recipeError;
  getRecipePipelineText(recipeOptions, recipeError); // validates the recipe
  if (!recipeError.empty())
    return emitError(loc) << recipeError;
  // Static int8 needs activation ranges: measured now on the samples, or
  // read from a table an earlier compile saved.
  ArtifactDir calibration;
  bool needsCalibration = recipeNeedsCalibration(opts.recipe);
  bool needsLayerInputs = recipeNeedsLayerInputs(opts.recipe);
  if (!needsCalibration &&
      (!opts.calibrationDir.empty() || !opts.calibrationTablePath.empty()))
    return emitError(loc) << "--calibration and --calibration-table are for "
                             "the int8, int4-gptq and int4-awq recipes (this "
                             "compile's is '"
                          << opts.recipe << "')";
  if (needsLayerInputs && !opts.printPipeline) {
    // GPTQ and AWQ read each layer's inputs, saved by a calibration run.
    if (opts.calibrationDir.empty())
      return emitError(loc) << "--recipe " << opts.recipe
                            << " needs sample inputs: --calibration DIR (one "
                               "sub-directory of inputs per sample)";
    if (failed(calibration.create(loc)))
      return failure();
    recipeOptions.layerInputsDir = calibration.path("layer-inputs");
    if (opts.onStep)
      opts.onStep("calibrate");
    if (failed(calibrateModel(ctx, opts, /*tablePath=*/"",
                              recipeOptions.layerInputsDir)))
      return failure();
  } else if (needsCalibration && !opts.printPipeline) {
    if (!opts.calibrationDir.empty()) {
      std::string table = opts.calibrationTablePath;
      if (table.empty()) {
        if (failed(calibration.create(loc)))
          return failure();
        table = calibration.path("calibration.json");
      }
      if (opts.onStep)
        opts.onStep("calibrate");
      if (failed(calibrateModel(ctx, opts, table)))
        return failure();
      // The table holds the chosen method and percentile.
      recipeOptions.calibrationTable = table;
      recipeOptions.calibrationMethod.clear();
      recipeOptions.percentile = 0;
    } else if (opts.calibrationTablePath.empty()) {
      return emitError(loc)
             << "--recipe int8 needs activation ranges: --calibration DIR "
                "(sample inputs, one sub-directory per sample) or "
                "--calibration-table FILE (saved by an earlier "
                "--calibration run)";
    }
  }
  std::string recipeText = getRecipePipelineText(recipeOptions, recipeError);
  if (!recipeError.empty())
    return emitError(loc) << recipeError;

  if (opts.emit == "onnx") {
    // The recipe's decisions in the source graph, for other runtimes.
    llvm::StringRef r = llvm::StringRef(opts.recipe).trim();
    if (llvm::StringRef method = int4MethodOf(r); !method.empty()) {
      NBitsExportOptions nbits;
      nbits.method = method.str();
      nbits.group = int4Group(r, opts.group);
      nbits.embeddingGroup = int4EmbeddingGroup(nbits.group);
      nbits.format = opts.int4Format;
      nbits.layerInputsDir = recipeOptions.layerInputsDir;
      std::vector<std::string> notes;
      std::string error =
          exportNBitsModel(opts.inputPath, opts.outputPath, nbits, notes);
      for (const std::string &note : notes)
        emitWarning(loc) << note;
      if (!error.empty())
        return emitError(loc) << error;
      return success();
    }
    if (r != "int8")
      return emitError(loc) << "--emit onnx writes the static int8 recipe as "
                               "a QDQ model and the int4 recipes as "
                               "MatMulNBits: use --recipe int8, int4, "
                               "int4-gptq or int4-awq (this compile's is '"
                            << opts.recipe << "')";
    QDQExportOptions exportOptions;
    exportOptions.calibrationTable = recipeOptions.calibrationTable;
    exportOptions.method = recipeOptions.calibrationMethod;
    exportOptions.percentile = recipeOptions.percentile;
    exportOptions.activations = recipeOptions.int8Activations;
    std::vector<std::string> notes;
    std::string error = exportQDQModel(opts.inputPath, opts.outputPath,
                                       exportOptions, notes);
    for (const std::string &note : notes)
      emitWarning(loc) << note;
    if (!error.empty())
      return emitError(loc) << error;
    return success();
  }

  for (const PassInsertion &insertion : opts.insertions) {
    std::string error;
    if (failed(verifyPassInsertion(insertion, error)))
      return emitError(loc) << error;
  }
  std::optional<CUDATarget> cuda;
  {
    std::string error;
    if (!parseTarget(opts.target, cuda, error))
      return emitError(loc) << "--target: " << error;
  }
  if (!cuda && opts.emit == "ptx")
    return emitError(loc) << "--emit ptx is for --target cuda[:sm_XX]";
  if (cuda) {
    if (failed(resolveCUDAToolkit(loc, opts, *cuda)))
      return failure();
    if (opts.emit == "ptx")
      cuda->format = "isa";
  }
  std::vector<CompileStage> stages = getCompileStages(
      recipeText, kGraphSymbol, opts.insertions, cuda ? &*cuda : nullptr);

  if (opts.printPipeline) {
    llvm::outs() << getCompilePipelineText(stages) << "\n";
    return success();
  }

  {
    DialectRegistry registry;
    registerPipelineDialects(registry);
    ctx.appendDialectRegistry(registry);
  }
  if (opts.onStep)
    opts.onStep("import");
  TimingScope importTiming = timing.nest("import");
  OwningOpRef<ModuleOp> module = importONNXFile(&ctx, opts.inputPath, opts.import);
  importTiming.stop();
  if (!module)
    return failure();
  dumpStage(opts, *module, 1, "import");

  auto graph = module->lookupSymbol<func::FuncOp>("main");
  if (opts.instrumentForCalibration) {
    // Before the signature is read: the observed values are outputs.
    PassManager pm(&ctx);
    std::string errors;
    llvm::raw_string_ostream es(errors);
    registerPipelinePasses();
    if (failed(addPipelineText(pm, "func.func(qopt-insert-observers)", es)) ||
        failed(pm.run(*module)))
      return emitError(loc) << "cannot instrument the model for calibration"
                            << errors;
  }
  ModelSignature signature = collectSignature(graph);
  if (failed(checkSignature(graph, signature)))
    return failure();
  report.weightBytesFp32 = countConstantBytes(*module);

  // The first stage renames @main to kGraphSymbol (qopt-prepare-entry).
  std::vector<PlotBuffer> plot;
  if (failed(runStages(ctx, *module, opts, stages, timing, [&](llvm::StringRef stage) {
        if (stage == "recipe") // the layers an int4 recipe quantized
          if (auto f = module->lookupSymbol<func::FuncOp>(kGraphSymbol))
            if (auto layers = f->getAttrOfType<ArrayAttr>("qopt.int4_layers"))
              for (auto key : layers.getAsRange<StringAttr>())
                report.quantizedLayers.push_back(key.str());
        if (stage != "bufferize")
          return;
        auto planned = module->lookupSymbol<func::FuncOp>(kGraphSymbol);
        if (!planned)
          return;
        readArenaPlan(planned, signature, &plot);
        if (!opts.memoryPlotPath.empty() &&
            failed(writeMemoryPlot(plot, signature.arenaBytes,
                                   signature.arenaLowerBoundBytes,
                                   llvm::sys::path::filename(opts.inputPath),
                                   opts.memoryPlotPath)))
          emitWarning(loc) << "cannot write " << opts.memoryPlotPath;
      })))
    return failure();
  report.arenaBytes = signature.arenaBytes;
  report.arenaLowerBoundBytes = signature.arenaLowerBoundBytes;
  // Intermediate values get the inputs' cap: a model whose arena cannot
  // exist is refused here, not when qopt_model_create fails to allocate.
  if (signature.arenaBytes > kMaxArenaBytes) {
    auto largest = std::max_element(
        plot.begin(), plot.end(),
        [](const PlotBuffer &a, const PlotBuffer &b) { return a.size < b.size; });
    InFlightDiagnostic d = emitError(loc)
                           << "the intermediate values need a "
                           << signature.arenaBytes
                           << "-byte arena, beyond the limit of "
                           << kMaxArenaBytes << " bytes (1 TiB)";
    if (largest != plot.end())
      d << "; the largest is " << largest->size << " bytes, made by "
        << largest->label;
    return failure();
  }

  if (opts.emit == "mlir") {
    std::error_code ec;
    llvm::raw_fd_ostream os(opts.outputPath, ec);
    if (ec)
      return emitError(loc) << "cannot write '" << opts.outputPath << "'";
    module->print(os);
    os << "\n";
    return success();
  }

  // Passes inserted by --insert-pass may rewrite the body, not the entry.
  if (!module->lookupSymbol<LLVM::LLVMFuncOp>(kGraphSymbol))
    return emitError(loc) << "the lowered module has no function @"
                          << kGraphSymbol << " (was it renamed or removed by "
                          << "an inserted pass?)";

  if (opts.emit == "ptx")
    return writeKernelsPTX(*module, opts.outputPath);

  DeviceWeights device;
  if (cuda)
    device = readDeviceWeights(module->lookupSymbol(kGraphSymbol));
  ArtifactDir dir;
  if (failed(dir.create(loc)))
    return failure();
  WeightBlob weights;
  TimingScope weightsTiming = timing.nest("externalize-weights");
  if (failed(externalizeWeights(*module, dir.path("weights.bin"), weights,
                                /*all=*/device.enabled)))
    return failure();
  weightsTiming.stop();
  report.weightBytes = weights.totalBytes;

  // qopt's and ONNX's argument attributes mean nothing to LLVM IR.
  module->walk([](LLVM::LLVMFuncOp f) {
    for (unsigned i = 0; i < f.getNumArguments(); ++i)
      f.setArgAttrs(i, ArrayRef<NamedAttribute>{});
  });

  if (opts.onStep)
    opts.onStep("llvm-codegen");
  TimingScope codegenTiming = timing.nest("llvm-codegen");
  if (opts.emit == "llvm")
    return emitObject(*module, opts.outputPath, /*textualIR=*/true);
  std::string object = opts.emit == "obj" ? opts.outputPath : dir.path("model.o");
  if (failed(emitObject(*module, object, /*textualIR=*/false)))
    return failure();
  codegenTiming.stop();
  if (opts.emit == "obj")
    return success();
  if (opts.emit != "so")
    return emitError(loc) << "unknown --emit '" << opts.emit
                          << "' (so, obj, mlir, llvm, ptx, onnx)";

  if (opts.onStep)
    opts.onStep("link");
  TimingScope linkTiming = timing.nest("link");
  if (failed(linkModelLibrary(loc, dir, signature, weights, object,
                              opts.outputPath, kGraphSymbol,
                              opts.runtimePrefix, device)))
    return failure();
  linkTiming.stop();
  if (!opts.validateInputsDir.empty()) {
    // The reference is the FP32 compile of the same model.
    CompileOptions ref;
    ref.inputPath = opts.inputPath;
    ref.import = opts.import;
    ref.outputPath = dir.path("reference.so");
    ref.runtimePrefix = opts.runtimePrefix;
    if (opts.onStep)
      opts.onStep("validate-inputs");
    CompileReport refReport;
    TimingScope refTiming = timing.nest("validate-inputs");
    if (failed(compile(ctx, ref, refReport, refTiming)) ||
        failed(compareModels(loc, opts.outputPath, ref.outputPath,
                             opts.validateInputsDir, dir.path(""), report,
                             opts.runtimePrefix)))
      return failure();
  }
  report.compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return success();
}

LogicalResult mlir::qopt::compileModel(MLIRContext &ctx,
                                       const CompileOptions &opts,
                                       CompileReport &report) {
  // A no-op unless the tool registered --mlir-timing and it is given.
  if (opts.memoryBudget)
    return fitMemoryBudget(ctx, opts, report);
  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  TimingScope timing = timingManager.getRootScope();
  return compile(ctx, opts, report, timing);
}

LogicalResult mlir::qopt::writeReport(const CompileReport &r,
                                      llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return failure();
  os << "{\n"
     << "  \"recipe\": \"" << r.recipe << "\",\n"
     << "  \"weight_bytes\": " << r.weightBytes << ",\n"
     << "  \"weight_bytes_fp32\": " << r.weightBytesFp32 << ",\n"
     << "  \"arena_bytes\": " << r.arenaBytes << ",\n"
     << "  \"arena_lower_bound_bytes\": " << r.arenaLowerBoundBytes << ",\n"
     << "  \"compile_seconds\": " << llvm::formatv("{0:f3}", r.compileSeconds);
  if (r.validationSamples) {
    os << ",\n  \"validation_samples\": " << r.validationSamples
       << ",\n  \"outputs\": [";
    for (size_t i = 0; i < r.accuracy.size(); ++i) {
      const OutputAccuracy &a = r.accuracy[i];
      std::string name;
      llvm::raw_string_ostream ns(name);
      ns.write_escaped(a.name);
      os << (i ? ",\n" : "\n") << "    {\"name\": \"" << name
         << "\", \"max_abs_error\": " << llvm::formatv("{0:e}", a.maxAbsError)
         << ", \"max_rel_error\": " << llvm::formatv("{0:e}", a.maxRelError)
         << ", \"cosine\": " << llvm::formatv("{0:f8}", a.cosine) << "}";
    }
    os << "\n  ]";
  }
  if (!r.quantizedLayers.empty()) {
    os << ",\n  \"int4_layers\": [";
    for (size_t i = 0; i < r.quantizedLayers.size(); ++i) {
      std::string name;
      llvm::raw_string_ostream ns(name);
      ns.write_escaped(r.quantizedLayers[i]);
      os << (i ? ", " : "") << "\"" << name << "\"";
    }
    os << "]";
  }
  if (!r.budgetJSON.empty())
    os << ",\n  \"budget\": " << r.budgetJSON;
  os << "\n}\n";
  return success();
}
