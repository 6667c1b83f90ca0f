/*===- qopt_half.h - bf16 and f16 values widened to f32 ----------*- C -*-===*
 *
 * Internal to the runtime (the GEMM and the matrix-vector kernels): exact
 * widening of one 16-bit float, for packing and for portable C, and of
 * eight elements of any float kind into an AVX2 register.
 *
 *===----------------------------------------------------------------------===*/
#ifndef QOPT_RUNTIME_QOPT_HALF_H
#define QOPT_RUNTIME_QOPT_HALF_H

#include "qopt/Runtime/qopt_ukernel.h"

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

#if defined(__x86_64__)
#include <immintrin.h>

/* Eight consecutive elements of `kind` at p as f32: bf16 by a shift, f16
 * by F16C (part of the AVX2 level), int8 (the f32 x int8 kind's B) by
 * sign extension. */
static inline __attribute__((always_inline, target("avx2,f16c"))) __m256
load8_f32(qopt_uk_kind kind, const void *p) {
  switch (kind) {
  case QOPT_UK_BF16:
    return _mm256_castsi256_ps(_mm256_slli_epi32(
        _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
  case QOPT_UK_F16:
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
  case QOPT_UK_F32_S8:
    return _mm256_cvtepi32_ps(
        _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
  default:
    return _mm256_loadu_ps((const float *)p);
  }
}
#endif

#endif
