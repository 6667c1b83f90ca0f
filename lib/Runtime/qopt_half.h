/*===- qopt_half.h - bf16 and f16 values widened to f32 ----------*- C -*-===*
 *
 * Internal to the runtime (the GEMM and the matrix-vector kernels): exact
 * widening of one 16-bit float, for packing and for portable C.
 *
 *===----------------------------------------------------------------------===*/
#ifndef QOPT_RUNTIME_QOPT_HALF_H
#define QOPT_RUNTIME_QOPT_HALF_H

#include <stdint.h>
#include <string.h>

static inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static inline float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu,
           man = h & 0x3ffu, bits;
  if (exp == 0) {
    float f = (float)man * 0x1p-24f; /* zero or subnormal */
    return sign ? -f : f;
  }
  bits = exp == 31 ? sign | 0x7f800000u | (man << 13)
                   : sign | ((exp + 112u) << 23) | (man << 13);
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

#endif
