/*===- qopt_nbits.c - Products with 4-bit weights decoded as they are read ===*
 *
 * Weights stay packed (two codes a byte) in the model; nothing here expands
 * a whole weight. A matrix-vector product (decode: M <= 4 rows) streams
 * each weight row once, decodes 32 codes at a time in registers and
 * multiplies them with every row of A, so it runs at the speed of reading
 * the packed bytes. Larger M goes through the packed GEMM of
 * qopt_ukernel.c, whose packing step decodes one KC x NC block at a time.
 *===----------------------------------------------------------------------===*/
#include "qopt/Runtime/qopt_ukernel.h"
#include "qopt_nbits_decode.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define QOPT_NBITS_X86 1
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

enum { GEMV_MAX_M = 4 };

const float qopt_nf4_codebook[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f,
    0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
    0.7229568362236023f, 1.0f};

static inline int zero_point(const qopt_uk_nbits *w, int64_t n, int64_t blk) {
  if (w->format != QOPT_NBITS_ASYMMETRIC)
    return 8;
  uint8_t z = w->zeros[n * ((w->blocks + 1) / 2) + blk / 2];
  return blk & 1 ? z >> 4 : z & 15;
}

static inline float decode(const qopt_uk_nbits *w, int code, int zero,
                           float scale) {
  if (w->format == QOPT_NBITS_NF4)
    return qopt_nf4_codebook[code] * scale;
  return (float)(code - zero) * scale;
}

void qopt_nbits_decode_strip(const qopt_uk_nbits *w, int64_t k0, int64_t kc,
                             int64_t n0, int64_t nr, float *dst,
                             int64_t stride) {
  int64_t rowBytes = w->blocks * (w->group / 2);
  for (int64_t n = 0; n < nr; ++n) {
    const uint8_t *row = w->codes + (n0 + n) * rowBytes;
    const float *scales = w->scales + (n0 + n) * w->blocks;
    for (int64_t k = k0; k < k0 + kc;) {
      int64_t blk = k / w->group, end = (blk + 1) * w->group;
      if (end > k0 + kc)
        end = k0 + kc;
      int zero = zero_point(w, n0 + n, blk);
      float scale = scales[blk];
      for (; k < end; ++k) {
        uint8_t byte = row[k / 2];
        int code = k & 1 ? byte >> 4 : byte & 15;
        dst[(k - k0) * stride + n] = decode(w, code, zero, scale);
      }
    }
  }
  for (int64_t k = 0; k < kc; ++k)
    for (int64_t n = nr; n < stride; ++n)
      dst[k * stride + n] = 0.f;
}

/*===---------------------- matrix-vector products -----------------------===*/

typedef struct {
  const qopt_uk_nbits *w;
  const float *a;
  float *c;
  int64_t m, k, lda, ldc;
} gemv;

/* C[:, n] for rows n of one thread, portable C. */
static void gemv_rows_portable(const gemv *g, int64_t n0, int64_t n1) {
  const qopt_uk_nbits *w = g->w;
  int64_t rowBytes = w->blocks * (w->group / 2);
  for (int64_t n = n0; n < n1; ++n) {
    float acc[GEMV_MAX_M] = {0};
    for (int64_t blk = 0; blk < w->blocks; ++blk) {
      int zero = zero_point(w, n, blk);
      float scale = w->scales[n * w->blocks + blk];
      const uint8_t *bytes = w->codes + n * rowBytes + blk * (w->group / 2);
      int64_t kb = blk * w->group, ke = kb + w->group < g->k ? kb + w->group : g->k;
      float part[GEMV_MAX_M] = {0};
      for (int64_t k = kb; k < ke; ++k) {
        uint8_t byte = bytes[(k - kb) / 2];
        int code = k & 1 ? byte >> 4 : byte & 15;
        float v = w->format == QOPT_NBITS_NF4 ? qopt_nf4_codebook[code]
                                              : (float)(code - zero);
        for (int64_t m = 0; m < g->m; ++m)
          part[m] += g->a[m * g->lda + k] * v;
      }
      for (int64_t m = 0; m < g->m; ++m)
        acc[m] += part[m] * scale;
    }
    for (int64_t m = 0; m < g->m; ++m)
      g->c[m * g->ldc + n] += acc[m];
  }
}

#ifdef QOPT_NBITS_X86
#define QOPT_AVX2 __attribute__((target("avx2,fma")))

/* 8 decoded values (codes - zero, or codebook entries) from 8 codes in
 * the low bytes of `codes`. */
static inline QOPT_AVX2 __m256 decode8(__m128i codes, __m256i zero, int nf4,
                                       __m256 lut_lo, __m256 lut_hi) {
  __m256i q = _mm256_cvtepu8_epi32(codes);
  if (nf4) {
    __m256 lo = _mm256_permutevar8x32_ps(lut_lo, q);
    __m256 hi = _mm256_permutevar8x32_ps(lut_hi, q);
    /* code >= 8 takes the upper half: bit 3 moved to the sign bit */
    return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(q, 28)));
  }
  return _mm256_cvtepi32_ps(_mm256_sub_epi32(q, zero));
}

/* Rows n0..n1 of C for M rows of A (M <= 4), blocks of a multiple of 32
 * codes: 16 bytes hold 32 codes; low and high nibbles are split and
 * interleaved back into order, then widened 8 at a time. */
static QOPT_AVX2 void gemv_rows_avx2(const gemv *g, int64_t n0, int64_t n1) {
  const qopt_uk_nbits *w = g->w;
  int64_t rowBytes = w->blocks * (w->group / 2);
  const __m128i mask = _mm_set1_epi8(15);
  const int nf4 = w->format == QOPT_NBITS_NF4;
  const __m256 lut_lo = _mm256_loadu_ps(qopt_nf4_codebook);
  const __m256 lut_hi = _mm256_loadu_ps(qopt_nf4_codebook + 8);
  const int64_t m = g->m;
  for (int64_t n = n0; n < n1; ++n) {
    __m256 acc[GEMV_MAX_M];
    for (int64_t i = 0; i < GEMV_MAX_M; ++i)
      acc[i] = _mm256_setzero_ps();
    const uint8_t *row = w->codes + n * rowBytes;
    for (int64_t blk = 0; blk < w->blocks; ++blk) {
      __m256i zero = _mm256_set1_epi32(zero_point(w, n, blk));
      int64_t kb = blk * w->group;
      int64_t full = g->k - kb < w->group ? (g->k - kb) / 32 * 32 : w->group;
      __m256 part[GEMV_MAX_M];
      for (int64_t i = 0; i < GEMV_MAX_M; ++i)
        part[i] = _mm256_setzero_ps();
      for (int64_t k = 0; k < full; k += 32) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(row + (kb + k) / 2));
        __m128i lo = _mm_and_si128(bytes, mask);
        __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
        __m128i c0 = _mm_unpacklo_epi8(lo, hi); /* codes 0..15 */
        __m128i c1 = _mm_unpackhi_epi8(lo, hi); /* codes 16..31 */
        __m256 v[4] = {decode8(c0, zero, nf4, lut_lo, lut_hi),
                       decode8(_mm_srli_si128(c0, 8), zero, nf4, lut_lo, lut_hi),
                       decode8(c1, zero, nf4, lut_lo, lut_hi),
                       decode8(_mm_srli_si128(c1, 8), zero, nf4, lut_lo, lut_hi)};
        for (int64_t i = 0; i < m; ++i) {
          const float *x = g->a + i * g->lda + kb + k;
          for (int j = 0; j < 4; ++j)
            part[i] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 8 * j), v[j], part[i]);
        }
      }
      __m256 scale = _mm256_set1_ps(w->scales[n * w->blocks + blk]);
      for (int64_t i = 0; i < m; ++i)
        acc[i] = _mm256_fmadd_ps(part[i], scale, acc[i]);
      /* A tail of fewer than 32 inputs (K not a multiple of 32). */
      if (kb + full < g->k && full < w->group) {
        float s = w->scales[n * w->blocks + blk];
        int zp = zero_point(w, n, blk);
        float tail[GEMV_MAX_M] = {0};
        for (int64_t k = kb + full; k < g->k && k < kb + w->group; ++k) {
          uint8_t byte = row[k / 2];
          int code = k & 1 ? byte >> 4 : byte & 15;
          float v = nf4 ? qopt_nf4_codebook[code] : (float)(code - zp);
          for (int64_t i = 0; i < m; ++i)
            tail[i] += g->a[i * g->lda + k] * v;
        }
        for (int64_t i = 0; i < m; ++i)
          acc[i] = _mm256_add_ps(acc[i], _mm256_setr_ps(tail[i] * s, 0, 0, 0, 0, 0, 0, 0));
      }
    }
    for (int64_t i = 0; i < m; ++i) {
      __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc[i]),
                             _mm256_extractf128_ps(acc[i], 1));
      s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
      s4 = _mm_add_ss(s4, _mm_shuffle_ps(s4, s4, 1));
      g->c[i * g->ldc + n] += _mm_cvtss_f32(s4);
    }
  }
}

/* Every ISA level above portable includes AVX2 and FMA; asked per call, so
 * that QOPT_UK_ISA (read when a model is created) is honoured. */
static int have_avx2(void) { return strcmp(qopt_uk_isa(), "portable") != 0; }
#endif

static void gemv_rows(const gemv *g, int64_t n0, int64_t n1) {
#ifdef QOPT_NBITS_X86
  if (g->w->group % 32 == 0 && have_avx2()) {
    gemv_rows_avx2(g, n0, n1);
    return;
  }
#endif
  gemv_rows_portable(g, n0, n1);
}

static void run_gemv(const gemv *g, int64_t n) {
  int threads = qopt_uk_num_threads();
  /* Rows of 64 outputs per task keep the weight stream sequential per
   * thread; small products stay on one thread. */
  if ((double)n * (double)g->k < 65536.0)
    threads = 1;
  if (threads > n)
    threads = (int)n;
  if (threads <= 1) {
    gemv_rows(g, 0, n);
    return;
  }
  /* A plain parallel region split by hand (no worksharing loop: Debian's
   * libomp allocates in its init, and a run must not touch the heap). */
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  {
    int64_t id = omp_get_thread_num(), t = omp_get_num_threads();
    gemv_rows(g, n * id / t, n * (id + 1) / t);
  }
#else
  gemv_rows(g, 0, n);
#endif
}

void qopt_uk_matmul_nbits(const int64_t *desc, const float *a,
                          const uint8_t *codes, const float *scales,
                          const uint8_t *zeros, float *c) {
  int64_t M = desc[2], K = desc[3], N = desc[4], group = desc[5];
  qopt_uk_nbits w = {codes, scales, zeros, desc[1], group,
                     (K + group - 1) / group};
  if (M == 0 || N == 0)
    return;
  if (M <= GEMV_MAX_M) {
    gemv g = {&w, a, c, M, K, desc[6], desc[7]};
    run_gemv(&g, N);
    return;
  }
  /* C = A . W^T through the packed GEMM: one M dim, one K dim (A stride 1,
   * B "stride" 1 so that packing sees k0 + k), N along C rows. */
  int64_t gemmDesc[] = {QOPT_UK_ABI, QOPT_UK_F32_Q4, 0, 1, 1, N, 0, 1,
                        M,           desc[6],        desc[7],
                        K,           1,              1};
  qopt_uk_contract(gemmDesc, a, &w, c);
}
