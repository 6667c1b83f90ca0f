/*===- qopt_gemv.c - Matrix-vector products over f32, bf16, f16, int8 B ---===*
 *
 * Batch-1 decode multiplies a few rows of activations by each weight
 * matrix once. The packed GEMM (qopt_ukernel.c) would copy every KC x NC
 * block of B into its packing buffer per call only to read it once more:
 * on a 4096 x 4096 f32 chain that ran at 10 GB/s against onnxruntime's
 * 25, and bf16, widened while packed, at 3 GB/s. Here B is read once, as
 * it is stored: rows of B (contiguous along N) stream four at a time into
 * a slab of C's columns held in L1, y += x0 B0 + x1 B1 + x2 B2 + x3 B3,
 * so that the product runs at the speed of reading B, and bf16 B, half the
 * bytes of f32, takes about half the time. Threads take contiguous ranges
 * of K and add their partial sums at the end.
 *===----------------------------------------------------------------------===*/
#include "qopt_gemv.h"
#include "qopt_half.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define QOPT_GEMV_X86 1
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

/* Columns of C accumulated at once per row of A: 16 KiB of sums per row,
 * which stay in L1 (one row) or L2 (four) across the whole K loop. */
enum { SLAB = 4096 };

/* An element of A or B as f32 (bf16 and f16 widen exactly). */
static inline float element(qopt_uk_kind kind, const void *p, int64_t i) {
  switch (kind) {
  case QOPT_UK_BF16:
    return bf16_to_f32(((const uint16_t *)p)[i]);
  case QOPT_UK_F16:
    return f16_to_f32(((const uint16_t *)p)[i]);
  case QOPT_UK_F32_S8:
    return (float)((const int8_t *)p)[i];
  default:
    return ((const float *)p)[i];
  }
}

/* The kind of A's elements: f32 except for bf16 x bf16 and f16 x f16. */
static inline qopt_uk_kind a_kind(qopt_uk_kind kind) {
  return kind == QOPT_UK_BF16 || kind == QOPT_UK_F16 ? kind : QOPT_UK_F32;
}

static inline size_t b_bytes(qopt_uk_kind kind) {
  return kind == QOPT_UK_F32 ? 4 : kind == QOPT_UK_F32_S8 ? 1 : 2;
}

/* y[i][0..n) += sum over rows k0..k0+r of x[i][k] * B[k][n0 + ...]: one
 * step of up to four B rows, portable C. */
static void step_portable(const qopt_uk_gemv *g, const float *x, int r,
                          int64_t k0, int64_t n0, int64_t n, float *y) {
  for (int64_t j = 0; j < n; ++j) {
    float b[4];
    for (int t = 0; t < r; ++t)
      b[t] = element(g->kind, g->b, (k0 + t) * g->sbk + n0 + j);
    for (int i = 0; i < g->m; ++i) {
      float acc = y[i * SLAB + j];
      for (int t = 0; t < r; ++t)
        acc += x[i * 4 + t] * b[t];
      y[i * SLAB + j] = acc;
    }
  }
}

/* The same for int8 A and B, summed exactly in int32. */
static void step_s8_portable(const qopt_uk_gemv *g, const int32_t *x, int r,
                             int64_t k0, int64_t n0, int64_t n, int32_t *y) {
  const int8_t *b = (const int8_t *)g->b;
  for (int64_t j = 0; j < n; ++j)
    for (int i = 0; i < g->m; ++i) {
      int32_t acc = y[i * SLAB + j];
      for (int t = 0; t < r; ++t)
        acc += x[i * 4 + t] * b[(k0 + t) * g->sbk + n0 + j];
      y[i * SLAB + j] = acc;
    }
}

#ifdef QOPT_GEMV_X86
#define QOPT_GEMV_AVX2 __attribute__((target("avx2,fma,f16c")))
#define QOPT_GEMV_INLINE \
  static inline __attribute__((always_inline, target("avx2,fma,f16c")))

/* step_portable for four B rows with AVX2 (fused multiply-adds), for a
 * compile-time kind and M: the same products added in the same order. */
QOPT_GEMV_INLINE void step4_avx2_m(const qopt_uk_gemv *g, const float *x,
                                   int64_t k0, int64_t n0, int64_t n,
                                   float *y, const qopt_uk_kind kind,
                                   const int M) {
  size_t eb = b_bytes(kind);
  const char *row = (const char *)g->b + (k0 * g->sbk + n0) * (int64_t)eb;
  int64_t stride = g->sbk * (int64_t)eb;
  __m256 xv[4][4];
  for (int i = 0; i < M; ++i)
    for (int t = 0; t < 4; ++t)
      xv[i][t] = _mm256_set1_ps(x[i * 4 + t]);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const char *p = row + j * (int64_t)eb;
    __m256 b0 = load8_f32(kind, p), b1 = load8_f32(kind, p + stride),
           b2 = load8_f32(kind, p + 2 * stride),
           b3 = load8_f32(kind, p + 3 * stride);
    for (int i = 0; i < M; ++i) {
      float *yi = y + i * SLAB + j;
      __m256 acc = _mm256_loadu_ps(yi);
      acc = _mm256_fmadd_ps(xv[i][0], b0, acc);
      acc = _mm256_fmadd_ps(xv[i][1], b1, acc);
      acc = _mm256_fmadd_ps(xv[i][2], b2, acc);
      acc = _mm256_fmadd_ps(xv[i][3], b3, acc);
      _mm256_storeu_ps(yi, acc);
    }
  }
  for (; j < n; ++j) /* fewer than 8 columns left: fused like the above */
    for (int i = 0; i < M; ++i) {
      float acc = y[i * SLAB + j];
      for (int t = 0; t < 4; ++t)
        acc = fmaf(x[i * 4 + t], element(kind, g->b, (k0 + t) * g->sbk + n0 + j), acc);
      y[i * SLAB + j] = acc;
    }
}

#define QOPT_GEMV_KINDS(M)                                                     \
  switch (g->kind) {                                                           \
  case QOPT_UK_BF16: step4_avx2_m(g, x, k0, n0, n, y, QOPT_UK_BF16, M); break; \
  case QOPT_UK_F16: step4_avx2_m(g, x, k0, n0, n, y, QOPT_UK_F16, M); break;   \
  case QOPT_UK_F32_S8:                                                         \
    step4_avx2_m(g, x, k0, n0, n, y, QOPT_UK_F32_S8, M);                       \
    break;                                                                     \
  default: step4_avx2_m(g, x, k0, n0, n, y, QOPT_UK_F32, M); break;            \
  }

static QOPT_GEMV_AVX2 void step4_avx2(const qopt_uk_gemv *g, const float *x,
                                      int64_t k0, int64_t n0, int64_t n,
                                      float *y) {
  switch (g->m) { /* M and the kind as constants: no branch in the loop */
  case 1: QOPT_GEMV_KINDS(1) break;
  case 2: QOPT_GEMV_KINDS(2) break;
  case 3: QOPT_GEMV_KINDS(3) break;
  default: QOPT_GEMV_KINDS(4) break;
  }
}
#undef QOPT_GEMV_KINDS

/* step_s8_portable for four int8 B rows: per pair of rows, 16 columns
 * interleaved byte by byte, widened to int16 and multiplied with the pair
 * of A values by vpmaddwd (exact: every product and sum fits int32). */
QOPT_GEMV_INLINE void step4_s8_avx2_m(const qopt_uk_gemv *g, const int32_t *x,
                                      int64_t k0, int64_t n0, int64_t n,
                                      int32_t *y, const int M) {
  const int8_t *row = (const int8_t *)g->b + k0 * g->sbk + n0;
  int64_t stride = g->sbk;
  __m256i xp[4][2]; /* (x[k], x[k + 1]) as int16 pairs, per pair of rows */
  for (int i = 0; i < M; ++i)
    for (int p = 0; p < 2; ++p)
      xp[i][p] = _mm256_set1_epi32((int32_t)((uint32_t)x[i * 4 + 2 * p + 1] << 16 |
                                             ((uint32_t)x[i * 4 + 2 * p] & 0xffffu)));
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    __m256i w[2][2];
    for (int p = 0; p < 2; ++p) {
      __m128i r0 = _mm_loadu_si128((const __m128i *)(row + 2 * p * stride + j));
      __m128i r1 = _mm_loadu_si128((const __m128i *)(row + (2 * p + 1) * stride + j));
      w[p][0] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(r0, r1));
      w[p][1] = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(r0, r1));
    }
    for (int i = 0; i < M; ++i)
      for (int h = 0; h < 2; ++h) {
        int32_t *yi = y + i * SLAB + j + 8 * h;
        __m256i acc = _mm256_loadu_si256((const __m256i *)yi);
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(w[0][h], xp[i][0]));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(w[1][h], xp[i][1]));
        _mm256_storeu_si256((__m256i *)yi, acc);
      }
  }
  if (j < n) {
    qopt_uk_gemv tail = *g;
    tail.m = M;
    step_s8_portable(&tail, x, 4, k0, n0 + j, n - j, y + j);
  }
}

static QOPT_GEMV_AVX2 void step4_s8_avx2(const qopt_uk_gemv *g,
                                         const int32_t *x, int64_t k0,
                                         int64_t n0, int64_t n, int32_t *y) {
  switch (g->m) {
  case 1: step4_s8_avx2_m(g, x, k0, n0, n, y, 1); break;
  case 2: step4_s8_avx2_m(g, x, k0, n0, n, y, 2); break;
  case 3: step4_s8_avx2_m(g, x, k0, n0, n, y, 3); break;
  default: step4_s8_avx2_m(g, x, k0, n0, n, y, 4); break;
  }
}
#endif

/* A slab of partial sums: f32, or int32 for int8 x int8. */
typedef union {
  float f[QOPT_UK_GEMV_MAX_M * SLAB];
  int32_t i[QOPT_UK_GEMV_MAX_M * SLAB];
} sums;

/* y[i][0..n) = the products of B rows [k0, k1) and columns n0.. */
static void sum_rows(const qopt_uk_gemv *g, int64_t k0, int64_t k1,
                     int64_t n0, int64_t n, sums *y) {
  int s8 = g->kind == QOPT_UK_S8;
  qopt_uk_kind ka = a_kind(g->kind);
  for (int i = 0; i < g->m; ++i)
    memset(y->f + i * SLAB, 0, (size_t)n * sizeof(float));
  for (; k0 < k1; k0 += 4) {
    int r = k1 - k0 < 4 ? (int)(k1 - k0) : 4;
    float x[QOPT_UK_GEMV_MAX_M * 4];
    int32_t xi[QOPT_UK_GEMV_MAX_M * 4];
    for (int i = 0; i < g->m; ++i)
      for (int t = 0; t < r; ++t) {
        int64_t at = g->rowA[i] + (k0 + t) * g->sak;
        if (s8)
          xi[i * 4 + t] = ((const int8_t *)g->a)[at];
        else
          x[i * 4 + t] = element(ka, g->a, at);
      }
#ifdef QOPT_GEMV_X86
    if (g->avx2 && r == 4) {
      if (s8)
        step4_s8_avx2(g, xi, k0, n0, n, y->i);
      else
        step4_avx2(g, x, k0, n0, n, y->f);
      continue;
    }
#endif
    if (s8)
      step_s8_portable(g, xi, r, k0, n0, n, y->i);
    else
      step_portable(g, x, r, k0, n0, n, y->f);
  }
}

/* C[i, n0 + j] += the sum of parts[t][i][j] for j in [j0, j1). */
static void add_parts(const qopt_uk_gemv *g, sums *const *parts, int nparts,
                      int64_t n0, int64_t j0, int64_t j1) {
  int s8 = g->kind == QOPT_UK_S8;
  for (int i = 0; i < g->m; ++i) {
    int64_t c0 = g->rowC[i] + n0 * g->scn;
    if (s8) {
      int32_t *c = (int32_t *)g->c + c0;
      for (int64_t j = j0; j < j1; ++j) {
        int32_t sum = 0;
        for (int t = 0; t < nparts; ++t)
          sum += parts[t]->i[i * SLAB + j];
        c[j * g->scn] += sum;
      }
      continue;
    }
    float *c = (float *)g->c + c0;
    for (int64_t j = j0; j < j1; ++j) {
      float sum = 0.f;
      for (int t = 0; t < nparts; ++t)
        sum += parts[t]->f[i * SLAB + j];
      c[j * g->scn] += sum;
    }
  }
}

enum { MAX_THREADS = 256 };

void qopt_uk_gemv_run(const qopt_uk_gemv *g, int threads) {
  /* At least 16 rows of B per thread. */
  if (threads > g->k / 16)
    threads = (int)(g->k / 16);
  if (threads > MAX_THREADS)
    threads = MAX_THREADS;
  if (threads <= 1) {
    sums y;
    sums *parts[1] = {&y};
    for (int64_t n0 = 0; n0 < g->n; n0 += SLAB) {
      int64_t n = g->n - n0 < SLAB ? g->n - n0 : SLAB;
      sum_rows(g, 0, g->k, n0, n, &y);
      add_parts(g, parts, 1, n0, 0, n);
    }
    return;
  }
#ifdef _OPENMP
  /* Threads split K, so that each reads one contiguous range of B rows
   * (split by columns, each would read short pieces of every row, and the
   * hardware prefetchers restart at each); their partial sums, on their
   * stacks, then add up column by column. A plain parallel region with
   * explicit barriers: a run must not touch the heap, and libomp's
   * worksharing init allocates. */
  sums *parts[MAX_THREADS];
#pragma omp parallel num_threads(threads)
  {
    int id = omp_get_thread_num(), t = omp_get_num_threads();
    sums y;
    parts[id] = &y;
    for (int64_t n0 = 0; n0 < g->n; n0 += SLAB) {
      int64_t n = g->n - n0 < SLAB ? g->n - n0 : SLAB;
      sum_rows(g, g->k * id / t, g->k * (id + 1) / t, n0, n, &y);
#pragma omp barrier
      add_parts(g, parts, t, n0, n * id / t, n * (id + 1) / t);
#pragma omp barrier
    }
  }
#else
  qopt_uk_gemv_run(g, 1);
#endif
}
