//===- LowerMatMulNBits.cpp - qopt.matmul_nbits as a decoding generic -----===//
//
// y[m, n] += x[m, k] * decode(codes[n, k / G, (k % G) / 2], k % 2) *
//            scales[n, k / G]
// as one linalg.generic over (m, n, k), or (n, k) when M is 1: the reduction
// body picks the nibble, subtracts the zero point (or looks up the NF4
// codebook) and scales. `library_call` names the runtime kernel that
// qopt-cpu-ukernels substitutes.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "RewriteUtils.h"
#include "qopt/Analysis/WeightQuantization.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_LOWERMATMULNBITS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// The decoded weight for code byte `byte` at reduction index `k`.
Value decodeWeight(OpBuilder &b, Location loc, Value byte, Value k,
                   Value zeroByte, Value block, Value scale, Value codebook,
                   StringRef format) {
  auto i8 = b.getI8Type();
  auto cst = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, i8, v); };
  // Nibble k % 2 of the byte.
  Value odd = arith::AndIOp::create(
      b, loc, arith::IndexCastOp::create(b, loc, i8, k), cst(1));
  Value shift = arith::MulIOp::create(b, loc, odd, cst(4));
  Value code = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, byte, shift), cst(15));
  Value value;
  if (format == "nf4") {
    Value idx = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), code);
    value = tensor::ExtractOp::create(b, loc, codebook, idx);
  } else {
    Value zero = cst(8);
    if (format == "asymmetric") { // nibble (block % 2) of the zero byte
      Value zodd = arith::AndIOp::create(
          b, loc, arith::IndexCastOp::create(b, loc, i8, block), cst(1));
      zero = arith::AndIOp::create(
          b, loc,
          arith::ShRUIOp::create(b, loc, zeroByte,
                                 arith::MulIOp::create(b, loc, zodd, cst(4))),
          cst(15));
    }
    Value centred = arith::SubIOp::create(b, loc, code, zero);
    value = arith::SIToFPOp::create(b, loc, b.getF32Type(), centred);
  }
  return arith::MulFOp::create(b, loc, value, scale);
}

struct LowerMatMulNBitsPass
    : mlir::qopt::impl::LowerMatMulNBitsBase<LowerMatMulNBitsPass> {
  using LowerMatMulNBitsBase::LowerMatMulNBitsBase;

  void lower(mlir::qopt::MatMulNBitsOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    auto xType = op.getInput().getType();
    auto yType = op.getOutput().getType();
    int64_t k = op.getK(), n = op.getN(), group = op.getGroup();
    StringRef format = op.getFormat();

    // x [..., K] -> [M, K] (or [K] when M is 1).
    ReassociationIndices lead;
    for (int64_t d = 0; d + 1 < xType.getRank(); ++d)
      lead.push_back(d);
    int64_t m = 1;
    for (int64_t d : lead)
      m *= xType.getDimSize(d);
    bool vector = m == 1;
    Value x = op.getInput();
    SmallVector<ReassociationIndices> xAssoc, yAssoc;
    if (vector) {
      ReassociationIndices all;
      for (int64_t d = 0; d < xType.getRank(); ++d)
        all.push_back(d);
      xAssoc.push_back(all);
    } else {
      xAssoc.push_back(lead);
      xAssoc.push_back({xType.getRank() - 1});
    }
    yAssoc = xAssoc;
    if (xAssoc.size() != size_t(xType.getRank()) || vector)
      x = tensor::CollapseShapeOp::create(b, loc, x, xAssoc);

    SmallVector<int64_t> outShape =
        vector ? SmallVector<int64_t>{n} : SmallVector<int64_t>{m, n};
    auto f32 = b.getF32Type();
    Value init = tensor::EmptyOp::create(b, loc, outShape, f32);
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
    init = linalg::FillOp::create(b, loc, zero, init).getResult(0);

    unsigned nl = vector ? 2 : 3;
    AffineExpr dm = getAffineDimExpr(0, ctx);
    AffineExpr dn = getAffineDimExpr(nl - 2, ctx), dk = getAffineDimExpr(nl - 1, ctx);
    auto map = [&](ArrayRef<AffineExpr> e) { return AffineMap::get(nl, 0, e, ctx); };
    SmallVector<Value> ins = {x, op.getWeights(), op.getScales()};
    SmallVector<AffineMap> maps = {
        vector ? map({dk}) : map({dm, dk}),
        map({dn, dk.floorDiv(group), (dk % group).floorDiv(2)}),
        map({dn, dk.floorDiv(group)})};
    if (Value zeros = op.getZeros()) {
      ins.push_back(zeros);
      maps.push_back(map({dn, dk.floorDiv(2 * group)}));
    }
    maps.push_back(vector ? map({dn}) : map({dm, dn}));
    SmallVector<utils::IteratorType> iters(nl, utils::IteratorType::parallel);
    iters.back() = utils::IteratorType::reduction;

    Value codebook;
    if (format == "nf4") {
      auto cbType = RankedTensorType::get({16}, f32);
      codebook = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(
                      cbType, ArrayRef<float>(::qopt::kNF4Codebook, 16)));
    }
    bool hasZeros = static_cast<bool>(op.getZeros());
    auto generic = linalg::GenericOp::create(
        b, loc, init.getType(), ins, init, maps, iters,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value kIdx = linalg::IndexOp::create(nb, l, nl - 1);
          Value block = arith::DivUIOp::create(
              nb, l, kIdx, arith::ConstantIndexOp::create(nb, l, group));
          Value w = decodeWeight(nb, l, args[1], kIdx,
                                 hasZeros ? args[3] : Value(), block, args[2],
                                 codebook, format);
          Value p = arith::MulFOp::create(nb, l, args[0], w);
          linalg::YieldOp::create(
              nb, l, arith::AddFOp::create(nb, l, args.back(), p).getResult());
        });
    generic.setLibraryCallAttr(b.getStringAttr(mlir::qopt::kNBitsKernelName));
    generic->setAttr(mlir::qopt::kNBitsFormatAttr, b.getStringAttr(format));
    if (op.getActivations() != "f32")
      generic->setAttr(mlir::qopt::kNBitsActivationsAttr,
                       b.getStringAttr(op.getActivations()));
    Value y = generic.getResult(0);
    if (outShape.size() != size_t(yType.getRank()))
      y = tensor::ExpandShapeOp::create(b, loc, yType, y, yAssoc);
    op.getOutput().replaceAllUsesWith(y);
    op.erase();
  }

  void runOnOperation() override {
    SmallVector<mlir::qopt::MatMulNBitsOp> ops;
    getOperation().walk([&](mlir::qopt::MatMulNBitsOp op) { ops.push_back(op); });
    for (auto op : ops) {
      if (!op.getInput().getType().hasStaticShape()) {
        op.emitError("qopt-lower-matmul-nbits: dynamic input shapes are not "
                     "supported yet");
        return signalPassFailure();
      }
      lower(op);
    }
  }
};

} // namespace
