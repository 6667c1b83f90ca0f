//===- QuantizeEmbeddings.cpp - int8 embedding tables ---------------------===//
//
// ONNX Gather of a constant table imports as a linalg.generic whose body
// reads the table with tensor.extract. An embedding table is the largest
// weight of a language model and is only ever read a row at a time, so it
// can stay int8 with one scale per row: each read becomes an int8 read, a
// scale read and one multiply. The f32 table is gone from the model.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "QuantCandidates.h"
#include "qopt/Analysis/WeightQuantization.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_QUANTIZEEMBEDDINGS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

struct QuantizeEmbeddingsPass
    : mlir::qopt::impl::QuantizeEmbeddingsBase<QuantizeEmbeddingsPass> {
  using QuantizeEmbeddingsBase::QuantizeEmbeddingsBase;

  /// Whether every use of `table` is a tensor.extract inside a
  /// linalg.generic body (a gather), so that no f32 copy is still needed.
  static bool onlyGathered(arith::ConstantOp table) {
    return llvm::all_of(table->getUses(), [](OpOperand &use) {
      auto extract = dyn_cast<tensor::ExtractOp>(use.getOwner());
      return extract && use.getOperandNumber() == 0 &&
             extract->getParentOfType<linalg::GenericOp>();
    });
  }

  void runOnOperation() override {
    SmallVector<arith::ConstantOp> tables;
    getOperation().walk([&](arith::ConstantOp c) {
      auto type = dyn_cast<RankedTensorType>(c.getType());
      if (type && type.getRank() == 2 && type.hasStaticShape() &&
          type.getElementType().isF32() &&
          type.getNumElements() >= minElements && !c->use_empty() &&
          onlyGathered(c))
        tables.push_back(c);
    });
    if (bits != 8 && bits != 4) {
      getOperation().emitError()
          << "qopt-quantize-embeddings: bits must be 8 or 4, got " << int64_t(bits);
      return signalPassFailure();
    }
    for (arith::ConstantOp table : tables) {
      auto values = mlir::qopt::constantValues(table.getResult());
      if (!values)
        continue;
      if (bits == 4)
        quantizeInt4(table, *values);
      else
        quantizeInt8(table, *values);
    }
  }

  unsigned counter = 0;

  /// Symmetric int4 in groups along each row (onnxruntime's grid, as
  /// qopt-quantize-weights): a read of [r, c] becomes a read of the byte
  /// [r, c / G, (c % G) / 2], a nibble select, and one multiply by the
  /// group's scale.
  void quantizeInt4(arith::ConstantOp table, const std::vector<float> &values) {
    auto type = cast<RankedTensorType>(table.getType());
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    ::qopt::Int4Weights q = ::qopt::quantizeRTN(
        values.data(), rows, cols, group, ::qopt::Int4Format::Symmetric);
    OpBuilder b(table);
    Location loc = table.getLoc();
    std::string id = std::to_string(counter++);
    int64_t blocks = q.blocks();
    Value codes = mlir::qopt::resourceConstant(
        b, loc, RankedTensorType::get({rows, blocks, group / 2}, b.getI8Type()),
        q.packed, "qopt_int4_embedding_" + id);
    Value scales = mlir::qopt::resourceConstant(
        b, loc, RankedTensorType::get({rows, blocks}, b.getF32Type()), q.scales,
        "qopt_int4_embedding_scale_" + id);
    for (OpOperand &use : llvm::make_early_inc_range(table->getUses())) {
      auto extract = cast<tensor::ExtractOp>(use.getOwner());
      OpBuilder eb(extract);
      Location l = extract.getLoc();
      auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(eb, l, v); };
      Value r = extract.getIndices()[0], c = extract.getIndices()[1];
      Value blk = arith::DivUIOp::create(eb, l, c, index(group));
      Value within = arith::RemUIOp::create(eb, l, c, index(group));
      Value byteIdx = arith::DivUIOp::create(eb, l, within, index(2));
      Value byte = tensor::ExtractOp::create(eb, l, codes,
                                             ValueRange{r, blk, byteIdx});
      auto i8 = eb.getI8Type();
      Value odd = arith::IndexCastOp::create(
          eb, l, i8, arith::RemUIOp::create(eb, l, c, index(2)));
      Value shift = arith::MulIOp::create(
          eb, l, odd, arith::ConstantIntOp::create(eb, l, i8, 4));
      Value code = arith::AndIOp::create(
          eb, l, arith::ShRUIOp::create(eb, l, byte, shift),
          arith::ConstantIntOp::create(eb, l, i8, 15));
      Value centred = arith::SubIOp::create(
          eb, l, code, arith::ConstantIntOp::create(eb, l, i8, 8));
      Value v = arith::SIToFPOp::create(eb, l, eb.getF32Type(), centred);
      Value s = tensor::ExtractOp::create(eb, l, scales, ValueRange{r, blk});
      extract.replaceAllUsesWith(arith::MulFOp::create(eb, l, v, s).getResult());
      extract.erase();
    }
    table.erase();
  }

  /// One symmetric int8 scale per row: a read becomes an int8 read, a
  /// scale read and one multiply.
  void quantizeInt8(arith::ConstantOp table, const std::vector<float> &values) {
    auto type = cast<RankedTensorType>(table.getType());
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    mlir::qopt::QuantizedWeight q =
        mlir::qopt::quantizePerChannel(values, rows, cols);
    OpBuilder b(table);
    Location loc = table.getLoc();
    std::string id = std::to_string(counter++);
    Value qTable = mlir::qopt::resourceConstant(
        b, loc, type.clone(b.getI8Type()), q.values,
        "qopt_int8_embedding_" + id);
    Value scales = mlir::qopt::resourceConstant(
        b, loc, RankedTensorType::get({rows}, b.getF32Type()), q.scales,
        "qopt_int8_embedding_scale_" + id);
    for (OpOperand &use : llvm::make_early_inc_range(table->getUses())) {
      auto extract = cast<tensor::ExtractOp>(use.getOwner());
      OpBuilder eb(extract);
      Location l = extract.getLoc();
      ValueRange idx = extract.getIndices();
      Value v = tensor::ExtractOp::create(eb, l, qTable, idx);
      Value s = tensor::ExtractOp::create(eb, l, scales, idx.front());
      v = arith::SIToFPOp::create(eb, l, eb.getF32Type(), v);
      v = arith::MulFOp::create(eb, l, v, s);
      extract.replaceAllUsesWith(v);
      extract.erase();
    }
    table.erase();
  }
};

} // namespace
