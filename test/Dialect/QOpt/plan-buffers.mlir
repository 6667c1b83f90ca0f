// RUN: qopt-opt %s --qopt-plan-buffers --split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-plan-buffers=alignment=256 --split-input-file | FileCheck %s --check-prefix=ALIGN

// Three 128-byte buffers in a chain: the first and the last are never live
// together, so they share offset 0 and the arena holds two buffers.

// CHECK-LABEL: func @chain
//  CHECK-SAME: (%{{.*}}: memref<4x8xf32>, %{{.*}}: memref<4x8xf32>, %[[ARENA:.*]]: memref<256xi8> {qopt.arena})
//  CHECK-SAME: qopt.arena_bytes = 256 : i64
//  CHECK-SAME: qopt.arena_lower_bound_bytes = 256 : i64
// Per buffer (start, end, offset, size): a [1,3] @0, b [3,6] @128, c [6,8] @0.
//  CHECK-SAME: qopt.buffer_plan = array<i64: 1, 3, 0, 128, 3, 6, 128, 128, 6, 8, 0, 128>
//   CHECK-NOT: memref.alloc
//       CHECK: %[[C0:.*]] = arith.constant 0 : index
//       CHECK: memref.view %[[ARENA]][%[[C0]]][] : memref<256xi8> to memref<4x8xf32>
//       CHECK: %[[C128:.*]] = arith.constant 128 : index
//       CHECK: memref.view %[[ARENA]][%[[C128]]][] : memref<256xi8> to memref<4x8xf32>
//       CHECK: %[[C0B:.*]] = arith.constant 0 : index
//       CHECK: memref.view %[[ARENA]][%[[C0B]]][] : memref<256xi8> to memref<4x8xf32>
//   CHECK-NOT: memref.dealloc
// ALIGN-LABEL: func @chain
//  ALIGN-SAME: memref<512xi8> {qopt.arena}
func.func @chain(%in: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %a = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%in : memref<4x8xf32>) outs(%a : memref<4x8xf32>)
  %b = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%a : memref<4x8xf32>) outs(%b : memref<4x8xf32>)
  memref.dealloc %a : memref<4x8xf32>
  %c = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%b : memref<4x8xf32>) outs(%c : memref<4x8xf32>)
  memref.dealloc %b : memref<4x8xf32>
  linalg.copy ins(%c : memref<4x8xf32>) outs(%out : memref<4x8xf32>)
  memref.dealloc %c : memref<4x8xf32>
  return
}

// -----

// A view keeps its source alive: %a is read through %v after %b is
// written, so they must not share bytes.

// CHECK-LABEL: func @alias_through_view
//  CHECK-SAME: memref<128xi8> {qopt.arena}
//  CHECK-SAME: qopt.arena_bytes = 128 : i64
func.func @alias_through_view(%in: memref<16xf32>, %out: memref<4xf32>) {
  %a = memref.alloc() : memref<16xf32>
  linalg.copy ins(%in : memref<16xf32>) outs(%a : memref<16xf32>)
  %v = memref.subview %a[0] [4] [1] : memref<16xf32> to memref<4xf32, strided<[1]>>
  %b = memref.alloc() : memref<4xf32>
  linalg.copy ins(%v : memref<4xf32, strided<[1]>>) outs(%b : memref<4xf32>)
  linalg.copy ins(%v : memref<4xf32, strided<[1]>>) outs(%out : memref<4xf32>)
  linalg.copy ins(%b : memref<4xf32>) outs(%out : memref<4xf32>)
  return
}

// -----

// Not planned: a dynamically shaped buffer and one inside a loop stay heap
// allocations; the arena is empty.

// CHECK-LABEL: func @unplannable
//  CHECK-SAME: memref<0xi8> {qopt.arena}
//  CHECK-SAME: qopt.arena_bytes = 0 : i64
//       CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
//       CHECK: scf.for
//       CHECK:   memref.alloc() : memref<4xf32>
func.func @unplannable(%n: index, %out: memref<4xf32>) {
  %d = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %d : memref<?xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %t = memref.alloc() : memref<4xf32>
    linalg.copy ins(%t : memref<4xf32>) outs(%out : memref<4xf32>)
    memref.dealloc %t : memref<4xf32>
  }
  return
}

// -----

// Private functions are left alone (their callers would need the arena).

// CHECK-LABEL: func private @helper
//   CHECK-NOT: qopt.arena
//       CHECK: memref.alloc
func.func private @helper(%out: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  linalg.copy ins(%a : memref<4xf32>) outs(%out : memref<4xf32>)
  return
}
