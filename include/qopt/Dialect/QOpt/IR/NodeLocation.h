//===- NodeLocation.h - Which ONNX node an op came from ---------*- C++ -*-===//
//
// The importer locates every op it builds for an ONNX node at
//   fused<"onnx.<OpType>">[NameLoc("<node name>", "<model file>":0:0)]
// so that passes can apply per-op-type and per-node policies (precision,
// quantization) and diagnostics can name the node and the file.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_IR_NODELOCATION_H
#define QOPT_DIALECT_QOPT_IR_NODELOCATION_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"

#include <optional>

namespace mlir::qopt {

inline Location makeNodeLoc(MLIRContext *ctx, llvm::StringRef opType,
                            llvm::StringRef nodeName, Location file) {
  Location named = NameLoc::get(StringAttr::get(ctx, nodeName), file);
  return FusedLoc::get(ctx, {named},
                       StringAttr::get(ctx, ("onnx." + opType).str()));
}

struct NodeOrigin {
  llvm::StringRef opType;   // e.g. "Softmax"
  llvm::StringRef nodeName; // e.g. "/blocks.0/attn/Softmax"
};

/// The ONNX node of an op located by makeNodeLoc (also inside other fused
/// locations), or nullopt.
inline std::optional<NodeOrigin> getNodeOrigin(Location loc) {
  auto fused = llvm::dyn_cast<FusedLoc>(loc);
  if (!fused)
    return std::nullopt;
  auto tag = llvm::dyn_cast_if_present<StringAttr>(fused.getMetadata());
  if (tag && tag.getValue().starts_with("onnx.")) {
    NodeOrigin o;
    o.opType = tag.getValue().drop_front(5);
    for (Location l : fused.getLocations())
      if (auto n = llvm::dyn_cast<NameLoc>(l))
        o.nodeName = n.getName().getValue();
    return o;
  }
  for (Location l : fused.getLocations())
    if (auto o = getNodeOrigin(l))
      return o;
  return std::nullopt;
}

/// The innermost file location, for messages.
inline std::optional<FileLineColLoc> getFileLoc(Location loc) {
  if (auto f = llvm::dyn_cast<FileLineColLoc>(loc))
    return f;
  if (auto n = llvm::dyn_cast<NameLoc>(loc))
    return getFileLoc(n.getChildLoc());
  if (auto fused = llvm::dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (auto f = getFileLoc(l))
        return f;
  return std::nullopt;
}

} // namespace mlir::qopt

#endif // QOPT_DIALECT_QOPT_IR_NODELOCATION_H
