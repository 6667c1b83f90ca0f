/*===- qopt_ukernel.h - Contraction micro-kernels called by compiled code ===*
 *
 * The compiler lowers every matmul-like linalg op (matmul, batch matmul,
 * convolution with an output-channel dimension) to one call of
 * qopt_uk_contract: a cache-blocked, packed, AVX-512 GEMM with runtime
 * dispatch (AVX512-BF16 dot products for bf16, AVX-512 or AVX2 FMA for
 * f32 and widened bf16/f16, portable C
 * elsewhere) and OpenMP threads. The loop nest is described by a constant
 * i64 array that the compiler emits next to the call; its layout is the
 * contract between qopt-cpu-ukernels and this file.
 *
 *   desc[0] QOPT_UK_ABI            desc[1] kind (qopt_uk_kind)
 *   desc[2] number of outer dims   desc[3] number of M dims
 *   desc[4] number of K dims       desc[5] N (the vectorised dimension)
 *   desc[6] B stride along N       desc[7] C stride along N
 *   then per outer dim: size, A stride, B stride, C stride
 *   then per M dim:     size, A stride, C stride
 *   then per K dim:     size, A stride, B stride
 *
 * Strides are in elements; outer dims are the slowest. C[m, n] += sum_k
 * A[m, k] * B[k, n] for every outer index, accumulated in f32 (int32 for
 * int8 operands; C then holds int32).
 *===----------------------------------------------------------------------===*/
#ifndef QOPT_RUNTIME_UKERNEL_H
#define QOPT_RUNTIME_UKERNEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QOPT_UK_ABI 1
#define QOPT_UK_MAX_DIMS 4

typedef enum {
  QOPT_UK_F32 = 0,  /* f32 x f32 -> f32 */
  QOPT_UK_BF16 = 1, /* bf16 x bf16 -> f32 */
  QOPT_UK_F16 = 2,  /* f16 x f16 -> f32 */
  QOPT_UK_S8 = 3,   /* int8 x int8 -> int32 */
  QOPT_UK_F32_S8 = 4, /* f32 x int8 (widened to f32 when packed) -> f32 */
  QOPT_UK_F32_Q4 = 5, /* f32 x 4-bit weights (decoded when packed) -> f32;
                         B points to a qopt_uk_nbits */
} qopt_uk_kind;

void qopt_uk_contract(const int64_t *desc, const void *a, const void *b,
                      void *c);

/* 4-bit weights in onnxruntime's MatMulNBits layout (see qopt.matmul_nbits):
 * row n of N holds ceil(K / group) blocks of group / 2 bytes, element 2i in
 * the low nibble of byte i; a code q decodes to (q - zero) * scale, with
 * zero 8 (symmetric), the block's nibble of `zeros` (asymmetric), or to
 * nf4[q] * scale. */
typedef enum {
  QOPT_NBITS_SYMMETRIC = 0,
  QOPT_NBITS_ASYMMETRIC = 1,
  QOPT_NBITS_NF4 = 2,
} qopt_nbits_format;

typedef struct {
  const uint8_t *codes;  /* N x blocks x group/2 */
  const float *scales;   /* N x blocks */
  const uint8_t *zeros;  /* N x ceil(blocks/2), asymmetric only */
  int64_t format, group, blocks;
} qopt_uk_nbits;

/* How a matrix-vector product reads A: in f32 (exact), or quantized to
 * int8 per weight block (max|x| / 127 over the block's inputs, round half to
 * even) so that the dot products run on integer multiply-adds summed in
 * int32 over the block (llama.cpp's Q4 x Q8, onnxruntime's accuracy_level
 * 4). Larger M always computes in f32. */
typedef enum {
  QOPT_NBITS_F32_ACTIVATIONS = 0,
  QOPT_NBITS_INT8_ACTIVATIONS = 1,
} qopt_nbits_activations;

/* C[m, n] += sum_k A[m, k] * W[n, k] over the decoded weights, for
 * desc = {QOPT_UK_ABI, format, M, K, N, group, A row stride, C row stride,
 * activations} (f32 A and C, strides in elements). Matrix-vector products
 * (M <= 4) read each packed byte once and decode it in registers (int8
 * activations: when K and group are multiples of 32 and the format is not
 * NF4); larger M decodes one KC x NC block at a time into the GEMM's
 * packing buffer. */
void qopt_uk_matmul_nbits(const int64_t *desc, const float *a,
                          const uint8_t *codes, const float *scales,
                          const uint8_t *zeros, float *c);

/* Threads used by the kernels: QOPT_NUM_THREADS when set (read when a model
 * is created), else every core OpenMP sees. */
void qopt_uk_init_threads(void);
int qopt_uk_num_threads(void);

/* Which instruction set the kernels dispatch to on this host, for reports
 * and tests: "avx512-bf16", "avx512", "avx2" or "portable". */
const char *qopt_uk_isa(void);

#ifdef __cplusplus
}
#endif

#endif
