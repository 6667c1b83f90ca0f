// RUN: qopt-opt %s --qopt-cpu-ukernels --split-input-file | FileCheck %s

// A row-major f32 matmul: one M loop (A stride 16, C stride 32), N = 32
// contiguous in B and C, one K loop (A stride 1, B stride 32).
// CHECK: memref.global "private" constant @[[DESC:__qopt_uk_desc[_0-9]*]] : memref<14xi64> = dense<[1, 0, 0, 1, 1, 32, 1, 1, 8, 16, 32, 16, 1, 32]>
// CHECK: func.func private @qopt_uk_contract(index, index, index, index)
// CHECK-LABEL: func.func @matmul_f32
// CHECK: %[[D:.*]] = memref.get_global @[[DESC]]
// CHECK: memref.extract_aligned_pointer_as_index %[[D]]
// CHECK: call @qopt_uk_contract
// CHECK-NOT: linalg.matmul
func.func @matmul_f32(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// bf16 operands accumulated in f32 (kind 1); the batch is an outer loop.
// CHECK: dense<[1, 1, 1, 1, 1, 64, 1, 1, 4, 512, 1024, 2048, 32, 16, 64, 16, 1, 64]>
// CHECK-LABEL: func.func @batch_matmul_bf16
// CHECK: call @qopt_uk_contract
func.func @batch_matmul_bf16(%a: memref<4x32x16xbf16>, %b: memref<4x16x64xbf16>, %c: memref<4x32x64xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<4x32x16xbf16>, memref<4x16x64xbf16>) outs(%c : memref<4x32x64xf32>)
  return
}

// -----

// B read transposed (Q.K^T): its N stride is K, its K stride 1.
// CHECK: dense<[1, 0, 0, 1, 1, 24, 16, 1, 8, 16, 24, 16, 1, 1]>
// CHECK-LABEL: func.func @matmul_transpose_b
func.func @matmul_transpose_b(%a: memref<8x16xf32>, %b: memref<24x16xf32>, %c: memref<8x24xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<8x16xf32>, memref<24x16xf32>) outs(%c : memref<8x24xf32>)
  return
}

// -----

// A strided f16 convolution (kind 2): M = (oh, ow) read with stride 2, K = (kh, kw, c),
// N = the output channels. The unit batch disappears.
// CHECK: dense<[1, 2, 0, 2, 3, 16, 1, 1, 4, 72, 64, 4, 8, 16, 3, 36, 192, 3, 4, 64, 4, 1, 16]>
// CHECK-LABEL: func.func @conv_f16
func.func @conv_f16(%in: memref<1x9x9x4xf16>, %w: memref<3x3x4x16xf16>, %out: memref<1x4x4x16xf32>) {
  linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%in, %w : memref<1x9x9x4xf16>, memref<3x3x4x16xf16>) outs(%out : memref<1x4x4x16xf32>)
  return
}

// -----

// Only an A-side loop is contiguous in C: A and B exchange roles.
// CHECK: dense<[1, 0, 0, 1, 1, 8, 16, 1, 32, 1, 8, 16, 32, 1]>
// CHECK-LABEL: func.func @output_transposed
// CHECK-SAME: (%[[A:.*]]: memref<8x16xf32>, %[[B:.*]]: memref<16x32xf32>
// CHECK: %[[PB:.*]] = memref.extract_aligned_pointer_as_index %[[B]]
// CHECK: %[[PA:.*]] = memref.extract_aligned_pointer_as_index %[[A]]
// CHECK: call @qopt_uk_contract(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
func.func @output_transposed(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<32x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (n, m)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<32x8xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// int8 operands accumulated in int32 (kind 3).
// CHECK: dense<[1, 3, 0, 1, 1, 32, 1, 1, 8, 16, 32, 16, 1, 32]>
// CHECK-LABEL: func.func @matmul_i8
// CHECK: call @qopt_uk_contract
func.func @matmul_i8(%a: memref<8x16xi8>, %b: memref<16x32xi8>, %c: memref<8x32xi32>) {
  linalg.matmul ins(%a, %b : memref<8x16xi8>, memref<16x32xi8>) outs(%c : memref<8x32xi32>)
  return
}

// -----

// f32 activations by int8 weights widened as read (sitofp; kind 4), as the
// LLM.int8() outlier product has them.
// CHECK: dense<[1, 4, 0, 1, 1, 32, 1, 1, 8, 16, 32, 16, 1, 32]>
// CHECK-LABEL: func.func @matmul_f32_by_i8
// CHECK: call @qopt_uk_contract
// CHECK-NOT: linalg.generic
func.func @matmul_f32_by_i8(%a: memref<8x16xf32>, %b: memref<16x32xi8>, %c: memref<8x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x16xf32>, memref<16x32xi8>) outs(%c : memref<8x32xf32>) {
  ^bb0(%x: f32, %w: i8, %acc: f32):
    %wf = arith.sitofp %w : i8 to f32
    %p = arith.mulf %x, %wf : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Left alone: tensors (not bufferized), unsigned int8, mixed float types,
// a body other than multiply-accumulate, a non-linear index, and an output
// narrower than min-n.
// CHECK-NOT: qopt_uk_contract
// CHECK-LABEL: func.func @not_kernels
// CHECK-COUNT-2: linalg.matmul
// CHECK: linalg.batch_matmul
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: linalg.matmul
func.func @not_kernels(%ta: tensor<8x16xf32>, %tb: tensor<16x32xf32>, %tc: tensor<8x32xf32>,
                       %ia: memref<8x16xi8>, %ib: memref<16x32xi8>, %ic: memref<8x32xi32>,
                       %ma: memref<1x8x16xf32>, %mb: memref<1x16x32xbf16>, %mc: memref<1x8x32xf32>,
                       %a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>,
                       %nb: memref<16x2xf32>, %nc: memref<8x2xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul ins(%ta, %tb : tensor<8x16xf32>, tensor<16x32xf32>) outs(%tc : tensor<8x32xf32>) -> tensor<8x32xf32>
  linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%ia, %ib : memref<8x16xi8>, memref<16x32xi8>) outs(%ic : memref<8x32xi32>)
  linalg.batch_matmul ins(%ma, %mb : memref<1x8x16xf32>, memref<1x16x32xbf16>) outs(%mc : memref<1x8x32xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.maximumf %z, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m floordiv 2, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
    ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    linalg.yield %s : f32
  }
  linalg.matmul ins(%a, %nb : memref<8x16xf32>, memref<16x2xf32>) outs(%nc : memref<8x2xf32>)
  return %r : tensor<8x32xf32>
}

// -----

// A 4-bit weight product (qopt-lower-matmul-nbits' generic on buffers):
// one call of qopt_uk_matmul_nbits with {ABI, format 1 (asymmetric), M 4,
// K 64, N 16, group 32, A row stride 64, C row stride 16, f32
// activations} and the zero points' address; the decoding body is gone.
// CHECK: memref.global "private" constant @[[DESC:__qopt_uk_desc[_0-9]*]] : memref<9xi64> = dense<[1, 1, 4, 64, 16, 32, 64, 16, 0]>
// CHECK: func.func private @qopt_uk_matmul_nbits(index, index, index, index, index, index)
// CHECK-LABEL: func.func @matmul_nbits
// CHECK: %[[D:.*]] = memref.get_global @[[DESC]]
// CHECK: call @qopt_uk_matmul_nbits(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (index, index, index, index, index, index) -> ()
// CHECK-NOT: linalg.generic
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k floordiv 32, (k mod 32) floordiv 2)>
#s = affine_map<(m, n, k) -> (n, k floordiv 32)>
#z = affine_map<(m, n, k) -> (n, k floordiv 64)>
#y = affine_map<(m, n, k) -> (m, n)>
func.func @matmul_nbits(%x: memref<4x64xf32>, %w: memref<16x2x16xi8>, %s: memref<16x2xf32>, %z: memref<16x1xi8>, %y: memref<4x16xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #s, #z, #y], iterator_types = ["parallel", "parallel", "reduction"], library_call = "qopt_uk_matmul_nbits"}
      ins(%x, %w, %s, %z : memref<4x64xf32>, memref<16x2x16xi8>, memref<16x2xf32>, memref<16x1xi8>) outs(%y : memref<4x16xf32>)
      attrs = {qopt.nbits_format = "asymmetric"} {
  ^bb0(%a: f32, %b: i8, %sc: f32, %zp: i8, %acc: f32):
    %bf = arith.sitofp %b : i8 to f32
    %d = arith.mulf %bf, %sc : f32
    %p = arith.mulf %a, %d : f32
    %o = arith.addf %acc, %p : f32
    linalg.yield %o : f32
  }
  return
}

// -----

// A matrix-vector product: x and y are vectors (M 1, row strides K and N);
// symmetric weights pass a null zero-point address; int8 activations are
// the descriptor's last entry.
// CHECK: dense<[1, 0, 1, 64, 16, 32, 64, 16, 1]>
// CHECK-LABEL: func.func @matvec_nbits
// CHECK: call @qopt_uk_matmul_nbits(%intptr, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %c0{{[_0-9]*}}, %{{[0-9]+}})
#xv = affine_map<(n, k) -> (k)>
#wv = affine_map<(n, k) -> (n, k floordiv 32, (k mod 32) floordiv 2)>
#sv = affine_map<(n, k) -> (n, k floordiv 32)>
#yv = affine_map<(n, k) -> (n)>
func.func @matvec_nbits(%x: memref<64xf32>, %w: memref<16x2x16xi8>, %s: memref<16x2xf32>, %y: memref<16xf32>) {
  linalg.generic {indexing_maps = [#xv, #wv, #sv, #yv], iterator_types = ["parallel", "reduction"], library_call = "qopt_uk_matmul_nbits"}
      ins(%x, %w, %s : memref<64xf32>, memref<16x2x16xi8>, memref<16x2xf32>) outs(%y : memref<16xf32>)
      attrs = {qopt.nbits_format = "symmetric", qopt.nbits_activations = "int8"} {
  ^bb0(%a: f32, %b: i8, %sc: f32, %acc: f32):
    %bf = arith.sitofp %b : i8 to f32
    %d = arith.mulf %bf, %sc : f32
    %p = arith.mulf %a, %d : f32
    %o = arith.addf %acc, %p : f32
    linalg.yield %o : f32
  }
  return
}
