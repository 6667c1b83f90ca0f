//===- CalibrationTable.cpp - Saved calibration statistics ----------------===//
#include "qopt/Analysis/CalibrationTable.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace qopt;

static constexpr const char *kFormat = "qopt-calibration-table";

const char *qopt::calibrationMethodName(CalibrationMethod method) {
  switch (method) {
  case CalibrationMethod::MinMax:
    return "minmax";
  case CalibrationMethod::Percentile:
    return "percentile";
  case CalibrationMethod::Entropy:
    return "entropy";
  case CalibrationMethod::MSE:
    return "mse";
  }
  return "minmax";
}

std::optional<Range> CalibrationTable::rangeOf(const std::string &key) const {
  auto it = tensors.find(key);
  if (it == tensors.end())
    return std::nullopt;
  return it->second.range(method, percentile);
}

std::string qopt::writeCalibrationTable(const CalibrationTable &table,
                                        const std::string &path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return "cannot write calibration table '" + path + "': " + ec.message();
  // One tensor a line: diffable, and readable with a pager.
  os << "{\"format\": \"" << kFormat << "\", \"version\": 1, \"method\": \""
     << calibrationMethodName(table.method)
     << "\", \"percentile\": " << llvm::json::Value(table.percentile)
     << ", \"samples\": " << table.samples << ",\n \"tensors\": {";
  bool first = true;
  for (const auto &[key, obs] : table.tensors) {
    Range mm = obs.minMax(), chosen = obs.range(table.method, table.percentile);
    llvm::json::Array hist;
    for (double c : obs.histogram())
      hist.push_back(static_cast<int64_t>(c)); // counts are whole numbers
    llvm::json::Value entry = llvm::json::Object{{"min", mm.lo},
                                                 {"max", mm.hi},
                                                 {"lo", chosen.lo},
                                                 {"hi", chosen.hi},
                                                 {"histogram", std::move(hist)}};
    os << (first ? "\n  " : ",\n  ") << llvm::json::Value(key) << ": " << entry;
    first = false;
  }
  os << "\n }\n}\n";
  return "";
}

std::string qopt::readCalibrationTable(const std::string &path,
                                       CalibrationTable &table) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return "cannot read calibration table '" + path +
           "': " + buffer.getError().message();
  auto bad = [&](const std::string &what) {
    return "calibration table '" + path + "': " + what;
  };
  llvm::Expected<llvm::json::Value> parsed =
      llvm::json::parse((*buffer)->getBuffer());
  if (!parsed)
    return bad("not JSON: " + llvm::toString(parsed.takeError()));
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root || root->getString("format") != std::optional<llvm::StringRef>(kFormat))
    return bad(std::string("not a qopt calibration table (no \"format\": \"") +
               kFormat + "\")");
  if (root->getInteger("version") != 1)
    return bad("unsupported version (expected 1)");
  auto method = parseCalibrationMethod(root->getString("method").value_or("").str());
  if (!method)
    return bad("unknown \"method\" (minmax, percentile, entropy, mse)");
  table.method = *method;
  table.percentile = root->getNumber("percentile").value_or(99.999);
  table.samples = root->getInteger("samples").value_or(0);
  const llvm::json::Object *tensors = root->getObject("tensors");
  if (!tensors)
    return bad("no \"tensors\" object");
  for (const auto &[key, value] : *tensors) {
    const llvm::json::Object *t = value.getAsObject();
    std::optional<double> mn = t ? t->getNumber("min") : std::nullopt;
    std::optional<double> mx = t ? t->getNumber("max") : std::nullopt;
    if (!mn || !mx || *mn > *mx)
      return bad("tensor '" + key.str() + "' needs numbers min <= max");
    std::vector<double> hist;
    if (const llvm::json::Array *h = t->getArray("histogram")) {
      for (const llvm::json::Value &c : *h) {
        std::optional<double> n = c.getAsNumber();
        if (!n || *n < 0)
          return bad("tensor '" + key.str() +
                     "': histogram counts must be non-negative numbers");
        hist.push_back(*n);
      }
      if (hist.size() != static_cast<size_t>(RangeObserver::kBins))
        return bad("tensor '" + key.str() + "': the histogram has " +
                   std::to_string(hist.size()) + " bins, expected " +
                   std::to_string(RangeObserver::kBins));
    } else if (table.method != CalibrationMethod::MinMax) {
      return bad("tensor '" + key.str() + "' has no histogram, which method '" +
                 calibrationMethodName(table.method) + "' needs");
    }
    table.tensors[key.str()] =
        RangeObserver::restore(float(*mn), float(*mx), std::move(hist));
  }
  return "";
}
