//===- PlanBuffers.cpp - One arena for every intermediate buffer ----------===//
//
// The MLIR side of buffer planning: find the allocations and their live
// intervals, call the planner (qopt/Analysis/BufferPlanner.h), and rewrite
// allocations into views of one arena argument.
//
//===----------------------------------------------------------------------===//
#include "qopt/Analysis/BufferPlanner.h"
#include "qopt/Dialect/QOpt/IR/NodeLocation.h"
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_PLANBUFFERS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;
using namespace mlir::qopt;

namespace {

struct Candidate {
  memref::AllocOp alloc;
  PlannedBuffer buffer;
  std::string label;
  SmallVector<Operation *> deallocs;
};

/// A plannable allocation: static shape, identity layout, in the entry block.
bool isPlannable(memref::AllocOp alloc, Block &entry) {
  MemRefType ty = alloc.getType();
  return alloc->getBlock() == &entry && ty.hasStaticShape() &&
         ty.getLayout().isIdentity() && alloc.getDynamicSizes().empty() &&
         alloc.getSymbolOperands().empty() &&
         ty.getElementType().isIntOrIndexOrFloat() &&
         (ty.getMemorySpace() == nullptr);
}

/// Human-readable name of the op that first uses a buffer: its ONNX node
/// name when the importer's location survived, else the op name.
std::string labelOf(Operation *op) {
  if (auto origin = getNodeOrigin(op->getLoc()))
    if (!origin->nodeName.empty())
      return origin->nodeName.str();
  return op->getName().getStringRef().str();
}

/// Computes the live interval [start, end] of `c.alloc` over the positions
/// of the entry block's ops, following every alias. Returns false when the
/// buffer escapes in a way the plan cannot bound.
bool computeInterval(Candidate &c, Block &entry,
                     const DenseMap<Operation *, int64_t> &position,
                     int64_t lastPoint) {
  int64_t start = INT64_MAX, end = position.lookup(c.alloc);
  Operation *first = nullptr;
  SmallVector<Value> worklist = {c.alloc.getResult()};
  DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (llvm::isa<memref::DeallocOp>(user)) {
        c.deallocs.push_back(user);
        continue;
      }
      Operation *top = entry.findAncestorOpInBlock(*user);
      if (!top)
        return false;
      int64_t pos = position.lookup(top);
      if (llvm::isa<func::ReturnOp, func::CallOp>(user))
        pos = lastPoint; // escapes: keep it to the end
      if (pos < start) {
        start = pos;
        first = top;
      }
      end = std::max(end, pos);
      // Every memref produced from it may alias it (views, casts, ...).
      for (Value r : user->getResults())
        if (llvm::isa<BaseMemRefType>(r.getType()))
          worklist.push_back(r);
    }
  }
  if (!first) { // never used: give it the alloc's own point
    start = end = position.lookup(c.alloc);
    first = c.alloc;
  }
  c.buffer.start = start;
  c.buffer.end = end;
  c.label = labelOf(first);
  return true;
}

uint64_t byteSize(MemRefType ty) {
  uint64_t bits = ty.getElementTypeBitWidth();
  uint64_t bytes = (bits + 7) / 8; // i1 is stored in a byte
  return bytes * ty.getNumElements();
}

struct PlanBuffersPass : qopt::impl::PlanBuffersBase<PlanBuffersPass> {
  using PlanBuffersBase::PlanBuffersBase;

  void runOnOperation() override {
    if (alignment == 0 || (alignment & (alignment - 1))) {
      getOperation().emitError("alignment must be a power of two");
      return signalPassFailure();
    }
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || func.isPrivate())
        continue;
      planFunction(func);
    }
  }

  void planFunction(func::FuncOp func) {
    Block &entry = func.getBody().front();
    DenseMap<Operation *, int64_t> position;
    int64_t index = 0;
    for (Operation &op : entry)
      position[&op] = index++;
    int64_t lastPoint = index - 1;

    std::vector<Candidate> candidates;
    for (auto alloc : entry.getOps<memref::AllocOp>()) {
      if (!isPlannable(alloc, entry))
        continue;
      Candidate c;
      c.alloc = alloc;
      c.buffer.size = byteSize(alloc.getType());
      if (computeInterval(c, entry, position, lastPoint))
        candidates.push_back(std::move(c));
    }

    std::vector<PlannedBuffer> buffers;
    for (auto &c : candidates)
      buffers.push_back(c.buffer);
    ArenaPlan plan = planArena(buffers, alignment);

    // The arena is the last argument, so the inputs and outputs keep their
    // positions in the signature.
    MLIRContext *ctx = func.getContext();
    auto arenaTy = MemRefType::get({(int64_t)plan.arenaBytes},
                                   IntegerType::get(ctx, 8));
    unsigned argIndex = func.getNumArguments();
    if (failed(func.insertArgument(argIndex, arenaTy,
                                   DictionaryAttr::get(ctx, {NamedAttribute(
                                       StringAttr::get(ctx, "qopt.arena"),
                                       UnitAttr::get(ctx))}),
                                   func.getLoc()))) {
      func.emitError("cannot add the arena argument");
      return signalPassFailure();
    }
    Value arena = func.getArgument(argIndex);

    OpBuilder b(ctx);
    SmallVector<int64_t> table;
    SmallVector<Attribute> labels;
    for (auto [c, placed] : llvm::zip(candidates, plan.buffers)) {
      b.setInsertionPoint(c.alloc);
      Value offset = arith::ConstantIndexOp::create(b, c.alloc.getLoc(),
                                                    (int64_t)placed.offset);
      Value view = memref::ViewOp::create(b, c.alloc.getLoc(), c.alloc.getType(),
                                          arena, offset, ValueRange{});
      c.alloc.replaceAllUsesWith(view);
      for (Operation *d : c.deallocs)
        d->erase();
      c.alloc.erase();
      table.append({placed.start, placed.end, (int64_t)placed.offset,
                    (int64_t)placed.size});
      labels.push_back(b.getStringAttr(c.label));
    }
    func->setAttr("qopt.arena_bytes", b.getI64IntegerAttr(plan.arenaBytes));
    func->setAttr("qopt.arena_lower_bound_bytes",
                  b.getI64IntegerAttr(plan.lowerBoundBytes));
    func->setAttr("qopt.arena_strategy",
                  b.getStringAttr(strategyName(plan.strategy)));
    func->setAttr("qopt.buffer_plan", b.getDenseI64ArrayAttr(table));
    func->setAttr("qopt.buffer_labels", b.getArrayAttr(labels));
  }
};

} // namespace
