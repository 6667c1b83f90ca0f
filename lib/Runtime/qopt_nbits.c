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

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define QOPT_NBITS_X86 1
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

/* Matrix-vector products up to GEMV_MAX_M rows; their per-block sums of A
 * live on the stack, so K / group is capped (larger goes to the GEMM). */
enum { GEMV_MAX_M = 4, GEMV_MAX_BLOCKS = 4096, GEMV_MAX_INT8_K = 16384 };

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
  const float *xsum; /* m x blocks: sum of each row of A over each block */
  /* int8 activations: A quantized per weight block (xq m x k, each chunk
   * of `chunk` (32 or 64) inputs stored as its even then its odd elements
   * to match the nibble order of chunk / 2 code bytes; xs m x blocks
   * scales; isum m x blocks: sum(xq) over the block, which the zero point
   * multiplies), or null. */
  const int8_t *xq;
  const float *xs;
  const int32_t *isum;
  int64_t chunk;
} gemv;

/* Where input k lies in xq: within its chunk, evens first. */
static inline int64_t xq_pos(int64_t k, int64_t chunk) {
  int64_t c0 = k / chunk * chunk, t = k - c0;
  return c0 + (t & 1) * (chunk / 2) + t / 2;
}

/* The int8-activation product in portable C: the same integer dot products
 * per block and the same scaling as the AVX2 kernel. */
static void gemv_rows_int8_portable(const gemv *g, int64_t n0, int64_t n1) {
  const qopt_uk_nbits *w = g->w;
  int64_t rowBytes = w->blocks * (w->group / 2), chunks = w->group / 32;
  for (int64_t n = n0; n < n1; ++n)
    for (int64_t i = 0; i < g->m; ++i) {
      float acc = 0.f;
      for (int64_t blk = 0; blk < w->blocks; ++blk) {
        int32_t dot = -zero_point(w, n, blk) * g->isum[i * w->blocks + blk];
        int64_t left = (g->k - blk * w->group) / 32;
        for (int64_t c = 0; c < chunks && c < left; ++c) {
          int64_t k0 = blk * w->group + c * 32;
          const uint8_t *bytes = w->codes + n * rowBytes + k0 / 2;
          const int8_t *xq = g->xq + i * g->k;
          for (int j = 0; j < 16; ++j) /* byte j: inputs 2j, 2j + 1 */
            dot += (bytes[j] & 15) * xq[xq_pos(k0 + 2 * j, g->chunk)] +
                   (bytes[j] >> 4) * xq[xq_pos(k0 + 2 * j + 1, g->chunk)];
        }
        float sc = w->scales[n * w->blocks + blk];
        acc += (float)dot * sc * g->xs[i * w->blocks + blk];
      }
      g->c[i * g->ldc + n] += acc;
    }
}

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
#define QOPT_AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

/* Per output n and row of A: a vector of partial sums and (f32
 * activations) a scalar correction for zero points and tails, or null. */
QOPT_AVX2_INLINE void clear_row(__m256 *acc, float *corr, const int M) {
  for (int i = 0; i < M; ++i) {
    acc[i] = _mm256_setzero_ps();
    if (corr)
      corr[i] = 0.f;
  }
}

/* C[i, n] += the horizontal sum of acc[i] plus corr[i] (if any). */
QOPT_AVX2_INLINE void store_row(const gemv *g, int64_t n, const __m256 *acc,
                                const float *corr, const int M) {
  for (int i = 0; i < M; ++i) {
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(acc[i]),
                           _mm256_extractf128_ps(acc[i], 1));
    s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    s4 = _mm_add_ss(s4, _mm_shuffle_ps(s4, s4, 1));
    g->c[i * g->ldc + n] += _mm_cvtss_f32(s4) + (corr ? corr[i] : 0.f);
  }
}

/* The 8 codes of 4 bytes as floats, in order: the 32-bit word broadcast to
 * every lane, lane j shifted right by 4j and masked (no shuffles: they
 * would bound the loop on cores with few shuffle ports); for NF4, their
 * codebook values (halves chosen by bit 3). */
QOPT_AVX2_INLINE __m256 codes8(const uint8_t *p, int nf4, __m256 lut_lo,
                               __m256 lut_hi) {
  int32_t word;
  memcpy(&word, p, 4);
  __m256i q = _mm256_and_si256(
      _mm256_srlv_epi32(_mm256_set1_epi32(word),
                        _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)),
      _mm256_set1_epi32(15));
  if (!nf4)
    return _mm256_cvtepi32_ps(q);
  __m256 lo = _mm256_permutevar8x32_ps(lut_lo, q);
  __m256 hi = _mm256_permutevar8x32_ps(lut_hi, q);
  return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(q, 28)));
}

/* Rows n0..n1 of C for a compile-time M (<= 4) rows of A. Per block:
 * sum_k x[k] q[k] accumulates in two independent registers per row, then
 * scales; the zero point comes off once per block as scale * zero *
 * sum(x over the block) (xsum, computed once per call), so the inner loop
 * only widens codes and multiplies. */
QOPT_AVX2_INLINE void gemv_rows_avx2_m(const gemv *g, int64_t n0, int64_t n1,
                                       const int M) {
  const qopt_uk_nbits *w = g->w;
  int64_t rowBytes = w->blocks * (w->group / 2);
  const int nf4 = w->format == QOPT_NBITS_NF4;
  const __m256 lut_lo = _mm256_loadu_ps(qopt_nf4_codebook);
  const __m256 lut_hi = _mm256_loadu_ps(qopt_nf4_codebook + 8);
  for (int64_t n = n0; n < n1; ++n) {
    __m256 acc[GEMV_MAX_M];
    float corr[GEMV_MAX_M];
    clear_row(acc, corr, M);
    const uint8_t *row = w->codes + n * rowBytes;
    const float *scales = w->scales + n * w->blocks;
    for (int64_t blk = 0; blk < w->blocks; ++blk) {
      int64_t kb = blk * w->group;
      int64_t len = g->k - kb < w->group ? g->k - kb : w->group;
      int64_t full = len / 32 * 32;
      /* Independent sums, so that the FMA latency does not serialise an
       * iteration: four per row for one or two rows, two beyond. */
      __m256 p0[GEMV_MAX_M], p1[GEMV_MAX_M], p2[2], p3[2];
      for (int i = 0; i < M; ++i)
        p0[i] = p1[i] = _mm256_setzero_ps();
      for (int i = 0; i < 2; ++i)
        p2[i] = p3[i] = _mm256_setzero_ps();
      const uint8_t *bytes = row + blk * (w->group / 2);
      for (int64_t k = 0; k < full; k += 32) {
        const uint8_t *q = bytes + k / 2;
        __m256 v0 = codes8(q, nf4, lut_lo, lut_hi);
        __m256 v1 = codes8(q + 4, nf4, lut_lo, lut_hi);
        __m256 v2 = codes8(q + 8, nf4, lut_lo, lut_hi);
        __m256 v3 = codes8(q + 12, nf4, lut_lo, lut_hi);
        for (int i = 0; i < M; ++i) {
          const float *x = g->a + i * g->lda + kb + k;
          p0[i] = _mm256_fmadd_ps(_mm256_loadu_ps(x), v0, p0[i]);
          p1[i] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 8), v1, p1[i]);
          if (M <= 2) {
            p2[i] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 16), v2, p2[i]);
            p3[i] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 24), v3, p3[i]);
          } else {
            p0[i] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 16), v2, p0[i]);
            p1[i] = _mm256_fmadd_ps(_mm256_loadu_ps(x + 24), v3, p1[i]);
          }
        }
      }
      float tail[GEMV_MAX_M] = {0};
      for (int64_t k = full; k < len; ++k) { /* fewer than 32 left */
        uint8_t byte = bytes[k / 2];
        int code = k & 1 ? byte >> 4 : byte & 15;
        float v = nf4 ? qopt_nf4_codebook[code] : (float)code;
        for (int i = 0; i < M; ++i)
          tail[i] += g->a[i * g->lda + kb + k] * v;
      }
      float sc = scales[blk];
      __m256 scale = _mm256_set1_ps(sc);
      float zs = nf4 ? 0.f : sc * (float)zero_point(w, n, blk);
      for (int i = 0; i < M; ++i) {
        __m256 sum = _mm256_add_ps(p0[i], p1[i]);
        if (M <= 2)
          sum = _mm256_add_ps(sum, _mm256_add_ps(p2[i], p3[i]));
        acc[i] = _mm256_fmadd_ps(sum, scale, acc[i]);
        corr[i] += tail[i] * sc - zs * g->xsum[i * w->blocks + blk];
      }
    }
    store_row(g, n, acc, corr, M);
  }
}

/* int8 activations (llama.cpp's Q4 x Q8 scheme): 16 bytes hold 32 codes;
 * low nibbles (the even inputs) and high nibbles (the odd ones) form one
 * register of unsigned bytes, multiplied with the matching signed int8
 * activations by vpmaddubsw (pairs summed in int16: at most 2 * 15 * 127)
 * and vpmaddwd, summed in int32 over the block. `nc` chunks of 32 inputs
 * from input k0 added to dot[i] for each of the M rows of A. */
QOPT_AVX2_INLINE void block_dots_int8(const gemv *g, const uint8_t *row,
                                      int64_t k0, int64_t nc, __m256i *dot,
                                      const int M) {
  const __m256i ones = _mm256_set1_epi16(1);
  if (g->chunk == 64) {
    /* 32 code bytes: their low nibbles are the 32 even inputs of the 64,
     * the high nibbles the odd ones, as xq holds them: no lane shuffle.
     * Up to four such products add in int16 (at most 4 * 2 * 2 * 15 * 127
     * = 30480) before one vpmaddwd. */
    const __m256i mask = _mm256_set1_epi8(15);
    for (int64_t c = 0; c < nc; c += 8) {
      __m256i s16[GEMV_MAX_M];
      for (int64_t p = c; p < c + 8 && p < nc; p += 2, k0 += 64) {
        __m256i bytes = _mm256_loadu_si256((const __m256i *)(row + k0 / 2));
        __m256i lo = _mm256_and_si256(bytes, mask);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
        for (int i = 0; i < M; ++i) {
          const int8_t *x = g->xq + i * g->k + k0;
          __m256i t = _mm256_add_epi16(
              _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)x)),
              _mm256_maddubs_epi16(hi,
                                   _mm256_loadu_si256((const __m256i *)(x + 32))));
          s16[i] = p == c ? t : _mm256_add_epi16(s16[i], t);
        }
      }
      for (int i = 0; i < M; ++i)
        dot[i] = _mm256_add_epi32(dot[i], _mm256_madd_epi16(s16[i], ones));
    }
    return;
  }
  const __m128i mask = _mm_set1_epi8(15);
  for (int64_t c = 0; c < nc; ++c, k0 += 32) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)(row + k0 / 2));
    __m256i codes = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(bytes, 4), mask),
                                     _mm_and_si128(bytes, mask));
    for (int i = 0; i < M; ++i) {
      __m256i xq = _mm256_loadu_si256((const __m256i *)(g->xq + i * g->k + k0));
      dot[i] = _mm256_add_epi32(
          dot[i], _mm256_madd_epi16(_mm256_maddubs_epi16(codes, xq), ones));
    }
  }
}

/* Bytes ahead of the one being read that the weight stream is prefetched
 * by: the out-of-order window alone keeps too few cache misses in flight
 * for DRAM's latency. */
enum { GEMV_PREFETCH = 4096 };

/* One block of weight row n into acc: the sum starts at -zero * sum(xq) in
 * one lane, so that the zero point comes off in integers (SYM: the
 * symmetric format's 8, a constant), then `nc` chunks, then one
 * conversion and one scale per row of A. */
QOPT_AVX2_INLINE void block_int8(const gemv *g, int64_t n, int64_t blk,
                                 const uint8_t *row, int64_t nc, __m256 *acc,
                                 const int M, const int SYM) {
  const qopt_uk_nbits *w = g->w;
  int64_t k0 = blk * w->group;
  for (int64_t p = 0; p < nc * 16; p += 64)
    _mm_prefetch((const char *)row + k0 / 2 + p + GEMV_PREFETCH, _MM_HINT_T0);
  int zero = SYM ? 8 : zero_point(w, n, blk);
  __m256i dot[GEMV_MAX_M];
  for (int i = 0; i < M; ++i)
    dot[i] = _mm256_zextsi128_si256(
        _mm_cvtsi32_si128(-zero * g->isum[i * w->blocks + blk]));
  block_dots_int8(g, row, k0, nc, dot, M);
  __m256 sc = _mm256_broadcast_ss(w->scales + n * w->blocks + blk);
  for (int i = 0; i < M; ++i)
    acc[i] = _mm256_fmadd_ps(
        _mm256_mul_ps(_mm256_cvtepi32_ps(dot[i]), sc),
        _mm256_broadcast_ss(g->xs + i * w->blocks + blk), acc[i]);
}

/* Rows n0..n1 of C for a compile-time M and, where G is not 0, a
 * compile-time group (the chunk loop of a block then unrolls). */
QOPT_AVX2_INLINE void gemv_rows_int8_m(const gemv *g, int64_t n0, int64_t n1,
                                       const int M, const int64_t G,
                                       const int SYM) {
  const qopt_uk_nbits *w = g->w;
  int64_t group = G ? G : w->group, rowBytes = w->blocks * (group / 2);
  int64_t whole = g->k / group; /* blocks of `group` inputs; then a part */
  for (int64_t n = n0; n < n1; ++n) {
    __m256 acc[GEMV_MAX_M]; /* the zero point is in the integer sums */
    clear_row(acc, NULL, M);
    const uint8_t *row = w->codes + n * rowBytes;
    for (int64_t blk = 0; blk < whole; ++blk)
      block_int8(g, n, blk, row, group / 32, acc, M, SYM);
    if (whole < w->blocks)
      block_int8(g, n, whole, row, (g->k - whole * group) / 32, acc, M, SYM);
    store_row(g, n, acc, NULL, M);
  }
}

QOPT_AVX2_INLINE void gemv_rows_int8_g(const gemv *g, int64_t n0, int64_t n1,
                                       const int M) {
  int sym = g->w->format == QOPT_NBITS_SYMMETRIC;
  if (sym && g->chunk == 64 && g->w->group == 128)
    gemv_rows_int8_m(g, n0, n1, M, 128, 1);
  else if (sym && g->chunk == 64 && g->w->group == 64)
    gemv_rows_int8_m(g, n0, n1, M, 64, 1);
  else
    gemv_rows_int8_m(g, n0, n1, M, 0, 0);
}

static QOPT_AVX2 void gemv_rows_int8_avx2(const gemv *g, int64_t n0, int64_t n1) {
  switch (g->m) {
  case 1: gemv_rows_int8_g(g, n0, n1, 1); break;
  case 2: gemv_rows_int8_g(g, n0, n1, 2); break;
  case 3: gemv_rows_int8_g(g, n0, n1, 3); break;
  default: gemv_rows_int8_g(g, n0, n1, 4); break;
  }
}

static QOPT_AVX2 void gemv_rows_avx2(const gemv *g, int64_t n0, int64_t n1) {
  switch (g->m) { /* M as a constant: accumulators stay in registers */
  case 1: gemv_rows_avx2_m(g, n0, n1, 1); break;
  case 2: gemv_rows_avx2_m(g, n0, n1, 2); break;
  case 3: gemv_rows_avx2_m(g, n0, n1, 3); break;
  default: gemv_rows_avx2_m(g, n0, n1, 4); break;
  }
}

/* Every ISA level above portable includes AVX2 and FMA; asked per call, so
 * that QOPT_UK_ISA (read when a model is created) is honoured. */
static int have_avx2(void) { return strcmp(qopt_uk_isa(), "portable") != 0; }
#endif

static void gemv_rows(const gemv *g, int64_t n0, int64_t n1) {
  if (g->xq) {
#ifdef QOPT_NBITS_X86
    if (have_avx2()) {
      gemv_rows_int8_avx2(g, n0, n1);
      return;
    }
#endif
    gemv_rows_int8_portable(g, n0, n1);
    return;
  }
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

#ifdef QOPT_NBITS_X86
/* The even (odd: ODD) elements of a then b, in order. */
QOPT_AVX2_INLINE __m256i evens_i32(__m256i a, __m256i b, const int ODD) {
  __m256 s = ODD ? _mm256_shuffle_ps(_mm256_castsi256_ps(a),
                                     _mm256_castsi256_ps(b), 0xDD)
                 : _mm256_shuffle_ps(_mm256_castsi256_ps(a),
                                     _mm256_castsi256_ps(b), 0x88);
  return _mm256_permute4x64_epi64(_mm256_castps_si256(s), 0xD8);
}

/* 32 int8 (values within int8) from four vectors of 8 int32, in order. */
QOPT_AVX2_INLINE __m256i narrow32(__m256i a, __m256i b, __m256i c, __m256i d) {
  __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(a, b),
                                     _mm256_packs_epi32(c, d));
  return _mm256_permutevar8x32_epi32(bytes,
                                     _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* One block of quantize_rows with AVX2, bit-identical to it: the same
 * max, product and rounding (vcvtps2dq rounds to nearest even like
 * nearbyintf in the default mode). len is a multiple of chunk. */
static QOPT_AVX2 void quantize_block_avx2(const float *x, int64_t len,
                                          int64_t chunk, int8_t *xq, float *s,
                                          int32_t *sum) {
  const __m256 absMask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  __m256 vmax = _mm256_setzero_ps();
  for (int64_t j = 0; j < len; j += 8)
    vmax = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(x + j), absMask), vmax);
  __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(vmax),
                         _mm256_extractf128_ps(vmax, 1));
  m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
  m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
  float amax = _mm_cvtss_f32(m4);
  *s = amax / 127.f;
  __m256 inv = _mm256_set1_ps(amax > 0.f ? 127.f / amax : 0.f);
  const __m256i hi = _mm256_set1_epi32(127), lo = _mm256_set1_epi32(-127);
  __m256i vsum = _mm256_setzero_si256();
  for (int64_t c = 0; c < len; c += chunk) {
    __m256i v[8];
    for (int t = 0; t < chunk / 8; ++t) {
      v[t] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + c + 8 * t), inv));
      v[t] = _mm256_max_epi32(_mm256_min_epi32(v[t], hi), lo);
      vsum = _mm256_add_epi32(vsum, v[t]);
    }
    if (chunk == 64) {
      _mm256_storeu_si256((__m256i *)(xq + c),
                          narrow32(evens_i32(v[0], v[1], 0), evens_i32(v[2], v[3], 0),
                                   evens_i32(v[4], v[5], 0), evens_i32(v[6], v[7], 0)));
      _mm256_storeu_si256((__m256i *)(xq + c + 32),
                          narrow32(evens_i32(v[0], v[1], 1), evens_i32(v[2], v[3], 1),
                                   evens_i32(v[4], v[5], 1), evens_i32(v[6], v[7], 1)));
    } else {
      _mm256_storeu_si256((__m256i *)(xq + c),
                          narrow32(evens_i32(v[0], v[1], 0), evens_i32(v[2], v[3], 0),
                                   evens_i32(v[0], v[1], 1), evens_i32(v[2], v[3], 1)));
    }
  }
  __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(vsum),
                             _mm256_extracti128_si256(vsum, 1));
  s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
  s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
  *sum = _mm_cvtsi128_si32(s4);
}
#endif

/* Rows of A as int8 per weight block (scale max|x| / 127 over the block,
 * round half to even; one scale per block lets the dot products sum in
 * int32 across it), each chunk reordered even inputs first (xq_pos); and
 * per block the sum of the int8 values, which the zero point multiplies. K is a
 * multiple of the chunk. */
static void quantize_rows(const float *a, int64_t m, int64_t k, int64_t lda,
                          int64_t group, int64_t chunk, int8_t *xq, float *xs,
                          int32_t *isum) {
  int64_t blocks = (k + group - 1) / group;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      int64_t kb = blk * group, ke = kb + group < k ? kb + group : k;
      const float *x = a + i * lda;
#ifdef QOPT_NBITS_X86
      if (have_avx2()) {
        quantize_block_avx2(x + kb, ke - kb, chunk, xq + i * k + kb,
                            xs + i * blocks + blk, isum + i * blocks + blk);
        continue;
      }
#endif
      float amax = 0.f;
      for (int64_t j = kb; j < ke; ++j)
        amax = fmaxf(amax, fabsf(x[j]));
      float s = amax / 127.f, inv = amax > 0.f ? 127.f / amax : 0.f;
      int32_t sum = 0;
      for (int64_t j = kb; j < ke; ++j) {
        int v = (int)nearbyintf(x[j] * inv);
        v = v > 127 ? 127 : v < -127 ? -127 : v;
        xq[i * k + xq_pos(j, chunk)] = (int8_t)v;
        sum += v;
      }
      xs[i * blocks + blk] = s;
      isum[i * blocks + blk] = sum;
    }
}

void qopt_uk_matmul_nbits(const int64_t *desc, const float *a,
                          const uint8_t *codes, const float *scales,
                          const uint8_t *zeros, float *c) {
  int64_t M = desc[2], K = desc[3], N = desc[4], group = desc[5];
  qopt_uk_nbits w = {codes, scales, zeros, desc[1], group,
                     (K + group - 1) / group};
  if (M == 0 || N == 0)
    return;
  /* int8 activations where asked for and the shapes allow (32-input
   * chunks, integer codes); otherwise f32. */
  if (desc[8] == QOPT_NBITS_INT8_ACTIVATIONS && M <= GEMV_MAX_M &&
      K <= GEMV_MAX_INT8_K && K % 32 == 0 && group % 32 == 0 &&
      w.format != QOPT_NBITS_NF4) {
    int8_t xq[GEMV_MAX_M * GEMV_MAX_INT8_K];
    float xs[GEMV_MAX_M * GEMV_MAX_INT8_K / 32]; /* blocks <= K / 32 */
    int32_t isum[GEMV_MAX_M * GEMV_MAX_INT8_K / 32];
    /* Chunks of 64 where every block holds whole ones (the AVX2 kernel
     * then reads 32 code bytes at a time). */
    int64_t chunk = group % 64 == 0 && K % 64 == 0 ? 64 : 32;
    quantize_rows(a, M, K, desc[6], group, chunk, xq, xs, isum);
    gemv g = {&w, a, c, M, K, desc[6], desc[7], NULL, xq, xs, isum, chunk};
    run_gemv(&g, N);
    return;
  }
  if (M <= GEMV_MAX_M && w.blocks <= GEMV_MAX_BLOCKS) {
    float xsum[GEMV_MAX_M * GEMV_MAX_BLOCKS];
    for (int64_t i = 0; i < M; ++i)
      for (int64_t blk = 0; blk < w.blocks; ++blk) {
        float sum = 0.f;
        int64_t kb = blk * group, ke = kb + group < K ? kb + group : K;
        for (int64_t k = kb; k < ke; ++k)
          sum += a[i * desc[6] + k];
        xsum[i * w.blocks + blk] = sum;
      }
    gemv g = {&w, a, c, M, K, desc[6], desc[7], xsum, NULL, NULL, NULL, 32};
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
