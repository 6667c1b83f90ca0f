// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-quantize-llm-int8))' | FileCheck %s
// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-quantize-llm-int8{threshold=2.5}))' \
// RUN:   | FileCheck %s --check-prefix=T25
// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-quantize-llm-int8{min-elements=100}))' \
// RUN:   | FileCheck %s --check-prefix=MIN

// The weight becomes int8 per output column (column 0: max|w| 2 -> scale
// 2/127, 1.0 -> 63.5 -> 64 = 0x40, -2.0 -> -127 = 0x81; column 1: max 4,
// 0.5 -> 15.875 -> 16 = 0x10, 4.0 -> 127 = 0x7F). At run time: the per-column max
// |x| over every row finds the outlier columns (> 6.0 by default); the
// others are quantized per row and multiplied in int8; the outliers are
// multiplied in f32 against the int8 weights, widened as read (sitofp);
// one rescale adds both, each times the column scale.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[WQ:.*]] = arith.constant dense_resource<[[W:qopt_llm_int8_w_0]]> : tensor<1x2x2xi8>
// CHECK-DAG: %[[WS:.*]] = arith.constant dense_resource<qopt_llm_int8_scale_0> : tensor<2xf32>
// CHECK: %[[COLMAX:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction", "parallel"]{{.*}} outs(%{{.*}} : tensor<2xf32>)
// CHECK: %[[REG:.*]] = linalg.generic {{.*}} ins(%arg0, %[[COLMAX]] : tensor<1x3x2xf32>, tensor<2xf32>)
// CHECK: arith.cmpf ogt
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} ins(%arg0, %[[COLMAX]]
// CHECK: %[[AMAX:.*]] = linalg.generic {{.*}} ins(%[[REG]] : tensor<1x3x2xf32>)
// CHECK: %[[XQ:.*]] = linalg.generic {{.*}} ins(%[[REG]], %[[AMAX]]
// CHECK: %[[ACC:.*]] = tosa.matmul %[[XQ]], %[[WQ]], {{.*}} -> tensor<1x3x2xi32>
// CHECK: %[[F:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]{{.*}} ins(%[[OUT]], %[[WQ]] : tensor<1x3x2xf32>, tensor<1x2x2xi8>)
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[AMAX]], %[[WS]], %[[F]] :
// CHECK-NOT: tosa.matmul {{.*}}f32>
// CHECK: [[W]]: "0x080000004010817F"
// The threshold is an option.
// T25: arith.constant 2.500000e+00 : f32
// Weights below min-elements stay f32.
// MIN: tosa.matmul {{.*}} -> tensor<1x3x2xf32>
func.func @matmul(%x: tensor<1x3x2xf32>) -> tensor<1x3x2xf32> {
  %w = arith.constant dense<[[1.0, 0.5], [-2.0, 4.0]]> : tensor<2x2xf32>
  %s = tosa.const_shape {values = dense<[1, 2, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %w, %s : (tensor<2x2xf32>, !tosa.shape<3>) -> tensor<1x2x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %x, %w3, %zp, %zp : (tensor<1x3x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x2xf32>
  return %y : tensor<1x3x2xf32>
}
