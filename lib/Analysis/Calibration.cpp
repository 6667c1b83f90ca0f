//===- Calibration.cpp - Activation ranges from sample runs ---------------===//
#include "qopt/Analysis/Calibration.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

using namespace qopt;

std::optional<CalibrationMethod>
qopt::parseCalibrationMethod(const std::string &s) {
  if (s == "minmax")
    return CalibrationMethod::MinMax;
  if (s == "percentile")
    return CalibrationMethod::Percentile;
  if (s == "entropy")
    return CalibrationMethod::Entropy;
  if (s == "mse")
    return CalibrationMethod::MSE;
  return std::nullopt;
}

std::optional<ActivationScheme>
qopt::parseActivationScheme(const std::string &s) {
  if (s == "asymmetric")
    return ActivationScheme::Asymmetric;
  if (s == "symmetric")
    return ActivationScheme::Symmetric;
  if (s == "unsigned")
    return ActivationScheme::Unsigned;
  return std::nullopt;
}

QuantParams qopt::activationParams(Range r, ActivationScheme scheme) {
  QuantParams p;
  double lo = std::min(0.0, double(r.lo)), hi = std::max(0.0, double(r.hi));
  if (scheme == ActivationScheme::Symmetric) {
    p.qmin = -127; // a symmetric grid: -127..127, zero point 0
    double top = std::max(-lo, hi);
    p.scale = top > 0 ? float(top / 127.0) : 1.0;
    return p;
  }
  if (scheme == ActivationScheme::Unsigned) {
    p.qmin = 0;
    p.qmax = 255;
  }
  double span = hi - lo;
  p.scale = span > 0 ? float(span / double(p.qmax - p.qmin)) : 1.0;
  // lo maps to qmin, up to rounding; the zero point stays on the grid.
  double zp = std::nearbyint(double(p.qmin) - lo / p.scale);
  p.zeroPoint = static_cast<int64_t>(
      std::clamp(zp, double(p.qmin), double(p.qmax)));
  return p;
}

float qopt::roundUpToBF16(float s) {
  uint32_t bits;
  std::memcpy(&bits, &s, 4);
  if (bits & 0xFFFFu) // a carry out of the mantissa raises the exponent
    bits = (bits | 0xFFFFu) + 1;
  std::memcpy(&s, &bits, 4);
  return s;
}

float qopt::scaleCodeFactor(uint8_t code) {
  uint32_t bits = (uint32_t(127 - (code >> 4)) << 23) | (uint32_t(code & 15) << 19);
  float g;
  std::memcpy(&g, &bits, 4);
  return g;
}

namespace {
/// The 256 values base * g(code) in f32, ascending, with their codes.
std::vector<std::pair<float, uint8_t>> scaleCodeTable(float base) {
  std::vector<std::pair<float, uint8_t>> t;
  for (unsigned c = 0; c < 256; ++c)
    t.emplace_back(base * scaleCodeFactor(c), c);
  std::sort(t.begin(), t.end());
  return t;
}

/// `scales` rounded up onto the E4M4 grid of their largest; false (and
/// nothing changed) when one lies below the grid's range.
bool roundUpToScaleCodes(std::vector<float> &scales,
                         const std::vector<bool> &zero) {
  float base = 0;
  for (size_t c = 0; c < scales.size(); ++c)
    if (!zero[c])
      base = std::max(base, scales[c]);
  if (base == 0)
    return true; // all zero: every scale is 1 = base * g(0)
  auto table = scaleCodeTable(base);
  std::vector<float> out(scales.size(), base); // a zero channel: any scale
  for (size_t c = 0; c < scales.size(); ++c) {
    if (zero[c])
      continue;
    if (scales[c] < table.front().first)
      return false;
    out[c] = std::lower_bound(table.begin(), table.end(),
                              std::make_pair(scales[c], uint8_t(0)))
                 ->first;
  }
  scales = std::move(out);
  return true;
}
} // namespace

std::optional<std::vector<uint8_t>>
qopt::scaleCodes(const std::vector<double> &scales, float &base) {
  if (scales.empty())
    return std::nullopt;
  base = static_cast<float>(*std::max_element(scales.begin(), scales.end()));
  std::vector<std::pair<float, uint8_t>> table = scaleCodeTable(base);
  std::vector<uint8_t> codes;
  for (double s : scales) {
    auto f = static_cast<float>(s);
    auto it = std::lower_bound(table.begin(), table.end(),
                               std::make_pair(f, uint8_t(0)));
    if (static_cast<double>(f) != s || it == table.end() || it->first != f)
      return std::nullopt;
    codes.push_back(it->second);
  }
  return codes;
}

QuantizedWeight qopt::quantizePerChannel(const float *w, size_t n,
                                         int64_t channels, int64_t inner,
                                         WeightScaleGrid grid) {
  QuantizedWeight q;
  q.scales.assign(channels, 0.f);
  for (size_t i = 0; i < n; ++i) {
    float &s = q.scales[(i / inner) % channels];
    s = std::max(s, std::fabs(w[i]));
  }
  std::vector<bool> zero(channels);
  for (int64_t c = 0; c < channels; ++c) {
    float &s = q.scales[c];
    zero[c] = !(s > 0.f);
    s = zero[c] ? 1.f : s / 127.f; // an all-zero channel quantizes to zeros
  }
  if (grid == WeightScaleGrid::E4M4 && !roundUpToScaleCodes(q.scales, zero))
    grid = WeightScaleGrid::BF16;
  if (grid == WeightScaleGrid::BF16)
    for (float &s : q.scales)
      s = roundUpToBF16(s);
  q.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    float r = std::nearbyint(w[i] / q.scales[(i / inner) % channels]);
    q.values[i] = static_cast<int8_t>(std::clamp(r, -127.f, 127.f));
  }
  return q;
}

RangeObserver RangeObserver::restore(float min, float max,
                                     std::vector<double> hist) {
  RangeObserver o;
  o.min_ = min;
  o.max_ = max;
  o.seen_ = true;
  if (hist.size() == static_cast<size_t>(kBins))
    o.hist_ = std::move(hist);
  return o;
}

void RangeObserver::observeRange(const float *values, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    float v = values[i];
    if (!std::isfinite(v))
      continue; // a NaN or inf would make every range useless
    if (!seen_) {
      min_ = max_ = v;
      seen_ = true;
    }
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
}

double RangeObserver::binWidth() const {
  double top = std::max(std::fabs(double(min_)), std::fabs(double(max_)));
  return top > 0 ? top / kBins : 1.0;
}

void RangeObserver::observeHistogram(const float *values, size_t n) {
  double w = binWidth();
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i]))
      continue;
    double b = std::fabs(double(values[i])) / w;
    hist_[std::min<size_t>(static_cast<size_t>(b), kBins - 1)] += 1;
  }
}

Range RangeObserver::range(CalibrationMethod method, double percentile) const {
  if (method == CalibrationMethod::MinMax)
    return minMax();
  double t = 0;
  switch (method) {
  case CalibrationMethod::Percentile:
    t = percentileThreshold(hist_, binWidth(), percentile);
    break;
  case CalibrationMethod::Entropy:
    t = entropyThreshold(hist_, binWidth());
    break;
  default:
    t = mseThreshold(hist_, binWidth());
    break;
  }
  // Never wider than what was seen; one-signed data keeps its sign.
  float lo = min_ < 0 ? std::max(min_, float(-t)) : 0.f;
  float hi = max_ > 0 ? std::min(max_, float(t)) : 0.f;
  return {lo, hi};
}

double qopt::percentileThreshold(const std::vector<double> &hist,
                                 double binWidth, double percentile) {
  double total = std::accumulate(hist.begin(), hist.end(), 0.0);
  double target = total * std::clamp(percentile, 0.0, 100.0) / 100.0, seen = 0;
  for (size_t b = 0; b < hist.size(); ++b) {
    seen += hist[b];
    if (seen >= target)
      return (b + 1) * binWidth;
  }
  return hist.size() * binWidth;
}

double qopt::entropyThreshold(const std::vector<double> &hist, double binWidth,
                              int levels) {
  size_t nbins = hist.size();
  if (nbins <= static_cast<size_t>(levels))
    return nbins * binWidth;
  double best = std::numeric_limits<double>::infinity();
  size_t bestBins = nbins;
  std::vector<double> p, q;
  // Suffix sums: outliers[i] = sum of hist[i:].
  std::vector<double> outliers(nbins + 1, 0.0);
  for (size_t b = nbins; b-- > 0;)
    outliers[b] = outliers[b + 1] + hist[b];
  for (size_t i = levels; i <= nbins; ++i) {
    // P: the histogram clipped at bin i, outliers folded into its last bin.
    p.assign(hist.begin(), hist.begin() + i);
    p[i - 1] += outliers[i];
    // Q: the first i bins merged into `levels` levels, each level's mass
    // spread over its non-empty bins (what quantization keeps of P).
    q.assign(i, 0.0);
    double merge = double(i) / levels;
    for (int j = 0; j < levels; ++j) {
      size_t start = static_cast<size_t>(j * merge);
      size_t end = j == levels - 1 ? i : static_cast<size_t>((j + 1) * merge);
      double mass = 0;
      size_t nonzero = 0;
      for (size_t k = start; k < end; ++k) {
        mass += hist[k];
        nonzero += hist[k] != 0;
      }
      for (size_t k = start; k < end; ++k)
        if (hist[k] != 0)
          q[k] = mass / nonzero;
    }
    double sp = std::accumulate(p.begin(), p.end(), 0.0);
    double sq = std::accumulate(q.begin(), q.end(), 0.0);
    if (sp <= 0 || sq <= 0)
      continue;
    double kl = 0;
    for (size_t k = 0; k < i; ++k) {
      if (p[k] == 0)
        continue;
      double pk = p[k] / sp;
      // A bin P has and Q lacks (the folded outliers): a small floor keeps
      // the divergence finite and large, as TensorRT's smoothing does.
      double qk = q[k] > 0 ? q[k] / sq : 1e-12;
      kl += pk * std::log(pk / qk);
    }
    if (kl < best) {
      best = kl;
      bestBins = i;
    }
  }
  return bestBins * binWidth;
}

double qopt::mseThreshold(const std::vector<double> &hist, double binWidth,
                          int levels) {
  size_t nbins = hist.size();
  double best = std::numeric_limits<double>::infinity(), bestT = nbins * binWidth;
  for (size_t i = 1; i <= nbins; ++i) {
    double t = i * binWidth, step = t / levels, err = 0;
    for (size_t b = 0; b < nbins; ++b) {
      if (hist[b] == 0)
        continue;
      double c = (b + 0.5) * binWidth; // the bin's values, at its centre
      double e = c >= t ? c - t : c - std::nearbyint(c / step) * step;
      err += hist[b] * e * e;
    }
    if (err < best) {
      best = err;
      bestT = t;
    }
  }
  return bestT;
}
