//===- FitBudget.cpp - Choose the recipe from a memory budget -------------===//
//
// Candidates are compiled in the order practitioners recommend; each is
// judged by the compiler's own numbers (library size, planned arena) and
// by measurement (cosine against FP32 on the samples, latency).
//
//===----------------------------------------------------------------------===//
#include "FitBudget.h"

#include "ModelArtifacts.h"
#include "Validate.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::qopt;

std::optional<uint64_t> mlir::qopt::parseByteSize(llvm::StringRef text) {
  text = text.trim();
  size_t digits = 0;
  while (digits < text.size() &&
         (llvm::isDigit(text[digits]) || text[digits] == '.'))
    ++digits;
  double value;
  if (digits == 0 || text.take_front(digits).getAsDouble(value) || value < 0)
    return std::nullopt;
  llvm::StringRef unit = text.drop_front(digits).trim();
  static const struct {
    const char *name;
    double factor;
  } units[] = {{"", 1},          {"B", 1},          {"kB", 1e3},
               {"KB", 1e3},      {"MB", 1e6},       {"GB", 1e9},
               {"KiB", 1024.0},  {"MiB", 1048576.0}, {"GiB", 1073741824.0},
               {"K", 1024.0},    {"M", 1048576.0},  {"G", 1073741824.0}};
  for (const auto &u : units)
    if (unit == u.name) {
      double bytes = value * u.factor;
      if (bytes < 1 || bytes > 1.8e19)
        return std::nullopt;
      return static_cast<uint64_t>(bytes);
    }
  return std::nullopt;
}

namespace {

std::string mib(uint64_t bytes) {
  return llvm::formatv("{0:f2} MiB", bytes / 1048576.0).str();
}

struct Candidate {
  std::string recipe;
  std::vector<std::string> keep; // int4 layers left in f32
  std::string so;
  bool compiled = false;
  std::string error;
  uint64_t weightBytes = 0, arenaBytes = 0, libraryBytes = 0, predicted = 0;
  double cosine = 0, latencyMs = -1;
  std::vector<std::string> layers;
  bool fits = false, meets = false;
  std::string verdict;

  std::string label() const {
    if (keep.empty())
      return recipe;
    return recipe + " (f32: " + llvm::join(keep, ", ") + ")";
  }
};

class BudgetFitter {
public:
  BudgetFitter(MLIRContext &ctx, const CompileOptions &opts, Location loc)
      : ctx(ctx), opts(opts), loc(loc) {}

  LogicalResult run(CompileReport &report) {
    if (opts.calibrationDir.empty())
      return emitError(loc)
             << "--memory-budget needs sample inputs (--calibration DIR, one "
                "sub-directory of inputs per sample): each candidate's "
                "accuracy is measured on them against FP32";
    if (listSamples(opts.calibrationDir).empty())
      return emitError(loc) << "--calibration " << opts.calibrationDir
                            << " holds no input_K.pb files and no sample "
                               "sub-directories";
    if (failed(dir.create(loc)))
      return failure();
    if (failed(splitSamples()))
      return failure();
    // FP32 first: it is the reference every other candidate is compared to.
    for (const char *recipe :
         {"fp32", "bf16", "int8-dynamic", "int8", "int4", "bf16,int4",
          "int4-gptq", "int4-awq", "nf4"}) {
      Candidate c;
      c.recipe = recipe;
      if (failed(evaluate(c)) && candidates.empty())
        return emitError(loc) << "the FP32 compile failed: " << c.error;
      candidates.push_back(std::move(c));
    }
    if (!best())
      refineLayers();
    const Candidate *winner = best();
    explain(winner);
    report.budgetJSON = json(winner);
    printTable(winner);
    if (!winner)
      return noCandidate();
    // The winner, compiled again where the caller asked for it.
    CompileOptions final = candidateOptions(*winner);
    final.outputPath = opts.outputPath;
    final.reportPath.clear();
    final.validateInputsDir = opts.validateInputsDir;
    std::string budget = report.budgetJSON;
    if (failed(compileModel(ctx, final, report)))
      return failure();
    report.budgetJSON = budget;
    return success();
  }

private:
  /// Accuracy is measured on samples the calibrating recipes did not see:
  /// --validate-inputs when given, else the second half of the calibration
  /// samples (the first half calibrates). GPTQ and AWQ fit the very inputs
  /// they calibrate on, and would otherwise look better than they are.
  LogicalResult splitSamples() {
    calibrationDir = opts.calibrationDir;
    validationDir = opts.validateInputsDir;
    if (!validationDir.empty())
      return success();
    std::vector<std::string> samples = listSamples(opts.calibrationDir);
    validationDir = opts.calibrationDir;
    if (samples.size() < 2 || samples.front() == opts.calibrationDir)
      return success(); // one sample: calibrate and validate on it
    size_t half = samples.size() / 2;
    calibrationDir = dir.path("calibrate");
    validationDir = dir.path("validate");
    for (size_t i = 0; i < samples.size(); ++i) {
      std::string into = i < half ? calibrationDir : validationDir;
      llvm::sys::fs::create_directories(into);
      std::string link =
          into + "/" + llvm::formatv("s{0,0+4}", i).str();
      if (llvm::sys::fs::create_link(samples[i], link))
        return emitError(loc) << "cannot link " << samples[i] << " into "
                              << into;
    }
    return success();
  }

  CompileOptions candidateOptions(const Candidate &c) {
    CompileOptions o = opts;
    o.memoryBudget = 0;
    o.recipe = c.recipe;
    o.keepFloatLayers = c.keep;
    o.emit = "so";
    o.reportPath.clear();
    o.dumpIRDir.clear();
    o.memoryPlotPath.clear();
    o.validateInputsDir.clear();
    o.printPipeline = false;
    o.onStep = nullptr;
    o.calibrationDir = calibrationDir;
    if (!recipeNeedsCalibration(c.recipe)) {
      o.calibrationDir.clear();
      o.calibrationTablePath.clear();
    }
    return o;
  }

  LogicalResult evaluate(Candidate &c) {
    if (opts.onStep)
      opts.onStep("budget: " + c.label());
    c.so = dir.path("candidate" + std::to_string(counter++) + ".so");
    CompileOptions o = candidateOptions(c);
    o.outputPath = c.so;
    CompileReport r;
    {
      // A candidate that cannot compile loses; its message goes to the
      // decision table instead of failing the whole compile.
      ScopedDiagnosticHandler capture(&ctx, [&](Diagnostic &d) {
        if (d.getSeverity() == DiagnosticSeverity::Error && c.error.empty())
          c.error = d.str();
        return success();
      });
      if (failed(compileModel(ctx, o, r))) {
        if (c.error.empty())
          c.error = "compile failed";
        c.verdict = "did not compile: " + c.error;
        return failure();
      }
      const std::string &reference =
          candidates.empty() ? c.so : candidates.front().so;
      std::string work = dir.path("compare" + std::to_string(counter));
      llvm::sys::fs::create_directories(work);
      if (failed(compareModels(loc, c.so, reference, validationDir, work, r,
                               opts.runtimePrefix))) {
        c.error = c.error.empty() ? "validation failed" : c.error;
        c.verdict = "did not run: " + c.error;
        return failure();
      }
    }
    c.compiled = true;
    uint64_t size = 0;
    llvm::sys::fs::file_size(c.so, size);
    c.libraryBytes = size;
    c.weightBytes = r.weightBytes;
    c.arenaBytes = r.arenaBytes;
    c.predicted = size + r.arenaBytes + kRuntimeOverheadBytes;
    c.cosine = 1;
    for (const OutputAccuracy &a : r.accuracy)
      c.cosine = std::min(c.cosine, a.cosine);
    c.layers = r.quantizedLayers;
    c.latencyMs = latency(c.so);
    c.fits = c.predicted <= opts.memoryBudget;
    c.meets = c.cosine >= opts.minCosine;
    return success();
  }

  /// Median latency of 10 runs on the first sample (qopt-run --bench), -1
  /// when it cannot be measured.
  double latency(const std::string &so) {
    std::string qoptRun = resolveQOptPrefix(opts.runtimePrefix) + "/bin/qopt-run";
    std::string sample = listSamples(validationDir).front();
    std::string log = so + ".bench";
    llvm::SmallVector<llvm::StringRef> args = {qoptRun, so, "--inputs", sample,
                                               "--bench", "10"};
    std::optional<llvm::StringRef> redirects[] = {
        std::nullopt, llvm::StringRef(log), llvm::StringRef(log)};
    if (llvm::sys::ExecuteAndWait(qoptRun, args, std::nullopt, redirects) != 0)
      return -1;
    auto text = llvm::MemoryBuffer::getFile(log);
    if (!text)
      return -1;
    llvm::StringRef out = (*text)->getBuffer();
    size_t at = out.find("median ");
    double ms;
    if (at == llvm::StringRef::npos ||
        out.drop_front(at + 7).split(' ').first.getAsDouble(ms))
      return -1;
    return ms;
  }

  /// The most accurate candidate that fits and meets the floor (the
  /// smaller on a tie).
  const Candidate *best() const {
    const Candidate *b = nullptr;
    for (const Candidate &c : candidates)
      if (c.compiled && c.fits && c.meets &&
          (!b || c.cosine > b->cosine ||
           (c.cosine == b->cosine && c.predicted < b->predicted)))
        b = &c;
    return b;
  }

  /// Per-layer choice: from the most accurate int4 candidate that fits,
  /// keep in f32 the layers whose quantization costs the most accuracy
  /// (measured by leaving each one out in turn), adding them one at a time
  /// while the budget allows, until the floor is met.
  void refineLayers() {
    const Candidate *base = nullptr;
    for (const Candidate &c : candidates)
      if (c.compiled && c.fits && !c.layers.empty() &&
          (!base || c.cosine > base->cosine))
        base = &c;
    if (!base || base->layers.size() < 2)
      return;
    Candidate start = *base;
    std::vector<std::pair<double, std::string>> gains;
    for (const std::string &layer : start.layers) {
      Candidate c;
      c.recipe = start.recipe;
      c.keep = {layer};
      if (succeeded(evaluate(c)))
        gains.push_back({c.cosine - start.cosine, layer});
      candidates.push_back(std::move(c));
      if (best())
        return;
    }
    std::sort(gains.begin(), gains.end(),
              [](const auto &a, const auto &b) { return a.first > b.first; });
    std::vector<std::string> keep;
    for (const auto &[gain, layer] : gains) {
      keep.push_back(layer);
      if (keep.size() < 2 || keep.size() == start.layers.size())
        continue; // one layer alone was measured above; all is not int4
      Candidate c;
      c.recipe = start.recipe;
      c.keep = keep;
      bool ok = succeeded(evaluate(c));
      bool over = ok && !c.fits;
      candidates.push_back(std::move(c));
      if (best() || over)
        return;
    }
  }

  void explain(const Candidate *winner) {
    for (Candidate &c : candidates) {
      if (!c.compiled)
        continue;
      if (&c == winner)
        c.verdict = "chosen: the most accurate candidate within " +
                    mib(opts.memoryBudget) + " and above cosine " +
                    llvm::formatv("{0:f4}", opts.minCosine).str();
      else if (!c.fits)
        c.verdict = "over the budget by " + mib(c.predicted - opts.memoryBudget);
      else if (!c.meets)
        c.verdict = "below the cosine floor";
      else
        c.verdict = "fits, less accurate than the chosen one";
    }
  }

  std::string json(const Candidate *winner) const {
    std::string s;
    llvm::raw_string_ostream os(s);
    auto quoted = [&](llvm::StringRef text) {
      os << '"';
      os.write_escaped(text);
      os << '"';
    };
    os << "{\"budget_bytes\": " << opts.memoryBudget
       << ", \"min_cosine\": " << opts.minCosine
       << ", \"runtime_overhead_bytes\": " << kRuntimeOverheadBytes
       << ", \"chosen\": ";
    if (winner)
      quoted(winner->label());
    else
      os << "null";
    os << ", \"candidates\": [";
    for (size_t i = 0; i < candidates.size(); ++i) {
      const Candidate &c = candidates[i];
      os << (i ? ",\n    " : "\n    ") << "{\"recipe\": ";
      quoted(c.recipe);
      os << ", \"keep_f32\": [";
      for (size_t k = 0; k < c.keep.size(); ++k) {
        os << (k ? ", " : "");
        quoted(c.keep[k]);
      }
      os << "], \"compiled\": " << (c.compiled ? "true" : "false");
      if (c.compiled)
        os << ", \"predicted_peak_bytes\": " << c.predicted
           << ", \"library_bytes\": " << c.libraryBytes
           << ", \"weight_bytes\": " << c.weightBytes
           << ", \"arena_bytes\": " << c.arenaBytes
           << ", \"cosine\": " << llvm::formatv("{0:f6}", c.cosine)
           << ", \"latency_ms\": " << llvm::formatv("{0:f3}", c.latencyMs)
           << ", \"fits\": " << (c.fits ? "true" : "false")
           << ", \"meets_floor\": " << (c.meets ? "true" : "false");
      os << ", \"verdict\": ";
      quoted(c.verdict);
      os << "}";
    }
    os << "\n  ]}";
    return s;
  }

  void printTable(const Candidate *winner) const {
    llvm::raw_ostream &os = llvm::outs();
    os << "memory budget " << mib(opts.memoryBudget) << ", cosine floor "
       << llvm::formatv("{0:f4}", opts.minCosine) << " (measured on "
       << listSamples(validationDir).size() << " samples"
       << (validationDir == opts.calibrationDir ? "" : " not calibrated on")
       << "):\n";
    os << llvm::formatv("  {0,-40} {1,12} {2,9} {3,10}  {4}\n", "candidate",
                        "peak", "cosine", "latency", "verdict");
    for (const Candidate &c : candidates) {
      if (!c.compiled) {
        os << llvm::formatv("  {0,-40} {1}\n", c.label(), c.verdict);
        continue;
      }
      os << llvm::formatv("  {0,-40} {1,12} {2,9:f5} {3,7:f3} ms  {4}{5}\n",
                          c.label(), mib(c.predicted), c.cosine, c.latencyMs,
                          &c == winner ? "* " : "", c.verdict);
    }
    os.flush();
  }

  LogicalResult noCandidate() {
    // The closest misses: the smallest candidates, and the most accurate
    // one that fits.
    std::vector<const Candidate *> compiled;
    for (const Candidate &c : candidates)
      if (c.compiled)
        compiled.push_back(&c);
    std::sort(compiled.begin(), compiled.end(),
              [](const Candidate *a, const Candidate *b) {
                return a->predicted < b->predicted;
              });
    InFlightDiagnostic d = emitError(loc)
                           << "no candidate fits " << mib(opts.memoryBudget)
                           << " with output cosine >= "
                           << llvm::formatv("{0:f4}", opts.minCosine).str();
    for (size_t i = 0; i < compiled.size() && i < 3; ++i)
      d << (i ? "; " : ": closest: ") << compiled[i]->label() << " needs "
        << mib(compiled[i]->predicted) << " at cosine "
        << llvm::formatv("{0:f4}", compiled[i]->cosine);
    return d;
  }

  MLIRContext &ctx;
  const CompileOptions &opts;
  Location loc;
  ArtifactDir dir;
  std::string calibrationDir, validationDir;
  std::vector<Candidate> candidates;
  unsigned counter = 0;
};

} // namespace

LogicalResult mlir::qopt::fitMemoryBudget(MLIRContext &ctx,
                                          const CompileOptions &opts,
                                          CompileReport &report) {
  Location loc = FileLineColLoc::get(&ctx, opts.inputPath, 0, 0);
  BudgetFitter fitter(ctx, opts, loc);
  return fitter.run(report);
}
