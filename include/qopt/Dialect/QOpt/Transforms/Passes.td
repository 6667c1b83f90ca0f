//===- Passes.td - qopt transformation passes --------------*- tablegen -*-===//
#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
#define QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldCasts : Pass<"qopt-fold-casts", "func::FuncOp"> {
  let summary = "Cancel precision casts that compose to identity";
  let description = [{
    Removes `qopt.cast` ops that change nothing: casts to the same type,
    round trips through a wider type (`bf16 -> f32 -> bf16` is exact and
    disappears), and chains whose first step is exact (`f16 -> f32 -> bf16`
    becomes `f16 -> bf16`). Casts of constants are evaluated at compile time.
    A lossy round trip (`f32 -> bf16 -> f32`) is never removed.

    ```mlir
    %0 = qopt.cast %x : tensor<4xbf16> to tensor<4xf32>
    %1 = qopt.cast %0 : tensor<4xf32> to tensor<4xbf16>
    // becomes %x
    ```
  }];
  let dependentDialects = ["::mlir::qopt::QOptDialect"];
}

def PlanBuffers : Pass<"qopt-plan-buffers", "ModuleOp"> {
  let summary = "Place every intermediate buffer of a function in one arena";
  let description = [{
    After bufferization, computes the live interval of each statically
    shaped `memref.alloc` in the entry block of every public function (over
    the straight-line order of the top-level ops, following views and
    casts), assigns byte offsets in a single arena so that buffers live at
    the same time never overlap (several placement strategies; the smallest
    arena wins), appends the arena as a trailing `memref<Nxi8>` argument
    marked `qopt.arena`, and rewrites each alloc into a `memref.view` of it.
    Deallocations of planned buffers disappear: the arena is allocated once
    per model instance by the runtime.

    The function records `qopt.arena_bytes`, `qopt.arena_lower_bound_bytes`
    (max over program points of the bytes live there: no plan can be
    smaller), `qopt.arena_strategy`, and `qopt.buffer_plan` (start, end,
    offset, size per buffer) with `qopt.buffer_labels` for the memory plot.

    ```mlir
    %0 = memref.alloc() {alignment = 64 : i64} : memref<4x8xf32>
    // becomes, with %arena the new trailing argument:
    %c0 = arith.constant 0 : index
    %0 = memref.view %arena[%c0][] : memref<128xi8> to memref<4x8xf32>
    ```
  }];
  let options = [
    Option<"alignment", "alignment", "uint64_t", /*default=*/"64",
           "Byte alignment of every buffer offset (a power of two)">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
