//===- UKernelTest.cpp - The runtime's GEMM kernel against references -----===//
//
// Inputs are small multiples of 1/4, so every product and partial sum is
// exact in f32 (and every input exact in bf16 and f16): the kernel must
// reproduce the reference bit for bit, whatever its blocking, packing, ISA
// or thread count. One test with real-valued data checks the accumulation
// error against the recursive-summation bound.
//
//===----------------------------------------------------------------------===//
#include "qopt/Runtime/qopt_ukernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

uint16_t toBF16(float f) { // truncates: the test uses the truncated value
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return static_cast<uint16_t>(bits >> 16);
}

uint16_t toF16(float f) { // normal or zero values with <= 10 mantissa bits
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  uint32_t sign = (bits >> 16) & 0x8000u;
  int exp = static_cast<int>((bits >> 23) & 0xff) - 127 + 15;
  if ((bits & 0x7fffffffu) == 0)
    return static_cast<uint16_t>(sign);
  return static_cast<uint16_t>(sign | (exp << 10) | ((bits >> 13) & 0x3ff));
}

float fromBF16(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float fromF16(uint16_t h) { // normal or zero
  if ((h & 0x7fff) == 0)
    return h ? -0.f : 0.f;
  uint32_t bits = (static_cast<uint32_t>(h & 0x8000) << 16) |
                  ((((h >> 10) & 0x1f) + 112u) << 23) |
                  (static_cast<uint32_t>(h & 0x3ff) << 13);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// An operand stored as the kernel's element type, with its f32 values.
struct Operand {
  std::vector<float> values;
  std::vector<uint16_t> half;
  std::vector<int8_t> bytes;
  const void *data(qopt_uk_kind kind) const {
    if (kind == QOPT_UK_S8)
      return bytes.data();
    return kind == QOPT_UK_F32 ? static_cast<const void *>(values.data())
                               : static_cast<const void *>(half.data());
  }
};

Operand makeOperand(size_t n, qopt_uk_kind kind, std::mt19937 &rng,
                    bool exact) {
  Operand o;
  std::uniform_int_distribution<int> small(-8, 8);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (size_t i = 0; i < n; ++i) {
    if (kind == QOPT_UK_S8) { // the whole int8 range but -128
      o.bytes.push_back(static_cast<int8_t>(rng() % 255 - 127));
      o.values.push_back(o.bytes.back());
      continue;
    }
    float v = exact ? small(rng) / 4.f : normal(rng);
    // Store the value in the kernel's type and keep the value it will see.
    if (kind == QOPT_UK_BF16) {
      o.half.push_back(toBF16(v));
      v = fromBF16(o.half.back());
    } else if (kind == QOPT_UK_F16) {
      if (std::fabs(v) < 0x1p-14f) // no f16 subnormals in the data
        v = 0.f;
      o.half.push_back(toF16(v));
      v = fromF16(o.half.back());
    }
    o.values.push_back(v);
  }
  return o;
}

/// A GEMM layout: outer x M x N x K loops with element strides.
struct Layout {
  struct Dim {
    int64_t size, a, b, c;
  };
  std::vector<Dim> outer, m, k; // m uses a/c, k uses a/b
  int64_t n, bn, cn;
  size_t sizeA = 0, sizeB = 0, sizeC = 0;

  std::vector<int64_t> descriptor(qopt_uk_kind kind) const {
    std::vector<int64_t> d = {QOPT_UK_ABI,
                              kind,
                              static_cast<int64_t>(outer.size()),
                              static_cast<int64_t>(m.size()),
                              static_cast<int64_t>(k.size()),
                              n,
                              bn,
                              cn};
    for (const Dim &o : outer)
      d.insert(d.end(), {o.size, o.a, o.b, o.c});
    for (const Dim &x : m)
      d.insert(d.end(), {x.size, x.a, x.c});
    for (const Dim &x : k)
      d.insert(d.end(), {x.size, x.a, x.b});
    return d;
  }
};

/// Visits every index of dims, passing the summed strides.
template <typename F>
void forEach(const std::vector<Layout::Dim> &dims, F f) {
  int64_t total = 1;
  for (const auto &d : dims)
    total *= d.size;
  for (int64_t i = 0; i < total; ++i) {
    int64_t idx = i, a = 0, b = 0, c = 0;
    for (size_t j = dims.size(); j-- > 0;) {
      int64_t r = idx % dims[j].size;
      idx /= dims[j].size;
      a += r * dims[j].a, b += r * dims[j].b, c += r * dims[j].c;
    }
    f(a, b, c);
  }
}

std::vector<double> reference(const Layout &l, const Operand &a,
                              const Operand &b, std::vector<double> c,
                              std::vector<double> *magnitude) {
  forEach(l.outer, [&](int64_t oa, int64_t ob, int64_t oc) {
    forEach(l.m, [&](int64_t ma, int64_t, int64_t mc) {
      for (int64_t n = 0; n < l.n; ++n) {
        double sum = 0, mag = 0;
        forEach(l.k, [&](int64_t ka, int64_t kb, int64_t) {
          double p = static_cast<double>(a.values[oa + ma + ka]) *
                     b.values[ob + kb + n * l.bn];
          sum += p, mag += std::fabs(p);
        });
        c[oc + mc + n * l.cn] += sum;
        if (magnitude)
          (*magnitude)[oc + mc + n * l.cn] += mag;
      }
    });
  });
  return c;
}

/// Sets the kernel's ISA cap and thread count as a model's creation would.
void configure(const char *isa, int threads) {
  setenv("QOPT_UK_ISA", isa, 1);
  setenv("QOPT_NUM_THREADS", std::to_string(threads).c_str(), 1);
  qopt_uk_init_threads();
}

struct Config {
  const char *isa;
  int threads;
};
// Every instruction set up to the host's (the cap is ignored above it).
const Config kConfigs[] = {
    {"portable", 1}, {"avx2", 1}, {"avx512", 1}, {"", 1}, {"", 2}};
const qopt_uk_kind kKinds[] = {QOPT_UK_F32, QOPT_UK_BF16, QOPT_UK_F16};

/// Runs the kernel of `kind` on `l` in every configuration and compares
/// with the exact reference; the output (CType: float, or int32_t for int8)
/// starts from non-zero values, since the kernel accumulates.
template <typename CType>
void checkKind(const Layout &l, unsigned seed, qopt_uk_kind kind) {
  std::mt19937 rng(seed);
  // The mixed kind reads f32 A and int8 B.
  qopt_uk_kind ka = kind == QOPT_UK_F32_S8 ? QOPT_UK_F32 : kind;
  qopt_uk_kind kb = kind == QOPT_UK_F32_S8 ? QOPT_UK_S8 : kind;
  Operand a = makeOperand(l.sizeA, ka, rng, true);
  Operand b = makeOperand(l.sizeB, kb, rng, true);
  std::vector<double> c0(l.sizeC);
  for (size_t i = 0; i < c0.size(); ++i)
    c0[i] = static_cast<double>(i % 7) - 3;
  std::vector<double> want = reference(l, a, b, c0, nullptr);
  std::vector<int64_t> desc = l.descriptor(kind);
  for (const Config &cfg : kConfigs) {
    configure(cfg.isa, cfg.threads);
    std::vector<CType> c(c0.begin(), c0.end());
    qopt_uk_contract(desc.data(), a.data(ka), b.data(kb), c.data());
    size_t bad = 0;
    for (size_t i = 0; i < c.size(); ++i)
      bad += c[i] != static_cast<CType>(want[i]);
    EXPECT_EQ(bad, 0u) << "kind " << kind << ", isa " << qopt_uk_isa()
                       << ", threads " << cfg.threads << ": " << bad << " of "
                       << c.size() << " outputs differ";
  }
}

/// Every float kind (f32, bf16, f16 operands, f32 x int8; f32 output):
/// quarter-valued A times int8 B sums exactly in f32 too.
void checkExact(const Layout &l, unsigned seed) {
  for (qopt_uk_kind kind : kKinds)
    checkKind<float>(l, seed, kind);
  checkKind<float>(l, seed, QOPT_UK_F32_S8);
}

/// int8 x int8 -> int32 must be exact (sums stay far below 2^31).
void checkInt8(const Layout &l, unsigned seed) {
  checkKind<int32_t>(l, seed, QOPT_UK_S8);
}

Layout rowMajorMatmul(int64_t M, int64_t N, int64_t K) {
  Layout l;
  l.m = {{M, K, 0, N}};
  l.k = {{K, 1, N, 0}};
  l.n = N, l.bn = 1, l.cn = 1;
  l.sizeA = M * K, l.sizeB = K * N, l.sizeC = M * N;
  return l;
}

TEST(UKernel, MatmulShapesAcrossBlockEdges) {
  // Sizes straddle MR (8), NR (32), NC (128) and KC (256), including odd K
  // (a bf16 pair half filled).
  const int64_t shapes[][3] = {{1, 1, 1},   {1, 33, 7},    {8, 32, 256},
                               {9, 31, 257}, {17, 129, 3}, {40, 200, 300},
                               {3, 5, 513}};
  unsigned seed = 1;
  for (auto &s : shapes) {
    SCOPED_TRACE("M=" + std::to_string(s[0]) + " N=" + std::to_string(s[1]) +
                 " K=" + std::to_string(s[2]));
    checkExact(rowMajorMatmul(s[0], s[1], s[2]), seed++);
  }
}

TEST(UKernel, ProductWithoutKDims) {
  // [M, 1] x [1, N]: the compiler drops unit loops, so the descriptor of
  // this outer product has no K dim at all (nk = 0).
  for (int64_t m : {3, 9}) {
    Layout l = rowMajorMatmul(m, 40, 1);
    l.k.clear();
    checkExact(l, 21);
    checkInt8(l, 22);
  }
}

TEST(UKernel, MatrixVectorProducts) {
  // M <= 4 with one K dim and B contiguous along N take qopt_gemv.c: K
  // split across threads (K not a multiple of the 4-row step), N over
  // several 4096-column slabs with a tail of fewer than 16 columns; every
  // float kind and int8 x int8.
  const int64_t shapes[][3] = {{1, 4100, 37}, {2, 4103, 70}, {4, 70, 1001},
                               {3, 9, 64}};
  unsigned seed = 40;
  for (auto &s : shapes) {
    SCOPED_TRACE("M=" + std::to_string(s[0]) + " N=" + std::to_string(s[1]) +
                 " K=" + std::to_string(s[2]));
    checkExact(rowMajorMatmul(s[0], s[1], s[2]), seed);
    checkInt8(rowMajorMatmul(s[0], s[1], s[2]), seed++);
  }
}

/// B stored N x K (attention's Q.K^T), C stored N x M.
Layout transposedMatmul(int64_t M, int64_t N, int64_t K) {
  Layout l;
  l.m = {{M, K, 0, 1}};
  l.k = {{K, 1, 1, 0}};
  l.n = N, l.bn = K, l.cn = M;
  l.sizeA = M * K, l.sizeB = N * K, l.sizeC = M * N;
  return l;
}

TEST(UKernel, TransposedOperandsAndStridedOutput) {
  checkExact(transposedMatmul(19, 45, 70), 7);
}

/// NHWC input 2 x H x W x C (already padded), HWCF filter KH x KW x C x F,
/// stride 1: M = (oh, ow), K = (kh, kw, c), N = f, outer = batch. A's K
/// is in runs of KW * C elements.
Layout convolution(int64_t H, int64_t W, int64_t C, int64_t KH, int64_t KW,
                   int64_t F) {
  const int64_t OH = H - KH + 1, OW = W - KW + 1;
  Layout l;
  l.outer = {{2, H * W * C, 0, OH * OW * F}};
  l.m = {{OH, W * C, 0, OW * F}, {OW, C, 0, F}};
  l.k = {{KH, W * C, KW * C * F, 0}, {KW, C, C * F, 0}, {C, 1, F, 0}};
  l.n = F, l.bn = 1, l.cn = 1;
  l.sizeA = 2 * H * W * C, l.sizeB = KH * KW * C * F, l.sizeC = 2 * OH * OW * F;
  return l;
}

TEST(UKernel, ConvolutionAsBatchedGemm) {
  // 12 output channels (f32 A read in place); 70 (f32 A packed too); and
  // K = 288 across two K blocks, one run split between them. Runs of 3, 10
  // and 96 elements: gathered in pieces of every size (1 to 384 bytes).
  checkExact(convolution(6, 7, 3, 3, 1, 12), 10);
  checkInt8(convolution(6, 7, 3, 3, 1, 12), 16);
  checkExact(convolution(6, 7, 5, 3, 2, 12), 11);
  checkExact(convolution(6, 7, 5, 3, 2, 70), 12);
  checkExact(convolution(6, 7, 48, 3, 2, 20), 13);
  checkInt8(convolution(6, 7, 5, 3, 2, 12), 14);
  checkInt8(convolution(6, 7, 48, 3, 2, 20), 15);
}

TEST(UKernel, Int8ProductsAreExact) {
  const int64_t shapes[][3] = {{1, 1, 1}, {9, 31, 257}, {40, 200, 301}, {1, 70, 513}};
  unsigned seed = 21;
  for (auto &s : shapes) {
    SCOPED_TRACE("M=" + std::to_string(s[0]) + " N=" + std::to_string(s[1]) +
                 " K=" + std::to_string(s[2]));
    checkInt8(rowMajorMatmul(s[0], s[1], s[2]), seed++);
  }
  checkInt8(transposedMatmul(19, 45, 70), 99);
}

TEST(UKernel, RealValuedAccumulationWithinSummationBound) {
  // |error| <= 2 K u sum|a b| (u = 2^-24): the recursive-summation bound
  // with a factor 2 for the pairwise adds of the bf16 dot product.
  // Also for a matrix-vector product (M = 2), whose threads split K.
  const int64_t K = 700;
  for (auto [M, N] : {std::pair<int64_t, int64_t>{33, 100}, {2, 300}}) {
    for (qopt_uk_kind kind : kKinds) {
      Layout l = rowMajorMatmul(M, N, K);
      std::mt19937 rng(5);
      Operand a = makeOperand(l.sizeA, kind, rng, false);
      Operand b = makeOperand(l.sizeB, kind, rng, false);
      std::vector<double> mag(l.sizeC, 0.0);
      std::vector<double> want =
          reference(l, a, b, std::vector<double>(l.sizeC, 0.0), &mag);
      for (const Config &cfg : kConfigs) {
        configure(cfg.isa, cfg.threads);
        std::vector<float> c(l.sizeC, 0.f);
        std::vector<int64_t> desc = l.descriptor(kind);
        qopt_uk_contract(desc.data(), a.data(kind), b.data(kind), c.data());
        for (size_t i = 0; i < c.size(); ++i)
          ASSERT_LE(std::fabs(c[i] - want[i]), 2.0 * K * 0x1p-24 * mag[i])
              << "kind " << kind << ", isa " << qopt_uk_isa() << ", output " << i;
      }
    }
  }
}

TEST(UKernel, ThreadCountFromEnvironment) {
  configure("", 3);
  EXPECT_EQ(qopt_uk_num_threads(), 3);
  setenv("QOPT_NUM_THREADS", "not-a-number", 1);
  qopt_uk_init_threads();
  EXPECT_GE(qopt_uk_num_threads(), 1); // falls back to every core
  unsetenv("QOPT_NUM_THREADS");
  unsetenv("QOPT_UK_ISA");
}

} // namespace
