//===- Calibrate.cpp - Activation statistics from sample runs -------------===//
//
// The instrumented model runs once per sample; its observer outputs are
// saved by qopt-run and read twice, as the observers need: min/max first,
// then the |x| histogram over [0, max|x|].
//
//===----------------------------------------------------------------------===//
#include "Calibrate.h"

#include "ModelArtifacts.h"
#include "Validate.h"
#include "qopt/Analysis/CalibrationTable.h"
#include "qopt/Analysis/LayerInputs.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::qopt;

static constexpr llvm::StringLiteral kObservePrefix = "qopt.observe:";

/// Feeds every observer output of the runs in `outDirs` to `visit` (with
/// the size of its last dimension).
static LogicalResult
forEachObserved(Location loc, llvm::ArrayRef<std::string> outDirs,
                llvm::function_ref<void(llvm::StringRef, const std::vector<float> &,
                                        int64_t)>
                    visit) {
  std::vector<float> values;
  for (const std::string &out : outDirs) {
    for (size_t k = 0;; ++k) {
      std::string file = out + "/output_" + std::to_string(k) + ".pb";
      if (!llvm::sys::fs::exists(file))
        break;
      TensorFileData t;
      if (auto e = readTensorFile(file, t))
        return emitError(loc) << *e;
      llvm::StringRef name = t.name;
      if (!name.consume_front(kObservePrefix))
        continue;
      values.assign(t.values.begin(), t.values.end());
      visit(name, values, t.shape.empty() ? 1 : t.shape.back());
    }
  }
  return success();
}

LogicalResult mlir::qopt::calibrateModel(MLIRContext &ctx,
                                         const CompileOptions &opts,
                                         llvm::StringRef tablePath,
                                         llvm::StringRef layerInputsDir) {
  Location loc = FileLineColLoc::get(&ctx, opts.inputPath, 0, 0);
  ::qopt::CalibrationTable table;
  if (!opts.calibrationMethod.empty()) {
    auto m = ::qopt::parseCalibrationMethod(opts.calibrationMethod);
    if (!m)
      return emitError(loc) << "unknown calibration method '"
                            << opts.calibrationMethod
                            << "' (minmax, percentile, entropy, mse)";
    table.method = *m;
  }
  if (opts.percentile != 0)
    table.percentile = opts.percentile;
  std::vector<std::string> samples = listSamples(opts.calibrationDir);
  if (samples.empty())
    return emitError(loc) << "--calibration " << opts.calibrationDir
                          << " holds no input_K.pb files and no sample "
                             "sub-directories";

  ArtifactDir dir;
  if (failed(dir.create(loc)))
    return failure();
  CompileOptions observed;
  observed.inputPath = opts.inputPath;
  observed.import = opts.import;
  observed.outputPath = dir.path("observed.so");
  observed.runtimePrefix = opts.runtimePrefix;
  observed.instrumentForCalibration = true;
  CompileReport report;
  if (failed(compileModel(ctx, observed, report)))
    return failure();

  std::vector<std::string> outDirs;
  for (size_t s = 0; s < samples.size(); ++s) {
    if (opts.onStep)
      opts.onStep(llvm::formatv("calibrate {0}/{1}", s + 1, samples.size()).str());
    outDirs.push_back(dir.path("run" + std::to_string(s)));
    if (failed(runModel(loc, observed.outputPath, samples[s], outDirs.back(),
                        opts.runtimePrefix, "calibration run")))
      return failure();
  }
  if (!layerInputsDir.empty()) {
    ::qopt::LayerInputsCollector inputs;
    std::string error;
    bool any = false;
    if (failed(forEachObserved(
            loc, outDirs,
            [&](llvm::StringRef key, const std::vector<float> &v, int64_t cols) {
              any = true;
              if (error.empty())
                error = inputs.add(key.str(), v.data(), v.size(), cols);
            })))
      return failure();
    if (error.empty())
      error = inputs.write(layerInputsDir.str());
    if (!error.empty())
      return emitError(loc) << error;
    if (!any)
      return emitError(loc) << "the model has no matrix product with a "
                               "constant weight: nothing to calibrate";
  }
  if (tablePath.empty())
    return success();
  if (failed(forEachObserved(loc, outDirs,
                             [&](llvm::StringRef key, const std::vector<float> &v,
                                 int64_t) {
                               table.tensors[key.str()].observeRange(v.data(),
                                                                     v.size());
                             })) ||
      failed(forEachObserved(loc, outDirs,
                             [&](llvm::StringRef key, const std::vector<float> &v,
                                 int64_t) {
                               table.tensors[key.str()].observeHistogram(
                                   v.data(), v.size());
                             })))
    return failure();
  if (table.tensors.empty())
    return emitError(loc) << "the model has no matrix product or convolution "
                             "with a constant weight: nothing to calibrate";
  table.samples = samples.size();
  if (std::string error = ::qopt::writeCalibrationTable(table, tablePath.str());
      !error.empty())
    return emitError(loc) << error;
  return success();
}
