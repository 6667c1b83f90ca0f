//===- CUDAPipeline.cpp - From planned buffers to NVVM kernels ------------===//
//
// The graph-level stages are the CPU's; from bufferized linalg on, upstream
// passes make GPU kernels (parallel loops -> gpu.launch -> outlined
// gpu.func -> NVVM -> PTX, assembled by the toolkit's ptxas in
// gpu-module-to-binary) and lower the host function to launches.
// qopt adds the loop shape (qopt-gpu-parallel-loops) and the device copy
// of the weights (qopt-gpu-device-weights).
//
//===----------------------------------------------------------------------===//
#include "qopt/Pipelines/Pipelines.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;

bool qopt::parseTarget(llvm::StringRef text, std::optional<CUDATarget> &cuda,
                       std::string &error) {
  cuda.reset();
  if (text == "cpu")
    return true;
  if (text == "cuda") {
    cuda = CUDATarget();
    return true;
  }
  unsigned sm = 0;
  llvm::StringRef number = text;
  if (number.consume_front("cuda:sm_") && !number.getAsInteger(10, sm) &&
      sm >= 70) {
    cuda = CUDATarget();
    cuda->chip = "sm_" + std::to_string(sm);
    return true;
  }
  error = "unknown target '" + text.str() +
          "': use cpu, cuda or cuda:sm_XX (sm_70 and newer, e.g. cuda:sm_90)";
  return false;
}

std::string qopt::getCUDALowerToLinalg() {
  // The CPU kernel strategy picks layouts for the host's GEMM kernel.
  std::string text = getCPUStages().lowerToLinalg;
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(text).split(parts, ',');
  llvm::SmallVector<llvm::StringRef> kept;
  for (llvm::StringRef p : parts)
    if (p != "qopt-cpu-kernel-strategy")
      kept.push_back(p);
  return llvm::join(kept, ",");
}

std::string qopt::getCUDALowerToLLVM(const CUDATarget &target) {
  // PTX 8.0 is the lowest that sm_90 accepts; CUDA 12.0 and newer read it.
  std::string attach = "nvvm-attach-target{chip=" + target.chip +
                       " features=+ptx80 O=3}";
  std::string binary = "gpu-module-to-binary{format=" + target.format +
                       (target.toolkit.empty() ? "" : " toolkit=" + target.toolkit) +
                       "}";
  return llvm::join(
      llvm::ArrayRef<std::string>{
          // Kernels read weights from a device buffer, and every access
          // to memory is inside a loop mapped to blocks and threads.
          // Named ops as generics first: the float emulation below
          // rewrites op bodies, after which named ops no longer generalise.
          "func.func(qopt-gpu-device-weights,linalg-generalize-named-ops)",
          "func.func(qopt-math-approximations)",
          "math-extend-to-supported-types",
          "arith-emulate-unsupported-floats{source-types=bf16,f16 "
          "target-type=f32}",
          "arith-expand{include-bf16}", "canonicalize",
          // No canonicalisation between mapping and conversion: it merges
          // the block and thread loops and drops their mapping.
          "func.func(qopt-gpu-parallel-loops,convert-parallel-loops-to-gpu)",
          "gpu-kernel-outlining",
          "qopt-gpu-merge-kernel-modules",
          // As upstream's gpu-lower-to-nvvm-pipeline, with the toolkit
          // named so that ptxas is the one qopt-compile was told to use.
          "convert-scf-to-cf", "convert-func-to-llvm",
          "expand-strided-metadata", attach, "lower-affine",
          "convert-arith-to-llvm", "convert-index-to-llvm", "canonicalize",
          "cse",
          "gpu.module(convert-gpu-to-nvvm,canonicalize,cse,"
          "reconcile-unrealized-casts)",
          "gpu-to-llvm", "reconcile-unrealized-casts", binary,
          "convert-math-to-llvm", "finalize-memref-to-llvm",
          "convert-cf-to-llvm", "canonicalize", "cse",
          "reconcile-unrealized-casts"},
      ",");
}
