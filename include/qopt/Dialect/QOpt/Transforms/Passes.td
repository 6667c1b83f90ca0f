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
    becomes `f16 -> bf16`). Casts of constants (dense and dense_resource
    weights) are evaluated at compile time. Casts move through layout ops
    (reshape, transpose, slice, tile, concat, reverse) until they meet:
    narrowing casts towards producers and constants, widening casts towards
    consumers. A lossy round trip (`f32 -> bf16 -> f32`) is never removed.

    ```mlir
    %0 = qopt.cast %x : tensor<4xbf16> to tensor<4xf32>
    %1 = qopt.cast %0 : tensor<4xf32> to tensor<4xbf16>
    // becomes %x
    ```
  }];
  let dependentDialects = ["::mlir::qopt::QOptDialect",
                           "::mlir::tosa::TosaDialect"];
}

def CastPrecision : Pass<"qopt-cast-precision", "func::FuncOp"> {
  let summary = "Run compute-heavy ops in bf16 or f16, sensitive ops in f32";
  let description = [{
    Mixed precision at the import level (TOSA). Each TOSA op that computes
    on f32 tensors and is not kept in f32 by the policy is rebuilt on the
    reduced type: its f32 operands go through `qopt.cast` to the reduced
    type and its reduced results are cast back to f32 for their users.
    Matrix products and convolutions keep f32 accumulation (their
    `acc_type`, or an f32 result where TOSA allows it). `qopt-fold-casts`
    then cancels the casts that meet and converts constant weights at
    compile time.

    The policy keeps in f32, by default, everything imported from ONNX ops
    that are numerically sensitive (Softmax, LogSoftmax, the
    normalisations, reductions, CumSum, Exp, Log, Pow, Erf, ... as in
    PyTorch's autocast list and onnxconverter-common's fp16 block list)
    and every TOSA reduction, exp, log, pow, erf, rsqrt and reciprocal.
    `keep-f32` adds ONNX op types (`Softmax`) or node names
    (`node:/blocks.0/attn/MatMul`); `no-default-keep` empties the default
    list. For f16 every narrowing cast saturates, so values beyond +-65504
    never become infinities.

    ```mlir
    %0 = tosa.matmul %a, %b, %za, %zb : (tensor<1x4x8xf32>, tensor<1x8x2xf32>, ...) -> tensor<1x4x2xf32>
    // becomes
    %a16 = qopt.cast %a : tensor<1x4x8xf32> to tensor<1x4x8xbf16>
    %b16 = qopt.cast %b : tensor<1x8x2xf32> to tensor<1x8x2xbf16>
    %0 = tosa.matmul %a16, %b16, ... -> tensor<1x4x2xf32>
    ```
  }];
  let options = [
    Option<"to", "to", "std::string", /*default=*/"\"bf16\"",
           "Reduced type: bf16 or f16">,
    ListOption<"keepF32", "keep-f32", "std::string",
               "ONNX op types or node:NAME kept in f32, besides the defaults">,
    Option<"noDefaultKeep", "no-default-keep", "bool", /*default=*/"false",
           "Do not keep the default sensitive op types in f32">,
  ];
  let dependentDialects = ["::mlir::qopt::QOptDialect",
                           "::mlir::tosa::TosaDialect"];
}

def CPUKernelStrategy : Pass<"qopt-cpu-kernel-strategy", "ModuleOp"> {
  let summary = "Shape linalg kernels for the host CPU's vector units";
  let description = [{
    Applies qopt's CPU strategy to linalg ops on tensors, written as a
    transform-dialect script (upstream transforms only). Today: matrix
    products are generalized and their loops interchanged so that the
    innermost loop runs along the output row (contiguous in B and C), which
    LLVM turns into vector FMAs; the reduction loop moves outwards.
    Convolutions with a constant filter switch to the HWCF filter layout
    (the filter is transposed by a linalg.transpose that
    qopt-fold-constant-transposes folds at compile time) and run with the
    output channel innermost, for the same reason.
  }];
  let dependentDialects = ["::mlir::transform::TransformDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def CPUUKernels : Pass<"qopt-cpu-ukernels", "ModuleOp"> {
  let summary = "Run matrix products and convolutions on the runtime's packed GEMM kernel";
  let description = [{
    Replaces every linalg op on buffers whose body is a multiply-accumulate
    (`c + a * b`, with `arith.extf` or `arith.extsi` of the operands) and
    whose indexing maps are linear in the loops by one call of the runtime's
    `qopt_uk_contract` (lib/Runtime/qopt_ukernel.c): matmul, batch matmul,
    transposed operands, and convolutions, whose kernel rows, columns and
    input channels become the K of a GEMM. The loop nest is described by a
    constant i64 array (layout in qopt_ukernel.h): each loop is an outer
    (batch) loop, an M, N or K loop of the GEMM, by where it appears.

    Element types: f32, bf16 or f16 operands accumulated in f32; int8
    operands accumulated in int32. The kernel packs its operands, tiles for
    the caches, and computes with AVX512-BF16 dot products (bf16), AVX-512
    or AVX2 FMAs (f32, and bf16/f16 widened in registers), AVX2 `vpmaddwd`
    (int8 widened to int16 pairs, exact) or portable C, chosen at run time;
    it runs on `QOPT_NUM_THREADS` OpenMP threads.

    ```mlir
    linalg.matmul ins(%a, %b : memref<32x64xbf16>, memref<64x128xbf16>)
                  outs(%c : memref<32x128xf32>)
    // becomes
    %d = memref.get_global @__qopt_uk_desc : memref<14xi64>
    ...
    call @qopt_uk_contract(%dp, %ap, %bp, %cp) : (index, index, index, index) -> ()
    ```

    Ops it cannot describe (non-linear maps, other bodies or element types,
    dynamic strides, an output dimension shorter than `min-n`) are left to
    the loop lowering.
  }];
  let options = [
    Option<"minN", "min-n", "int64_t", /*default=*/"4",
           "Smallest output-column count worth a kernel call">,
    Option<"minMacs", "min-macs", "int64_t", /*default=*/"512",
           "Smallest multiply-accumulate count worth a kernel call">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

def MathApproximations : Pass<"qopt-math-approximations", "func::FuncOp"> {
  let summary = "Replace libm calls by upstream's polynomial approximations";
  let description = [{
    Rewrites the listed `math` ops on f32 (scalars and vectors) with MLIR's
    polynomial approximations (`populateMathPolynomialApproximationPatterns`,
    which upstream offers only as patterns). A loop that calls `erff` or
    `expf` in libm cannot be vectorised; the polynomials are plain
    arithmetic that LLVM vectorises, within a few ulp of libm.
  }];
  let options = [
    ListOption<"ops", "ops", "std::string",
               "math op names to approximate (default: erf, exp, expm1, "
               "log, log1p, log2, tanh)">,
  ];
  let dependentDialects = ["::mlir::math::MathDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def ExcessPrecision : Pass<"qopt-excess-precision", "func::FuncOp"> {
  let summary = "Compute chains of bf16/f16 arithmetic in f32, rounding once";
  let description = [{
    Rewrites float arithmetic and math ops whose operands and result are
    bf16 or f16 (scalars or vectors; with the comparisons of such values,
    and the selects between results of such ops) to compute in f32, and
    rounds a value back only where something other than such an op reads
    it: a store, a yield, an explicit `arith.truncf`/`arith.extf`. A
    comparison then sees the unrounded value, so it can differ from
    op-by-op rounding near ties. Upstream's emulation
    (`arith-emulate-unsupported-floats`, `math-extend-to-supported-types`)
    rounds after every op, and CPUs have no bf16 arithmetic to make that
    rounding free. The results differ from op-by-op rounding in the last
    bf16 bits, towards the f32 result (XLA's default "excess precision").
    Explicit conversions are kept, so a requested round trip still rounds.

    ```mlir
    %p = arith.mulf %a, %b : vector<8xbf16>
    %s = arith.addf %p, %c : vector<8xbf16>
    vector.transfer_write %s, ...
    // becomes: extf %a, %b, %c; mulf, addf in f32; one truncf; the write
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ExpandBF16Truncation : Pass<"qopt-expand-bf16-truncation", "func::FuncOp"> {
  let summary = "Round f32 to bf16 with integer ops that x86 keeps in vectors";
  let description = [{
    Expands `arith.truncf` from f32 to bf16 (rounding to nearest even,
    scalars and vectors) into integer arithmetic on the f32 bits, as
    upstream's `arith-expand{include-bf16}` does, but with the NaN case
    settled before rounding: a NaN keeps its sign and upper payload and is
    made quiet, its low half cleared so that the rounding bias cannot carry
    into the sign. Upstream ends in a select of the rounded bits or a
    canonical NaN; LLVM moves the bitcast to bf16 above that select, and on
    x86 without AVX512-BF16 a select of bf16 vectors runs per element.
    Runs after `arith-emulate-unsupported-floats` (whose truncations it
    takes) and before `arith-expand`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def ReassociateReductions : Pass<"qopt-reassociate-reductions", "func::FuncOp"> {
  let summary = "Let floating-point sum reductions be reassociated";
  let description = [{
    Marks the combining `arith.addf` of every linalg reduction (the add
    that folds a value into the reduction's output: sums of Softmax,
    LayerNormalization, ReduceMean...) with `fastmath<reassoc>`, so that
    LLVM vectorises the reduction loop with several partial sums. The
    result changes only by summation order, as any blocked or parallel
    reduction would (onnxruntime's included). Matrix products are left
    alone (qopt-cpu-ukernels runs them).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def QuantizeDynamic : Pass<"qopt-quantize-dynamic", "func::FuncOp"> {
  let summary = "int8 weights per channel, activations quantized at run time (int8-dynamic)";
  let description = [{
    For every `tosa.matmul` and `tosa.conv2d` with an f32 constant weight:
    the weight becomes symmetric int8 per output channel now (scale
    max|w| / 127, round half to even, stored with its f32 scales as
    dense_resource blobs); the activation becomes symmetric int8 when the
    model runs, with scale max|x| / 127 per row (token) of a matmul input
    (`per-row=false`: per tensor) and per tensor for a convolution; the
    product runs in int8 x int8 -> int32 (`tosa.matmul`/`tosa.conv2d` on
    i8, then the runtime's integer GEMM kernel); one f32 rescale by both
    scales (plus the bias) gives the result. Activation-by-activation
    products (attention) stay in f32.
  }];
  let options = [
    Option<"perRow", "per-row", "bool", /*default=*/"true",
           "Scale each row (token) of a matmul input separately">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Leave weights with fewer elements in f32">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::tosa::TosaDialect"];
}

def FuseElementwise : Pass<"qopt-fuse-elementwise", "func::FuncOp"> {
  let summary = "Upstream elementwise fusion, keeping matrix products and convolutions whole";
  let description = [{
    `linalg-fuse-elementwise-ops` with its patterns (elementwise fusion,
    reshape folding by expansion, constant folding, canonicalisation), and
    one rule more: an elementwise producer that computes something is not
    fused into a contraction (matmul, batch matmul, convolution), whose body
    must stay a multiply-accumulate for `qopt-cpu-ukernels` to run it on the
    GEMM kernel. Producers that only move data (transposes, broadcasts) are
    still fused: the kernel reads any strided layout.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect"];
}

def InsertObservers : Pass<"qopt-insert-observers", "func::FuncOp"> {
  let summary = "Expose the activations the int8 recipe quantizes, for calibration";
  let description = [{
    Appends the activation input of every `tosa.matmul` and `tosa.conv2d`
    with a constant weight (the ops `qopt-insert-qdq` quantizes) to the
    function's results. A result is named `qopt.observe:<key>`, the key
    naming the ONNX node (`<node>`, `<node>#1`, ... when one node makes
    several ops): the model compiled from this function is run over the
    calibration samples and each such output feeds a range observer
    (qopt/Analysis/Calibration.h), whose statistics make the calibration
    table that `qopt-insert-qdq` reads.
  }];
}

def InsertQDQ : Pass<"qopt-insert-qdq", "func::FuncOp"> {
  let summary = "Quantize/dequantize pairs around matmuls and convolutions (static int8)";
  let description = [{
    For every `tosa.matmul` and `tosa.conv2d` with an f32 constant weight
    whose activation has an entry in the calibration table:
      - the weight becomes an int8 constant, symmetric per output channel
        (scale max|w| / 127, round half to even), read through
        `qopt.dequantize` of a `!quant.uniform` per-axis type. By default
        (`weight-scales=e4m4`) each scale is rounded up onto an 8-bit grid
        relative to the tensor's largest, base * (1 + m/16) * 2^-e with a
        4-bit e and m, so that the kernel stores one byte a channel (as
        QLoRA's double quantization stores its block constants); the step
        grows by less than 1/16 and nothing clips. A tensor whose scales
        span more than 2^15 takes `bf16` (2 bytes, < 0.8% coarser); `f32`
        keeps them exact;
      - the activation goes through `qopt.quantize` and `qopt.dequantize`
        with a per-tensor type whose range the table's statistics give
        (method and percentile as the table says, or as the options
        override): int8 asymmetric by default, `activations=symmetric`
        (zero point 0) or `activations=unsigned` (uint8).
    Ops without a table entry stay in f32 (a remark names them). The
    pairs mean what ONNX QDQ models mean; `qopt-fuse-qdq` turns them into
    integer kernels.
  }];
  let options = [
    Option<"calibrationTable", "calibration-table", "std::string",
           /*default=*/"\"\"", "The calibration table (JSON) to read">,
    Option<"method", "method", "std::string", /*default=*/"\"\"",
           "Override the table's method: minmax, percentile, entropy or mse">,
    Option<"percentile", "percentile", "double", /*default=*/"0",
           "Override the table's percentile (with method=percentile)">,
    Option<"activations", "activations", "std::string",
           /*default=*/"\"asymmetric\"",
           "Activation grid: asymmetric (int8), symmetric (int8, zero point "
           "0) or unsigned (uint8)">,
    Option<"weightScales", "weight-scales", "std::string",
           /*default=*/"\"e4m4\"",
           "Per-channel weight scale grid: e4m4 (1 byte a channel, a step "
           "< 6.25% coarser), bf16 (2 bytes, < 0.8%) or f32 (exact)">,
  ];
  let dependentDialects = ["::mlir::qopt::QOptDialect",
                           "::mlir::quant::QuantDialect",
                           "::mlir::arith::ArithDialect"];
}

def FuseQDQ : Pass<"qopt-fuse-qdq", "func::FuncOp"> {
  let summary = "Run dequantize -> matmul/conv on integers: i8 x i8 -> i32, one rescale";
  let description = [{
    Rewrites a `tosa.matmul` or `tosa.conv2d` whose activation is a
    `qopt.dequantize` of a per-tensor int8 or uint8 value and whose weight
    is a `qopt.dequantize` of a constant int8 tensor quantized per tensor or
    per output channel with zero point 0 (both possibly through
    `tosa.transpose`/`tosa.reshape` layout changes, as the ONNX importer
    places them) into the same op on int8 with int32 accumulation, then
    one elementwise epilogue:

      y = f32(acc - zx * colsum_w[n]) * (sx * sw[n])

    The zero-point correction `zx * colsum_w[n]` is an int32 constant
    computed now, once per output channel (not per element). A constant
    bias (the convolution's, or a `tosa.add` of a per-channel constant that
    is the matmul's only use) folds in with the correction as one f32
    offset a channel, added before the scale:

      y = (f32(acc) + bias[n] / (sx * sw[n]) - zx * colsum_w[n]) * (sx * sw[n])

    Every per-channel constant is stored as compactly as it is exact:
    scales on qopt-insert-qdq's E4M4 grid as one byte (decoded and
    multiplied by sx in the epilogue), bfloat16 scales as bf16, others as
    f32 sx * sw[n]; a correction whose colsum fits int16 as colsum (times
    zx in the epilogue). At d = 64 this takes the per-channel bytes from 12
    to 5 (bias) or 3 (no bias). A bias that is not a constant is added
    after the scale. uint8
    activations are shifted to int8 (value - 128, zero point - 128); a
    convolution whose activation has a non-zero zero point pads its input
    with that zero point explicitly, so that padded positions contribute
    exactly 0. A `qopt.quantize` that follows fuses with the epilogue in
    linalg's elementwise fusion: one requantize, no f32 tensor in between.
    Ops whose operands do not have this form keep their dequantize (float
    emulation, still exact ONNX semantics).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::tosa::TosaDialect",
                           "::mlir::quant::QuantDialect"];
}

def QuantizeLLMInt8 : Pass<"qopt-quantize-llm-int8", "func::FuncOp"> {
  let summary = "LLM.int8(): vector-wise int8 matmuls, outlier feature columns in f32";
  let description = [{
    For every `tosa.matmul` by an f32 constant weight (Dettmers et al.,
    LLM.int8(), 2022): the weight becomes int8 per output column (symmetric,
    scale max|w| / 127) now. When the model runs, the feature columns k of
    the activation with any |x| above `threshold` (over every row) are the
    outliers: they are multiplied in f32 against the int8 weights (widened
    as the runtime's GEMM kernel packs them, never stored wide); the other
    columns are quantized to int8 with one scale per row (max |x| / 127)
    and multiplied in int8 x int8 -> int32. One epilogue scales both by the
    column scales and adds them. With no outliers the f32 product adds
    zeros: it costs an f32 GEMM whatever the data (a gather of the outlier
    columns would not).
  }];
  let options = [
    Option<"threshold", "threshold", "float", /*default=*/"6.0f",
           "|x| above which a feature column is an outlier">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Leave weights with fewer elements in f32">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::tosa::TosaDialect"];
}

def QuantizeEmbeddings : Pass<"qopt-quantize-embeddings", "func::FuncOp"> {
  let summary = "Embedding tables (constants read by gathers) as int8 with a scale per row, or int4 in groups";
  let description = [{
    A rank-2 f32 constant read only through `tensor.extract` inside
    `linalg.generic` bodies (ONNX Gather of an initializer: an embedding
    table) becomes int8 with one symmetric scale per row (max |row| / 127,
    round half to even, as weights are quantized). Each read becomes an
    int8 read, a scale read and one multiply; the f32 table is gone. A
    table used any other way (a tied output projection) is left alone,
    since both forms would then be stored.

    With `bits=4` (the int4 recipes) the table is stored as symmetric int4
    in groups of `group` along each row, in the MatMulNBits layout of
    `qopt.matmul_nbits` (onnxruntime's grid); a read selects the nibble and
    multiplies by its group's scale.
  }];
  let options = [
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Leave tables with fewer elements in f32">,
    Option<"bits", "bits", "int64_t", /*default=*/"8", "8 or 4">,
    Option<"group", "group", "int64_t", /*default=*/"128",
           "bits=4: values per scale along a row">,
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

def QuantizeWeights : Pass<"qopt-quantize-weights", "func::FuncOp"> {
  let summary = "Weight-only 4-bit matmuls: RTN, NF4, GPTQ or AWQ weights in MatMulNBits layout";
  let description = [{
    Every `tosa.matmul` by an f32 constant weight `[1, K, N]` becomes a
    `qopt.matmul_nbits` over that weight quantized now, per group of
    `group` consecutive inputs of each output column (qopt/Analysis/
    WeightQuantization.h):
      - `method=rtn`: round to nearest, `format=symmetric` (codes 0..15
        around 8, as onnxruntime's quantizer) or `format=asymmetric` (a
        zero point per group);
      - `method=nf4`: the NF4 codebook with an absmax scale per group
        (use `group=64`, QLoRA's block);
      - `method=gptq`: RTN's grid with GPTQ error compensation, from the
        input statistics in `calibration-data`;
      - `method=awq`: activation-aware per-input-channel scales from
        `calibration-data`, applied to the activation by an explicit
        multiply before the product.
    The activation stays f32; the f32 weight is gone from the model, and
    no full-width decoded copy of it exists at run time (the kernels decode
    in registers). Layers named in `keep` stay f32 (a memory budget's
    per-layer choice); the function gets a `qopt.int4_layers` attribute
    listing the keys of the layers quantized. With `embeddings`, qopt-quantize-embeddings' int4 form is
    the caller's to add.
  }];
  let options = [
    Option<"method", "method", "std::string", /*default=*/"\"rtn\"",
           "rtn, nf4, gptq or awq">,
    Option<"group", "group", "int64_t", /*default=*/"128",
           "Inputs per scale (a power of two, at least 16)">,
    Option<"format", "format", "std::string", /*default=*/"\"symmetric\"",
           "Grid of rtn/gptq/awq: symmetric or asymmetric">,
    Option<"calibrationData", "calibration-data", "std::string",
           /*default=*/"\"\"",
           "Layer input statistics for gptq and awq (written by qopt-compile "
           "--calibration)">,
    Option<"activations", "activations", "std::string", /*default=*/"\"f32\"",
           "How matrix-vector products read activations: f32, or int8 with a "
           "scale per weight group (integer dot products, about twice as fast)">,
    Option<"actOrder", "act-order", "bool", /*default=*/"false",
           "GPTQ: quantize columns by descending Hessian diagonal">,
    Option<"minElements", "min-elements", "int64_t", /*default=*/"0",
           "Leave weights with fewer elements in f32">,
    ListOption<"keep", "keep", "std::string",
               "Layers (calibration keys: the ONNX node names) to leave in f32">,
  ];
  let dependentDialects = ["::mlir::qopt::QOptDialect",
                           "::mlir::tosa::TosaDialect"];
}

def LowerMatMulNBits : Pass<"qopt-lower-matmul-nbits", "func::FuncOp"> {
  let summary = "qopt.matmul_nbits as a linalg.generic that decodes in its reduction";
  let description = [{
    Rewrites each `qopt.matmul_nbits` into a 2-D (M x N, or N alone when M
    is 1, so that no unit dimension invites a rewrite that would drop the
    marker) `linalg.generic` whose body decodes the 4-bit code it reads
    (nibble select, zero point or NF4 codebook, scale) and accumulates in
    f32. The op is marked `library_call = "qopt_uk_matmul_nbits"`:
    `qopt-cpu-ukernels` runs it on the runtime's decoding kernel; any other
    lowering runs the body. It runs late in lowering to linalg, after the
    passes that rebuild generics (fusion, unit-dimension folding) and
    would drop the marker.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def VectorizeElementwise : Pass<"qopt-vectorize-elementwise", "func::FuncOp"> {
  let summary = "Vectorise elementwise ops and innermost reductions on buffers";
  let description = [{
    Tiles every all-parallel `linalg.generic` on buffers (rank <= 3, static
    shapes, byte-sized element types, an arith body with the math ops that
    have vector forms, an innermost size that V divides) to 1 x ... x 1 x V
    (V lanes of the widest element type in 256 bits, fewer for a shorter
    innermost dimension) with upstream's SCF tiling, then vectorises the
    tile with upstream's linalg vectoriser. Loop bodies then load, compute
    and store whole vectors: LLVM need not prove that the arena's buffers do
    not alias, which it cannot, and that left these loops scalar.

    A generic whose only reduction loop is the innermost (softmax's max and
    sum, normalisation statistics) and at most 512 long is tiled to
    1 x ... x 1 x R and vectorised whole: one vector per reduced row and
    one horizontal `vector.reduction` (leading unit dims cast away, upstream's
    multi-reduction lowering), so the accumulator never round-trips through
    the output buffer. Where the combining op may be reassociated
    (`fastmath<reassoc>`, which qopt-reassociate-reductions grants to sums),
    that `vector.reduction` carries the flag, and LLVM sums the row as a tree
    of vector adds instead of a chain of scalar ones.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"256",
           "Vector register width in bits">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::affine::AffineDialect"];
}

def FoldConvAffine : Pass<"qopt-fold-conv-affine", "func::FuncOp"> {
  let summary = "Fold per-channel multiplies and adds (BatchNormalization) into the convolution before them";
  let description = [{
    A `tosa.conv2d` with constant filters and bias whose result reaches, as
    its only use (through `tosa.transpose` ops that move the channel
    axis), a chain of `tosa.mul`, `tosa.add` or `tosa.sub` by constants
    that vary only along the output channel becomes one convolution:

      W'[f] = W[f] * s[f],   b'[f] = b[f] * s[f] + t[f]

    This is BatchNormalization in inference as the importer writes it
    (x * s + t), and onnxruntime's Conv+BatchNormalization fusion. The
    transposes stay; with nothing between them they cancel in
    `tosa-reduce-transposes`. Runs before the recipes, so that int8 and
    int4 quantize the folded filters.
  }];
  let dependentDialects = ["::mlir::tosa::TosaDialect",
                           "::mlir::arith::ArithDialect"];
}

def FoldAddIntoContraction : Pass<"qopt-fold-add-into-contraction", "func::FuncOp"> {
  let summary = "Start a matrix product from the bias (or residual) added to it";
  let description = [{
    An elementwise `linalg.generic` that only adds a tensor to the result
    of a float contraction (a multiply-accumulate generic whose initial
    value is `linalg.fill` with zero, read through a
    `tensor.collapse_shape` or directly, and used only by the add) becomes
    the contraction with the addend as its initial value:

      add(contract(A, B, outs: 0), broadcast(b))
        -> contract(A, B, outs: broadcast(b))

    The addend may broadcast (a bias) or be read whole (a residual); it
    must be defined before the product. A residual that other ops also
    read is copied first (`bufferization.alloc_tensor copy(...)`), so that
    the product accumulates in a buffer of its own. The GEMM kernel accumulates into
    its output, so the sum is the same, added in another order (the bias
    first), and the graph loses the zero fill, which bufferization made a
    copy of a shared zero buffer, and one pass over the result. Upstream's
    FoldAddIntoDest covers only `linalg.add` of two whole operands.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FoldConstantTransposes : Pass<"qopt-fold-constant-transposes", "func::FuncOp"> {
  let summary = "Transpose constant weights at compile time";
  let description = [{
    Replaces `linalg.transpose` of a constant (dense or dense_resource) by
    the transposed constant, so that weight layout changes (ONNX's NCHW/OIHW
    to the kernels' channels-last layouts) cost nothing at run time. Upstream
    folders skip dense_resource weights; this pass permutes the blob.

    ```mlir
    %w = arith.constant dense_resource<w> : tensor<16x3x3x3xf32>
    %t = linalg.transpose ins(%w : ...) outs(%e : ...) permutation = [2, 3, 1, 0]
    // becomes
    %t = arith.constant dense_resource<w_t> : tensor<3x3x3x16xf32>
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect"];
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

def PrepareEntry : Pass<"qopt-prepare-entry", "ModuleOp"> {
  let summary = "Give the graph function its library symbol and a C interface";
  let description = [{
    The first pass of `qopt-compile`'s pipeline. Renames the graph function
    that the importer names `@main` (which would clash with C's `main` in
    the model library) to `name`, updating every symbol use, and marks it
    `llvm.emit_c_interface` so that the LLVM lowering also emits the
    `_mlir_ciface_<name>` wrapper the C runtime calls. Fails when the
    module has no function `entry`, or already has a symbol `name`.

    ```mlir
    func.func @main(%x: tensor<4xf32>) -> tensor<4xf32>
    // becomes, with name=qopt_graph
    func.func @qopt_graph(%x: tensor<4xf32>) -> tensor<4xf32>
        attributes {llvm.emit_c_interface}
    ```
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"main\"",
           "The graph function, as the importer names it">,
    Option<"name", "name", "std::string", /*default=*/"\"qopt_graph\"",
           "Its symbol in the compiled library">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}


def GPUParallelLoops : Pass<"qopt-gpu-parallel-loops", "func::FuncOp"> {
  let summary = "Every linalg op on buffers as one flat scf.parallel mapped to GPU blocks and threads";
  let description = [{
    The GPU target's loop form. Each linalg op (named ops generalised,
    memref.copy as linalg.copy) has its parallel dimensions moved ahead of
    its reductions, becomes upstream's parallel loops, and the parallel
    dimensions are collapsed into one and tiled by `block-size`: the outer
    loop is mapped to `block_x`, the inner one to `thread_x`, and each
    thread runs the op's reductions for its output element in order.
    Memory accesses outside any parallel loop (an op with no parallel
    dimension) are wrapped in a one-iteration loop, so that after
    `convert-parallel-loops-to-gpu` the host function only launches
    kernels and never dereferences a device pointer.

    Example: a 64x128 matmul becomes one kernel of ceil(8192/256) blocks
    of 256 threads, each summing one output over K.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block (a multiple of 32)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect"];
}

def GPUDeviceWeights : Pass<"qopt-gpu-device-weights", "func::FuncOp"> {
  let summary = "Read constant weights from one device buffer passed to the graph";
  let description = [{
    On the GPU target the weights must live in device memory. Every
    `memref.get_global` of a constant global in the function becomes a
    `memref.view` into a new trailing argument `memref<Nxi8>`
    (`qopt.device_weights`), at an offset aligned to 256 bytes. The
    function records the layout in `qopt.device_weights`
    (`[@global, offset, bytes]` triples) and `qopt.device_weights_bytes`;
    the model library copies each global there once, at create.

    A `memref.alloc` left in the function (a buffer the planner could not
    place: dynamic shapes) is an error: device code cannot use host heap
    memory.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"256",
           "Byte alignment of each weight in the device buffer">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}


def GPUMergeKernelModules : Pass<"qopt-gpu-merge-kernel-modules", "ModuleOp"> {
  let summary = "Put every outlined kernel in one gpu.module";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per kernel, each with a
    function of the same name. This pass moves every kernel into the first
    module, renamed after the module it came from (unique), and retargets
    the `gpu.launch_func` ops: one PTX file, one binary and one module load
    for the whole graph.

    It runs where the host functions must hold launches only, and checks
    that: a `memref.load`/`store`, `scf.for` or `scf.parallel` left in a
    `func.func` (a loop that was not mapped to blocks and threads) would
    dereference device addresses on the host, and is an error.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
