/*===- qopt_nbits_decode.h - 4-bit weight decoding shared by the kernels --===*
 *
 * Internal to the runtime: the GEMM's packing step (qopt_ukernel.c) and the
 * matrix-vector kernels (qopt_nbits.c) decode 4-bit weights the same way.
 *===----------------------------------------------------------------------===*/
#ifndef QOPT_RUNTIME_NBITS_DECODE_H
#define QOPT_RUNTIME_NBITS_DECODE_H

#include "qopt/Runtime/qopt_ukernel.h"

/* bitsandbytes' NF4 codebook (create_normal_map(offset=0.9677083)). */
extern const float qopt_nf4_codebook[16];

/* W[n0 + n][k0 + k] for n < nr, k < kc into dst[k * stride + n], zeros in
 * columns nr..stride-1: one NR-wide strip of the GEMM's packed B. */
void qopt_nbits_decode_strip(const qopt_uk_nbits *w, int64_t k0, int64_t kc,
                             int64_t n0, int64_t nr, float *dst,
                             int64_t stride);

#endif
