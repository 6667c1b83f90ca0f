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

#include <gtest/gtest.h>

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

} // namespace
