//===- NBitsKernelTest.cpp - The 4-bit weight kernel against a reference --===//
//
// qopt_uk_matmul_nbits on shapes that cross its paths: matrix-vector (M up
// to 4) and the packed GEMM (larger M), K with a partial last block and a
// tail shorter than one 32-code vector, groups of 16 (portable path) to
// 128, one and two threads, every ISA up to the host's. With A in quarters,
// scales powers of two and integer codes, every product and partial sum is
// exact in f32, so the symmetric and asymmetric formats must match the
// reference bit for bit; NF4's codebook values are not dyadic, so NF4 is
// held to the recursive-summation bound.
//
//===----------------------------------------------------------------------===//
#include "qopt/Runtime/qopt_ukernel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

// bitsandbytes' NF4 values as QUANT_REFERENCE.md lists them.
const double kNF4[16] = {-1.0,
                         -0.6961928009986877,
                         -0.5250730514526367,
                         -0.39491748809814453,
                         -0.28444138169288635,
                         -0.18477343022823334,
                         -0.09105003625154495,
                         0.0,
                         0.07958029955625534,
                         0.16093020141124725,
                         0.24611230194568634,
                         0.33791524171829224,
                         0.44070982933044434,
                         0.5626170039176941,
                         0.7229568362236023,
                         1.0};

struct Problem {
  int64_t m, k, n, group, format;
  int64_t activations = QOPT_NBITS_F32_ACTIVATIONS;
  int64_t blocks() const { return (k + group - 1) / group; }
};

struct Weights {
  std::vector<uint8_t> codes, packed, zeros; // codes: n x k, one per byte
  std::vector<float> scales;
};

Weights makeWeights(const Problem &p, std::mt19937 &rng) {
  Weights w;
  int64_t blocks = p.blocks(), bytes = p.group / 2;
  w.codes.resize(p.n * p.k);
  w.packed.assign(p.n * blocks * bytes, 0);
  for (int64_t r = 0; r < p.n; ++r)
    for (int64_t c = 0; c < p.k; ++c) {
      uint8_t q = rng() % 16;
      w.codes[r * p.k + c] = q;
      int64_t blk = c / p.group, i = c % p.group;
      w.packed[(r * blocks + blk) * bytes + i / 2] |= i % 2 ? q << 4 : q;
    }
  for (int64_t i = 0; i < p.n * blocks; ++i)
    w.scales.push_back(std::ldexp(1.0f, int(rng() % 5) - 2)); // 1/4 .. 4
  if (p.format == QOPT_NBITS_ASYMMETRIC) {
    w.zeros.assign(p.n * ((blocks + 1) / 2), 0);
    for (int64_t r = 0; r < p.n; ++r)
      for (int64_t blk = 0; blk < blocks; ++blk)
        w.zeros[r * ((blocks + 1) / 2) + blk / 2] |=
            (rng() % 16) << (blk % 2 ? 4 : 0);
  }
  return w;
}

double decoded(const Problem &p, const Weights &w, int64_t r, int64_t c) {
  int64_t blocks = p.blocks(), blk = c / p.group;
  int q = w.codes[r * p.k + c];
  double s = w.scales[r * blocks + blk];
  if (p.format == QOPT_NBITS_NF4)
    return kNF4[q] * s;
  int zero = 8;
  if (p.format == QOPT_NBITS_ASYMMETRIC) {
    uint8_t z = w.zeros[r * ((blocks + 1) / 2) + blk / 2];
    zero = blk % 2 ? z >> 4 : z & 15;
  }
  return (q - zero) * s;
}

void configure(const char *isa, int threads) {
  setenv("QOPT_UK_ISA", isa, 1);
  setenv("QOPT_NUM_THREADS", std::to_string(threads).c_str(), 1);
  qopt_uk_init_threads();
}

void check(const Problem &p, unsigned seed) {
  std::mt19937 rng(seed);
  Weights w = makeWeights(p, rng);
  // A with a row stride larger than K, C with one larger than N: the
  // kernel must honour both.
  int64_t lda = p.k + 3, ldc = p.n + 2;
  std::vector<float> a(p.m * lda, 1e30f);
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t c = 0; c < p.k; ++c)
      a[i * lda + c] = float(int(rng() % 17) - 8) / 4;
  // What the product reads: A itself, or (int8 activations) A quantized
  // per weight block as the kernel documents, dequantized in double.
  std::vector<double> ax(a.begin(), a.end());
  bool int8 = p.activations == QOPT_NBITS_INT8_ACTIVATIONS &&
              p.format != QOPT_NBITS_NF4 && p.m <= 4 && p.k % 32 == 0 &&
              p.group % 32 == 0;
  if (int8)
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t c0 = 0; c0 < p.k; c0 += p.group) {
        int64_t len = std::min(p.group, p.k - c0);
        float amax = 0;
        for (int64_t j = 0; j < len; ++j)
          amax = std::max(amax, std::fabs(a[i * lda + c0 + j]));
        float inv = amax > 0 ? 127.f / amax : 0.f, s = amax / 127.f;
        for (int64_t j = 0; j < len; ++j)
          ax[i * lda + c0 + j] =
              double(std::nearbyint(a[i * lda + c0 + j] * inv)) * s;
      }
  std::vector<double> want(p.m * ldc), bound(p.m * ldc, 0.0);
  std::vector<float> c0(p.m * ldc);
  for (size_t i = 0; i < c0.size(); ++i)
    c0[i] = want[i] = double(i % 5) - 2; // the kernel accumulates
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t r = 0; r < p.n; ++r)
      for (int64_t c = 0; c < p.k; ++c) {
        double t = ax[i * lda + c] * decoded(p, w, r, c);
        want[i * ldc + r] += t;
        bound[i * ldc + r] += std::fabs(t);
      }
  int64_t desc[] = {QOPT_UK_ABI, p.format, p.m,   p.k,          p.n,
                    p.group,     lda,      ldc,   p.activations};
  struct {
    const char *isa;
    int threads;
  } configs[] = {{"portable", 1}, {"avx2", 1}, {"", 1}, {"", 2}};
  for (auto cfg : configs) {
    configure(cfg.isa, cfg.threads);
    std::vector<float> c = c0;
    qopt_uk_matmul_nbits(desc, a.data(), w.packed.data(), w.scales.data(),
                         w.zeros.empty() ? nullptr : w.zeros.data(), c.data());
    size_t bad = 0;
    for (int64_t i = 0; i < p.m; ++i)
      for (int64_t r = 0; r < ldc; ++r) {
        size_t at = i * ldc + r;
        // Exact products sum exactly; NF4 values and int8 activation scales
        // are not dyadic: f32 rounding, within the recursive-summation
        // bound over K terms.
        double tol = p.format == QOPT_NBITS_NF4 || int8
                         ? 2.0 * p.k * 0x1p-24 * (bound[at] + std::fabs(c0[at]))
                         : 0.0;
        bad += !(std::fabs(c[at] - want[at]) <= tol);
      }
    EXPECT_EQ(bad, 0u) << "M " << p.m << " K " << p.k << " N " << p.n
                       << " group " << p.group << " format " << p.format
                       << ", isa " << qopt_uk_isa() << ", threads "
                       << cfg.threads;
  }
}

TEST(NBitsKernel, EveryFormatPathAndShape) {
  unsigned seed = 1;
  for (int64_t format :
       {QOPT_NBITS_SYMMETRIC, QOPT_NBITS_ASYMMETRIC, QOPT_NBITS_NF4})
    for (int64_t m : {1, 3, 4, 5, 17})
      for (int64_t k : {64, 96, 300})
        for (int64_t group : {16, 32, 128})
          for (int64_t n : {1, 7, 130})
            check({m, k, n, group, format}, seed++);
  unsetenv("QOPT_NUM_THREADS");
  unsetenv("QOPT_UK_ISA");
}

TEST(NBitsKernel, Int8Activations) {
  // Integer dot products over int8 activations (matrix-vector only; the
  // GEMM and NF4 fall back to f32, which the reference follows). Groups
  // of 64 and 128 with K a multiple of 64 take 64-input chunks (k 64 with
  // group 128: one partial block); k 96 takes chunks of 32.
  unsigned seed = 500;
  for (int64_t format : {QOPT_NBITS_SYMMETRIC, QOPT_NBITS_ASYMMETRIC,
                         QOPT_NBITS_NF4})
    for (int64_t m : {1, 2, 4, 5})
      for (int64_t k : {64, 96, 256})
        for (int64_t group : {32, 64, 128})
          for (int64_t n : {3, 130})
            check({m, k, n, group, format, QOPT_NBITS_INT8_ACTIVATIONS}, seed++);
  unsetenv("QOPT_NUM_THREADS");
  unsetenv("QOPT_UK_ISA");
}

TEST(NBitsKernel, LargeMatrixVector) {
  // Enough work for the threaded path of the matrix-vector kernel.
  check({1, 1024, 512, 128, QOPT_NBITS_SYMMETRIC}, 99);
  check({2, 512, 256, 64, QOPT_NBITS_ASYMMETRIC}, 98);
  check({1, 1024, 512, 128, QOPT_NBITS_SYMMETRIC, QOPT_NBITS_INT8_ACTIVATIONS}, 97);
  unsetenv("QOPT_NUM_THREADS");
  unsetenv("QOPT_UK_ISA");
}

} // namespace
