//===- ImportMatMul.cpp - ONNX MatMul and Gemm ----------------------------===//
#include "ImporterCore.h"

#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

/// a [..., M, K] x b [..., K, N] with numpy batch broadcasting, both of rank
/// >= 2, through one rank-3 tosa.matmul (int8 -> int32 with `zp`).
static Value batchedMatMul(OpBuilder &b, Location loc, Value a, Value bm,
                           const IntegerZeroPoints *zp) {
  auto ta = llvm::cast<RankedTensorType>(a.getType());
  auto tb = llvm::cast<RankedTensorType>(bm.getType());
  int64_t m = ta.getDimSize(ta.getRank() - 2), k = ta.getDimSize(ta.getRank() - 1);
  int64_t n = tb.getDimSize(tb.getRank() - 1);
  auto batchA = ta.getShape().drop_back(2), batchB = tb.getShape().drop_back(2);
  std::vector<int64_t> batch = *broadcastShapes(batchA, batchB);
  int64_t batchSize = 1;
  for (int64_t d : batch)
    batchSize *= d;
  Type elt = zp ? b.getI32Type() : ta.getElementType();
  auto matmul = [&](llvm::ArrayRef<int64_t> shape, Value x, Value y) -> Value {
    if (zp)
      return tosa::MatMulOp::create(b, loc, tensorOf(shape, elt), x, y,
                                    zp->input, zp->weight);
    return tosa::MatMulOp::create(b, loc, tensorOf(shape, elt), x, y);
  };
  SmallVector<int64_t> outShape(batch.begin(), batch.end());
  outShape.append({m, n});

  Value a3, b3;
  int64_t numA = 1;
  for (int64_t d : batchA)
    numA *= d;
  if (batchB.empty() || llvm::all_of(batchB, [](int64_t d) { return d == 1; })) {
    // The weight is shared by every batch: fold the batch into M, which
    // gives one large matmul instead of many small ones.
    a3 = reshapeTo(b, loc, a, {1, numA * m, k});
    b3 = reshapeTo(b, loc, bm, {1, k, n});
    Value r = matmul({1, numA * m, n}, a3, b3);
    return reshapeTo(b, loc, r, outShape);
  }
  // Materialise the broadcast of both operands over the batch dims.
  auto expand = [&](Value v, RankedTensorType t, llvm::ArrayRef<int64_t> vb) {
    SmallVector<int64_t> lifted(batch.size() - vb.size(), 1);
    lifted.append(vb.begin(), vb.end());
    SmallVector<int64_t> shape(lifted);
    shape.append(t.getShape().take_back(2).begin(), t.getShape().take_back(2).end());
    v = reshapeTo(b, loc, v, shape);
    SmallVector<int64_t> mult, full;
    for (size_t i = 0; i < batch.size(); ++i)
      mult.push_back(lifted[i] == batch[i] ? 1 : batch[i]);
    mult.append({1, 1});
    if (llvm::any_of(mult, [](int64_t x) { return x != 1; })) {
      full.assign(batch.begin(), batch.end());
      full.append(t.getShape().take_back(2).begin(), t.getShape().take_back(2).end());
      ImplicitLocOpBuilder ib(loc, b);
      Value multiples = tosa::getTosaConstShape(ib, mult);
      v = tosa::TileOp::create(b, loc, t.clone(full), v, multiples);
    }
    return v;
  };
  a3 = reshapeTo(b, loc, expand(a, ta, batchA), {batchSize, m, k});
  b3 = reshapeTo(b, loc, expand(bm, tb, batchB), {batchSize, k, n});
  Value r = matmul({batchSize, m, n}, a3, b3);
  return reshapeTo(b, loc, r, outShape);
}

FailureOr<Value> onnx_import::buildMatMul(NodeContext &n, Value a, Value bm,
                                          const IntegerZeroPoints *zp) {
  auto ta = llvm::cast<RankedTensorType>(a.getType());
  auto tb = llvm::cast<RankedTensorType>(bm.getType());
  if (ta.getRank() == 0 || tb.getRank() == 0)
    return n.fail("inputs must have rank >= 1");
  OpBuilder &b = n.builder();
  // numpy semantics for vectors: a [K] is [1, K], b [K] is [K, 1], and the
  // inserted dim is dropped from the result.
  bool vecA = ta.getRank() == 1, vecB = tb.getRank() == 1;
  if (vecA)
    a = reshapeTo(b, n.loc, a, {1, ta.getDimSize(0)});
  if (vecB)
    bm = reshapeTo(b, n.loc, bm, {tb.getDimSize(0), 1});
  auto a2 = llvm::cast<RankedTensorType>(a.getType());
  auto b2 = llvm::cast<RankedTensorType>(bm.getType());
  if (a2.getDimSize(a2.getRank() - 1) != b2.getDimSize(b2.getRank() - 2))
    return n.fail("inner dimensions differ: " +
                  std::to_string(a2.getDimSize(a2.getRank() - 1)) + " vs " +
                  std::to_string(b2.getDimSize(b2.getRank() - 2)));
  if (!broadcastShapes(a2.getShape().drop_back(2), b2.getShape().drop_back(2)))
    return n.fail("batch dimensions do not broadcast");
  Value r = batchedMatMul(b, n.loc, a, bm, zp);
  auto rt = llvm::cast<RankedTensorType>(r.getType());
  SmallVector<int64_t> shape(rt.getShape());
  if (vecB)
    shape.erase(shape.end() - 1);
  if (vecA)
    shape.erase(shape.end() - (vecB ? 1 : 2));
  return reshapeTo(b, n.loc, r, shape);
}

static LogicalResult importMatMul(NodeContext &n) {
  auto nbits = n.g.nbitsWeights.find(n.node.input(1));
  if (nbits != n.g.nbitsWeights.end())
    return importMatMulNBitsWeight(n, nbits->second);
  auto ta = n.inputType(0), tb = n.inputType(1);
  if (!ta || !tb)
    return n.fail("expects two inputs");
  if (!llvm::isa<FloatType>(ta.getElementType()) ||
      ta.getElementType() != tb.getElementType())
    return n.fail("expects floating-point inputs of one type (integer "
                  "matrix products are MatMulInteger)");
  auto r = buildMatMul(n, n.input(0), n.input(1));
  if (failed(r))
    return failure();
  return n.setOutputs(*r);
}

static LogicalResult importGemm(NodeContext &n) {
  auto ta = n.inputType(0), tb = n.inputType(1);
  if (!ta || !tb || ta.getRank() != 2 || tb.getRank() != 2)
    return n.fail("expects 2-D A and B");
  if (!llvm::isa<FloatType>(ta.getElementType()))
    return n.fail("expects floating-point inputs");
  OpBuilder &b = n.builder();
  Value a = n.input(0), bm = n.input(1);
  if (n.attrInt("transA", 0))
    a = transposeBy(b, n.loc, a, {1, 0});
  if (n.attrInt("transB", 0))
    bm = transposeBy(b, n.loc, bm, {1, 0});
  auto a2 = llvm::cast<RankedTensorType>(a.getType());
  auto b2 = llvm::cast<RankedTensorType>(bm.getType());
  int64_t m = a2.getDimSize(0), k = a2.getDimSize(1), nn = b2.getDimSize(1);
  if (k != b2.getDimSize(0))
    return n.fail("inner dimensions differ: " + std::to_string(k) + " vs " +
                  std::to_string(b2.getDimSize(0)));
  Type elt = a2.getElementType();
  Value y = tosa::MatMulOp::create(b, n.loc, tensorOf({1, m, nn}, elt),
                                   reshapeTo(b, n.loc, a, {1, m, k}),
                                   reshapeTo(b, n.loc, bm, {1, k, nn}));
  y = reshapeTo(b, n.loc, y, {m, nn});
  float alpha = n.attrFloat("alpha", 1.0f), beta = n.attrFloat("beta", 1.0f);
  if (alpha != 1.0f)
    y = mulBroadcast(b, n.loc, y, splatConstant(b, n.loc, elt, {1, 1}, alpha));
  if (n.hasInput(2) && beta != 0.0f) {
    Value c = n.input(2);
    if (!broadcastShapes(n.inputType(2).getShape(), {m, nn}) ||
        n.inputType(2).getRank() > 2)
      return n.fail("C does not broadcast to [M, N]");
    if (beta != 1.0f)
      c = mulBroadcast(b, n.loc, c,
                       splatConstant(b, n.loc, elt,
                                     SmallVector<int64_t>(n.inputType(2).getRank(), 1),
                                     beta));
    y = addBroadcast(b, n.loc, y, c);
  }
  return n.setOutputs(y);
}

void onnx_import::registerMatMulOps(OpRegistry &r) {
  r.onOp("MatMul", 1, importMatMul);
  r.onOp("Gemm", 1, importGemm);
}
