//===- Calibration.h - Activation ranges from sample runs -------*- C++ -*-===//
//
// What static int8 quantization needs from calibration: for each observed
// tensor, the range [lo, hi] that its int8 grid will cover. Observation
// takes two passes over the samples, as in TensorRT and onnxruntime: the
// first finds min and max, the second fills a 2048-bin histogram of |x|
// over [0, max|x|]. The methods then choose:
//   - min-max:    [min, max];
//   - percentile: the symmetric range holding that percentage of |x|
//                 (default 99.999);
//   - entropy:    the symmetric threshold whose 128-level quantization of
//                 the histogram is closest in KL divergence (TensorRT);
//   - mse:        the symmetric threshold minimising the expected squared
//                 quantization error (clipping + rounding) over the
//                 histogram.
// Plain C++, unit-tested without MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_ANALYSIS_CALIBRATION_H
#define QOPT_ANALYSIS_CALIBRATION_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qopt {

enum class CalibrationMethod { MinMax, Percentile, Entropy, MSE };

/// Parses "minmax", "percentile", "entropy" or "mse".
std::optional<CalibrationMethod> parseCalibrationMethod(const std::string &s);

struct Range {
  float lo = 0, hi = 0;
};

class RangeObserver {
public:
  static constexpr int kBins = 2048;

  /// Pass 1: every sample's values.
  void observeRange(const float *values, size_t n);
  /// Pass 2 (after every pass-1 call): the same values again.
  void observeHistogram(const float *values, size_t n);

  Range minMax() const { return {min_, max_}; }
  /// The chosen range; methods other than min-max need pass 2.
  Range range(CalibrationMethod method, double percentile = 99.999) const;

  const std::vector<double> &histogram() const { return hist_; }
  /// An observer as a saved calibration table holds it (both passes done);
  /// an empty or wrong-sized histogram restores pass 1 only.
  static RangeObserver restore(float min, float max, std::vector<double> hist);
  /// Width of one bin of the |x| histogram.
  double binWidth() const;

private:
  float min_ = 0, max_ = 0;
  bool seen_ = false;
  std::vector<double> hist_ = std::vector<double>(kBins, 0.0);
};

/// How an activation's range becomes its int8 grid.
enum class ActivationScheme {
  Asymmetric, // int8, zero point chosen so that [lo, hi] fits [-128, 127]
  Symmetric,  // int8, zero point 0, scale max(|lo|, |hi|) / 127
  Unsigned,   // uint8, zero point chosen so that [lo, hi] fits [0, 255]
};

/// Parses "asymmetric", "symmetric" or "unsigned".
std::optional<ActivationScheme> parseActivationScheme(const std::string &s);

/// x = (q - zeroPoint) * scale.
struct QuantParams {
  double scale = 1;
  int64_t zeroPoint = 0;
  int64_t qmin = -128, qmax = 127;
};

/// The grid of `scheme` for values in `r`. The range is widened to hold 0
/// (so that zero padding and ReLU's zeros are exact), as onnxruntime and
/// TFLite do; the scale is rounded to f32 (the model stores it so), and an
/// all-zero range gets scale 1.
QuantParams activationParams(Range r, ActivationScheme scheme);

/// A weight quantized per output channel, symmetric int8 on -127..127:
/// q[i] = round_half_even(w[i] / s[c(i)]), s[c] = max|w| over channel c / 127
/// (1 for an all-zero channel), in f32. The compiler and the ONNX exporter
/// both use it, so that their weights agree bit for bit.
struct QuantizedWeight {
  std::vector<int8_t> values;
  std::vector<float> scales;
};

/// The values a per-channel weight scale may take.
enum class WeightScaleGrid {
  F32,  // max|w| / 127 as computed
  BF16, // max|w| / 127 rounded up to the next bfloat16: the kernel stores
        // 2 bytes a channel; the step grows by < 2^-7 (0.8%)
  E4M4, // max|w| / 127 rounded up to base * g(code), one byte a channel:
        // base the tensor's largest scale, g(code) = (1 + m/16) * 2^-e,
        // code = e << 4 | m (scaleCodeFactor). The step grows by < 1/16;
        // a tensor whose scales span more than 2^15 takes BF16 instead.
};
// Every grid rounds up, so no value clips: max|w| / s <= 127 still.

/// `s` rounded up to the nearest bfloat16 (s finite and > 0).
float roundUpToBF16(float s);

/// g(code) of WeightScaleGrid::E4M4, exactly, as the kernels decode it:
/// the f32 with exponent -e and mantissa m << 19.
float scaleCodeFactor(uint8_t code);

/// The E4M4 codes of `scales` against `base` (their largest): each scale
/// must be exactly float(base * scaleCodeFactor(code)) for some code.
std::optional<std::vector<uint8_t>> scaleCodes(const std::vector<double> &scales,
                                               float &base);

/// `w` (n values) is row-major; the channel of element i is
/// (i / inner) % channels.
QuantizedWeight quantizePerChannel(const float *w, size_t n, int64_t channels,
                                   int64_t inner,
                                   WeightScaleGrid grid = WeightScaleGrid::F32);

/// The entropy (KL) threshold over a |x| histogram of bins of `binWidth`,
/// for a quantization to `levels` levels of magnitude (128 for int8).
double entropyThreshold(const std::vector<double> &hist, double binWidth,
                        int levels = 128);
/// The threshold t minimising the expected squared error of quantizing
/// |x| to `levels` steps of t / levels (values above t clip to t).
double mseThreshold(const std::vector<double> &hist, double binWidth,
                    int levels = 127);
/// The |x| below which `percentile` percent of the histogram lies.
double percentileThreshold(const std::vector<double> &hist, double binWidth,
                           double percentile);

} // namespace qopt

#endif // QOPT_ANALYSIS_CALIBRATION_H
