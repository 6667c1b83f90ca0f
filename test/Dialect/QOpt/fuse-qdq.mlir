// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-fuse-qdq),canonicalize)' | FileCheck %s

// x int8 (scale 0.5, zero point -3) by a [2, 3] int8 weight per column
// (scales 0.25, 0.5, 1; the importer's reshape to [1, 2, 3] in between).
// colsum = [1 + 4, -2 + 5, 3 - 6] = [5, 3, -3]; the correction zx * colsum
// = [-15, -9, 9] is an int32 constant (0xFFFFFFF1, 0xFFFFFFF7, 9); the
// epilogue scale sx * sw = [0.125, 0.25, 0.5] (0x3E000000, 0x3E800000,
// 0x3F000000).
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense_resource<[[C:qopt_qdq_zero_point_0]]> : tensor<3xi32>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense_resource<[[S:qopt_qdq_scale_0]]> : tensor<3xf32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[WB:qopt_qdq_weight_0]]> : tensor<1x2x3xi8>
// CHECK: %[[Q:.*]] = qopt.quantize %arg0
// CHECK: %[[I8:.*]] = quant.scast %[[Q]] : {{.*}} to tensor<1x4x2xi8>
// CHECK: %[[ACC:.*]] = tosa.matmul %[[I8]], %[[W]], {{.*}} -> tensor<1x4x3xi32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[SCALE]], %[[CORR]] : tensor<1x4x3xi32>, tensor<3xf32>, tensor<3xi32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: i32, %[[SC:.*]]: f32, %[[CO:.*]]: i32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subi %[[A]], %[[CO]] : i32
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
// CHECK-NEXT: arith.mulf %[[F]], %[[SC]] : f32
// CHECK-NOT: qopt.dequantize
// CHECK: [[C]]: "0x08000000F1FFFFFFF7FFFFFF09000000"
// CHECK: [[S]]: "0x080000000000003E0000803E0000003F"
// CHECK: [[WB]]: "0x0800000001FE030405FA"
func.func @matmul(%x: tensor<1x4x2xf32>) -> tensor<1x4x3xf32> {
  %q = qopt.quantize %x : tensor<1x4x2xf32> to tensor<1x4x2x!quant.uniform<i8:f32, 0.5:-3>>
  %xd = qopt.dequantize %q : tensor<1x4x2x!quant.uniform<i8:f32, 0.5:-3>> to tensor<1x4x2xf32>
  %wi = arith.constant dense<[[1, -2, 3], [4, 5, -6]]> : tensor<2x3xi8>
  %wq = quant.scast %wi : tensor<2x3xi8> to tensor<2x3x!quant.uniform<i8:f32:1, {0.25, 0.5, 1.0}>>
  %wd = qopt.dequantize %wq : tensor<2x3x!quant.uniform<i8:f32:1, {0.25, 0.5, 1.0}>> to tensor<2x3xf32>
  %s = tosa.const_shape {values = dense<[1, 2, 3]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %w3 = tosa.reshape %wd, %s : (tensor<2x3xf32>, !tosa.shape<3>) -> tensor<1x2x3xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %xd, %w3, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  return %y : tensor<1x4x3xf32>
}

// -----

// A uint8 activation (zero point 130) becomes int8 by flipping the top bit
// (u - 128; zero point 2). Its zero point is not 0, so the convolution's
// zero padding (1 on each side) becomes an explicit pad with 2 and the
// convolution pads nothing: every window then sums 9 products, and the
// correction 2 * colsum = 2 * 9 = 18 holds at the borders too. The weight
// (per tensor, scale 0.5) comes through the importer's OIHW -> OHWI
// transpose; the bias is added by the epilogue.
// CHECK-LABEL: func.func @conv_u8_padded
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense_resource<[[C:qopt_qdq_zero_point_0]]> : tensor<2xi32>
// CHECK-DAG: %[[TWO:.*]] = "tosa.const"() <{values = dense<2> : tensor<1xi8>}>
// CHECK-DAG: %[[FLIP:.*]] = arith.constant dense<-128> : tensor<1x4x4x1xi8>
// CHECK: %[[S:.*]] = quant.scast %{{.*}} : tensor<1x4x4x1x!quant.uniform<u8:f32, 2.500000e-01:130>> to tensor<1x4x4x1xi8>
// CHECK: %[[I8:.*]] = arith.xori %[[S]], %[[FLIP]] : tensor<1x4x4x1xi8>
// CHECK: %[[P:.*]] = tosa.pad %[[I8]], %{{.*}}, %[[TWO]] : (tensor<1x4x4x1xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x6x6x1xi8>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[P]], {{.*}}acc_type = i32{{.*}}pad = array<i64: 0, 0, 0, 0>{{.*}} -> tensor<1x4x4x2xi32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %[[CORR]], %arg1 : tensor<1x4x4x2xi32>, tensor<2xf32>, tensor<2xi32>, tensor<2xf32>)
// CHECK: arith.subi
// CHECK: arith.addf
// CHECK: [[C]]: "0x080000001200000012000000"
func.func @conv_u8_padded(%x: tensor<1x4x4x1xf32>, %b: tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  %q = qopt.quantize %x : tensor<1x4x4x1xf32> to tensor<1x4x4x1x!quant.uniform<u8:f32, 0.25:130>>
  %xd = qopt.dequantize %q : tensor<1x4x4x1x!quant.uniform<u8:f32, 0.25:130>> to tensor<1x4x4x1xf32>
  %wi = arith.constant dense<1> : tensor<2x1x3x3xi8>
  %wq = quant.scast %wi : tensor<2x1x3x3xi8> to tensor<2x1x3x3x!quant.uniform<i8:f32, 0.5>>
  %wd = qopt.dequantize %wq : tensor<2x1x3x3x!quant.uniform<i8:f32, 0.5>> to tensor<2x1x3x3xf32>
  %wt = tosa.transpose %wd {perms = array<i32: 0, 2, 3, 1>} : (tensor<2x1x3x3xf32>) -> tensor<2x3x3x1xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %xd, %wt, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<2x3x3x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

// An activation layout change (the importer's NCHW -> NHWC transpose)
// moves to the int8 values; a zero point of 0 needs neither correction nor
// explicit padding.
// CHECK-LABEL: func.func @conv_transposed_input
// CHECK: %[[S:.*]] = quant.scast %{{.*}} to tensor<1x2x4x4xi8>
// CHECK: %[[T:.*]] = tosa.transpose %[[S]] {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x2x4x4xi8>) -> tensor<1x4x4x2xi8>
// CHECK: tosa.conv2d %[[T]], {{.*}}pad = array<i64: 1, 1, 1, 1>{{.*}} -> tensor<1x4x4x2xi32>
// CHECK-NOT: arith.subi
// CHECK: arith.mulf
func.func @conv_transposed_input(%x: tensor<1x2x4x4xf32>, %b: tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  %q = qopt.quantize %x : tensor<1x2x4x4xf32> to tensor<1x2x4x4x!quant.uniform<i8:f32, 0.25>>
  %xd = qopt.dequantize %q : tensor<1x2x4x4x!quant.uniform<i8:f32, 0.25>> to tensor<1x2x4x4xf32>
  %xt = tosa.transpose %xd {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32>
  %wi = arith.constant dense<1> : tensor<2x3x3x2xi8>
  %wq = quant.scast %wi : tensor<2x3x3x2xi8> to tensor<2x3x3x2x!quant.uniform<i8:f32:0, {0.5, 0.25}>>
  %wd = qopt.dequantize %wq : tensor<2x3x3x2x!quant.uniform<i8:f32:0, {0.5, 0.25}>> to tensor<2x3x3x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %xt, %wd, %b, %zp, %zp {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x3x3x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

// What stays in float: a weight with a non-zero zero point, a weight
// quantized along its input (K) axis, an activation quantized per axis,
// and a product of two activations.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: xi32>
// CHECK-COUNT-4: tosa.matmul {{.*}} -> tensor<1x4x3xf32>
// CHECK-NOT: xi32>
func.func @not_fused(%x: tensor<1x4x2xf32>, %v: tensor<1x2x3xf32>) -> (tensor<1x4x3xf32>, tensor<1x4x3xf32>, tensor<1x4x3xf32>, tensor<1x4x3xf32>) {
  %q = qopt.quantize %x : tensor<1x4x2xf32> to tensor<1x4x2x!quant.uniform<i8:f32, 0.5:-3>>
  %xd = qopt.dequantize %q : tensor<1x4x2x!quant.uniform<i8:f32, 0.5:-3>> to tensor<1x4x2xf32>
  %wi = arith.constant dense<1> : tensor<1x2x3xi8>
  %zpw = quant.scast %wi : tensor<1x2x3xi8> to tensor<1x2x3x!quant.uniform<i8:f32, 0.5:1>>
  %w1 = qopt.dequantize %zpw : tensor<1x2x3x!quant.uniform<i8:f32, 0.5:1>> to tensor<1x2x3xf32>
  %kax = quant.scast %wi : tensor<1x2x3xi8> to tensor<1x2x3x!quant.uniform<i8:f32:1, {0.5, 0.25}>>
  %w2 = qopt.dequantize %kax : tensor<1x2x3x!quant.uniform<i8:f32:1, {0.5, 0.25}>> to tensor<1x2x3xf32>
  %w = arith.constant dense<1> : tensor<1x2x3xi8>
  %wt = quant.scast %w : tensor<1x2x3xi8> to tensor<1x2x3x!quant.uniform<i8:f32, 0.5>>
  %w3 = qopt.dequantize %wt : tensor<1x2x3x!quant.uniform<i8:f32, 0.5>> to tensor<1x2x3xf32>
  %qa = qopt.quantize %x : tensor<1x4x2xf32> to tensor<1x4x2x!quant.uniform<i8:f32:2, {0.5, 0.25}>>
  %xa = qopt.dequantize %qa : tensor<1x4x2x!quant.uniform<i8:f32:2, {0.5, 0.25}>> to tensor<1x4x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y1 = tosa.matmul %xd, %w1, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  %y2 = tosa.matmul %xd, %w2, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  %y3 = tosa.matmul %xa, %w3, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  %y4 = tosa.matmul %xd, %v, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x3xf32>
  return %y1, %y2, %y3, %y4 : tensor<1x4x3xf32>, tensor<1x4x3xf32>, tensor<1x4x3xf32>, tensor<1x4x3xf32>
}
