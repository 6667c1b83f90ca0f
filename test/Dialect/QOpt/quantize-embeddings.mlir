// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-embeddings))' | FileCheck %s
// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-embeddings{min-elements=10}))' \
// RUN:   | FileCheck %s --check-prefix=MIN
// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-quantize-embeddings{bits=4 group=16}))' \
// RUN:   | FileCheck %s --check-prefix=INT4

// A gather of a constant [3, 3] table (as ONNX Gather imports): the table
// becomes int8 per row. Row 0: max 2 -> scale 2/127; 1.0 -> 63.5 -> 64
// (0x40, half to even), -2.0 -> -127 (0x81), 0.5 -> 31.75 -> 32 (0x20).
// Row 1 is all zero: scale 1, zeros. Row 2: max 4 -> 4/127; 4.0 -> 127,
// 1.0 -> 31.75 -> 32, -0.25 -> -7.9375 -> -8 (0xF8). Each read becomes an
// int8 read, a scale read by row, and a multiply.
// CHECK-LABEL: func.func @gather
// CHECK-DAG: %[[Q:.*]] = arith.constant dense_resource<[[QB:qopt_int8_embedding_0]]> : tensor<3x3xi8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense_resource<[[SB:qopt_int8_embedding_scale_0]]> : tensor<3xf32>
// CHECK-NOT: tensor<3x3xf32>
// CHECK: linalg.generic
// CHECK: %[[V:.*]] = tensor.extract %[[Q]][%[[ROW:.*]], %[[COL:.*]]] : tensor<3x3xi8>
// CHECK: %[[SC:.*]] = tensor.extract %[[S]][%[[ROW]]] : tensor<3xf32>
// CHECK: %[[F:.*]] = arith.sitofp %[[V]] : i8 to f32
// CHECK: %[[R:.*]] = arith.mulf %[[F]], %[[SC]] : f32
// CHECK: linalg.yield %[[R]]
// CHECK: [[QB]]: "0x080000004081200000007F20F8"
// CHECK: [[SB]]: "0x080000000402813C0000803F0402013D"
// bits=4: symmetric int4 in groups of 16 along a row (one group here, 8
// bytes, codes past the row's 3 values 0), onnxruntime's grid: row 0's
// largest magnitude -2 gives scale 0.25 and codes 12, 0, 10 (bytes 0C 0A);
// row 1 is zero: scale -0, codes 8 (88 08); row 2: scale -0.5, codes 0, 6
// and 9 (-0.25 / -0.5 + 8 = 8.5 rounds away from zero): 60 09. A read picks
// byte [row, col / 16, (col % 16) / 2], nibble col % 2, minus 8, times
// the group's scale.
// INT4-LABEL: func.func @gather
// INT4-DAG: %[[Q:.*]] = arith.constant dense_resource<[[QB:qopt_int4_embedding_0]]> : tensor<3x1x8xi8>
// INT4-DAG: %[[S:.*]] = arith.constant dense_resource<[[SB:qopt_int4_embedding_scale_0]]> : tensor<3x1xf32>
// INT4: %[[B:.*]] = tensor.extract %[[Q]][%{{.*}}, %{{.*}}, %{{.*}}] : tensor<3x1x8xi8>
// INT4: arith.shrui %[[B]]
// INT4: arith.andi %{{.*}}, %c15_i8
// INT4: arith.subi %{{.*}}, %c8_i8
// INT4: %[[SC:.*]] = tensor.extract %[[S]][%{{.*}}, %{{.*}}] : tensor<3x1xf32>
// INT4: arith.mulf %{{.*}}, %[[SC]] : f32
// INT4: [[QB]]: "0x080000000C0A00000000000088080000000000006009000000000000"
// INT4: [[SB]]: "0x080000000000803E00000080000000BF"
// Tables smaller than min-elements stay f32.
// MIN-LABEL: func.func @gather
// MIN: tensor.extract {{.*}} : tensor<3x3xf32>
func.func @gather(%ids: tensor<2xindex>) -> tensor<2x3xf32> {
  %t = arith.constant dense<[[1.0, -2.0, 0.5], [0.0, 0.0, 0.0], [4.0, 1.0, -0.25]]> : tensor<3x3xf32>
  %e = tensor.empty() : tensor<2x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%ids : tensor<2xindex>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%i: index, %o: f32):
    %c = linalg.index 1 : index
    %v = tensor.extract %t[%i, %c] : tensor<3x3xf32>
    linalg.yield %v : f32
  } -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// A table also used as a whole (a tied output projection) stays f32:
// quantizing it for the gather would store it twice.
// CHECK-LABEL: func.func @tied
// CHECK-NOT: qopt_int8_embedding
// CHECK: tensor.extract {{.*}} : tensor<3x3xf32>
func.func @tied(%ids: tensor<2xindex>) -> (tensor<2x3xf32>, tensor<3x3xf32>) {
  %t = arith.constant dense<1.0> : tensor<3x3xf32>
  %e = tensor.empty() : tensor<2x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%ids : tensor<2xindex>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%i: index, %o: f32):
    %c = linalg.index 1 : index
    %v = tensor.extract %t[%i, %c] : tensor<3x3xf32>
    linalg.yield %v : f32
  } -> tensor<2x3xf32>
  return %y, %t : tensor<2x3xf32>, tensor<3x3xf32>
}
