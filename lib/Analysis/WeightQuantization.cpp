//===- WeightQuantization.cpp - Weight-only 4-bit quantizers --------------===//
//
// RTN reproduces onnxruntime's MatMul4Bits quantizer (MLAS BlockwiseQuantizer,
// reached from `quantize_matmul_4bits`) bit for bit: the same scale formulas,
// the same reciprocal multiply, roundf (half away from zero) and the same
// clamping. GPTQ and AWQ quantize on that grid, so their output decodes with
// the same MatMulNBits kernel.
//
//===----------------------------------------------------------------------===//
#include "qopt/Analysis/WeightQuantization.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>

// onnxruntime computes `v * reciprocal + zp` as a multiply then an add; a
// fused multiply-add would round once and differ in the last bit.
#pragma STDC FP_CONTRACT OFF

using namespace qopt;

const float qopt::kNF4Codebook[16] = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f};

//===----------------------------------------------------------------------===//
// Storage
//===----------------------------------------------------------------------===//

static int64_t blockBytes(int64_t group) { return group / 2; }

uint8_t Int4Weights::code(int64_t n, int64_t k) const {
  int64_t b = k / group, i = k % group;
  uint8_t byte = packed[(n * blocks() + b) * blockBytes(group) + i / 2];
  return (i & 1) ? byte >> 4 : byte & 0xF;
}

float Int4Weights::value(int64_t n, int64_t k) const {
  int64_t b = k / group;
  float scale = scales[n * blocks() + b];
  int q = code(n, k);
  switch (format) {
  case Int4Format::Symmetric:
    return float(q - 8) * scale;
  case Int4Format::Asymmetric: {
    uint8_t z = zeros[n * ((blocks() + 1) / 2) + b / 2];
    int zero = (b & 1) ? z >> 4 : z & 0xF;
    return float(q - zero) * scale;
  }
  case Int4Format::NF4:
    return kNF4Codebook[q] * scale;
  }
  return 0;
}

std::vector<float> Int4Weights::dequantize() const {
  std::vector<float> w(rows * cols);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t k = 0; k < cols; ++k)
      w[n * cols + k] = value(n, k);
  return w;
}

int64_t Int4Weights::storageBytes() const {
  return int64_t(packed.size()) + int64_t(scales.size() * sizeof(float)) +
         int64_t(zeros.size());
}

std::vector<uint8_t> qopt::packInt4(const std::vector<uint8_t> &codes,
                                    int64_t rows, int64_t cols,
                                    int64_t group) {
  assert(group > 0 && group % 2 == 0 && "group must be even");
  assert(int64_t(codes.size()) == rows * cols);
  int64_t blocks = (cols + group - 1) / group, bytes = blockBytes(group);
  std::vector<uint8_t> packed(rows * blocks * bytes, 0);
  for (int64_t n = 0; n < rows; ++n) {
    uint8_t *row = packed.data() + n * blocks * bytes;
    const uint8_t *src = codes.data() + n * cols;
    for (int64_t k = 0; k < cols; ++k) {
      int64_t b = k / group, i = k % group;
      uint8_t c = src[k] & 0xF;
      row[b * bytes + i / 2] |= (i & 1) ? uint8_t(c << 4) : c;
    }
  }
  return packed;
}

std::vector<uint8_t> qopt::unpackInt4(const std::vector<uint8_t> &packed,
                                      int64_t rows, int64_t cols,
                                      int64_t group) {
  int64_t blocks = (cols + group - 1) / group, bytes = blockBytes(group);
  assert(int64_t(packed.size()) == rows * blocks * bytes);
  std::vector<uint8_t> codes(rows * cols);
  for (int64_t n = 0; n < rows; ++n) {
    const uint8_t *row = packed.data() + n * blocks * bytes;
    for (int64_t k = 0; k < cols; ++k) {
      int64_t b = k / group, i = k % group;
      uint8_t byte = row[b * bytes + i / 2];
      codes[n * cols + k] = (i & 1) ? byte >> 4 : byte & 0xF;
    }
  }
  return codes;
}

//===----------------------------------------------------------------------===//
// The RTN grid (onnxruntime's range2scale / range2scalezp)
//===----------------------------------------------------------------------===//

namespace {

/// One group's grid: value = (code - zero) * scale.
struct Grid {
  float scale = 0;
  uint8_t zero = 8;

  /// onnxruntime: clamp(roundf(v * (1 / scale) + zp), 0, 15), a zero scale
  /// mapping everything to the zero point.
  uint8_t code(float v) const {
    float reciprocal = scale != 0.0f ? 1.0f / scale : 0.0f;
    float scaled = v * reciprocal;
    float shifted = scaled + float(zero);
    float r = std::roundf(shifted);
    return uint8_t(std::clamp(r, 0.0f, 15.0f));
  }
  float value(uint8_t code) const { return float(int(code) - int(zero)) * scale; }
};

/// The grid of one group of values (strided by `stride`), as onnxruntime
/// fits it. Its padding zeros never change the result: the asymmetric range
/// includes 0 anyway and the symmetric one only looks at the largest
/// magnitude.
Grid fitGrid(const float *v, int64_t len, int64_t stride, Int4Format format) {
  float mn = std::numeric_limits<float>::max(), mx = -mn;
  for (int64_t i = 0; i < len; ++i) {
    float x = v[i * stride];
    if (x < mn)
      mn = x;
    if (x > mx)
      mx = x;
  }
  Grid g;
  if (len == 0)
    mn = mx = 0;
  if (format == Int4Format::Symmetric) {
    // The largest magnitude, the negative one on a tie, maps to -8: the
    // scale is negative when that value is positive.
    float m = std::fabs(mx) > std::fabs(mn) ? mx : mn;
    g.scale = -m / 8.0f;
    g.zero = 8;
    return g;
  }
  mn = std::min(mn, 0.0f);
  mx = std::max(mx, 0.0f);
  g.scale = (mx - mn) / 15.0f;
  float zp = mn;
  if (g.scale != 0.0f)
    zp = 0.0f - mn / g.scale;
  if (zp < 0.0f)
    g.zero = 0;
  else if (zp > 15.0f)
    g.zero = 15;
  else
    g.zero = uint8_t(std::roundf(zp));
  return g;
}

/// Assembles the stored form from per-element codes and per-block grids
/// (rows x blocks). Codes past K stay 0, as onnxruntime's
/// MatMulNBitsQuantizer leaves them.
Int4Weights assemble(const std::vector<uint8_t> &codes,
                     const std::vector<Grid> &grids, int64_t rows,
                     int64_t cols, int64_t group, Int4Format format) {
  Int4Weights q;
  q.rows = rows;
  q.cols = cols;
  q.group = group;
  q.format = format;
  int64_t blocks = q.blocks();
  q.packed = packInt4(codes, rows, cols, group);
  q.scales.resize(rows * blocks);
  for (int64_t i = 0; i < rows * blocks; ++i)
    q.scales[i] = grids[i].scale;
  if (format == Int4Format::Asymmetric) {
    // An odd block count leaves the last byte's high nibble unused:
    // onnxruntime writes the default zero point 8 there.
    int64_t zbytes = (blocks + 1) / 2;
    q.zeros.assign(rows * zbytes, (blocks & 1) ? 0x80 : 0);
    for (int64_t n = 0; n < rows; ++n)
      for (int64_t b = 0; b < blocks; ++b) {
        uint8_t z = grids[n * blocks + b].zero & 0xF;
        uint8_t &byte = q.zeros[n * zbytes + b / 2];
        byte = (b & 1) ? uint8_t((byte & 0x0F) | (z << 4))
                       : uint8_t((byte & 0xF0) | z);
      }
  }
  return q;
}

void checkIntFormat(Int4Format format) {
  (void)format;
  assert((format == Int4Format::Symmetric ||
          format == Int4Format::Asymmetric) &&
         "an integer grid is symmetric or asymmetric");
}

} // namespace

Int4Weights qopt::quantizeRTN(const float *w, int64_t rows, int64_t cols,
                              int64_t group, Int4Format format) {
  checkIntFormat(format);
  int64_t blocks = (cols + group - 1) / group;
  std::vector<uint8_t> codes(rows * cols);
  std::vector<Grid> grids(rows * blocks);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      int64_t k0 = b * group, k1 = std::min(cols, k0 + group);
      const float *src = w + n * cols;
      Grid g = fitGrid(src + k0, k1 - k0, 1, format);
      grids[n * blocks + b] = g;
      for (int64_t k = k0; k < k1; ++k)
        codes[n * cols + k] = g.code(src[k]);
    }
  return assemble(codes, grids, rows, cols, group, format);
}

//===----------------------------------------------------------------------===//
// NF4
//===----------------------------------------------------------------------===//

Int4Weights qopt::quantizeNF4(const float *w, int64_t rows, int64_t cols,
                              int64_t group) {
  // bitsandbytes picks the code by comparing against the midpoints of
  // neighbouring codebook values (its dQuantizeNF4 decision tree): a value
  // exactly on a midpoint goes to the lower code.
  float mid[15];
  for (int i = 0; i < 15; ++i)
    mid[i] = (kNF4Codebook[i] + kNF4Codebook[i + 1]) * 0.5f;
  int64_t blocks = (cols + group - 1) / group;
  std::vector<uint8_t> codes(rows * cols);
  std::vector<Grid> grids(rows * blocks);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      int64_t k0 = b * group, k1 = std::min(cols, k0 + group);
      const float *src = w + n * cols;
      float absmax = 0;
      for (int64_t k = k0; k < k1; ++k)
        absmax = std::max(absmax, std::fabs(src[k]));
      grids[n * blocks + b].scale = absmax;
      // bitsandbytes multiplies by the reciprocal of absmax.
      float reciprocal = absmax != 0.0f ? 1.0f / absmax : 0.0f;
      for (int64_t k = k0; k < k1; ++k) {
        float x = src[k] * reciprocal;
        uint8_t q = 0;
        while (q < 15 && x > mid[q])
          ++q;
        codes[n * cols + k] = q;
      }
    }
  return assemble(codes, grids, rows, cols, group, Int4Format::NF4);
}

std::vector<float> DoubleQuantizedScales::dequantize() const {
  std::vector<float> s(codes.size());
  for (size_t i = 0; i < codes.size(); ++i)
    s[i] = float(codes[i]) * blockScales[i / block] + mean;
  return s;
}

double DoubleQuantizedScales::bitsPerWeight(int64_t group) const {
  // 4 bits a weight, 8 bits a block scale, 32 bits per `block` scales and
  // 32 bits for the mean.
  double scalesCount = codes.empty() ? double(block) : double(codes.size());
  double blocksCount = codes.empty() ? 1.0 : double(blockScales.size());
  double weights = scalesCount * double(group);
  double bits = 4.0 * weights + 8.0 * scalesCount + 32.0 * blocksCount + 32.0;
  return bits / weights;
}

DoubleQuantizedScales qopt::doubleQuantize(const std::vector<float> &scales,
                                           int64_t block) {
  DoubleQuantizedScales d;
  d.block = block;
  if (scales.empty())
    return d;
  double sum = 0;
  for (float s : scales)
    sum += s;
  d.mean = float(sum / double(scales.size()));
  int64_t count = int64_t(scales.size());
  d.codes.resize(count);
  for (int64_t b0 = 0; b0 < count; b0 += block) {
    int64_t b1 = std::min(count, b0 + block);
    float absmax = 0;
    for (int64_t i = b0; i < b1; ++i)
      absmax = std::max(absmax, std::fabs(scales[i] - d.mean));
    float scale = absmax / 127.0f;
    float reciprocal = scale != 0.0f ? 1.0f / scale : 0.0f;
    d.blockScales.push_back(scale);
    for (int64_t i = b0; i < b1; ++i) {
      float q = std::nearbyint((scales[i] - d.mean) * reciprocal);
      d.codes[i] = int8_t(std::clamp(q, -127.0f, 127.0f));
    }
  }
  return d;
}

//===----------------------------------------------------------------------===//
// Hessian
//===----------------------------------------------------------------------===//

HessianAccumulator::HessianAccumulator(int64_t cols)
    : cols_(cols), sum_(cols * cols, 0.0) {}

void HessianAccumulator::add(const float *x, int64_t n) {
  int64_t k = cols_;
  std::vector<double> row(k);
  // The upper triangle, one rank-1 update a sample; hessian() mirrors it.
  for (int64_t r = 0; r < n; ++r) {
    const float *xr = x + r * k;
    for (int64_t j = 0; j < k; ++j)
      row[j] = xr[j];
    for (int64_t i = 0; i < k; ++i) {
      double xi = row[i];
      if (xi == 0)
        continue;
      double *dst = sum_.data() + i * k;
      for (int64_t j = i; j < k; ++j)
        dst[j] += xi * row[j];
    }
  }
  n_ += n;
}

std::vector<double> HessianAccumulator::hessian() const {
  int64_t k = cols_;
  std::vector<double> h(k * k, 0.0);
  if (n_ == 0)
    return h;
  double f = 2.0 / double(n_);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < k; ++j)
      h[i * k + j] = h[j * k + i] = f * sum_[i * k + j];
  return h;
}

//===----------------------------------------------------------------------===//
// GPTQ
//===----------------------------------------------------------------------===//

namespace {

/// In-place lower Cholesky factor of the k x k matrix `a` (the upper
/// triangle is zeroed). False if `a` is not positive definite.
bool choleskyLower(std::vector<double> &a, int64_t k) {
  for (int64_t j = 0; j < k; ++j) {
    double *aj = a.data() + j * k;
    double d = aj[j];
    for (int64_t p = 0; p < j; ++p)
      d -= aj[p] * aj[p];
    if (!(d > 0) || !std::isfinite(d))
      return false;
    d = std::sqrt(d);
    aj[j] = d;
    for (int64_t i = j + 1; i < k; ++i) {
      double *ai = a.data() + i * k;
      double s = ai[j];
      for (int64_t p = 0; p < j; ++p)
        s -= ai[p] * aj[p];
      ai[j] = s / d;
    }
    for (int64_t i = j + 1; i < k; ++i)
      aj[i] = 0;
  }
  return true;
}

/// The upper Cholesky factor U of H^-1 (U^T U = H^-1), what GPTQ computes as
/// cholesky(cholesky_inverse(cholesky(H)), upper=True). With J the reversal
/// permutation and J H J = M M^T, H = R R^T for the upper R = J M J, so
/// H^-1 = R^-T R^-1 and U = R^-1 (upper, positive diagonal: the unique
/// factor), one factorisation and one triangular inverse.
bool upperCholeskyOfInverse(const std::vector<double> &h, int64_t k,
                            std::vector<double> &u) {
  std::vector<double> m(k * k);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      m[i * k + j] = h[(k - 1 - i) * k + (k - 1 - j)];
  if (!choleskyLower(m, k))
    return false;
  // R[i][j] = M[k-1-i][k-1-j], upper. Invert it by back substitution, one
  // row of U = R^-1 at a time from the bottom: U[i][i] = 1 / R[i][i],
  // U[i][j] = -(sum_{i<p<=j} R[i][p] U[p][j]) / R[i][i].
  auto r = [&](int64_t i, int64_t j) {
    return m[(k - 1 - i) * k + (k - 1 - j)];
  };
  u.assign(k * k, 0.0);
  std::vector<double> acc(k);
  for (int64_t i = k - 1; i >= 0; --i) {
    double rii = r(i, i);
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t p = i + 1; p < k; ++p) {
      double rip = r(i, p);
      if (rip == 0)
        continue;
      const double *up = u.data() + p * k;
      for (int64_t j = p; j < k; ++j)
        acc[j] += rip * up[j];
    }
    double *ui = u.data() + i * k;
    ui[i] = 1.0 / rii;
    for (int64_t j = i + 1; j < k; ++j)
      ui[j] = -acc[j] / rii;
  }
  return true;
}

} // namespace

Int4Weights qopt::quantizeGPTQ(const float *w, int64_t rows, int64_t cols,
                               const std::vector<double> &hessian,
                               const GPTQOptions &options) {
  checkIntFormat(options.format);
  const int64_t group = options.group, k = cols;
  const Int4Format format = options.format;
  if (int64_t(hessian.size()) != k * k)
    return quantizeRTN(w, rows, cols, group, format); // no calibration data

  std::vector<double> h = hessian;
  std::vector<float> w0(w, w + rows * cols);
  // Inputs never active: their weights do not matter, zero them so that
  // they cost nothing, and give the Hessian a unit diagonal there.
  for (int64_t i = 0; i < k; ++i)
    if (h[i * k + i] == 0) {
      h[i * k + i] = 1;
      for (int64_t n = 0; n < rows; ++n)
        w0[n * cols + i] = 0;
    }

  const int64_t blocks = (cols + group - 1) / group;
  std::vector<Grid> grids(rows * blocks);
  // Act-order uses static groups: fitted on the original weights in their
  // original order before anything moves, so that the stored groups stay
  // contiguous in K and inference needs no permutation.
  if (options.actOrder)
    for (int64_t n = 0; n < rows; ++n)
      for (int64_t b = 0; b < blocks; ++b) {
        int64_t k0 = b * group, k1 = std::min(cols, k0 + group);
        grids[n * blocks + b] =
            fitGrid(w0.data() + n * cols + k0, k1 - k0, 1, format);
      }

  // perm[j]: the original column processed j-th.
  std::vector<int64_t> perm(k);
  std::iota(perm.begin(), perm.end(), 0);
  if (options.actOrder)
    std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
      double ha = h[a * k + a], hb = h[b * k + b];
      return ha > hb || (ha == hb && a < b); // descending, stable
    });

  // The permuted weights (rows x k, double) and Hessian.
  std::vector<double> wp(rows * k);
  for (int64_t n = 0; n < rows; ++n)
    for (int64_t j = 0; j < k; ++j)
      wp[n * k + j] = w0[n * cols + perm[j]];
  std::vector<double> hp(k * k);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < k; ++j)
      hp[i * k + j] = h[perm[i] * k + perm[j]];

  double meanDiag = 0;
  for (int64_t i = 0; i < k; ++i)
    meanDiag += hp[i * k + i];
  meanDiag /= double(k);
  std::vector<double> u;
  double damp = options.damp * meanDiag;
  // Damping makes H positive definite in exact arithmetic; should rounding
  // still defeat the factorisation, retry with ten times the damping.
  for (int attempt = 0;; ++attempt) {
    std::vector<double> hd = hp;
    for (int64_t i = 0; i < k; ++i)
      hd[i * k + i] += damp;
    if (upperCholeskyOfInverse(hd, k, u))
      break;
    if (attempt == 4)
      return quantizeRTN(w0.data(), rows, cols, group, format);
    damp = damp > 0 ? damp * 10 : 1e-6 * std::max(meanDiag, 1.0);
  }

  std::vector<uint8_t> codes(rows * cols);
  const int64_t bs = std::max<int64_t>(1, options.blockSize);
  std::vector<double> err(rows * bs); // rows x (block columns)
  std::vector<float> column(rows);
  for (int64_t i1 = 0; i1 < k; i1 += bs) {
    int64_t i2 = std::min(k, i1 + bs), count = i2 - i1;
    for (int64_t t = 0; t < count; ++t) {
      int64_t j = i1 + t;      // processed position
      int64_t orig = perm[j];  // its column in W
      int64_t blk = orig / group;
      if (!options.actOrder && j % group == 0) {
        // Re-fit the group starting here on the weights as updated so far
        // (columns past this block still owe this block's lazy update,
        // none when blockSize is a multiple of group).
        int64_t g1 = std::min(k, j + group);
        std::vector<float> vals(g1 - j);
        for (int64_t n = 0; n < rows; ++n) {
          for (int64_t c = j; c < g1; ++c)
            vals[c - j] = float(wp[n * k + c]);
          grids[n * blocks + blk] =
              fitGrid(vals.data(), int64_t(vals.size()), 1, format);
        }
      }
      double d = u[j * k + j];
      const double *urow = u.data() + j * k;
      for (int64_t n = 0; n < rows; ++n) {
        const Grid &g = grids[n * blocks + blk];
        double wv = wp[n * k + j];
        uint8_t c = g.code(float(wv));
        codes[n * cols + orig] = c;
        double e = (wv - double(g.value(c))) / d;
        err[n * bs + t] = e;
        // The rest of this block now, the columns after it in one GEMM.
        double *wr = wp.data() + n * k;
        for (int64_t c2 = j + 1; c2 < i2; ++c2)
          wr[c2] -= e * urow[c2];
      }
    }
    if (i2 < k)
      for (int64_t n = 0; n < rows; ++n) {
        double *wr = wp.data() + n * k;
        for (int64_t t = 0; t < count; ++t) {
          double e = err[n * bs + t];
          if (e == 0)
            continue;
          const double *urow = u.data() + (i1 + t) * k;
          for (int64_t c2 = i2; c2 < k; ++c2)
            wr[c2] -= e * urow[c2];
        }
      }
  }
  return assemble(codes, grids, rows, cols, group, format);
}

//===----------------------------------------------------------------------===//
// AWQ and the output error
//===----------------------------------------------------------------------===//

namespace {

/// sum_k a[k] * b[k] in double, four partial sums.
double dot(const float *a, const float *b, int64_t k) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) {
    s0 += double(a[i]) * b[i];
    s1 += double(a[i + 1]) * b[i + 1];
    s2 += double(a[i + 2]) * b[i + 2];
    s3 += double(a[i + 3]) * b[i + 3];
  }
  for (; i < k; ++i)
    s0 += double(a[i]) * b[i];
  return (s0 + s1) + (s2 + s3);
}

/// x W^T (n x rows).
std::vector<double> layerOutput(const float *w, int64_t rows, int64_t cols,
                                const float *x, int64_t n) {
  std::vector<double> y(n * rows);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t o = 0; o < rows; ++o)
      y[r * rows + o] = dot(x + r * cols, w + o * cols, cols);
  return y;
}

/// ||y - (x / s) Q^T||^2, s = 1 when empty.
double outputError(const std::vector<double> &y, const Int4Weights &q,
                   const float *x, int64_t n,
                   const std::vector<float> &inputScales) {
  int64_t rows = q.rows, cols = q.cols;
  std::vector<float> wq = q.dequantize();
  std::vector<float> xs(cols);
  double total = 0;
  for (int64_t r = 0; r < n; ++r) {
    const float *xr = x + r * cols;
    for (int64_t c = 0; c < cols; ++c)
      xs[c] = inputScales.empty() ? xr[c] : xr[c] / inputScales[c];
    for (int64_t o = 0; o < rows; ++o) {
      double d = y[r * rows + o] - dot(xs.data(), wq.data() + o * cols, cols);
      total += d * d;
    }
  }
  return total;
}

} // namespace

double qopt::layerOutputError(const float *w, const Int4Weights &q,
                              const float *x, int64_t n,
                              const std::vector<float> &inputScales) {
  std::vector<double> y = layerOutput(w, q.rows, q.cols, x, n);
  return outputError(y, q, x, n, inputScales);
}

/// RTN of w (rows x cols) with each group's range shrunk by the ratio that
/// minimises that group's output error over the rows of x / s (AWQ's
/// clipping search, 20 ratios from 1 down to 0.525).
static Int4Weights clipGroups(const float *w, int64_t rows, int64_t cols,
                              int64_t group, Int4Format format, const float *x,
                              int64_t n, const std::vector<float> &s) {
  int64_t blocks = (cols + group - 1) / group;
  // The diagonal blocks of X'^T X', one group x group matrix per block.
  std::vector<double> gram(blocks * group * group, 0.0);
  std::vector<double> row(cols);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < cols; ++c)
      row[c] = double(x[r * cols + c]) / double(s[c]);
    for (int64_t b = 0; b < blocks; ++b) {
      int64_t c0 = b * group, len = std::min(group, cols - c0);
      double *g = gram.data() + b * group * group;
      for (int64_t i = 0; i < len; ++i)
        for (int64_t j = 0; j < len; ++j)
          g[i * group + j] += row[c0 + i] * row[c0 + j];
    }
  }
  std::vector<uint8_t> codes(rows * cols, 0);
  std::vector<Grid> grids(rows * blocks);
  std::vector<float> shrunk(group);
  std::vector<double> d(group);
  for (int64_t o = 0; o < rows; ++o)
    for (int64_t b = 0; b < blocks; ++b) {
      int64_t c0 = b * group, len = std::min(group, cols - c0);
      const float *v = w + o * cols + c0;
      const double *g = gram.data() + b * group * group;
      double bestError = std::numeric_limits<double>::infinity();
      for (int step = 0; step < 20; ++step) {
        float ratio = 1.0f - 0.025f * float(step);
        for (int64_t i = 0; i < len; ++i)
          shrunk[i] = v[i] * ratio;
        Grid grid = fitGrid(shrunk.data(), len, 1, format);
        for (int64_t i = 0; i < len; ++i)
          d[i] = double(v[i]) - double(grid.value(grid.code(v[i])));
        double e = 0;
        for (int64_t i = 0; i < len; ++i)
          for (int64_t j = 0; j < len; ++j)
            e += d[i] * g[i * group + j] * d[j];
        if (e < bestError) {
          bestError = e;
          grids[o * blocks + b] = grid;
        }
      }
      for (int64_t i = 0; i < len; ++i)
        codes[o * cols + c0 + i] = grids[o * blocks + b].code(v[i]);
    }
  return assemble(codes, grids, rows, cols, group, format);
}

AWQResult qopt::quantizeAWQ(const float *w, int64_t rows, int64_t cols,
                            const float *x, int64_t n, int64_t group,
                            Int4Format format, int grid) {
  checkIntFormat(format);
  std::vector<double> meanAbs(cols, 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < cols; ++c)
      meanAbs[c] += std::fabs(x[r * cols + c]);
  for (double &m : meanAbs)
    m = n ? m / double(n) : 0.0;

  std::vector<double> y = layerOutput(w, rows, cols, x, n);
  AWQResult best;
  double bestError = std::numeric_limits<double>::infinity();
  std::vector<float> ws(rows * cols);
  grid = std::max(grid, 1);
  for (int i = 0; i < grid; ++i) {
    double alpha = double(i) / double(grid);
    std::vector<float> s(cols, 1.0f);
    if (i > 0) {
      // As llm-awq: clamp at 1e-4 (channels never active), then centre the
      // scales geometrically on 1.
      double mx = 0, mn = std::numeric_limits<double>::infinity();
      std::vector<double> sd(cols);
      for (int64_t c = 0; c < cols; ++c) {
        sd[c] = std::max(std::pow(meanAbs[c], alpha), 1e-4);
        mx = std::max(mx, sd[c]);
        mn = std::min(mn, sd[c]);
      }
      double norm = std::sqrt(mx * mn);
      for (int64_t c = 0; c < cols; ++c)
        s[c] = float(sd[c] / norm);
    }
    // alpha = 0 gives s = 1 exactly: plain RTN, so AWQ is never worse than
    // RTN on the calibration inputs.
    for (int64_t o = 0; o < rows; ++o)
      for (int64_t c = 0; c < cols; ++c)
        ws[o * cols + c] = w[o * cols + c] * s[c];
    Int4Weights q = quantizeRTN(ws.data(), rows, cols, group, format);
    double e = outputError(y, q, x, n, i > 0 ? s : std::vector<float>{});
    if (i == 0 || e < bestError) {
      bestError = e;
      best.weights = std::move(q);
      best.inputScales = std::move(s);
      best.alpha = alpha;
    }
  }
  // Then llm-awq's weight clipping (auto_clip): per row and group, the
  // range shrunk by the ratio in {1, 0.975, ..., 0.525} whose codes give
  // the least output error over the calibration inputs, d^T (X'^T X') d
  // with d = w' - q(w') on the group's columns and X' = X / s. Ratio 1 is
  // the unclipped grid, so clipping never raises the calibration error.
  for (int64_t o = 0; o < rows; ++o)
    for (int64_t c = 0; c < cols; ++c)
      ws[o * cols + c] = w[o * cols + c] * best.inputScales[c];
  best.weights =
      clipGroups(ws.data(), rows, cols, group, format, x, n, best.inputScales);
  return best;
}

//===----------------------------------------------------------------------===//
// Choosing a method
//===----------------------------------------------------------------------===//

std::optional<Int4Method> qopt::parseInt4Method(const std::string &name) {
  if (name == "rtn")
    return Int4Method::RTN;
  if (name == "nf4")
    return Int4Method::NF4;
  if (name == "gptq")
    return Int4Method::GPTQ;
  if (name == "awq")
    return Int4Method::AWQ;
  return std::nullopt;
}

Int4Weights qopt::quantizeInt4(const float *w, int64_t rows, int64_t cols,
                               const Int4Recipe &recipe, const float *x,
                               int64_t n, std::vector<float> &inputScales) {
  inputScales.clear();
  switch (recipe.method) {
  case Int4Method::RTN:
    return quantizeRTN(w, rows, cols, recipe.group, recipe.format);
  case Int4Method::NF4:
    return quantizeNF4(w, rows, cols, recipe.group);
  case Int4Method::GPTQ: {
    HessianAccumulator h(cols);
    h.add(x, n);
    GPTQOptions o;
    o.group = recipe.group;
    o.format = recipe.format;
    o.actOrder = recipe.actOrder;
    return quantizeGPTQ(w, rows, cols, h.hessian(), o);
  }
  case Int4Method::AWQ: {
    AWQResult r =
        quantizeAWQ(w, rows, cols, x, n, recipe.group, recipe.format);
    inputScales = std::move(r.inputScales);
    return std::move(r.weights);
  }
  }
  return {};
}
