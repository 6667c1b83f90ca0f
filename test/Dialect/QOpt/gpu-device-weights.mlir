// RUN: qopt-opt %s --pass-pipeline='builtin.module(func.func(qopt-gpu-device-weights))' -split-input-file -verify-diagnostics | FileCheck %s

// Two globals (one read twice) get 256-byte-aligned slots in one trailing
// argument; the layout is recorded for the library's create.
memref.global "private" constant @w : memref<3x5xf32> = dense<1.0>
memref.global "private" constant @b : memref<7xi8> = dense<2>
// CHECK-LABEL: func.func @graph
// CHECK-SAME:    %[[W:[a-z0-9]+]]: memref<263xi8> {qopt.device_weights}
// CHECK-SAME:    qopt.device_weights = {{\[}}[@w, 0, 60], [@b, 256, 7]]
// CHECK-SAME:    qopt.device_weights_bytes = 263
// CHECK-NOT:     memref.get_global
// CHECK:         memref.view %[[W]][%c0{{.*}}][] : memref<263xi8> to memref<3x5xf32>
// CHECK:         memref.view %[[W]][%c256{{.*}}][] : memref<263xi8> to memref<7xi8>
// CHECK:         memref.view %[[W]][%c0{{.*}}][] : memref<263xi8> to memref<3x5xf32>
func.func @graph(%out: memref<3x5xf32>) {
  %0 = memref.get_global @w : memref<3x5xf32>
  %1 = memref.get_global @b : memref<7xi8>
  %2 = memref.get_global @w : memref<3x5xf32>
  memref.copy %0, %out : memref<3x5xf32> to memref<3x5xf32>
  memref.copy %2, %out : memref<3x5xf32> to memref<3x5xf32>
  return
}

// -----

// A buffer the planner could not place has no device home.
func.func @unplanned(%n: index) {
  // expected-error @+1 {{a buffer the planner could not place in the arena (dynamic shape?) cannot live in device memory}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}

// -----

// Only constants are weights.
memref.global "private" @state : memref<4xf32> = dense<0.0>
func.func @mutable() {
  // expected-error @+1 {{only constant globals of static shape and identity layout can be placed in device memory}}
  %0 = memref.get_global @state : memref<4xf32>
  return
}
