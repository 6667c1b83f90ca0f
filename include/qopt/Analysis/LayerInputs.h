//===- LayerInputs.h - Calibration inputs of each weight's layer -*- C++ -*-===//
//
// GPTQ and AWQ need the inputs a layer sees, not only their range: GPTQ
// builds its Hessian from them, AWQ its per-channel magnitudes and its
// output-error search. Calibration saves, per quantizable product (keyed as
// calibration tables are), up to `maxRows` rows of its input, taken evenly
// over every sample, in one little-endian file:
//   "QOPTLI1\0", int64 rows, int64 cols, rows x cols f32.
// Plain C++, without MLIR.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_ANALYSIS_LAYERINPUTS_H
#define QOPT_ANALYSIS_LAYERINPUTS_H

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qopt {

struct LayerInputs {
  int64_t cols = 0;
  std::vector<float> rows; ///< count() x cols
  int64_t count() const { return cols ? int64_t(rows.size()) / cols : 0; }
};

/// The file of `key` in `dir` (the key hex-escaped: node names may hold any
/// character).
std::string layerInputsPath(const std::string &dir, const std::string &key);

/// Reads the inputs of `key`; returns an error message, empty on success.
std::string readLayerInputs(const std::string &dir, const std::string &key,
                            LayerInputs &out);

/// readLayerInputs, and an error too when the rows are not `cols` wide (the
/// weight's input features).
std::string readLayerInputsFor(const std::string &dir, const std::string &key,
                               int64_t cols, LayerInputs &out);

/// Collects rows per key over the samples, keeping at most `maxRows` per
/// key by taking every s-th row (s doubling whenever the cap is reached,
/// so the kept rows stay spread over all samples).
class LayerInputsCollector {
public:
  explicit LayerInputsCollector(int64_t maxRows = 2048) : maxRows_(maxRows) {}
  /// `values` holds whole rows of `cols` features (a [..., cols] tensor).
  /// Returns an error if `cols` differs from the key's earlier rows.
  std::string add(const std::string &key, const float *values, size_t n,
                  int64_t cols);
  /// Writes one file per key into `dir` (created); an error or "".
  std::string write(const std::string &dir) const;

private:
  struct Rows {
    LayerInputs in;
    int64_t stride = 1, seen = 0;
  };
  int64_t maxRows_;
  std::map<std::string, Rows> keys_;
};

} // namespace qopt

#endif // QOPT_ANALYSIS_LAYERINPUTS_H
