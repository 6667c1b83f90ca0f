/*===- qopt_ukernel.c - Packed, blocked contraction kernels ---------------===*
 *
 * Goto-style GEMM: B is packed per (KC x NC) block into NR-wide strips, A
 * per (MR x KC) block, and an MR x NR register tile accumulates in f32.
 * Packing reads any strides, so one kernel serves matmuls, transposed
 * operands and convolutions (whose K runs over kernel rows, columns and
 * input channels). Packing buffers live on the stack: a run allocates no
 * heap memory.
 *
 * The AVX-512 paths are compiled with target attributes and chosen at run
 * time, so the library still loads and runs on hosts without AVX-512.
 *===----------------------------------------------------------------------===*/
#include "qopt/Runtime/qopt_ukernel.h"
#include "qopt_gemv.h"
#include "qopt_half.h"
#include "qopt_nbits_decode.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define QOPT_UK_X86 1
#endif
#define QOPT_INLINE static inline __attribute__((always_inline))
#ifdef _OPENMP
#include <omp.h>
#endif

/* Register tile MR x NR (8 x 32 f32: 16 zmm accumulators); KC x NC packed
 * B block (128 KiB in f32) stays in L2, the A block in L1. */
enum { MR = 8, NR = 32, KC = 256, NC = 128 };

/* Packed operands: f32 values, or 16-bit pairs along K: bf16 for
 * vdpbf16ps, or int8 widened to int16 for vpmaddwd. */
typedef enum { PACK_F32, PACK_PAIRS16 } pack_format;

typedef struct {
  int64_t size, sa, sbc; /* M dims: A, C strides; K dims: A, B strides. */
} dim2;

typedef struct {
  qopt_uk_kind kind;
  pack_format format;
  int64_t M, N, K, sbn, scn;
  int nm, nk;
  dim2 m[QOPT_UK_MAX_DIMS], k[QOPT_UK_MAX_DIMS];
} gemm;

typedef enum { ISA_PORTABLE, ISA_AVX2, ISA_AVX512, ISA_AVX512_BF16 } isa;

static int g_threads;
static isa g_isa = (isa)-1;

/*===------------------------------ setup --------------------------------===*/

static isa detect_isa(void) {
  isa best = ISA_PORTABLE;
#ifdef QOPT_UK_X86
  __builtin_cpu_init();
  /* F16C too: the matrix-vector kernel widens f16 with it (every AVX2
   * processor has it). */
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c"))
    best = ISA_AVX2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
    best = __builtin_cpu_supports("avx512bf16") ? ISA_AVX512_BF16 : ISA_AVX512;
#endif
  /* QOPT_UK_ISA caps the instruction set, so that tests can run the
   * fallbacks on a host that has more. */
  const char *cap = getenv("QOPT_UK_ISA");
  static const struct {
    const char *name;
    isa level;
  } caps[] = {{"portable", ISA_PORTABLE}, {"avx2", ISA_AVX2}, {"avx512", ISA_AVX512}};
  for (size_t i = 0; cap && i < sizeof(caps) / sizeof(caps[0]); ++i)
    if (!strcmp(cap, caps[i].name) && best > caps[i].level)
      best = caps[i].level;
  return best;
}

void qopt_uk_init_threads(void) {
  g_isa = detect_isa();
  int n = 0;
  const char *env = getenv("QOPT_NUM_THREADS");
  if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (*end == 0 && v > 0 && v <= 4096)
      n = (int)v;
  }
#ifdef _OPENMP
  if (n == 0)
    n = omp_get_num_procs();
  /* Start the thread team now so that runs do not pay (or allocate) for it. */
#pragma omp parallel num_threads(n)
  { (void)0; }
#endif
  g_threads = n > 0 ? n : 1;
}

int qopt_uk_num_threads(void) { return g_threads > 0 ? g_threads : 1; }

const char *qopt_uk_isa(void) {
  if ((int)g_isa < 0)
    g_isa = detect_isa();
  static const char *const names[] = {"portable", "avx2", "avx512",
                                      "avx512-bf16"};
  return names[g_isa];
}

/*===----------------------------- elements ------------------------------===*/

static inline float load_f32(qopt_uk_kind kind, const void *p, int64_t i) {
  switch (kind) {
  case QOPT_UK_F32:
    return ((const float *)p)[i];
  case QOPT_UK_BF16:
    return bf16_to_f32(((const uint16_t *)p)[i]);
  default:
    return f16_to_f32(((const uint16_t *)p)[i]);
  }
}

/* An element of B as f32: int8 weights of the mixed kind widen exactly. */
static inline float load_b_f32(qopt_uk_kind kind, const void *p, int64_t i) {
  if (kind == QOPT_UK_F32_S8)
    return (float)((const int8_t *)p)[i];
  return load_f32(kind, p, i);
}

/* Whether A holds f32 values. */
static inline int a_is_f32(qopt_uk_kind kind) {
  return kind == QOPT_UK_F32 || kind == QOPT_UK_F32_S8 || kind == QOPT_UK_F32_Q4;
}

/* The 16-bit pair element: bf16 bits, or int8 sign-extended to int16. */
static inline uint16_t load_16(qopt_uk_kind kind, const void *p, int64_t i) {
  if (kind == QOPT_UK_S8)
    return (uint16_t)(int16_t)((const int8_t *)p)[i];
  return ((const uint16_t *)p)[i];
}

/* Element offsets of `count` consecutive flattened indices from `start`
 * over dims (the first the slowest): one division per dim for the first,
 * then an odometer. Dividing per index cost a tenth of a small convolution
 * (im2col rows and K over 2-3 dims each). */
static void offsets(const dim2 *d, int n, int64_t start, int64_t count,
                    int64_t *a, int64_t *bc) {
  int64_t digit[QOPT_UK_MAX_DIMS], oa = 0, ob = 0, idx = start;
  for (int i = n - 1; i >= 0; --i) {
    int64_t q = idx / d[i].size;
    digit[i] = idx - q * d[i].size;
    oa += digit[i] * d[i].sa;
    ob += digit[i] * d[i].sbc;
    idx = q;
  }
  for (int64_t t = 0; t < count; ++t) {
    a[t] = oa;
    bc[t] = ob;
    for (int i = n - 1; i >= 0; --i) {
      oa += d[i].sa;
      ob += d[i].sbc;
      if (++digit[i] < d[i].size)
        break;
      oa -= d[i].sa * d[i].size;
      ob -= d[i].sbc * d[i].size;
      digit[i] = 0;
    }
  }
}

/*===------------------------------ packing ------------------------------===*/

/* B[k0 + k, n0 + n] for k < kc, n < nn into NR-wide strips. */
static void pack_b(const gemm *g, const void *b, const int64_t *kofB,
                   int64_t kc, int64_t n0, int64_t nn, void *out) {
  for (int64_t j = 0; j * NR < nn; ++j) {
    int64_t nb = n0 + j * NR, nr = nn - j * NR < NR ? nn - j * NR : NR;
    if (g->kind == QOPT_UK_F32_Q4) { /* K is contiguous: kofB[k] = k0 + k */
      qopt_nbits_decode_strip((const qopt_uk_nbits *)b, kofB[0], kc, nb, nr,
                              (float *)out + j * kc * NR, NR);
      continue;
    }
    if (g->format == PACK_F32) {
      float *dst = (float *)out + j * kc * NR;
      for (int64_t k = 0; k < kc; ++k, dst += NR) {
        if (g->kind == QOPT_UK_F32 && g->sbn == 1)
          memcpy(dst, (const float *)b + kofB[k] + nb, (size_t)nr * 4);
        else if (g->kind == QOPT_UK_BF16 && g->sbn == 1) {
          /* A contiguous bf16 row: shifts, which the compiler vectorises
           * (no per-element dispatch). */
          const uint16_t *src = (const uint16_t *)b + kofB[k] + nb;
          for (int64_t n = 0; n < nr; ++n)
            dst[n] = bf16_to_f32(src[n]);
        } else
          for (int64_t n = 0; n < nr; ++n)
            dst[n] = load_b_f32(g->kind, b, kofB[k] + (nb + n) * g->sbn);
        for (int64_t n = nr; n < NR; ++n)
          dst[n] = 0.f;
      }
    } else {
      int64_t kc2 = (kc + 1) / 2;
      uint16_t *dst = (uint16_t *)out + j * kc2 * NR * 2;
      if (g->sbn == 1) {
        /* Rows of B contiguous: element (k = 2p + t, n) goes to dst[2n + t],
         * so a pair of rows is one 32-bit word per column, which the
         * compiler vectorises (sign or zero extension, shift, or). */
        uint32_t *dst32 = (uint32_t *)dst;
        for (int64_t p = 0; p < kc2; ++p, dst32 += NR) {
          int64_t k = 2 * p;
          int odd = k + 1 < kc;
          if (g->kind == QOPT_UK_S8) {
            const int8_t *r0 = (const int8_t *)b + kofB[k] + nb;
            const int8_t *r1 = odd ? (const int8_t *)b + kofB[k + 1] + nb : r0;
            uint32_t keep = odd ? 0xFFFFu : 0;
            for (int64_t n = 0; n < nr; ++n)
              dst32[n] = (uint32_t)(uint16_t)(int16_t)r0[n] |
                         (((uint32_t)(uint16_t)(int16_t)r1[n] & keep) << 16);
          } else {
            const uint16_t *r0 = (const uint16_t *)b + kofB[k] + nb;
            const uint16_t *r1 = odd ? (const uint16_t *)b + kofB[k + 1] + nb : r0;
            uint32_t keep = odd ? 0xFFFFu : 0;
            for (int64_t n = 0; n < nr; ++n)
              dst32[n] = (uint32_t)r0[n] | (((uint32_t)r1[n] & keep) << 16);
          }
          for (int64_t n = nr; n < NR; ++n)
            dst32[n] = 0;
        }
        continue;
      }
      for (int64_t p = 0; p < kc2; ++p, dst += 2 * NR)
        for (int t = 0; t < 2; ++t) {
          int64_t k = 2 * p + t;
          for (int64_t n = 0; n < NR; ++n)
            dst[2 * n + t] = k < kc && n < nr
                                 ? load_16(g->kind, b, kofB[k] + (nb + n) * g->sbn)
                                 : 0;
        }
    }
  }
}

#ifdef QOPT_UK_X86
/* The int16-pair panel of MR int8 rows whose K run is contiguous:
 * dst[p * MR + i] = (row_i[2p], row_i[2p + 1]). Eight pairs of eight rows
 * at a time are sign-extended and transposed as an 8 x 8 block of 32-bit
 * words: with few output columns (a head's 16), packing A is as much work
 * as the products, and the scalar loop took longer than the kernel. */
static __attribute__((target("avx2"))) void
pack_a_s8_avx2(const int8_t *const *rows, int64_t kc, uint32_t *dst) {
  int64_t p = 0;
  for (; 2 * (p + 8) <= kc; p += 8) {
    __m256i r[8], t[8], u[8];
    for (int i = 0; i < 8; ++i)
      r[i] = _mm256_cvtepi8_epi16(
          _mm_loadu_si128((const __m128i *)(rows[i] + 2 * p)));
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_epi32(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int h = 0; h < 8; h += 4) { /* rows h..h+3 */
      u[h] = _mm256_unpacklo_epi64(t[h], t[h + 2]);     /* pairs 0 | 4 */
      u[h + 1] = _mm256_unpackhi_epi64(t[h], t[h + 2]); /* pairs 1 | 5 */
      u[h + 2] = _mm256_unpacklo_epi64(t[h + 1], t[h + 3]); /* 2 | 6 */
      u[h + 3] = _mm256_unpackhi_epi64(t[h + 1], t[h + 3]); /* 3 | 7 */
    }
    for (int j = 0; j < 4; ++j) {
      _mm256_storeu_si256((__m256i *)(dst + (p + j) * MR),
                          _mm256_permute2x128_si256(u[j], u[j + 4], 0x20));
      _mm256_storeu_si256((__m256i *)(dst + (p + j + 4) * MR),
                          _mm256_permute2x128_si256(u[j], u[j + 4], 0x31));
    }
  }
  for (; 2 * p < kc; ++p)
    for (int i = 0; i < MR; ++i) {
      uint32_t lo = (uint16_t)(int16_t)rows[i][2 * p];
      uint32_t hi = 2 * p + 1 < kc ? (uint16_t)(int16_t)rows[i][2 * p + 1] : 0;
      dst[p * MR + i] = lo | hi << 16;
    }
}

/* The f32 panel of MR rows whose K run is contiguous: dst[k * MR + i] =
 * row_i[k], as 8 x 8 transposes of 8 rows by 8 inputs. The scalar loop
 * (a strided store per element) was a sixth of the bf16 encoder's time. */
QOPT_INLINE __attribute__((target("avx2,f16c"))) void
pack_a_f32_avx2_kind(qopt_uk_kind kind, const char *const *rows, int64_t kc,
                     float *dst) {
  size_t esize = kind == QOPT_UK_BF16 || kind == QOPT_UK_F16 ? 2 : 4;
  int64_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    __m256 r[8], t[8], u[8];
    for (int i = 0; i < 8; ++i)
      r[i] = load8_f32(kind, rows[i] + k * (int64_t)esize);
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int h = 0; h < 8; h += 4) { /* rows h..h+3 */
      u[h] = _mm256_shuffle_ps(t[h], t[h + 2], 0x44);     /* inputs 0 | 4 */
      u[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], 0xEE); /* 1 | 5 */
      u[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0x44); /* 2 | 6 */
      u[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0xEE); /* 3 | 7 */
    }
    for (int j = 0; j < 4; ++j) {
      _mm256_storeu_ps(dst + (k + j) * MR,
                       _mm256_permute2f128_ps(u[j], u[j + 4], 0x20));
      _mm256_storeu_ps(dst + (k + j + 4) * MR,
                       _mm256_permute2f128_ps(u[j], u[j + 4], 0x31));
    }
  }
  for (; k < kc; ++k) /* kind: F32, BF16 or F16 (pack_a_f32_avx2) */
    for (int i = 0; i < MR; ++i)
      dst[k * MR + i] = load_f32(kind, rows[i], k);
}

static __attribute__((target("avx2,f16c"))) void
pack_a_f32_avx2(qopt_uk_kind kind, const char *const *rows, int64_t kc,
                float *dst) {
  switch (kind) { /* the kind as a constant: no per-load dispatch */
  case QOPT_UK_BF16: pack_a_f32_avx2_kind(QOPT_UK_BF16, rows, kc, dst); break;
  case QOPT_UK_F16: pack_a_f32_avx2_kind(QOPT_UK_F16, rows, kc, dst); break;
  default: pack_a_f32_avx2_kind(QOPT_UK_F32, rows, kc, dst); break;
  }
}
#endif

/* A's K block as runs of consecutive elements (kofA[k + 1] == kofA[k] + 1):
 * one for a matrix product, kw * c long for a convolution's (kh, kw, c)
 * window. Found once per K block, for every M block. */
typedef struct {
  int64_t start[KC], len[KC], n;
} kruns;

static void find_runs(const int64_t *kofA, int64_t kc, kruns *r) {
  r->n = 0;
  for (int64_t k = 0; k < kc; ++k) {
    if (r->n && kofA[k] == kofA[k - 1] + 1)
      ++r->len[r->n - 1];
    else {
      r->start[r->n] = k;
      r->len[r->n++] = 1;
    }
  }
}

#ifdef QOPT_UK_X86
/* memcpy for the short runs of small convolutions (18 bytes for 3 x 3 x 3
 * bf16): up to 32 bytes as two overlapping fixed-size pieces, which the
 * compiler inlines (a libc call per run took a tenth of the bf16 CNN; a
 * loop of pieces is turned back into that call). */
static inline void copy_run(char *dst, const char *src, size_t n) {
  if (n > 32)
    memcpy(dst, src, n);
  else if (n >= 16) {
    memcpy(dst, src, 16);
    memcpy(dst + n - 16, src + n - 16, 16);
  } else if (n >= 8) {
    memcpy(dst, src, 8);
    memcpy(dst + n - 8, src + n - 8, 8);
  } else if (n >= 4) {
    memcpy(dst, src, 4);
    memcpy(dst + n - 4, src + n - 4, 4);
  } else {
    for (size_t i = 0; i < n; ++i)
      dst[i] = src[i];
  }
}

/* Pointers to the K blocks of A's MR rows, each contiguous: in place for
 * one run, else gathered run by run into `copy` (MR x KC elements of
 * `esize` bytes); rows past mr read zeros. */
static void contiguous_rows(const void *a, const int64_t *rowA, int mr,
                            const int64_t *kofA, const kruns *runs,
                            size_t esize, char *copy, const char **rows) {
  static const float zeros[KC]; /* KC elements of any kind */
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) {
      rows[i] = (const char *)zeros;
      continue;
    }
    const char *row = (const char *)a + rowA[i] * (int64_t)esize;
    if (runs->n == 1) {
      rows[i] = row + kofA[0] * (int64_t)esize;
      continue;
    }
    char *dst = copy + (size_t)i * KC * esize;
    for (int64_t r = 0; r < runs->n; ++r)
      copy_run(dst + runs->start[r] * (int64_t)esize,
               row + kofA[runs->start[r]] * (int64_t)esize,
               (size_t)runs->len[r] * esize);
    rows[i] = dst;
  }
}
#endif

/* A[rows, k0 + k] for k < kc, MR values per k (zero past mr). */
static void pack_a(const gemm *g, const void *a, const int64_t *rowA, int mr,
                   const int64_t *kofA, int64_t kc, const kruns *runs,
                   void *out) {
#ifndef QOPT_UK_X86
  (void)runs;
#else
  if (runs && g_isa >= ISA_AVX2 &&
      (g->format == PACK_F32 || g->kind == QOPT_UK_S8)) {
    _Alignas(32) char copy[MR * KC * 4];
    const char *rows[MR];
    size_t esize = g->kind == QOPT_UK_S8 ? 1 : a_is_f32(g->kind) ? 4 : 2;
    contiguous_rows(a, rowA, mr, kofA, runs, esize, copy, rows);
    if (g->format == PACK_F32)
      pack_a_f32_avx2(g->kind, rows, kc, out);
    else
      pack_a_s8_avx2((const int8_t *const *)rows, kc, out);
    return;
  }
#endif
  if (g->format == PACK_F32) {
    float *dst = out;
    for (int i = 0; i < MR; ++i) {
      if (i >= mr) {
        for (int64_t k = 0; k < kc; ++k)
          dst[k * MR + i] = 0.f;
      } else if (a_is_f32(g->kind)) {
        const float *row = (const float *)a + rowA[i];
        for (int64_t k = 0; k < kc; ++k)
          dst[k * MR + i] = row[kofA[k]];
      } else if (g->kind == QOPT_UK_BF16) {
        const uint16_t *row = (const uint16_t *)a + rowA[i];
        for (int64_t k = 0; k < kc; ++k)
          dst[k * MR + i] = bf16_to_f32(row[kofA[k]]);
      } else {
        for (int64_t k = 0; k < kc; ++k)
          dst[k * MR + i] = load_f32(g->kind, a, rowA[i] + kofA[k]);
      }
    }
  } else {
    uint32_t *dst = out;
    if (g->kind == QOPT_UK_S8) { /* row by row, no per-element dispatch */
      for (int i = 0; i < MR; ++i) {
        const int8_t *row = (const int8_t *)a + (i < mr ? rowA[i] : 0);
        for (int64_t p = 0; p < (kc + 1) / 2; ++p) {
          uint32_t lo = 0, hi = 0;
          if (i < mr) {
            lo = (uint16_t)(int16_t)row[kofA[2 * p]];
            hi = 2 * p + 1 < kc ? (uint16_t)(int16_t)row[kofA[2 * p + 1]] : 0;
          }
          dst[p * MR + i] = lo | hi << 16;
        }
      }
      return;
    }
    for (int64_t p = 0; p < (kc + 1) / 2; ++p)
      for (int i = 0; i < MR; ++i) {
        uint32_t lo = 0, hi = 0;
        if (i < mr) {
          lo = load_16(g->kind, a, rowA[i] + kofA[2 * p]);
          hi = 2 * p + 1 < kc ? load_16(g->kind, a, rowA[i] + kofA[2 * p + 1]) : 0;
        }
        dst[p * MR + i] = lo | hi << 16;
      }
  }
}

/*===---------------------------- micro-kernels --------------------------===*/

/* Adds an mr x nr tile (row stride NR) into C. */
static inline void add_tile(const float *tile, int mr, int nr, float *c,
                            const int64_t *rowC, int64_t scn) {
  for (int i = 0; i < mr; ++i)
    for (int n = 0; n < nr; ++n)
      c[rowC[i] + n * scn] += tile[i * NR + n];
}

static void micro_portable(int mr, int nr, int64_t kc, const float *ap,
                           const float *bp, float *c, const int64_t *rowC,
                           int64_t scn) {
  float tile[MR * NR] = {0};
  for (int64_t k = 0; k < kc; ++k)
    for (int i = 0; i < MR; ++i) {
      float av = ap[k * MR + i];
      for (int n = 0; n < NR; ++n)
        tile[i * NR + n] += av * bp[k * NR + n];
    }
  add_tile(tile, mr, nr, c, rowC, scn);
}

/* int8 x int8 -> int32 on 16-bit pairs (exact: no saturation). */
static void micro_s8_portable(int mr, int nr, int64_t kc, const uint32_t *ap,
                              const int16_t *bp, int32_t *c,
                              const int64_t *rowC, int64_t scn) {
  int32_t tile[MR * NR] = {0};
  for (int64_t p = 0; p < (kc + 1) / 2; ++p)
    for (int i = 0; i < mr; ++i) {
      int32_t a0 = (int16_t)(ap[p * MR + i] & 0xffff),
              a1 = (int16_t)(ap[p * MR + i] >> 16);
      for (int n = 0; n < nr; ++n) {
        const int16_t *pair = bp + p * 2 * NR + (n / 16) * 32 + (n % 16) * 2;
        tile[i * NR + n] += a0 * pair[0] + a1 * pair[1];
      }
    }
  for (int i = 0; i < mr; ++i)
    for (int n = 0; n < nr; ++n)
      c[rowC[i] + n * scn] += tile[i * NR + n];
}

#ifdef QOPT_UK_X86
#define QOPT_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,fma")))
#define QOPT_AVX512_BF16                                                        \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16,fma")))

/* Writes the accumulators back: C += acc, masked on the last strip. */
#define QOPT_STORE_ACC(acc, mr, nr, c, rowC, scn)                               \
  do {                                                                         \
    __mmask16 k0 = nr >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nr) - 1); \
    __mmask16 k1 = nr >= 32   ? (__mmask16)0xffff                              \
                   : nr <= 16 ? (__mmask16)0                                   \
                              : (__mmask16)((1u << (nr - 16)) - 1);            \
    if (scn == 1) {                                                            \
      for (int i = 0; i < MR; ++i)                                             \
        if (i < mr) {                                                          \
          float *row = c + rowC[i];                                            \
          _mm512_mask_storeu_ps(row, k0, _mm512_add_ps(acc[i][0],              \
                                  _mm512_maskz_loadu_ps(k0, row)));            \
          _mm512_mask_storeu_ps(row + 16, k1, _mm512_add_ps(acc[i][1],         \
                                  _mm512_maskz_loadu_ps(k1, row + 16)));       \
        }                                                                      \
    } else {                                                                   \
      float tile[MR * NR];                                                     \
      for (int i = 0; i < MR; ++i)                                             \
        if (i < mr) {                                                          \
          _mm512_storeu_ps(tile + i * NR, acc[i][0]);                          \
          _mm512_storeu_ps(tile + i * NR + 16, acc[i][1]);                     \
        }                                                                      \
      add_tile(tile, mr, nr, c, rowC, scn);                                    \
    }                                                                          \
  } while (0)

QOPT_INLINE QOPT_AVX512 void micro_f32_tile(const int mr, int nr, int64_t kc,
                                            const float *ap, const float *bp,
                                            float *c, const int64_t *rowC,
                                            int64_t scn) {
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i)
    if (i < mr)
      acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    __m512 b0 = _mm512_load_ps(bp + k * NR), b1 = _mm512_load_ps(bp + k * NR + 16);
    for (int i = 0; i < MR; ++i)
      if (i < mr) {
        __m512 av = _mm512_set1_ps(ap[k * MR + i]);
        acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
      }
  }
  QOPT_STORE_ACC(acc, mr, nr, c, rowC, scn);
}

QOPT_INLINE QOPT_AVX512_BF16 void
micro_bf16_tile(const int mr, int nr, int64_t kc, const uint32_t *ap,
                const uint16_t *bp, float *c, const int64_t *rowC, int64_t scn) {
  __m512 acc[MR][2];
  for (int i = 0; i < MR; ++i)
    if (i < mr)
      acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < (kc + 1) / 2; ++p) {
    __m512bh b0 = (__m512bh)_mm512_load_si512(bp + p * 2 * NR);
    __m512bh b1 = (__m512bh)_mm512_load_si512(bp + p * 2 * NR + 32);
    for (int i = 0; i < MR; ++i)
      if (i < mr) {
        __m512bh av = (__m512bh)_mm512_set1_epi32((int)ap[p * MR + i]);
        acc[i][0] = _mm512_dpbf16_ps(acc[i][0], av, b0);
        acc[i][1] = _mm512_dpbf16_ps(acc[i][1], av, b1);
      }
  }
  QOPT_STORE_ACC(acc, mr, nr, c, rowC, scn);
}

#define QOPT_AVX2 __attribute__((target("avx2,fma")))

/* AVX2 has 16 vector registers: the MR x NR tile runs as 4 x 16 sub-tiles
 * (8 accumulators, 2 B vectors, 1 broadcast). Row i's element k is at
 * row[i][kof[k]], or row[i][k * kstep] when kof is null: a packed A panel
 * (row[i] = ap + i, kstep = MR), or A read where it lies. */
QOPT_INLINE QOPT_AVX2 void micro_f32_avx2_sub(const int rows, int64_t kc,
                                             const float *const *row,
                                             const int64_t *kof, int64_t kstep,
                                             const float *bp, float *tile) {
  __m256 acc[4][2];
  for (int i = 0; i < 4; ++i)
    if (i < rows)
      acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    __m256 b0 = _mm256_load_ps(bp + k * NR), b1 = _mm256_load_ps(bp + k * NR + 8);
    int64_t off = kof ? kof[k] : k * kstep;
    for (int i = 0; i < 4; ++i)
      if (i < rows) {
        __m256 av = _mm256_broadcast_ss(row[i] + off);
        acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);
      }
  }
  for (int i = 0; i < 4; ++i)
    if (i < rows) {
      _mm256_storeu_ps(tile + i * NR, acc[i][0]);
      _mm256_storeu_ps(tile + i * NR + 8, acc[i][1]);
    }
}

/* The mr x nr tile from 4 x 16 sub-tiles, added into C. Inlined into each
 * caller, so that `kof` (null or not) is known there. */
QOPT_INLINE QOPT_AVX2 void micro_f32_avx2_rows(int mr, int nr, int64_t kc,
                                              const float *const *row,
                                              const int64_t *kof, int64_t kstep,
                                              const float *bp, float *c,
                                              const int64_t *rowC, int64_t scn) {
  _Alignas(32) float tile[MR * NR];
  for (int r0 = 0; r0 < mr; r0 += 4)
    for (int h = 0; h * 16 < nr; ++h) {
      float *t = tile + r0 * NR + h * 16;
      const float *b = bp + h * 16;
      const float *const *r = row + r0;
      switch (mr - r0 < 4 ? mr - r0 : 4) {
      case 4: micro_f32_avx2_sub(4, kc, r, kof, kstep, b, t); break;
      case 3: micro_f32_avx2_sub(3, kc, r, kof, kstep, b, t); break;
      case 2: micro_f32_avx2_sub(2, kc, r, kof, kstep, b, t); break;
      default: micro_f32_avx2_sub(1, kc, r, kof, kstep, b, t); break;
      }
    }
  if (scn == 1 && nr == NR) {
    for (int i = 0; i < mr; ++i) {
      float *dst = c + rowC[i];
      for (int n = 0; n < NR; n += 8)
        _mm256_storeu_ps(dst + n, _mm256_add_ps(_mm256_loadu_ps(dst + n),
                                                _mm256_load_ps(tile + i * NR + n)));
    }
    return;
  }
  add_tile(tile, mr, nr, c, rowC, scn);
}

static QOPT_AVX2 void micro_f32_avx2(int mr, int nr, int64_t kc,
                                     const float *ap, const float *bp, float *c,
                                     const int64_t *rowC, int64_t scn) {
  const float *row[MR];
  for (int i = 0; i < MR; ++i)
    row[i] = ap + i;
  micro_f32_avx2_rows(mr, nr, kc, row, NULL, MR, bp, c, rowC, scn);
}

/* micro_f32_avx2 on A where it lies (row i's element k at
 * a[rowA[i] + kofA[k]]): for a narrow N (one or two NR strips, as the
 * output channels of small convolutions), packing A would cost as much as
 * the products it feeds. */
static QOPT_AVX2 void micro_f32_avx2_direct(int mr, int nr, int64_t kc,
                                            const float *a, const int64_t *rowA,
                                            const int64_t *kofA,
                                            const float *bp, float *c,
                                            const int64_t *rowC, int64_t scn) {
  const float *row[MR];
  for (int i = 0; i < mr; ++i)
    row[i] = a + rowA[i];
  micro_f32_avx2_rows(mr, nr, kc, row, kofA, 0, bp, c, rowC, scn);
}

/* 4 rows x 16 columns of int32 sums: vpmaddwd multiplies the int16 pairs
 * and adds each pair into one int32 lane. */
QOPT_INLINE QOPT_AVX2 void micro_s8_avx2_sub(const int rows, int64_t kc2,
                                            const uint32_t *ap,
                                            const int16_t *bp, int32_t *tile) {
  __m256i acc[4][2];
  for (int i = 0; i < 4; ++i)
    if (i < rows)
      acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  for (int64_t p = 0; p < kc2; ++p) {
    __m256i b0 = _mm256_load_si256((const __m256i *)(bp + p * 2 * NR));
    __m256i b1 = _mm256_load_si256((const __m256i *)(bp + p * 2 * NR + 16));
    for (int i = 0; i < 4; ++i)
      if (i < rows) {
        __m256i av = _mm256_set1_epi32((int)ap[p * MR + i]);
        acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(av, b0));
        acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(av, b1));
      }
  }
  for (int i = 0; i < 4; ++i)
    if (i < rows) {
      _mm256_storeu_si256((__m256i *)(tile + i * NR), acc[i][0]);
      _mm256_storeu_si256((__m256i *)(tile + i * NR + 8), acc[i][1]);
    }
}

static QOPT_AVX2 void micro_s8_avx2(int mr, int nr, int64_t kc,
                                    const uint32_t *ap, const int16_t *bp,
                                    int32_t *c, const int64_t *rowC,
                                    int64_t scn) {
  _Alignas(32) int32_t tile[MR * NR];
  int64_t kc2 = (kc + 1) / 2;
  for (int r0 = 0; r0 < mr; r0 += 4)
    for (int h = 0; h * 16 < nr; ++h) {
      int32_t *t = tile + r0 * NR + h * 16;
      const uint32_t *a = ap + r0;
      const int16_t *b = bp + h * 32;
      switch (mr - r0 < 4 ? mr - r0 : 4) {
      case 4: micro_s8_avx2_sub(4, kc2, a, b, t); break;
      case 3: micro_s8_avx2_sub(3, kc2, a, b, t); break;
      case 2: micro_s8_avx2_sub(2, kc2, a, b, t); break;
      default: micro_s8_avx2_sub(1, kc2, a, b, t); break;
      }
    }
  for (int i = 0; i < mr; ++i)
    for (int n = 0; n < nr; ++n)
      c[rowC[i] + n * scn] += tile[i * NR + n];
}

/* One instance per row count, so that each unrolls with mr known. */
#define QOPT_DISPATCH_MR(fn, mr, ...)                                          \
  switch (mr) {                                                                \
  case 8: fn(8, __VA_ARGS__); break;                                           \
  case 7: fn(7, __VA_ARGS__); break;                                           \
  case 6: fn(6, __VA_ARGS__); break;                                           \
  case 5: fn(5, __VA_ARGS__); break;                                           \
  case 4: fn(4, __VA_ARGS__); break;                                           \
  case 3: fn(3, __VA_ARGS__); break;                                           \
  case 2: fn(2, __VA_ARGS__); break;                                           \
  default: fn(1, __VA_ARGS__); break;                                          \
  }

static QOPT_AVX512 void micro_f32_avx512(int mr, int nr, int64_t kc,
                                         const float *ap, const float *bp,
                                         float *c, const int64_t *rowC,
                                         int64_t scn) {
  QOPT_DISPATCH_MR(micro_f32_tile, mr, nr, kc, ap, bp, c, rowC, scn)
}

static QOPT_AVX512_BF16 void micro_bf16_avx512(int mr, int nr, int64_t kc,
                                               const uint32_t *ap,
                                               const uint16_t *bp, float *c,
                                               const int64_t *rowC,
                                               int64_t scn) {
  QOPT_DISPATCH_MR(micro_bf16_tile, mr, nr, kc, ap, bp, c, rowC, scn)
}
#endif

static void micro(const gemm *g, int mr, int nr, int64_t kc, const void *ap,
                  const void *bp, void *c, const int64_t *rowC) {
  if (g->kind == QOPT_UK_S8) {
#ifdef QOPT_UK_X86
    if (g_isa >= ISA_AVX2) {
      micro_s8_avx2(mr, nr, kc, ap, bp, c, rowC, g->scn);
      return;
    }
#endif
    micro_s8_portable(mr, nr, kc, ap, bp, c, rowC, g->scn);
    return;
  }
#ifdef QOPT_UK_X86
  if (g->format == PACK_PAIRS16) {
    micro_bf16_avx512(mr, nr, kc, ap, bp, c, rowC, g->scn);
    return;
  }
  if (g_isa >= ISA_AVX512) {
    micro_f32_avx512(mr, nr, kc, ap, bp, c, rowC, g->scn);
    return;
  }
  if (g_isa == ISA_AVX2) {
    micro_f32_avx2(mr, nr, kc, ap, bp, c, rowC, g->scn);
    return;
  }
#endif
  micro_portable(mr, nr, kc, ap, bp, c, rowC, g->scn);
}

/*===------------------------------- blocks ------------------------------===*/

/* C[m0:m1, n0:n1] += A[m0:m1, :] * B[:, n0:n1]. */
/* C elements are 4 bytes (f32 or int32). */
static void gemm_block(const gemm *g, const void *a, const void *b, char *c,
                       int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  _Alignas(64) float bpack[KC * NC];
  _Alignas(64) float apack[KC * MR];
  int64_t kofA[KC], kofB[KC], rowA[MR], rowC[MR];
  kruns runs; /* when A's innermost K dim is contiguous */
  int contiguousK = g->nk == 0 || g->k[g->nk - 1].sa == 1; /* nk 0: K = 1 */
#ifdef QOPT_UK_X86
  /* f32 A feeding at most two strips is read in place (AVX2). */
  int direct = g_isa == ISA_AVX2 && a_is_f32(g->kind) &&
               g->format == PACK_F32 && n1 - n0 <= 2 * NR;
#endif
  for (int64_t k0 = 0; k0 < g->K; k0 += KC) {
    int64_t kc = g->K - k0 < KC ? g->K - k0 : KC;
    offsets(g->k, g->nk, k0, kc, kofA, kofB);
    if (contiguousK)
      find_runs(kofA, kc, &runs);
    pack_b(g, b, kofB, kc, n0, n1 - n0, bpack);
    for (int64_t mb = m0; mb < m1; mb += MR) {
      int mr = m1 - mb < MR ? (int)(m1 - mb) : MR;
      offsets(g->m, g->nm, mb, mr, rowA, rowC);
#ifdef QOPT_UK_X86
      if (direct) {
        for (int64_t j = 0; n0 + j * NR < n1; ++j) {
          int64_t nb = n0 + j * NR;
          int nr = n1 - nb < NR ? (int)(n1 - nb) : NR;
          micro_f32_avx2_direct(mr, nr, kc, (const float *)a, rowA, kofA,
                                bpack + j * kc * NR,
                                (float *)(c + nb * g->scn * 4), rowC, g->scn);
        }
        continue;
      }
#endif
      pack_a(g, a, rowA, mr, kofA, kc, contiguousK ? &runs : NULL, apack);
      for (int64_t j = 0; n0 + j * NR < n1; ++j) {
        int64_t nb = n0 + j * NR;
        int nr = n1 - nb < NR ? (int)(n1 - nb) : NR;
        const void *strip =
            g->format == PACK_F32
                ? (const void *)(bpack + j * kc * NR)
                : (const void *)((const uint16_t *)bpack + j * ((kc + 1) / 2) * NR * 2);
        micro(g, mr, nr, kc, apack, strip, c + nb * g->scn * 4, rowC);
      }
    }
  }
}

/*===------------------------------ entry --------------------------------===*/

/* Task t of the outer x N-block x M-chunk decomposition. */
static void run_task(const gemm *g, const int64_t *desc, const void *a,
                     const void *b, char *c, int64_t t, int64_t nblocks,
                     int64_t mchunks, int64_t mtiles, size_t esizeA,
                     size_t esizeB) {
  int nouter = (int)desc[2];
  const int64_t *outer = desc + 8;
  int64_t o = t / (nblocks * mchunks), rest = t % (nblocks * mchunks);
  int64_t nb = rest / mchunks, mc = rest % mchunks;
  int64_t oa = 0, ob = 0, oc = 0, idx = o;
  for (int i = nouter - 1; i >= 0; --i) {
    int64_t size = outer[4 * i], q = idx / size, r = idx - q * size;
    oa += r * outer[4 * i + 1];
    ob += r * outer[4 * i + 2];
    oc += r * outer[4 * i + 3];
    idx = q;
  }
  int64_t m0 = mtiles * mc / mchunks * MR, m1 = mtiles * (mc + 1) / mchunks * MR;
  if (m1 > g->M)
    m1 = g->M;
  int64_t n0 = nb * NC, n1 = n0 + NC < g->N ? n0 + NC : g->N;
  gemm_block(g, (const char *)a + oa * (int64_t)esizeA,
             (const char *)b + ob * (int64_t)esizeB, c + oc * 4, m0, m1, n0, n1);
}

void qopt_uk_contract(const int64_t *desc, const void *a, const void *b,
                      void *c) {
  if ((int)g_isa < 0)
    g_isa = detect_isa();
  gemm g;
  int nouter = (int)desc[2];
  g.kind = (qopt_uk_kind)desc[1];
  g.nm = (int)desc[3];
  g.nk = (int)desc[4];
  g.N = desc[5];
  g.sbn = desc[6];
  g.scn = desc[7];
  g.format = g.kind == QOPT_UK_S8 ||
                     (g.kind == QOPT_UK_BF16 && g_isa == ISA_AVX512_BF16)
                 ? PACK_PAIRS16
                 : PACK_F32;
  const int64_t *outer = desc + 8, *md = outer + 4 * nouter, *kd = md + 3 * g.nm;
  int64_t nOuter = 1;
  for (int i = 0; i < nouter; ++i)
    nOuter *= outer[4 * i];
  g.M = g.K = 1;
  for (int i = 0; i < g.nm; ++i) {
    g.m[i] = (dim2){md[3 * i], md[3 * i + 1], md[3 * i + 2]};
    g.M *= g.m[i].size;
  }
  for (int i = 0; i < g.nk; ++i) {
    g.k[i] = (dim2){kd[3 * i], kd[3 * i + 1], kd[3 * i + 2]};
    g.K *= g.k[i].size;
  }
  if (nOuter == 0 || g.M == 0 || g.N == 0)
    return;
  /* Small products stay on one thread. */
  int threads = qopt_uk_num_threads();
  double work = (double)nOuter * (double)g.M * (double)g.N * (double)g.K;
  if (work < 32768.0 * 8)
    threads = 1;
  if (nOuter == 1 && g.M <= QOPT_UK_GEMV_MAX_M && g.nk == 1 && g.sbn == 1 &&
      g.kind != QOPT_UK_F32_Q4) {
    /* Decode: B read once, as stored (qopt_gemv.c), not packed. */
    qopt_uk_gemv v = {g.kind, (int)g.M, g.N, g.K, a, {0}, g.k[0].sa, b,
                      g.k[0].sbc, c, {0}, g.scn, g_isa >= ISA_AVX2};
    offsets(g.m, g.nm, 0, g.M, v.rowA, v.rowC);
    qopt_uk_gemv_run(&v, threads);
    return;
  }
  size_t esizeA = a_is_f32(g.kind) ? 4 : g.kind == QOPT_UK_S8 ? 1 : 2;
  size_t esizeB = g.kind == QOPT_UK_F32 ? 4
                  : g.kind == QOPT_UK_S8 || g.kind == QOPT_UK_F32_S8 ||
                          g.kind == QOPT_UK_F32_Q4
                      ? 1
                      : 2;

  /* Tasks: outer index x N blocks x M chunks, enough for every thread. */
  int64_t nblocks = (g.N + NC - 1) / NC, mtiles = (g.M + MR - 1) / MR;
  int64_t mchunks = 1;
  if (nOuter * nblocks < threads)
    mchunks = (threads + nOuter * nblocks - 1) / (nOuter * nblocks);
  if (mchunks > mtiles)
    mchunks = mtiles;
  int64_t tasks = nOuter * nblocks * mchunks;
  if (tasks < threads)
    threads = (int)tasks;
  if (threads == 1) {
    for (int64_t t = 0; t < tasks; ++t)
      run_task(&g, desc, a, b, (char *)c, t, nblocks, mchunks, mtiles, esizeA,
               esizeB);
    return;
  }
  /* A plain parallel region with the tasks split by hand: Debian's libomp
   * allocates in every worksharing-loop init (and in serialized regions),
   * and a run must not touch the heap. */
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  {
    int64_t id = omp_get_thread_num(), n = omp_get_num_threads();
    for (int64_t t = tasks * id / n; t < tasks * (id + 1) / n; ++t)
      run_task(&g, desc, a, b, (char *)c, t, nblocks, mchunks, mtiles, esizeA,
               esizeB);
  }
#else
  for (int64_t t = 0; t < tasks; ++t)
    run_task(&g, desc, a, b, (char *)c, t, nblocks, mchunks, mtiles, esizeA,
               esizeB);
#endif
}
