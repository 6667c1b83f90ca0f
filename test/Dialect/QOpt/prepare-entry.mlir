// RUN: qopt-opt %s --qopt-prepare-entry | FileCheck %s
// RUN: qopt-opt %s --qopt-prepare-entry=name=graph \
// RUN:   | FileCheck %s --check-prefix=NAMED

// The graph function gets the library's symbol and a C interface; every
// use of the old symbol follows.

// CHECK-LABEL: func.func @qopt_graph
//  CHECK-SAME: attributes {llvm.emit_c_interface}
//       CHECK: func.func private @caller
//       CHECK: call @qopt_graph
// NAMED-LABEL: func.func @graph
//  NAMED-SAME: attributes {llvm.emit_c_interface}
//       NAMED: call @graph
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func private @caller(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = call @main(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
