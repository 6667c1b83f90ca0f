/*===- qopt_gemv.h - Matrix-vector products for qopt_uk_contract -*- C -*-===*
 *
 * Internal to the runtime: qopt_uk_contract hands a product with at most
 * QOPT_UK_GEMV_MAX_M rows of A, one K dim and B contiguous along N to
 * qopt_uk_gemv_run instead of its packed GEMM.
 *
 *===----------------------------------------------------------------------===*/
#ifndef QOPT_RUNTIME_QOPT_GEMV_H
#define QOPT_RUNTIME_QOPT_GEMV_H

#include "qopt/Runtime/qopt_ukernel.h"

#include <stddef.h>

#define QOPT_UK_GEMV_MAX_M 4

/* C[i, n] += sum_k A[i, k] * B[k, n] for i < m, n < n, k < k; element
 * offsets: A[i, k] at rowA[i] + k * sak, B[k, n] at k * sbk + n, C[i, n]
 * at rowC[i] + n * scn. kind is QOPT_UK_F32, BF16, F16, F32_S8 (C f32)
 * or S8 (C int32). */
typedef struct {
  qopt_uk_kind kind;
  int m;
  int64_t n, k;
  const void *a;
  int64_t rowA[QOPT_UK_GEMV_MAX_M], sak;
  const void *b;
  int64_t sbk;
  void *c;
  int64_t rowC[QOPT_UK_GEMV_MAX_M], scn;
  int avx2; /* the kernels run at qopt_uk_isa() avx2 or above */
} qopt_uk_gemv;

void qopt_uk_gemv_run(const qopt_uk_gemv *g, int threads);

#endif
