//===- CalibrationTable.h - Saved calibration statistics --------*- C++ -*-===//
//
// What a calibration run learnt, per observed tensor, saved as JSON so that
// a later compile reuses it (--calibration-table) without the samples:
//
//   {"format": "qopt-calibration-table", "version": 1,
//    "method": "percentile", "percentile": 99.999, "samples": 8,
//    "tensors": {"<key>": {"min": -1.5, "max": 3.25, "lo": -1.5, "hi": 3.1,
//                          "histogram": [ 2048 bin counts of |x| ]}}}
//
// A key names the ONNX node whose activation input was observed (see
// qopt-insert-observers). "lo"/"hi" are the range the table's method chose;
// with min, max and the histogram any method can choose again.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_ANALYSIS_CALIBRATIONTABLE_H
#define QOPT_ANALYSIS_CALIBRATIONTABLE_H

#include "qopt/Analysis/Calibration.h"

#include <map>
#include <string>

namespace qopt {

struct CalibrationTable {
  CalibrationMethod method = CalibrationMethod::Percentile;
  double percentile = 99.999;
  size_t samples = 0;
  std::map<std::string, RangeObserver> tensors;

  /// The range `method` (the table's when not given) chooses for `key`, or
  /// nullopt when the table has no such tensor.
  std::optional<Range> rangeOf(const std::string &key) const;
};

/// Writes `table` to `path`; returns an error message, or "" on success.
std::string writeCalibrationTable(const CalibrationTable &table,
                                  const std::string &path);
/// Reads a table written by writeCalibrationTable; returns an error message
/// naming the file and what is wrong, or "" on success.
std::string readCalibrationTable(const std::string &path,
                                 CalibrationTable &table);

/// The name of a calibration method as tables and flags spell it.
const char *calibrationMethodName(CalibrationMethod method);

} // namespace qopt

#endif // QOPT_ANALYSIS_CALIBRATIONTABLE_H
