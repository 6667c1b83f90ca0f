//===- Validate.cpp - Accuracy of a compiled model against FP32 -----------===//
#include "Validate.h"

#include "qopt/Import/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::qopt;

std::string mlir::qopt::getQOptPrefix() {
  std::string exe = llvm::sys::fs::getMainExecutable(
      nullptr, reinterpret_cast<void *>(&getQOptPrefix));
  return llvm::sys::path::parent_path(llvm::sys::path::parent_path(exe)).str();
}

std::string mlir::qopt::resolveQOptPrefix(llvm::StringRef prefix) {
  return prefix.empty() ? getQOptPrefix() : prefix.str();
}

/// One sample per sub-directory, or the directory itself when it holds
/// input files.
std::vector<std::string> mlir::qopt::listSamples(llvm::StringRef dir) {
  std::vector<std::string> samples, subdirs;
  std::error_code ec;
  bool hasInputs = false;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (name.starts_with("input_") || name.ends_with(".npy"))
      hasInputs = true;
    else if (llvm::sys::fs::is_directory(it->path()))
      subdirs.push_back(it->path());
  }
  if (hasInputs)
    return {dir.str()};
  std::sort(subdirs.begin(), subdirs.end());
  return subdirs;
}

LogicalResult mlir::qopt::runModel(Location loc, llvm::StringRef so,
                                   llvm::StringRef inputs,
                                   llvm::StringRef outDir,
                                   llvm::StringRef prefix,
                                   llvm::StringRef what) {
  std::string qoptRun = resolveQOptPrefix(prefix) + "/bin/qopt-run";
  std::string log = (outDir + ".log").str();
  llvm::SmallVector<llvm::StringRef> args = {qoptRun, so, "--inputs", inputs,
                                             "--save-outputs", outDir};
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log),
                                               llvm::StringRef(log)};
  std::string err;
  int rc = llvm::sys::ExecuteAndWait(qoptRun, args, std::nullopt, redirects, 0,
                                     0, &err);
  if (rc != 0) {
    auto text = llvm::MemoryBuffer::getFile(log);
    return emitError(loc) << what << " of " << so << " on " << inputs
                          << " failed: " << err
                          << (text ? (*text)->getBuffer() : "");
  }
  return success();
}

namespace {
struct Accumulator {
  double maxAbs = 0, maxRel = 0, dot = 0, normA = 0, normB = 0;
};
} // namespace

LogicalResult mlir::qopt::compareModels(Location loc, llvm::StringRef candidate,
                                        llvm::StringRef reference,
                                        llvm::StringRef inputsDir,
                                        llvm::StringRef workDir,
                                        CompileReport &report,
                                        llvm::StringRef prefix) {
  std::vector<std::string> samples = listSamples(inputsDir);
  if (samples.empty())
    return emitError(loc) << "--validate-inputs " << inputsDir
                          << " holds no input_K.pb files and no sample "
                             "sub-directories";
  std::vector<Accumulator> acc;
  std::vector<std::string> names;
  for (size_t s = 0; s < samples.size(); ++s) {
    std::string candOut = (workDir + "/cand" + std::to_string(s)).str();
    std::string refOut = (workDir + "/ref" + std::to_string(s)).str();
    if (failed(runModel(loc, candidate, samples[s], candOut, prefix)) ||
        failed(runModel(loc, reference, samples[s], refOut, prefix)))
      return failure();
    for (size_t k = 0;; ++k) {
      std::string file = "/output_" + std::to_string(k) + ".pb";
      if (!llvm::sys::fs::exists(refOut + file))
        break;
      TensorFileData a, b;
      if (auto e = readTensorFile(candOut + file, a))
        return emitError(loc) << *e;
      if (auto e = readTensorFile(refOut + file, b))
        return emitError(loc) << *e;
      if (acc.size() <= k) {
        acc.resize(k + 1);
        names.push_back(b.name);
      }
      Accumulator &x = acc[k];
      double scale = 0;
      for (double v : b.values)
        scale = std::max(scale, std::fabs(v));
      // Relative errors are taken against max(|ref|, 1e-6 * max|ref|) so
      // that zeros in the reference (ReLU outputs) do not make them infinite.
      double floor = std::max(scale * 1e-6, 1e-30);
      for (size_t i = 0; i < b.values.size() && i < a.values.size(); ++i) {
        double d = std::fabs(a.values[i] - b.values[i]);
        x.maxAbs = std::max(x.maxAbs, d);
        x.maxRel = std::max(x.maxRel, d / std::max(std::fabs(b.values[i]), floor));
        x.dot += a.values[i] * b.values[i];
        x.normA += a.values[i] * a.values[i];
        x.normB += b.values[i] * b.values[i];
      }
    }
  }
  report.validationSamples = samples.size();
  for (size_t k = 0; k < acc.size(); ++k) {
    const Accumulator &x = acc[k];
    double cosine = (x.normA == 0 && x.normB == 0)
                        ? 1.0
                        : x.dot / std::sqrt(std::max(x.normA * x.normB, 1e-300));
    report.accuracy.push_back({names[k], x.maxAbs, x.maxRel, cosine});
  }
  return success();
}
