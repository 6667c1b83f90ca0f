//===- FitBudget.h - Choose the recipe from a memory budget -----*- C++ -*-===//
#ifndef QOPT_LIB_COMPILE_FITBUDGET_H
#define QOPT_LIB_COMPILE_FITBUDGET_H

#include "qopt/Compile/Compiler.h"

#include <optional>

namespace mlir::qopt {

/// Bytes of runtime overhead a loaded model adds beyond its library file
/// and arena: the dynamic loader's mappings and the OpenMP runtime's thread
/// start (measured: 1.3-2.0 MiB added by qopt_model_create on this
/// project's models, bench/bench_memory.py's method).
inline constexpr uint64_t kRuntimeOverheadBytes = 2u << 20;

/// Compiles `opts.inputPath` with the recipe that fits `opts.memoryBudget`:
/// tries fp32, bf16, int8-dynamic, int8, int4, bf16,int4, int4-gptq,
/// int4-awq and nf4 (the recommended order; the calibrating ones only with
/// samples), predicts each one's peak memory (library + arena + runtime
/// overhead), measures its output cosine against FP32 on the samples of
/// `opts.calibrationDir` and its latency, and picks the most accurate one
/// that fits and reaches `opts.minCosine`. When every whole-model recipe
/// that fits misses the floor, the int4 layers whose quantization costs the
/// most accuracy are kept in f32, one at a time, while the budget allows.
/// The winner is compiled to `opts.outputPath`; `report.budgetJSON` holds
/// every candidate and the reason for the choice, which is also printed.
/// No candidate: an error naming the closest misses.
LogicalResult fitMemoryBudget(MLIRContext &ctx, const CompileOptions &opts,
                              CompileReport &report);

} // namespace mlir::qopt

#endif // QOPT_LIB_COMPILE_FITBUDGET_H
