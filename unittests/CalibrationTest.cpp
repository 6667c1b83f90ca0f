//===- CalibrationTest.cpp - Calibration methods on known distributions ---===//
//
// Each method against what the distribution implies: exact extremes for
// min-max, the normal quantiles for percentile, and for entropy and MSE
// thresholds that ignore a handful of far outliers yet keep the bulk of a
// Gaussian (the int8-optimal clipping of N(0, 1) lies near 2.5-4.5 sigma by
// either criterion), and no clipping of a uniform distribution.
//
//===----------------------------------------------------------------------===//
#include "qopt/Analysis/Calibration.h"
#include "qopt/Analysis/CalibrationTable.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using namespace qopt;

namespace {

RangeObserver observe(const std::vector<float> &v) {
  RangeObserver o;
  // Two samples' worth, as qopt-compile feeds them: halves of the data.
  size_t half = v.size() / 2;
  o.observeRange(v.data(), half);
  o.observeRange(v.data() + half, v.size() - half);
  o.observeHistogram(v.data(), half);
  o.observeHistogram(v.data() + half, v.size() - half);
  return o;
}

std::vector<float> gaussian(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

std::vector<float> uniform(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

TEST(Calibration, MinMaxIsTheExtremes) {
  std::vector<float> v = uniform(100000, -1.f, 3.f, 1);
  v[123] = -7.5f;
  v[456] = 9.25f;
  Range r = observe(v).range(CalibrationMethod::MinMax);
  EXPECT_EQ(r.lo, -7.5f);
  EXPECT_EQ(r.hi, 9.25f);
}

TEST(Calibration, PercentileMatchesNormalQuantiles) {
  RangeObserver o = observe(gaussian(2000000, 2));
  // P(|z| <= 3.2905) = 99.9%, P(|z| <= 1.6449) = 90%; the tolerance is the
  // sampling error of these quantiles at 2e6 samples plus one bin.
  EXPECT_NEAR(o.range(CalibrationMethod::Percentile, 99.9).hi, 3.2905, 0.03);
  EXPECT_NEAR(o.range(CalibrationMethod::Percentile, 90.0).hi, 1.6449, 0.01);
  Range r = o.range(CalibrationMethod::Percentile, 99.9);
  EXPECT_EQ(r.lo, -r.hi); // symmetric for two-signed data
}

TEST(Calibration, OneSignedDataKeepsZeroAsLowerBound) {
  std::vector<float> v = gaussian(200000, 3);
  for (float &x : v)
    x = std::max(x, 0.f); // after a ReLU
  for (CalibrationMethod m : {CalibrationMethod::Percentile,
                              CalibrationMethod::Entropy, CalibrationMethod::MSE})
    EXPECT_EQ(observe(v).range(m).lo, 0.f);
}

TEST(Calibration, EntropyClipsFarOutliers) {
  // Ten values at +-60 among 1e6 from N(0, 1): the KL threshold keeps the
  // Gaussian's shape, not the outliers.
  std::vector<float> v = gaussian(1000000, 4);
  for (int i = 0; i < 10; ++i)
    v[i * 1000] = i % 2 ? 60.f : -60.f;
  RangeObserver o = observe(v);
  EXPECT_EQ(o.range(CalibrationMethod::MinMax).hi, 60.f);
  float t = o.range(CalibrationMethod::Entropy).hi;
  EXPECT_GT(t, 2.5f);
  EXPECT_LT(t, 6.0f);
}

TEST(Calibration, MSEClipsTheGaussianTail) {
  // For N(0, 1) the squared error of a 127-step grid is smallest when it
  // clips the far tail: above 2.5 sigma, below the largest of 1e6 samples
  // (about 4.9). (MSE keeps isolated outliers when clipping them costs more
  // than the coarser grid: (60 - t)^2 per outlier against step^2 / 12 per
  // value, which the entropy method does not weigh.)
  RangeObserver o = observe(gaussian(1000000, 6));
  float t = o.range(CalibrationMethod::MSE).hi;
  EXPECT_GT(t, 2.5f);
  EXPECT_LT(t, o.range(CalibrationMethod::MinMax).hi - 0.1f);
}

TEST(Calibration, UniformDataIsNotClipped) {
  RangeObserver o = observe(uniform(1000000, -1.f, 1.f, 5));
  // Clipping a uniform distribution only adds error: both methods keep at
  // least 97% of the range (a few bins of histogram resolution).
  EXPECT_GT(o.range(CalibrationMethod::MSE).hi, 0.97f);
  EXPECT_GT(o.range(CalibrationMethod::Entropy).hi, 0.97f);
}

TEST(Calibration, NonFiniteValuesAreIgnoredAndNamesParse) {
  std::vector<float> v = {1.f, -2.f, std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
  Range r = observe(v).range(CalibrationMethod::MinMax);
  EXPECT_EQ(r.lo, -2.f);
  EXPECT_EQ(r.hi, 1.f);
  EXPECT_EQ(parseCalibrationMethod("entropy"), CalibrationMethod::Entropy);
  EXPECT_EQ(parseCalibrationMethod("mse"), CalibrationMethod::MSE);
  EXPECT_EQ(parseCalibrationMethod("minmax"), CalibrationMethod::MinMax);
  EXPECT_EQ(parseCalibrationMethod("percentile"), CalibrationMethod::Percentile);
  EXPECT_FALSE(parseCalibrationMethod("kl").has_value());
}

TEST(Calibration, ActivationGrids) {
  // [-1, 3]: asymmetric int8 spans 255 steps of 4/255 with zero point
  // round(-128 + 63.75) = -64; uint8 the same steps from 0, zero point 64;
  // symmetric 127 steps of 3/127 each side, zero point 0.
  QuantParams a = activationParams({-1.f, 3.f}, ActivationScheme::Asymmetric);
  EXPECT_EQ(a.scale, double(float(4.0 / 255)));
  EXPECT_EQ(a.zeroPoint, -64);
  EXPECT_EQ(a.qmin, -128);
  QuantParams u = activationParams({-1.f, 3.f}, ActivationScheme::Unsigned);
  EXPECT_EQ(u.zeroPoint, 64);
  EXPECT_EQ(u.qmax, 255);
  QuantParams s = activationParams({-1.f, 3.f}, ActivationScheme::Symmetric);
  EXPECT_EQ(s.scale, double(float(3.0 / 127)));
  EXPECT_EQ(s.zeroPoint, 0);
  EXPECT_EQ(s.qmin, -127);
  // A range that excludes 0 is widened to hold it (ReLU zeros exact):
  // [0.5, 2.55] is [0, 2.55], scale 0.01, zero point -128.
  QuantParams r = activationParams({0.5f, 2.55f}, ActivationScheme::Asymmetric);
  EXPECT_EQ(r.zeroPoint, -128);
  EXPECT_NEAR(r.scale, 0.01, 1e-8);
  // All zeros: scale 1, zero point at 0's place.
  EXPECT_EQ(activationParams({0.f, 0.f}, ActivationScheme::Asymmetric).scale, 1.0);
  EXPECT_EQ(parseActivationScheme("unsigned"), ActivationScheme::Unsigned);
  EXPECT_FALSE(parseActivationScheme("u8").has_value());
}

// Every weight-scale grid on a random weight with channels spanning 2^10:
// each scale is at least max|w| / 127 (nothing clips), at most the grid's
// spacing coarser, and on its grid; E4M4's codes read back exactly.
TEST(Calibration, WeightScaleGrids) {
  std::mt19937 gen(3);
  std::normal_distribution<float> normal;
  const int64_t k = 64, channels = 48;
  std::vector<float> w(k * channels);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t c = 0; c < channels; ++c)
      w[i * channels + c] = normal(gen) * std::ldexp(1.f, -int(c % 11));
  for (int64_t i = 0; i < k; ++i)
    w[i * channels + 5] = 0; // an all-zero channel
  std::vector<float> top(channels, 0.f);
  for (size_t i = 0; i < w.size(); ++i)
    top[i % channels] = std::max(top[i % channels], std::fabs(w[i]));

  struct Case {
    WeightScaleGrid grid;
    double spacing; // the largest relative rounding up
  };
  for (Case g : {Case{WeightScaleGrid::F32, 0}, Case{WeightScaleGrid::BF16, 0x1p-7},
                 Case{WeightScaleGrid::E4M4, 1.0 / 16}}) {
    QuantizedWeight q = quantizePerChannel(w.data(), w.size(), channels,
                                           1, g.grid);
    std::vector<double> scales(q.scales.begin(), q.scales.end());
    for (int64_t c = 0; c < channels; ++c) {
      if (c == 5)
        continue;
      float exact = top[c] / 127.f;
      EXPECT_GE(q.scales[c], exact) << c;
      EXPECT_LE(q.scales[c], exact * (1 + g.spacing)) << c;
    }
    for (size_t i = 0; i < w.size(); ++i) {
      int code = q.values[i];
      EXPECT_LE(std::fabs(w[i] / q.scales[i % channels] - code), 0.5f + 1e-4f);
    }
    float base = 0;
    auto codes = scaleCodes(scales, base);
    EXPECT_EQ(codes.has_value(), g.grid == WeightScaleGrid::E4M4);
    if (codes) {
      EXPECT_EQ(base, *std::max_element(q.scales.begin(), q.scales.end()));
      for (int64_t c = 0; c < channels; ++c)
        EXPECT_EQ(base * scaleCodeFactor((*codes)[c]), q.scales[c]) << c;
      EXPECT_EQ(q.scales[5], base); // the zero channel's scale is any
    }
    if (g.grid == WeightScaleGrid::BF16)
      for (float s : q.scales)
        EXPECT_EQ(roundUpToBF16(s), s);
  }
  // g(code) = (1 + m/16) * 2^-e for code = e << 4 | m.
  EXPECT_EQ(scaleCodeFactor(0x00), 1.f);
  EXPECT_EQ(scaleCodeFactor(0x1A), 0.8125f);
  EXPECT_EQ(scaleCodeFactor(0xFF), 31.f / 16 * std::ldexp(1.f, -15));
  // Rounding up to bf16 carries into the exponent.
  EXPECT_EQ(roundUpToBF16(1.f), 1.f);
  EXPECT_EQ(roundUpToBF16(std::nextafter(2.f, 0.f)), 2.f);

  // A channel below 2^-15 of the largest is off E4M4's range: bf16 instead.
  std::vector<float> wide = {1.f, 1e-6f};
  QuantizedWeight q = quantizePerChannel(wide.data(), 2, 2, 1,
                                         WeightScaleGrid::E4M4);
  EXPECT_EQ(q.scales[1], roundUpToBF16(1e-6f / 127.f));
  EXPECT_EQ(q.scales[0], roundUpToBF16(1.f / 127.f));
}

TEST(Calibration, TableRoundTripChoosesTheSameRanges) {
  CalibrationTable t;
  t.method = CalibrationMethod::Entropy;
  t.samples = 2;
  t.tensors["/a/MatMul"] = observe(gaussian(20000, 3));
  std::vector<float> u = uniform(5000, -0.5f, 2.f, 4);
  t.tensors["b \"quoted\""] = observe(u);
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("table", "json", path));
  ASSERT_EQ(writeCalibrationTable(t, path.str().str()), "");
  CalibrationTable back;
  ASSERT_EQ(readCalibrationTable(path.str().str(), back), "");
  EXPECT_EQ(back.method, CalibrationMethod::Entropy);
  EXPECT_EQ(back.samples, 2u);
  ASSERT_EQ(back.tensors.size(), 2u);
  for (const auto &[key, obs] : t.tensors) {
    for (CalibrationMethod m :
         {CalibrationMethod::MinMax, CalibrationMethod::Percentile,
          CalibrationMethod::Entropy, CalibrationMethod::MSE}) {
      Range want = obs.range(m), got = back.tensors.at(key).range(m);
      EXPECT_EQ(want.lo, got.lo) << key;
      EXPECT_EQ(want.hi, got.hi) << key;
    }
  }
  EXPECT_FALSE(back.rangeOf("absent").has_value());

  // What is wrong with a file is said, with its name.
  auto readText = [&](const std::string &text) {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << text;
    os.close();
    CalibrationTable x;
    return readCalibrationTable(path.str().str(), x);
  };
  EXPECT_NE(readText("{").find("not JSON"), std::string::npos);
  EXPECT_NE(readText("{}").find("not a qopt calibration table"), std::string::npos);
  std::string head = "{\"format\": \"qopt-calibration-table\", \"version\": 1, ";
  EXPECT_NE(readText(head + "\"method\": \"kl\", \"tensors\": {}}").find("unknown \"method\""),
            std::string::npos);
  EXPECT_NE(readText(head + "\"method\": \"entropy\", \"tensors\": {\"x\": {\"min\": 0, \"max\": 1}}}")
                .find("tensor 'x' has no histogram"),
            std::string::npos);
  EXPECT_NE(readText(head + "\"method\": \"minmax\", \"tensors\": {\"x\": {\"min\": 2, \"max\": 1}}}")
                .find("min <= max"),
            std::string::npos);
  std::string err = readText(head + "\"method\": \"minmax\", \"tensors\": {\"x\": {\"min\": 0, \"max\": 1, \"histogram\": [1, 2]}}}");
  EXPECT_NE(err.find("histogram has 2 bins, expected 2048"), std::string::npos) << err;
  EXPECT_NE(err.find(path.str().str()), std::string::npos);
  llvm::sys::fs::remove(path);
}

} // namespace
