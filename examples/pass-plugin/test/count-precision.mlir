// RUN: qopt-opt %s --load-pass-plugin=%plugin \
// RUN:   --pass-pipeline='builtin.module(qopt-count-precision{by-onnx-op})' \
// RUN:   -o %t.mlir 2>&1 | FileCheck %s
// The pass changes nothing; with `output` the table goes to a file.
// RUN: qopt-opt %s -o %t.before.mlir
// RUN: diff %t.before.mlir %t.mlir
// RUN: qopt-opt %s --load-pass-plugin=%plugin \
// RUN:   --pass-pipeline='builtin.module(qopt-count-precision{output=%t.txt})'
// RUN: FileCheck %s --check-prefix=FILE --input-file=%t.txt
// A loaded plugin's pass is also a flag of qopt-opt.
// RUN: qopt-opt %s --load-pass-plugin=%plugin --qopt-count-precision \
// RUN:   -o /dev/null 2>&1 | FileCheck %s --check-prefix=FILE

// CHECK:      qopt-count-precision: 5 ops
// CHECK-NEXT:   type    ops  qopt.cast
// CHECK-NEXT:   bf16      2          1
// CHECK-NEXT:   f32       2          1
// CHECK-NEXT:   i8        1          0
// CHECK-NEXT:   onnx op      type  ops
// CHECK-NEXT:   Add          bf16    1
// CHECK-NEXT:   Mul          f32     1

// FILE: qopt-count-precision: 5 ops
// FILE-NOT: onnx op

func.func @main(%x: tensor<4xf32>, %w: tensor<4xbf16>) -> (tensor<4xf32>, tensor<4xi8>) {
  %0 = qopt.cast %x : tensor<4xf32> to tensor<4xbf16>
  %1 = arith.addf %0, %w : tensor<4xbf16> loc(fused<"onnx.Add">["add"("m.onnx":0:0)])
  %2 = qopt.cast %1 : tensor<4xbf16> to tensor<4xf32>
  %3 = arith.mulf %2, %x : tensor<4xf32> loc(fused<"onnx.Mul">["mul"("m.onnx":0:0)])
  %4 = arith.constant dense<1> : tensor<4xi8>
  return %3, %4 : tensor<4xf32>, tensor<4xi8>
}
