// RUN: qopt-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(qopt-fuse-qdq),canonicalize)' | FileCheck %s

// x int8 (scale 0.5, zero point -3) by a [2, 3] int8 weight per column
// (scales 0.25, 0.5, 1; the importer's reshape to [1, 2, 3] in between).
// The scales lie on the E4M4 grid of their largest (1 * 2^-2, 2^-1, 2^0):
// one byte each, codes e << 4 | m = 0x20, 0x10, 0x00, decoded in the
// epilogue (exponent 127 - e at bit 23, mantissa m at bit 19, times the
// base 1, which folds away) and multiplied by sx. colsum = [1 + 4, -2 + 5,
// 3 - 6] = [5, 3, -3] fits int16 (0x0005, 0x0003, 0xFFFD); the epilogue
// multiplies it by zx = -3 and subtracts it from the int32 product.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[SX:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[ZX:.*]] = arith.constant -3 : i32
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense_resource<[[C:qopt_qdq_zero_point_0]]> : tensor<3xi16>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense_resource<[[S:qopt_qdq_scale_0]]> : tensor<3xi8>
// CHECK-DAG: %[[W:.*]] = arith.constant dense_resource<[[WB:qopt_qdq_weight_0]]> : tensor<1x2x3xi8>
// CHECK: %[[Q:.*]] = qopt.quantize %arg0
// CHECK: %[[I8:.*]] = quant.scast %[[Q]] : {{.*}} to tensor<1x4x2xi8>
// CHECK: %[[ACC:.*]] = tosa.matmul %[[I8]], %[[W]], {{.*}} -> tensor<1x4x3xi32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[SCALE]], %[[CORR]] : tensor<1x4x3xi32>, tensor<3xi8>, tensor<3xi16>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: i32, %[[SC:.*]]: i8, %[[CO:.*]]: i16, %{{.*}}: f32):
// CHECK-NEXT: %[[CO32:.*]] = arith.extsi %[[CO]] : i16 to i32
// CHECK-NEXT: %[[ZC:.*]] = arith.muli %[[CO32]], %[[ZX]] : i32
// CHECK-NEXT: %[[D:.*]] = arith.subi %[[A]], %[[ZC]] : i32
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
// CHECK-NEXT: %[[CODE:.*]] = arith.extui %[[SC]] : i8 to i32
// CHECK-NEXT: arith.shrui %[[CODE]]
// CHECK-NEXT: arith.andi %[[CODE]]
// CHECK-NEXT: arith.subi
// CHECK-NEXT: arith.shli
// CHECK-NEXT: arith.shli
// CHECK-NEXT: arith.ori
// CHECK-NEXT: %[[G:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[G]], %[[SX]] : f32
// CHECK-NEXT: arith.mulf %[[F]], %[[M]] : f32
// CHECK-NOT: qopt.dequantize
// CHECK: [[C]]: "0x0800000005000300FDFF"
// CHECK: [[S]]: "0x08000000201000"
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
// correction 2 * colsum = 2 * 9 = 18 holds at the borders too (colsum
// stored as int16, times 2 in the epilogue). The weight (per tensor, scale
// 0.5) comes through the importer's OIHW -> OHWI transpose; the bias, an
// argument, is added by the epilogue after the scale.
// CHECK-LABEL: func.func @conv_u8_padded
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense_resource<[[C:qopt_qdq_zero_point_0]]> : tensor<2xi16>
// CHECK-DAG: %[[TWO:.*]] = "tosa.const"() <{values = dense<2> : tensor<1xi8>}>
// CHECK-DAG: %[[FLIP:.*]] = arith.constant dense<-128> : tensor<1x4x4x1xi8>
// CHECK: %[[S:.*]] = quant.scast %{{.*}} : tensor<1x4x4x1x!quant.uniform<u8:f32, 2.500000e-01:130>> to tensor<1x4x4x1xi8>
// CHECK: %[[I8:.*]] = arith.xori %[[S]], %[[FLIP]] : tensor<1x4x4x1xi8>
// CHECK: %[[P:.*]] = tosa.pad %[[I8]], %{{.*}}, %[[TWO]] : (tensor<1x4x4x1xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x6x6x1xi8>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[P]], {{.*}}acc_type = i32{{.*}}pad = array<i64: 0, 0, 0, 0>{{.*}} -> tensor<1x4x4x2xi32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %[[CORR]], %arg1 : tensor<1x4x4x2xi32>, tensor<2xi8>, tensor<2xi16>, tensor<2xf32>)
// CHECK: arith.subi
// CHECK: %[[Y:.*]] = arith.addf {{.*}} : f32
// CHECK-NEXT: linalg.yield %[[Y]]
// CHECK: [[C]]: "0x0800000009000900"
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
// explicit padding. The constant bias [0.5, 1] folds into an f32 offset
// bias / (sx * sw) = [0.5 / 0.125, 1 / 0.0625] = [4, 16], added before the
// scale.
// CHECK-LABEL: func.func @conv_transposed_input
// CHECK-DAG: %[[OFF:.*]] = arith.constant dense_resource<[[O:qopt_qdq_offset_0]]> : tensor<2xf32>
// CHECK: %[[S:.*]] = quant.scast %{{.*}} to tensor<1x2x4x4xi8>
// CHECK: %[[T:.*]] = tosa.transpose %[[S]] {perms = array<i32: 0, 2, 3, 1>} : (tensor<1x2x4x4xi8>) -> tensor<1x4x4x2xi8>
// CHECK: %[[ACC:.*]] = tosa.conv2d %[[T]], {{.*}}pad = array<i64: 1, 1, 1, 1>{{.*}} -> tensor<1x4x4x2xi32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %{{.*}}, %[[OFF]] : tensor<1x4x4x2xi32>, tensor<2xi8>, tensor<2xf32>)
// CHECK-NOT: arith.subi
// CHECK: %[[F:.*]] = arith.sitofp
// CHECK-NEXT: arith.addf %[[F]], %{{.*}} : f32
// CHECK: arith.mulf
// CHECK: [[O]]: "0x080000000000804000008041"
func.func @conv_transposed_input(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x4x2xf32> {
  %b = arith.constant dense<[0.5, 1.0]> : tensor<2xf32>
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

// -----

// Scales that are bfloat16 but off the E4M4 grid (0.5078125 = (1 + 2^-6)
// / 2 needs 6 mantissa bits) are stored as bf16 (0x3F80, 0x3F02) and
// multiplied by sx = 0.5 in the epilogue. The bias reaches the product
// through the importer's reshape to [M, N]: the add folds into the offset
// bias / (sx * sw) = [2 / 0.5, 2 / 0.25390625] = [4, 7.876923]
// (0x40800000, 0x40FC0FC1), and the reshape stays.
// CHECK-LABEL: func.func @matmul_bias_bf16
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense_resource<[[S:qopt_qdq_scale_0]]> : tensor<2xbf16>
// CHECK-DAG: %[[OFF:.*]] = arith.constant dense_resource<[[O:qopt_qdq_offset_0]]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[SCALE]], %[[OFF]] : tensor<1x4x2xi32>, tensor<2xbf16>, tensor<2xf32>)
// CHECK: %[[F:.*]] = arith.sitofp
// CHECK-NEXT: %[[FO:.*]] = arith.addf %[[F]], %{{.*}} : f32
// CHECK-NEXT: %[[E:.*]] = arith.extf %{{.*}} : bf16 to f32
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[E]], %{{.*}} : f32
// CHECK-NEXT: arith.mulf %[[FO]], %[[M]] : f32
// CHECK: %[[R:.*]] = tosa.reshape %[[Y]]
// CHECK-NOT: tosa.add
// CHECK: return %[[R]]
// CHECK-DAG: [[S]]: "0x08000000803F023F"
// CHECK-DAG: [[O]]: "0x0800000000008040C10FFC40"
func.func @matmul_bias_bf16(%x: tensor<1x4x2xf32>) -> tensor<4x2xf32> {
  %q = qopt.quantize %x : tensor<1x4x2xf32> to tensor<1x4x2x!quant.uniform<i8:f32, 0.5>>
  %xd = qopt.dequantize %q : tensor<1x4x2x!quant.uniform<i8:f32, 0.5>> to tensor<1x4x2xf32>
  %wi = arith.constant dense<[[[1, 2], [3, 4]]]> : tensor<1x2x2xi8>
  %wq = quant.scast %wi : tensor<1x2x2xi8> to tensor<1x2x2x!quant.uniform<i8:f32:2, {1.0, 0.5078125}>>
  %wd = qopt.dequantize %wq : tensor<1x2x2x!quant.uniform<i8:f32:2, {1.0, 0.5078125}>> to tensor<1x2x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %xd, %wd, %zp, %zp : (tensor<1x4x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x2xf32>
  %s2 = tosa.const_shape {values = dense<[4, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %y2 = tosa.reshape %y, %s2 : (tensor<1x4x2xf32>, !tosa.shape<2>) -> tensor<4x2xf32>
  %b = arith.constant dense<2.0> : tensor<2xf32>
  %sb = tosa.const_shape {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %b2 = tosa.reshape %b, %sb : (tensor<2xf32>, !tosa.shape<2>) -> tensor<1x2xf32>
  %z = tosa.add %y2, %b2 : (tensor<4x2xf32>, tensor<1x2xf32>) -> tensor<4x2xf32>
  return %z : tensor<4x2xf32>
}

// -----

// Scales neither on a grid nor bfloat16 stay f32 sx * sw; a colsum beyond
// int16 (300 * 127 = 38100) keeps the int32 correction zx * colsum =
// -3 * 38100 = -114300 (0xFFFE4184). An add whose other operand is not a
// constant stays after the epilogue.
// CHECK-LABEL: func.func @matmul_f32_scales
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense_resource<{{.*}}> : tensor<2xf32>
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense_resource<[[C:qopt_qdq_zero_point_0]]> : tensor<2xi32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[SCALE]], %[[CORR]] : tensor<1x1x2xi32>, tensor<2xf32>, tensor<2xi32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: i32, %[[SC:.*]]: f32, %[[CO:.*]]: i32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subi %[[A]], %[[CO]] : i32
// CHECK-NEXT: %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
// CHECK-NEXT: arith.mulf %[[F]], %[[SC]] : f32
// CHECK: tosa.add %[[Y]], %arg1
// CHECK: [[C]]: "0x080000008441FEFF8441FEFF"
func.func @matmul_f32_scales(%x: tensor<1x1x300xf32>, %b: tensor<1x1x2xf32>) -> tensor<1x1x2xf32> {
  %q = qopt.quantize %x : tensor<1x1x300xf32> to tensor<1x1x300x!quant.uniform<i8:f32, 0.5:-3>>
  %xd = qopt.dequantize %q : tensor<1x1x300x!quant.uniform<i8:f32, 0.5:-3>> to tensor<1x1x300xf32>
  %wi = arith.constant dense<127> : tensor<1x300x2xi8>
  %wq = quant.scast %wi : tensor<1x300x2xi8> to tensor<1x300x2x!quant.uniform<i8:f32:2, {0.3, 0.7}>>
  %wd = qopt.dequantize %wq : tensor<1x300x2x!quant.uniform<i8:f32:2, {0.3, 0.7}>> to tensor<1x300x2xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %xd, %wd, %zp, %zp : (tensor<1x1x300xf32>, tensor<1x300x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  %z = tosa.add %y, %b : (tensor<1x1x2xf32>, tensor<1x1x2xf32>) -> tensor<1x1x2xf32>
  return %z : tensor<1x1x2xf32>
}
