//===- GPUParallelLoops.cpp - linalg on buffers as GPU-mapped loops -------===//
//
// Upstream lowers linalg to parallel loops and parallel loops to GPU
// launches, but its loop order follows the op's iterators (a matmul's
// reduction dimension then sits outside its column loop: one launch per k)
// and it leaves ops without parallel dimensions on the host. This pass puts
// every op in the shape convert-parallel-loops-to-gpu wants: one flat
// parallel loop per op, parallel dimensions outermost, mapped to blocks and
// threads.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_GPUPARALLELLOOPS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

/// The op as a generic whose parallel dimensions come first.
FailureOr<linalg::GenericOp> parallelFirst(RewriterBase &rewriter,
                                           linalg::LinalgOp op) {
  rewriter.setInsertionPoint(op);
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic) {
    FailureOr<linalg::GenericOp> g = linalg::generalizeNamedOp(rewriter, op);
    if (failed(g))
      return failure();
    generic = *g;
  }
  SmallVector<unsigned> order;
  auto iters = generic.getIteratorTypesArray();
  for (unsigned i = 0; i < iters.size(); ++i)
    if (iters[i] == utils::IteratorType::parallel)
      order.push_back(i);
  for (unsigned i = 0; i < iters.size(); ++i)
    if (iters[i] != utils::IteratorType::parallel)
      order.push_back(i);
  if (llvm::equal(order, llvm::seq<unsigned>(0, iters.size())))
    return generic;
  return linalg::interchangeGenericOp(rewriter, generic, order);
}

/// Whether `op` reads or writes memory (so must not run on the host).
bool touchesMemory(Operation *op) {
  bool found = false;
  op->walk([&](Operation *nested) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if ((effects && !effects.hasNoEffect()) ||
        (!effects && !nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>() &&
         nested->getNumRegions() == 0 && !isPure(nested)))
      found = true;
  });
  return found;
}

struct GPUParallelLoopsPass
    : mlir::qopt::impl::GPUParallelLoopsBase<GPUParallelLoopsPass> {
  using GPUParallelLoopsBase::GPUParallelLoopsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IRRewriter rewriter(&getContext());
    if (blockSize <= 0 || blockSize % 32 != 0) {
      func.emitError() << "qopt-gpu-parallel-loops: block-size " << static_cast<int64_t>(blockSize)
                       << " is not a positive multiple of 32 (the warp size)";
      return signalPassFailure();
    }

    // Copies run as kernels too: the host never touches device memory.
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp c : copies) {
      rewriter.setInsertionPoint(c);
      linalg::CopyOp::create(rewriter, c.getLoc(), ValueRange{c.getSource()},
                             ValueRange{c.getTarget()});
      rewriter.eraseOp(c);
    }

    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (linalg::LinalgOp op : ops) {
      if (!op.hasPureBufferSemantics()) {
        op.emitError() << "qopt-gpu-parallel-loops: expects bufferized ops";
        return signalPassFailure();
      }
      FailureOr<linalg::GenericOp> generic = parallelFirst(rewriter, op);
      if (failed(generic) ||
          failed(linalg::linalgOpToParallelLoops(rewriter, *generic))) {
        op.emitError() << "qopt-gpu-parallel-loops: cannot lower this op to "
                          "parallel loops";
        return signalPassFailure();
      }
      rewriter.eraseOp(*generic);
    }

    if (failed(wrapHostAccesses(rewriter, func)))
      return signalPassFailure();

    SmallVector<scf::ParallelOp> loops(func.getBody().getOps<scf::ParallelOp>());
    for (scf::ParallelOp loop : loops)
      mapLoop(rewriter, loop);
  }

  /// Memory accesses at the top level (an op without parallel dimensions
  /// lowers to plain loops) go into one-iteration parallel loops.
  LogicalResult wrapHostAccesses(RewriterBase &rewriter, func::FuncOp func) {
    SmallVector<SmallVector<Operation *>> groups;
    bool open = false;
    for (Operation &op : func.getBody().front().without_terminator()) {
      bool wrap = !isa<scf::ParallelOp>(op) && touchesMemory(&op);
      if (wrap && !open)
        groups.emplace_back();
      if (wrap)
        groups.back().push_back(&op);
      open = wrap;
    }
    for (auto &group : groups) {
      for (Operation *op : group)
        for (Operation *user : op->getUsers())
          if (!llvm::is_contained(group, user)) {
            op->emitError() << "qopt-gpu-parallel-loops: a value computed "
                               "from device memory is used on the host";
            return failure();
          }
      rewriter.setInsertionPoint(group.front());
      Location loc = group.front()->getLoc();
      Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      auto single = scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                                            ValueRange{one}, ValueRange{one});
      Operation *terminator = single.getBody()->getTerminator();
      for (Operation *op : group)
        op->moveBefore(terminator);
    }
    return success();
  }

  /// Collapses the loop to one dimension, tiles it by the block size and
  /// maps tiles to blocks and elements to threads.
  void mapLoop(RewriterBase &rewriter, scf::ParallelOp loop) {
    MLIRContext *ctx = &getContext();
    if (loop.getNumLoops() > 1) {
      std::vector<unsigned> all;
      for (unsigned i = 0; i < loop.getNumLoops(); ++i)
        all.push_back(i);
      Operation *before = loop->getPrevNode();
      Block *block = loop->getBlock();
      mlir::collapseParallelLoops(rewriter, loop, {all});
      // The collapsed loop replaces the original in place.
      Operation *next = before ? before->getNextNode() : &block->front();
      while (next && !isa<scf::ParallelOp>(next))
        next = next->getNextNode();
      loop = cast<scf::ParallelOp>(next);
    }
    int64_t tile = blockSize;
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[0]);
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[0]);
    std::optional<int64_t> step = getConstantIntValue(loop.getStep()[0]);
    if (lb && ub && step && *step > 0) {
      // Small loops get a smaller block, in whole warps.
      int64_t trips = llvm::divideCeil(*ub - *lb, *step);
      tile = std::min<int64_t>(blockSize, llvm::alignTo(std::max<int64_t>(trips, 1), 32));
    }
    auto [outer, inner] =
        scf::tileParallelLoop(loop, {tile}, /*noMinMaxBounds=*/true);
    AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
    auto dim = [&](gpu::Processor p) {
      return gpu::ParallelLoopDimMappingAttr::get(ctx, p, id, id);
    };
    (void)gpu::setMappingAttr(outer, {dim(gpu::Processor::BlockX)});
    (void)gpu::setMappingAttr(inner, {dim(gpu::Processor::ThreadX)});
    inner.getBody()->walk([&](scf::ParallelOp nested) {
      SmallVector<gpu::ParallelLoopDimMappingAttr> seq(
          nested.getNumLoops(), dim(gpu::Processor::Sequential));
      (void)gpu::setMappingAttr(nested, seq);
    });
  }
};

} // namespace
