//===- WeightQuantizationTest.cpp - The int4 weight quantizers -------------===//
//
// Each quantizer against what its definition implies, computed here
// independently of the code under test: the MatMulNBits byte layout, the
// rounding bound of a uniform grid, the nearest NF4 code, the published NF4
// decimals, onnxruntime's own output on a small matrix (recorded from
// onnxruntime's quantize_matmul_4bits), and for GPTQ and AWQ a lower layer
// output error than RTN where the method is supposed to help.
//
//===----------------------------------------------------------------------===//
#include "qopt/Analysis/WeightQuantization.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace qopt;

namespace {

std::vector<float> gaussian(int64_t count, unsigned seed, float sigma = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0, sigma);
  std::vector<float> v(count);
  for (float &x : v)
    x = d(rng);
  return v;
}

/// Calibration inputs with correlated features: x = z A, z and A gaussian.
std::vector<float> correlatedInputs(int64_t n, int64_t k, unsigned seed) {
  std::vector<float> z = gaussian(n * k, seed);
  std::vector<float> a = gaussian(k * k, seed + 1, 1.0f / std::sqrt(k));
  std::vector<float> x(n * k, 0.f);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t p = 0; p < k; ++p) {
      float zp = z[r * k + p];
      for (int64_t c = 0; c < k; ++c)
        x[r * k + c] += zp * a[p * k + c];
    }
  return x;
}

/// ||x W^T - (x / s) Q^T||^2 written out directly, in double.
double naiveOutputError(const std::vector<float> &w,
                        const std::vector<float> &q,
                        const std::vector<float> &x, int64_t n, int64_t rows,
                        int64_t cols, const std::vector<float> &s = {}) {
  double total = 0;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < rows; ++o) {
      double y = 0, yq = 0;
      for (int64_t c = 0; c < cols; ++c) {
        double xv = x[r * cols + c];
        y += xv * w[o * cols + c];
        yq += (s.empty() ? xv : double(float(xv) / s[c])) * q[o * cols + c];
      }
      total += (y - yq) * (y - yq);
    }
  return total;
}

} // namespace

//===----------------------------------------------------------------------===//
// Layout
//===----------------------------------------------------------------------===//

TEST(WeightQuantizationTest, PackUnpackRoundTrip) {
  std::mt19937 rng(1);
  struct Shape {
    int64_t rows, cols, group;
  };
  // K a multiple of the group, K not a multiple (partial last block), K
  // below one group, and odd K.
  for (Shape s : {Shape{4, 64, 32}, Shape{3, 100, 16}, Shape{5, 7, 16},
                  Shape{2, 129, 64}, Shape{1, 33, 32}}) {
    std::vector<uint8_t> codes(s.rows * s.cols);
    for (uint8_t &c : codes)
      c = uint8_t(rng() % 16);
    std::vector<uint8_t> packed = packInt4(codes, s.rows, s.cols, s.group);
    int64_t blocks = (s.cols + s.group - 1) / s.group;
    ASSERT_EQ(int64_t(packed.size()), s.rows * blocks * s.group / 2);
    EXPECT_EQ(unpackInt4(packed, s.rows, s.cols, s.group), codes);
    // The layout, byte by byte: element 2i low nibble, 2i + 1 high, each
    // row `blocks` blocks of group / 2 bytes, padding zero.
    for (int64_t n = 0; n < s.rows; ++n)
      for (int64_t b = 0; b < blocks; ++b)
        for (int64_t i = 0; i < s.group / 2; ++i) {
          int64_t k0 = b * s.group + 2 * i, k1 = k0 + 1;
          int lo = k0 < s.cols ? codes[n * s.cols + k0] : 0;
          int hi = k1 < s.cols ? codes[n * s.cols + k1] : 0;
          EXPECT_EQ(packed[(n * blocks + b) * (s.group / 2) + i], lo | hi << 4)
              << s.rows << "x" << s.cols << "/" << s.group << " row " << n
              << " block " << b << " byte " << i;
        }
  }
}

TEST(WeightQuantizationTest, Int4WeightsAccessors) {
  // 3 x 40 at group 16: 3 blocks a row, the last one half padding.
  std::vector<float> w = gaussian(3 * 40, 2);
  Int4Weights q = quantizeRTN(w.data(), 3, 40, 16, Int4Format::Asymmetric);
  EXPECT_EQ(q.blocks(), 3);
  // 3 rows x 3 blocks x 8 bytes, 9 f32 scales, 3 rows x 2 zero-point bytes.
  EXPECT_EQ(q.storageBytes(), 72 + 36 + 6);
  std::vector<uint8_t> codes = unpackInt4(q.packed, 3, 40, 16);
  std::vector<float> d = q.dequantize();
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t k = 0; k < 40; ++k) {
      int64_t b = k / 16;
      uint8_t zbyte = q.zeros[n * 2 + b / 2];
      int zero = b % 2 ? zbyte >> 4 : zbyte & 15;
      EXPECT_EQ(q.code(n, k), codes[n * 40 + k]);
      float expect = float(int(codes[n * 40 + k]) - zero) * q.scales[n * 3 + b];
      EXPECT_EQ(q.value(n, k), expect);
      EXPECT_EQ(d[n * 40 + k], expect);
    }
  Int4Weights s = quantizeRTN(w.data(), 3, 40, 16, Int4Format::Symmetric);
  EXPECT_TRUE(s.zeros.empty());
  EXPECT_EQ(s.storageBytes(), 72 + 36);
  EXPECT_EQ(s.value(1, 20), float(int(s.code(1, 20)) - 8) * s.scales[1 * 3 + 1]);
}

//===----------------------------------------------------------------------===//
// RTN
//===----------------------------------------------------------------------===//

// Recorded from onnxruntime 1.32's quantize_matmul_4bits on this matrix
// transposed (K x N, as MatMulNBitsQuantizer calls it: codes past K stay
// 0); the values are multiples of 1/64, exact in f32. Row 0's first block
// holds +3.125 and -3.125: the tie picks the negative one. (With an odd K
// onnxruntime leaves a stale code in the padding nibble after the last
// element; qopt writes 0 there, so the goldens use even K.)
TEST(WeightQuantizationTest, RTNMatchesOnnxruntime) {
  const float w[2 * 20] = {
      2.78125, 0.78125, 1.15625, 3.125, 0.484375, 1.734375, 2.09375,
      -3.125, -2.78125, -1.25, -1.34375, 2.34375, 2.578125, -3.09375,
      0.0, 2.015625, -2.3125, 1.859375, -2.390625, -0.203125,
      1.984375, -1.234375, -1.0, -1.390625, 1.375, -1.53125, 3.078125,
      -0.34375, -0.140625, 0.03125, 0.515625, 0.328125, 0.0625, 3.109375,
      1.921875, 1.828125, 0.5, 0.25, -0.75, 0.125};
  {
    Int4Weights q = quantizeRTN(w, 2, 20, 16, Int4Format::Symmetric);
    std::vector<uint8_t> packed = {
        0xaf, 0xfb, 0xc9, 0x0d, 0x51, 0xe5, 0x0f, 0xd8, 0xe0, 0x70, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0xb3, 0xcb, 0xc4, 0x90, 0x88, 0x77,
        0x08, 0x33, 0xbd, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    std::vector<float> scales = {0x1.9p-2f, 0x1.32p-2f, -0x1.8ep-2f,
                                 0x1.8p-4f};
    EXPECT_EQ(q.packed, packed);
    EXPECT_EQ(q.scales, scales);
    EXPECT_TRUE(q.zeros.empty());
  }
  {
    Int4Weights q = quantizeRTN(w, 2, 20, 16, Int4Format::Asymmetric);
    std::vector<uint8_t> packed = {
        0xaf, 0xfb, 0xc9, 0x0d, 0x51, 0xe5, 0x1e, 0xd8, 0xf0, 0x70, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x1b, 0x12, 0x09, 0x4f, 0x55, 0x67,
        0xf5, 0xbb, 0xcf, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    std::vector<float> scales = {0x1.aaaaaap-2f, 0x1.222222p-2f,
                                 0x1.3ccccc0p-2f, 0x1.555556p-4f};
    // Two blocks a row: one byte, block 0 low, block 1 high.
    std::vector<uint8_t> zeros = {0x88, 0x95};
    EXPECT_EQ(q.packed, packed);
    EXPECT_EQ(q.scales, scales);
    EXPECT_EQ(q.zeros, zeros);
  }
  {
    // One block (the first 6 values of row 1): the unused high nibble of
    // the zero-point byte holds 8.
    Int4Weights q = quantizeRTN(w + 20, 1, 6, 16, Int4Format::Asymmetric);
    std::vector<uint8_t> packed = {0x2f, 0x13, 0x0d, 0x00,
                                   0x00, 0x00, 0x00, 0x00};
    EXPECT_EQ(q.packed, packed);
    EXPECT_EQ(q.scales, std::vector<float>{0x1.ep-3f});
    EXPECT_EQ(q.zeros, std::vector<uint8_t>{0x87});
  }
}

// The float slack: code = roundf(w * (1 / scale) + zero) and the decoded
// (code - zero) * scale each round a handful of times (reciprocal, product,
// sum, decode, the difference) with relative error 2^-24 on quantities of
// at most 16 steps, so the computed error exceeds the exact one by less than
// 16 * 5 * 2^-24 < 1e-5 of a step. 1e-5 * |scale| covers it.
static float slack(float scale) { return 1e-5f * std::fabs(scale); }

TEST(WeightQuantizationTest, RTNAsymmetricErrorWithinHalfStep) {
  const int64_t rows = 32, cols = 200, group = 32; // a partial last block
  std::vector<float> w = gaussian(rows * cols, 3, 0.02f);
  // An all-positive and an all-negative row: the range widens to 0.
  for (int64_t k = 0; k < cols; ++k) {
    w[k] = std::fabs(w[k]) + 0.01f;
    w[cols + k] = -std::fabs(w[cols + k]) - 0.01f;
  }
  Int4Weights q = quantizeRTN(w.data(), rows, cols, group,
                              Int4Format::Asymmetric);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < cols; ++k) {
      float scale = q.scales[n * q.blocks() + k / group];
      ASSERT_GT(scale, 0);
      EXPECT_LE(std::fabs(w[n * cols + k] - q.value(n, k)),
                scale / 2 + slack(scale))
          << n << "," << k;
    }
}

// The symmetric grid holds -8..7 steps: the largest magnitude lands on -8
// exactly, so every value is within half a step except on the opposite
// side beyond 7.5 steps, where it clips to 7 and errs by at most one step.
TEST(WeightQuantizationTest, RTNSymmetricErrorWithinHalfStep) {
  const int64_t rows = 32, cols = 200, group = 32;
  std::vector<float> w = gaussian(rows * cols, 4, 0.02f);
  Int4Weights q = quantizeRTN(w.data(), rows, cols, group,
                              Int4Format::Symmetric);
  int clipped = 0;
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t b = 0; b < q.blocks(); ++b) {
      int64_t k0 = b * group, k1 = std::min(cols, k0 + group);
      float absmax = 0, extreme = 0;
      for (int64_t k = k0; k < k1; ++k)
        if (std::fabs(w[n * cols + k]) > absmax) {
          absmax = std::fabs(w[n * cols + k]);
          extreme = w[n * cols + k];
        }
      float scale = q.scales[n * q.blocks() + b];
      EXPECT_FLOAT_EQ(std::fabs(scale), absmax / 8);
      // The extreme decodes to itself: code 0, -8 steps.
      for (int64_t k = k0; k < k1; ++k)
        if (w[n * cols + k] == extreme) {
          EXPECT_EQ(q.code(n, k), 0);
          EXPECT_FLOAT_EQ(q.value(n, k), extreme);
        }
      for (int64_t k = k0; k < k1; ++k) {
        float v = w[n * cols + k], err = std::fabs(v - q.value(n, k));
        bool opposite = (v > 0) != (extreme > 0);
        if (opposite && std::fabs(v) > 7.5f * std::fabs(scale)) {
          ++clipped;
          EXPECT_EQ(q.code(n, k), 15);
          EXPECT_LE(err, std::fabs(scale) + slack(scale));
        } else {
          EXPECT_LE(err, std::fabs(scale) / 2 + slack(scale))
              << n << "," << k;
        }
      }
    }
  // Gaussian groups of 32 do reach the clipped side now and then.
  EXPECT_GT(clipped, 0);
}

//===----------------------------------------------------------------------===//
// NF4
//===----------------------------------------------------------------------===//

TEST(WeightQuantizationTest, NF4CodebookIsPublishedValues) {
  // bitsandbytes create_normal_map(offset=0.9677083), as float32 values
  // printed in full (QUANT_REFERENCE.md).
  const double published[16] = {
      -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
      -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
      0.07958029955625534, 0.16093020141124725, 0.24611230194568634,
      0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
      0.7229568362236023, 1.0};
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(double(kNF4Codebook[i]), published[i]) << i;
}

TEST(WeightQuantizationTest, NF4PicksNearestCode) {
  const int64_t rows = 16, cols = 200, group = 64;
  std::vector<float> w = gaussian(rows * cols, 5);
  Int4Weights q = quantizeNF4(w.data(), rows, cols, group);
  ASSERT_EQ(q.format, Int4Format::NF4);
  ASSERT_EQ(int64_t(q.scales.size()), rows * 4);
  // Half the widest gap between neighbouring codes (-1 .. -0.6962).
  const float widestHalfGap = (1.0f - 0.6961928009986877f) / 2;
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t b = 0; b < q.blocks(); ++b) {
      int64_t k0 = b * group, k1 = std::min(cols, k0 + group);
      float absmax = 0;
      for (int64_t k = k0; k < k1; ++k)
        absmax = std::max(absmax, std::fabs(w[n * cols + k]));
      EXPECT_EQ(q.scales[n * q.blocks() + b], absmax);
      for (int64_t k = k0; k < k1; ++k) {
        float v = w[n * cols + k];
        double x = double(v) / absmax;
        double mine = std::fabs(x - kNF4Codebook[q.code(n, k)]);
        for (int c = 0; c < 16; ++c)
          EXPECT_LE(mine, std::fabs(x - kNF4Codebook[c]) + 1e-6)
              << n << "," << k << " code " << int(q.code(n, k)) << " vs " << c;
        EXPECT_LE(std::fabs(v - q.value(n, k)),
                  absmax * widestHalfGap * (1 + 1e-5f));
        if (std::fabs(v) == absmax)
          EXPECT_EQ(q.value(n, k), v); // +-1 * absmax
      }
    }
}

TEST(WeightQuantizationTest, NF4DoubleQuantization) {
  const int64_t rows = 256, cols = 1024, group = 64;
  std::vector<float> w = gaussian(rows * cols, 6, 0.02f);
  Int4Weights q = quantizeNF4(w.data(), rows, cols, group);
  DoubleQuantizedScales d = doubleQuantize(q.scales);
  ASSERT_EQ(d.codes.size(), q.scales.size());
  ASSERT_EQ(d.blockScales.size(), q.scales.size() / 256);
  // QLoRA: 4 + 8 / 64 + 32 / (64 * 256) = 4.127 bits a weight, not 4.5.
  double bits = d.bitsPerWeight(group);
  EXPECT_GE(bits, 4.12);
  EXPECT_LE(bits, 4.135);
  double mean = 0;
  for (float s : q.scales)
    mean += s;
  mean /= double(q.scales.size());
  EXPECT_NEAR(d.mean, mean, 1e-6 * mean);
  std::vector<float> back = d.dequantize();
  ASSERT_EQ(back.size(), q.scales.size());
  for (size_t i = 0; i < back.size(); ++i) {
    // Half an int8 step of the block's (absmax - mean) range, and within
    // a few percent of the absmax itself.
    float step = d.blockScales[i / 256];
    EXPECT_LE(std::fabs(back[i] - q.scales[i]), step / 2 + 1e-5f * step) << i;
    EXPECT_NEAR(back[i], q.scales[i], 0.02 * q.scales[i]) << i;
  }
}

//===----------------------------------------------------------------------===//
// GPTQ
//===----------------------------------------------------------------------===//

TEST(WeightQuantizationTest, HessianIsTwoOverNXtX) {
  const int64_t n = 50, k = 7;
  std::vector<float> x = gaussian(n * k, 7);
  HessianAccumulator acc(k);
  acc.add(x.data(), 20); // two batches
  acc.add(x.data() + 20 * k, n - 20);
  EXPECT_EQ(acc.samples(), n);
  std::vector<double> h = acc.hessian();
  ASSERT_EQ(int64_t(h.size()), k * k);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j) {
      double s = 0;
      for (int64_t r = 0; r < n; ++r)
        s += double(x[r * k + i]) * x[r * k + j];
      EXPECT_NEAR(h[i * k + j], 2.0 / n * s, 1e-12 * (1 + std::fabs(s)));
    }
}

namespace {
struct GPTQCase {
  int64_t n = 512, k = 256, rows = 64;
  std::vector<float> x, w;
  std::vector<double> h;
  GPTQCase() {
    x = correlatedInputs(n, k, 11);
    w = gaussian(rows * k, 12, 0.05f);
    HessianAccumulator acc(k);
    acc.add(x.data(), n);
    h = acc.hessian();
  }
};
} // namespace

TEST(WeightQuantizationTest, GPTQBeatsRTNOnCorrelatedInputs) {
  GPTQCase c;
  for (Int4Format format : {Int4Format::Symmetric, Int4Format::Asymmetric})
    for (bool actOrder : {false, true})
      for (int64_t group : {int64_t(32), int64_t(128)}) {
        SCOPED_TRACE(::testing::Message()
                     << (format == Int4Format::Symmetric ? "sym" : "asym")
                     << " actOrder " << actOrder << " group " << group);
        GPTQOptions o;
        o.group = group;
        o.format = format;
        o.actOrder = actOrder;
        Int4Weights g = quantizeGPTQ(c.w.data(), c.rows, c.k, c.h, o);
        Int4Weights r = quantizeRTN(c.w.data(), c.rows, c.k, group, format);
        ASSERT_EQ(g.rows, c.rows);
        ASSERT_EQ(g.cols, c.k);
        ASSERT_EQ(g.format, format);
        double eg = layerOutputError(c.w.data(), g, c.x.data(), c.n);
        double er = layerOutputError(c.w.data(), r, c.x.data(), c.n);
        EXPECT_NEAR(eg,
                    naiveOutputError(c.w, g.dequantize(), c.x, c.n, c.rows,
                                     c.k),
                    1e-6 * eg);
        EXPECT_LT(eg, 0.8 * er) << "GPTQ " << eg << " RTN " << er;
        // The output is in the original column order: each weight stays
        // near its own value (a permuted result would not).
        std::vector<float> d = g.dequantize();
        double num = 0, den = 0;
        for (size_t i = 0; i < d.size(); ++i) {
          num += double(d[i] - c.w[i]) * (d[i] - c.w[i]);
          den += double(c.w[i]) * c.w[i];
        }
        EXPECT_LT(num / den, 0.1);
      }
}

TEST(WeightQuantizationTest, GPTQDeadColumnQuantizesToZero) {
  GPTQCase c;
  const int64_t dead = 5;
  for (int64_t r = 0; r < c.n; ++r)
    c.x[r * c.k + dead] = 0;
  HessianAccumulator acc(c.k);
  acc.add(c.x.data(), c.n);
  std::vector<double> h = acc.hessian();
  ASSERT_EQ(h[dead * c.k + dead], 0.0);
  for (Int4Format format : {Int4Format::Symmetric, Int4Format::Asymmetric})
    for (bool actOrder : {false, true}) {
      GPTQOptions o;
      o.group = 64;
      o.format = format;
      o.actOrder = actOrder;
      Int4Weights g = quantizeGPTQ(c.w.data(), c.rows, c.k, h, o);
      for (int64_t n = 0; n < c.rows; ++n) {
        ASSERT_NE(c.w[n * c.k + dead], 0.f);
        EXPECT_EQ(g.value(n, dead), 0.f) << n;
      }
      // The live columns still beat RTN.
      Int4Weights r = quantizeRTN(c.w.data(), c.rows, c.k, 64, format);
      EXPECT_LT(layerOutputError(c.w.data(), g, c.x.data(), c.n),
                layerOutputError(c.w.data(), r, c.x.data(), c.n));
    }
}

//===----------------------------------------------------------------------===//
// AWQ and the error measure
//===----------------------------------------------------------------------===//

TEST(WeightQuantizationTest, LayerOutputErrorDefinition) {
  const int64_t n = 9, rows = 5, cols = 40;
  std::vector<float> x = gaussian(n * cols, 8), w = gaussian(rows * cols, 9);
  Int4Weights q = quantizeRTN(w.data(), rows, cols, 16,
                              Int4Format::Asymmetric);
  double e = layerOutputError(w.data(), q, x.data(), n);
  EXPECT_GT(e, 0);
  EXPECT_NEAR(e, naiveOutputError(w, q.dequantize(), x, n, rows, cols),
              1e-9 * e);
  std::vector<float> s(cols);
  for (int64_t c = 0; c < cols; ++c)
    s[c] = 0.5f + 0.05f * float(c);
  double es = layerOutputError(w.data(), q, x.data(), n, s);
  EXPECT_NEAR(es, naiveOutputError(w, q.dequantize(), x, n, rows, cols, s),
              1e-9 * es);
  // Weights on the grid decode exactly: no error. Multiples of 1/4 in
  // [-2, 1.75] with -2 in every group make scale 1/4 exactly.
  std::vector<float> exact(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i)
    exact[i] = i % cols % 16 == 0 ? -2.0f : float(int(i * 7 % 16) - 8) / 4;
  Int4Weights qe = quantizeRTN(exact.data(), rows, cols, 16,
                               Int4Format::Symmetric);
  EXPECT_EQ(layerOutputError(exact.data(), qe, x.data(), n), 0.0);
}

TEST(WeightQuantizationTest, AWQProtectsSalientChannels) {
  const int64_t n = 256, cols = 256, rows = 64, group = 64;
  std::vector<float> x = gaussian(n * cols, 10);
  // A few input channels 10-50x larger, as in LLM activations.
  const int64_t salient[] = {3, 70, 131, 200, 250};
  const float gain[] = {10, 20, 30, 40, 50};
  for (int i = 0; i < 5; ++i)
    for (int64_t r = 0; r < n; ++r)
      x[r * cols + salient[i]] *= gain[i];
  std::vector<float> w = gaussian(rows * cols, 11, 0.05f);
  for (Int4Format format : {Int4Format::Symmetric, Int4Format::Asymmetric}) {
    AWQResult a = quantizeAWQ(w.data(), rows, cols, x.data(), n, group,
                              format);
    Int4Weights r = quantizeRTN(w.data(), rows, cols, group, format);
    double ea = layerOutputError(w.data(), a.weights, x.data(), n,
                                 a.inputScales);
    double er = layerOutputError(w.data(), r, x.data(), n);
    EXPECT_LE(ea, er);
    EXPECT_LT(ea, 0.9 * er) << "AWQ " << ea << " RTN " << er;
    EXPECT_GT(a.alpha, 0);
    EXPECT_LT(a.alpha, 1);
    ASSERT_EQ(int64_t(a.inputScales.size()), cols);
    // The salient channels get the largest scales.
    for (int i = 0; i < 5; ++i)
      EXPECT_GT(a.inputScales[salient[i]], a.inputScales[0]);
    // The weights are W diag(s) on RTN's grid with each group's range
    // clipped by a ratio in [0.525, 1] (llm-awq's auto_clip): no larger
    // than RTN's scale, and never a higher calibration error than
    // unclipped RTN of W diag(s).
    std::vector<float> ws(rows * cols);
    for (int64_t o = 0; o < rows; ++o)
      for (int64_t c = 0; c < cols; ++c)
        ws[o * cols + c] = w[o * cols + c] * a.inputScales[c];
    Int4Weights unclipped = quantizeRTN(ws.data(), rows, cols, group, format);
    ASSERT_EQ(a.weights.scales.size(), unclipped.scales.size());
    size_t clipped = 0;
    for (size_t i = 0; i < unclipped.scales.size(); ++i) {
      float got = std::fabs(a.weights.scales[i]);
      float full = std::fabs(unclipped.scales[i]);
      EXPECT_LE(got, full * (1 + 1e-6f));
      EXPECT_GE(got, 0.52f * full);
      clipped += got < full * (1 - 1e-6f);
    }
    EXPECT_GT(clipped, 0u); // the search does clip some groups
    EXPECT_LE(ea, layerOutputError(w.data(), unclipped, x.data(), n,
                                   a.inputScales));
  }
}

TEST(WeightQuantizationTest, AWQNeverWorseThanRTN) {
  // Inputs with no salient channels: alpha = 0 (plain RTN) is a candidate.
  const int64_t n = 64, cols = 128, rows = 16;
  std::vector<float> x = gaussian(n * cols, 13), w = gaussian(rows * cols, 14);
  AWQResult a = quantizeAWQ(w.data(), rows, cols, x.data(), n, 32,
                            Int4Format::Symmetric);
  Int4Weights r = quantizeRTN(w.data(), rows, cols, 32, Int4Format::Symmetric);
  EXPECT_LE(layerOutputError(w.data(), a.weights, x.data(), n, a.inputScales),
            layerOutputError(w.data(), r, x.data(), n));
}
