//===- WeightQuantization.h - Weight-only 4-bit quantizers ------*- C++ -*-===//
//
// The numerics of the int4 recipes, as plain C++ over row-major f32 arrays
// (unit-tested without MLIR):
//   - RTN: round to nearest per group of `group` consecutive inputs, with a
//     symmetric grid (-8..7 around zero point 8) or an asymmetric one (0..15
//     with a zero point per group);
//   - NF4: the 16-value normal-float codebook of QLoRA/bitsandbytes with an
//     absmax scale per block (64 by default), optionally double-quantized;
//   - GPTQ: RTN's grid, with each column's rounding error compensated in
//     the columns not yet quantized through the inverse Hessian of the
//     layer's calibration inputs (Frantar et al. 2023);
//   - AWQ: a per-input-channel scale s = mean|x|^alpha folded into the
//     weights before RTN, alpha searched on a grid (Lin et al. 2024).
//
// The weight W has N rows (output channels) and K columns (input features):
// y[n] = sum_k x[k] * W[n][k]. Its storage is onnxruntime's MatMulNBits
// layout: per row, ceil(K / group) blocks of group / 2 bytes, element 2i in
// the low nibble and 2i + 1 in the high nibble; K is padded with zeros to a
// whole block.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_ANALYSIS_WEIGHTQUANTIZATION_H
#define QOPT_ANALYSIS_WEIGHTQUANTIZATION_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qopt {

/// bitsandbytes' NF4 values (create_normal_map(offset=0.9677083)), in code
/// order: code q decodes to kNF4Codebook[q] * scale.
extern const float kNF4Codebook[16];

enum class Int4Format {
  Symmetric,  ///< (q - 8) * scale, q in 0..15 (the MatMulNBits default)
  Asymmetric, ///< (q - zero[block]) * scale, zero in 0..15
  NF4,        ///< kNF4Codebook[q] * scale
};

struct Int4Weights {
  int64_t rows = 0, cols = 0, group = 0; ///< N, K (unpadded), block size
  Int4Format format = Int4Format::Symmetric;
  /// rows x blocks x group/2 bytes.
  std::vector<uint8_t> packed;
  /// rows x blocks.
  std::vector<float> scales;
  /// Asymmetric only: rows x ceil(blocks / 2) bytes, the zero point of
  /// block 2j in the low nibble and of 2j + 1 in the high nibble (the
  /// MatMulNBits zero_points layout). Empty otherwise.
  std::vector<uint8_t> zeros;

  int64_t blocks() const { return (cols + group - 1) / group; }
  /// The 4-bit code of W[n][k].
  uint8_t code(int64_t n, int64_t k) const;
  /// The value W[n][k] decodes to.
  float value(int64_t n, int64_t k) const;
  /// rows x cols f32 (for tests and references: the compiled model never
  /// holds this).
  std::vector<float> dequantize() const;
  /// Bytes stored: packed codes, f32 scales and zero points.
  int64_t storageBytes() const;
};

/// Packs `codes` (rows x cols values in 0..15) into the layout above.
std::vector<uint8_t> packInt4(const std::vector<uint8_t> &codes, int64_t rows,
                              int64_t cols, int64_t group);
/// The inverse of packInt4 (padding dropped).
std::vector<uint8_t> unpackInt4(const std::vector<uint8_t> &packed,
                                int64_t rows, int64_t cols, int64_t group);

/// Round to nearest (half away from zero, as onnxruntime's quantizer) per
/// group. Symmetric: scale = max|w| / 8 signed so that the largest
/// magnitude maps to -8 (onnxruntime's MatMul4BitsQuantizer), codes 0..15.
/// Asymmetric: scale = (max - min) / 15 over the group with 0 included,
/// zero = round(-min / scale).
Int4Weights quantizeRTN(const float *w, int64_t rows, int64_t cols,
                        int64_t group, Int4Format format);

/// NF4: absmax scale per block of `group`; each value becomes the nearest
/// codebook entry of w / absmax.
Int4Weights quantizeNF4(const float *w, int64_t rows, int64_t cols,
                        int64_t group = 64);

/// NF4 double quantization of block scales (QLoRA): the absmax scales,
/// minus their mean, as int8 with one f32 scale per `block` (256) of them.
struct DoubleQuantizedScales {
  float mean = 0;
  std::vector<int8_t> codes;       ///< one per scale
  std::vector<float> blockScales;  ///< one per `block` codes
  int64_t block = 256;
  std::vector<float> dequantize() const;
  /// Bits per weight of NF4 with these scales at block size `group`.
  double bitsPerWeight(int64_t group) const;
};
DoubleQuantizedScales doubleQuantize(const std::vector<float> &scales,
                                     int64_t block = 256);

/// The Hessian of a layer's squared output error, H = (2 / n) X^T X over the
/// n rows of `x` (n x cols), accumulated over calibration batches.
class HessianAccumulator {
public:
  explicit HessianAccumulator(int64_t cols = 0);
  void add(const float *x, int64_t n);
  int64_t cols() const { return cols_; }
  int64_t samples() const { return n_; }
  /// cols x cols, (2 / n) X^T X.
  std::vector<double> hessian() const;

private:
  int64_t cols_, n_ = 0;
  std::vector<double> sum_; // X^T X
};

struct GPTQOptions {
  int64_t group = 128;
  Int4Format format = Int4Format::Symmetric; ///< Symmetric or Asymmetric
  double damp = 0.01;     ///< of the mean diagonal of H
  int64_t blockSize = 128;
  bool actOrder = false;  ///< static groups, so no permutation at run time
};
/// GPTQ on W (rows x cols) with H (cols x cols). Columns with H[i][i] == 0
/// (inputs never active) get H[i][i] = 1 and their weights zeroed.
Int4Weights quantizeGPTQ(const float *w, int64_t rows, int64_t cols,
                         const std::vector<double> &hessian,
                         const GPTQOptions &options);

struct AWQResult {
  /// Per input channel: the layer computes (x / s) . (W diag(s))^T, so the
  /// model divides its input by s (folded into the previous op where
  /// possible) and the weights below are W diag(s) quantized.
  std::vector<float> inputScales;
  Int4Weights weights;
  double alpha = 0;
};
/// AWQ on W with calibration inputs `x` (n x cols): s = mean|x|^alpha,
/// normalised by sqrt(max s * min s), alpha on `grid` points in [0, 1)
/// minimising ||x W^T - (x / s) Q(W diag(s))^T||^2; then RTN of W diag(s)
/// with each group's range clipped to the ratio (1 down to 0.525) that
/// minimises the group's output error (llm-awq's auto_clip).
AWQResult quantizeAWQ(const float *w, int64_t rows, int64_t cols,
                      const float *x, int64_t n, int64_t group,
                      Int4Format format, int grid = 20);

/// What the int4 recipes choose between, as qopt-quantize-weights and the
/// MatMulNBits exporter both apply it.
enum class Int4Method { RTN, NF4, GPTQ, AWQ };
/// "rtn", "nf4", "gptq" or "awq".
std::optional<Int4Method> parseInt4Method(const std::string &name);

struct Int4Recipe {
  Int4Method method = Int4Method::RTN;
  int64_t group = 128;
  Int4Format format = Int4Format::Symmetric; ///< grid of RTN, GPTQ, AWQ
  bool actOrder = false;                     ///< GPTQ
};
/// W (rows x cols) quantized as `recipe` says. GPTQ and AWQ read the
/// layer's calibration inputs `x` (n x cols); AWQ's per-input-channel
/// scales go to `inputScales` (left empty by the other methods).
Int4Weights quantizeInt4(const float *w, int64_t rows, int64_t cols,
                         const Int4Recipe &recipe, const float *x, int64_t n,
                         std::vector<float> &inputScales);

/// ||x W^T - x Q^T||^2 over the rows of x, Q the decoded weights: the
/// layer output error the methods are compared by.
double layerOutputError(const float *w, const Int4Weights &q, const float *x,
                        int64_t n, const std::vector<float> &inputScales = {});

} // namespace qopt

#endif // QOPT_ANALYSIS_WEIGHTQUANTIZATION_H
