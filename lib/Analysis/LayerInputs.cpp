//===- LayerInputs.cpp - Calibration inputs of each weight's layer --------===//
#include "qopt/Analysis/LayerInputs.h"

#include <cstring>
#include <fstream>
#include <sys/stat.h>

using namespace qopt;

static constexpr char kMagic[8] = {'Q', 'O', 'P', 'T', 'L', 'I', '1', '\0'};

std::string qopt::layerInputsPath(const std::string &dir,
                                  const std::string &key) {
  static const char *hex = "0123456789abcdef";
  std::string name;
  for (unsigned char c : key) {
    name += hex[c >> 4];
    name += hex[c & 15];
  }
  return dir + "/" + name + ".rows";
}

std::string qopt::readLayerInputs(const std::string &dir,
                                  const std::string &key, LayerInputs &out) {
  std::string path = layerInputsPath(dir, key);
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return "no calibration inputs for '" + key + "' (" + path +
           "): calibrate this model with --calibration";
  char magic[8];
  int64_t rows = 0, cols = 0;
  f.read(magic, 8);
  f.read(reinterpret_cast<char *>(&rows), 8);
  f.read(reinterpret_cast<char *>(&cols), 8);
  if (!f || std::memcmp(magic, kMagic, 8) || rows < 0 || cols <= 0 ||
      rows > (int64_t(1) << 40) / cols)
    return path + ": not a qopt layer-inputs file";
  out.cols = cols;
  out.rows.resize(size_t(rows * cols));
  f.read(reinterpret_cast<char *>(out.rows.data()),
         std::streamsize(out.rows.size() * sizeof(float)));
  if (!f)
    return path + ": truncated (expected " + std::to_string(rows) + " rows of " +
           std::to_string(cols) + ")";
  return "";
}

std::string qopt::readLayerInputsFor(const std::string &dir,
                                     const std::string &key, int64_t cols,
                                     LayerInputs &out) {
  if (std::string error = readLayerInputs(dir, key, out); !error.empty())
    return error;
  if (out.cols != cols)
    return "layer inputs of '" + key + "' have " + std::to_string(out.cols) +
           " features, the weight has " + std::to_string(cols) + " inputs";
  return "";
}

std::string LayerInputsCollector::add(const std::string &key,
                                      const float *values, size_t n,
                                      int64_t cols) {
  Rows &r = keys_[key];
  if (r.in.cols == 0)
    r.in.cols = cols;
  if (r.in.cols != cols)
    return "layer inputs of '" + key + "' changed from " +
           std::to_string(r.in.cols) + " to " + std::to_string(cols) +
           " features between samples";
  for (size_t row = 0; row + size_t(cols) <= n; row += size_t(cols)) {
    if (r.seen++ % r.stride)
      continue;
    if (r.in.count() == maxRows_) {
      // Keep every other row and take rows half as often from now on.
      std::vector<float> kept;
      for (int64_t i = 0; i < r.in.count(); i += 2)
        kept.insert(kept.end(), r.in.rows.begin() + i * cols,
                    r.in.rows.begin() + (i + 1) * cols);
      r.in.rows = std::move(kept);
      r.stride *= 2;
      if ((r.seen - 1) % r.stride)
        continue;
    }
    r.in.rows.insert(r.in.rows.end(), values + row, values + row + cols);
  }
  return "";
}

std::string LayerInputsCollector::write(const std::string &dir) const {
  ::mkdir(dir.c_str(), 0755);
  for (const auto &[key, r] : keys_) {
    std::string path = layerInputsPath(dir, key);
    std::ofstream f(path, std::ios::binary);
    int64_t rows = r.in.count(), cols = r.in.cols;
    f.write(kMagic, 8);
    f.write(reinterpret_cast<const char *>(&rows), 8);
    f.write(reinterpret_cast<const char *>(&cols), 8);
    f.write(reinterpret_cast<const char *>(r.in.rows.data()),
            std::streamsize(r.in.rows.size() * sizeof(float)));
    if (!f)
      return "cannot write " + path;
  }
  return "";
}
