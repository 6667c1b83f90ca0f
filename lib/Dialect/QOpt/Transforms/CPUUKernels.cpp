//===- CPUUKernels.cpp - Contractions as calls of the runtime's GEMM ------===//
//
// Describes each multiply-accumulate linalg op on buffers as a GEMM over
// strided operands (outer x M x N x K loops) and calls qopt_uk_contract.
// The descriptor layout is the contract in qopt/Runtime/qopt_ukernel.h.
//
//===----------------------------------------------------------------------===//
#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "RewriteUtils.h"
#include "qopt/Runtime/qopt_ukernel.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::qopt {
#define GEN_PASS_DEF_CPUUKERNELS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace mlir::qopt

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kKernelName = "qopt_uk_contract";

/// An index expression sum_d coeff[d] * d + constant.
struct LinearExpr {
  SmallVector<int64_t> coeff;
  int64_t constant = 0;
};

std::optional<LinearExpr> linearize(AffineExpr e, unsigned numDims) {
  LinearExpr r;
  r.coeff.assign(numDims, 0);
  if (auto d = dyn_cast<AffineDimExpr>(e)) {
    r.coeff[d.getPosition()] = 1;
    return r;
  }
  if (auto c = dyn_cast<AffineConstantExpr>(e)) {
    r.constant = c.getValue();
    return r;
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  auto lhs = linearize(bin.getLHS(), numDims);
  auto rhs = linearize(bin.getRHS(), numDims);
  if (!lhs || !rhs)
    return std::nullopt;
  if (e.getKind() == AffineExprKind::Add) {
    for (unsigned i = 0; i < numDims; ++i)
      lhs->coeff[i] += rhs->coeff[i];
    lhs->constant += rhs->constant;
    return lhs;
  }
  if (e.getKind() == AffineExprKind::Mul) {
    auto isConstant = [](const LinearExpr &x) {
      return llvm::all_of(x.coeff, [](int64_t c) { return c == 0; });
    };
    if (!isConstant(*lhs) && !isConstant(*rhs))
      return std::nullopt;
    LinearExpr v = isConstant(*rhs) ? *lhs : *rhs;
    int64_t factor = isConstant(*rhs) ? rhs->constant : lhs->constant;
    for (int64_t &c : v.coeff)
      c *= factor;
    v.constant *= factor;
    return v;
  }
  return std::nullopt;
}


std::optional<qopt_uk_kind> kernelKind(Type a, Type b, Type c) {
  if (a.isF32() && b.isSignlessInteger(8) && c.isF32())
    return QOPT_UK_F32_S8; // int8 weights read by an f32 product
  if (a != b)
    return std::nullopt;
  if (a.isSignlessInteger(8) && c.isSignlessInteger(32))
    return QOPT_UK_S8;
  if (!c.isF32())
    return std::nullopt;
  if (a.isF32())
    return QOPT_UK_F32;
  if (a.isBF16())
    return QOPT_UK_BF16;
  if (a.isF16())
    return QOPT_UK_F16;
  return std::nullopt;
}

/// One loop of the op as the kernel sees it.
struct Loop {
  int64_t size;
  int64_t stride[3]; // A, B, C element strides
  bool in[3];        // whether the loop indexes A, B, C
  bool reduction;
};

/// The kernel's view of an op: operand pointers' constant element offsets
/// and the descriptor.
struct Description {
  int64_t offset[3] = {0, 0, 0};
  SmallVector<int64_t> desc;
  bool swapped = false; // A and B exchanged so that N is contiguous in C
  int64_t macs = 1, n = 1;
};

std::optional<Description> describe(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !mlir::qopt::isMultiplyAccumulate(op))
    return std::nullopt;
  Value operands[3] = {op.getDpsInputOperand(0)->get(),
                       op.getDpsInputOperand(1)->get(),
                       op.getDpsInitOperand(0)->get()};
  MemRefType types[3];
  SmallVector<int64_t> strides[3];
  for (int i = 0; i < 3; ++i) {
    types[i] = dyn_cast<MemRefType>(operands[i].getType());
    int64_t offset;
    if (!types[i] || failed(types[i].getStridesAndOffset(strides[i], offset)) ||
        llvm::any_of(strides[i], ShapedType::isDynamic))
      return std::nullopt;
  }
  auto kind = kernelKind(types[0].getElementType(), types[1].getElementType(),
                         types[2].getElementType());
  if (!kind)
    return std::nullopt;

  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  unsigned numLoops = ranges.size();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();

  Description d;
  SmallVector<Loop> loops(numLoops);
  for (unsigned l = 0; l < numLoops; ++l)
    loops[l] = {ranges[l], {0, 0, 0}, {false, false, false},
                iterators[l] == utils::IteratorType::reduction};
  for (int i = 0; i < 3; ++i) {
    for (auto [r, expr] : llvm::enumerate(maps[i].getResults())) {
      auto lin = linearize(expr, numLoops);
      if (!lin)
        return std::nullopt;
      d.offset[i] += lin->constant * strides[i][r];
      for (unsigned l = 0; l < numLoops; ++l)
        if (lin->coeff[l]) {
          loops[l].stride[i] += lin->coeff[l] * strides[i][r];
          loops[l].in[i] = true;
        }
    }
  }

  // Classify: a parallel loop indexes C; with A and B it is an outer
  // (batch) loop, with A alone an M loop, with B alone an N loop.
  SmallVector<Loop> outer, m, n, k;
  for (const Loop &l : loops) {
    d.macs *= l.size;
    if (l.size == 1)
      continue;
    if (l.reduction) {
      if (l.in[2])
        return std::nullopt;
      k.push_back(l);
    } else if (!l.in[2]) {
      return std::nullopt;
    } else if (l.in[0] == l.in[1]) {
      outer.push_back(l);
    } else {
      (l.in[0] ? m : n).push_back(l);
    }
  }
  // N is the vectorised dimension: it should be contiguous in C. If only an
  // M loop is, exchange the roles of A and B.
  auto contiguousInC = [](const Loop &l) { return l.stride[2] == 1; };
  if (llvm::none_of(n, contiguousInC) && llvm::any_of(m, contiguousInC)) {
    std::swap(m, n);
    for (SmallVector<Loop> *group : {&outer, &m, &n, &k})
      for (Loop &l : *group)
        std::swap(l.stride[0], l.stride[1]);
    std::swap(d.offset[0], d.offset[1]);
    d.swapped = true;
  }
  std::optional<Loop> nLoop;
  if (!n.empty()) {
    auto *best = llvm::find_if(n, contiguousInC);
    if (best == n.end())
      best = llvm::max_element(
          n, [](const Loop &x, const Loop &y) { return x.size < y.size; });
    nLoop = *best;
    n.erase(best);
    outer.append(n.begin(), n.end()); // further N loops iterate outside
  }
  if (outer.size() > QOPT_UK_MAX_DIMS || m.size() > QOPT_UK_MAX_DIMS ||
      k.size() > QOPT_UK_MAX_DIMS)
    return std::nullopt;
  d.n = nLoop ? nLoop->size : 1;

  d.desc = {QOPT_UK_ABI,
            *kind,
            static_cast<int64_t>(outer.size()),
            static_cast<int64_t>(m.size()),
            static_cast<int64_t>(k.size()),
            d.n,
            nLoop ? nLoop->stride[1] : 0,
            nLoop ? nLoop->stride[2] : 0};
  for (const Loop &l : outer)
    d.desc.append({l.size, l.stride[0], l.stride[1], l.stride[2]});
  for (const Loop &l : m)
    d.desc.append({l.size, l.stride[0], l.stride[2]});
  for (const Loop &l : k)
    d.desc.append({l.size, l.stride[0], l.stride[1]});
  return d;
}

/// The address of operand element `offset` as an index.
Value elementAddress(OpBuilder &b, Location loc, Value memref,
                     int64_t offset) {
  auto type = cast<MemRefType>(memref.getType());
  int64_t bytes = type.getElementTypeBitWidth() / 8;
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value elems = arith::AddIOp::create(
      b, loc, meta.getOffset(),
      arith::ConstantIndexOp::create(b, loc, offset));
  Value byteOffset = arith::MulIOp::create(
      b, loc, elems, arith::ConstantIndexOp::create(b, loc, bytes));
  return arith::AddIOp::create(b, loc, base, byteOffset);
}

struct CPUUKernelsPass
    : mlir::qopt::impl::CPUUKernelsBase<CPUUKernelsPass> {
  using CPUUKernelsBase::CPUUKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<linalg::LinalgOp> ops;
    module.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (linalg::LinalgOp op : ops) {
      if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
          generic && generic.getLibraryCallName() == mlir::qopt::kNBitsKernelName) {
        lowerNBits(generic, symbols);
        continue;
      }
      auto d = describe(op);
      if (!d || d->n < minN || d->macs < minMacs)
        continue;
      lower(op, *d, symbols);
    }
  }

  /// A pointer (as an index) to a private constant i64 array holding `desc`.
  Value descriptor(OpBuilder &b, Location loc, ArrayRef<int64_t> desc,
                   SymbolTable &symbols) {
    ModuleOp module = getOperation();
    OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
    auto i64 = mb.getI64Type();
    auto descType = MemRefType::get({static_cast<int64_t>(desc.size())}, i64);
    auto global = memref::GlobalOp::create(
        mb, loc, mlir::qopt::kKernelDescriptorPrefix, mb.getStringAttr("private"),
        descType,
        DenseElementsAttr::get(RankedTensorType::get(descType.getShape(), i64),
                               desc),
        /*constant=*/true, /*alignment=*/mb.getI64IntegerAttr(8));
    symbols.insert(global); // renames to a unique symbol
    Value ref = memref::GetGlobalOp::create(b, loc, descType, global.getSymName());
    return memref::ExtractAlignedPointerAsIndexOp::create(b, loc, ref);
  }

  /// Declares `name(index x numArgs)` once.
  void declareKernel(StringRef name, unsigned numArgs, Location loc,
                     SymbolTable &symbols) {
    if (symbols.lookup(name))
      return;
    OpBuilder mb = OpBuilder::atBlockBegin(getOperation().getBody());
    SmallVector<Type> args(numArgs, mb.getIndexType());
    auto decl = func::FuncOp::create(mb, loc, name, mb.getFunctionType(args, {}));
    decl.setPrivate();
    symbols.insert(decl);
  }

  /// A qopt-lower-matmul-nbits generic on buffers: x [M, K] or [K], codes
  /// [N, blocks, group/2], scales [N, blocks], zeros?, y [M, N] or [N], as
  /// one call of qopt_uk_matmul_nbits. Left to its loops (the body is the
  /// reference) when a layout is not the kernel's.
  void lowerNBits(linalg::GenericOp op, SymbolTable &symbols) {
    if (!op.hasPureBufferSemantics())
      return;
    auto formatAttr = op->getAttrOfType<StringAttr>(mlir::qopt::kNBitsFormatAttr);
    if (!formatAttr)
      return;
    int64_t format = llvm::StringSwitch<int64_t>(formatAttr.getValue())
                         .Case("symmetric", QOPT_NBITS_SYMMETRIC)
                         .Case("asymmetric", QOPT_NBITS_ASYMMETRIC)
                         .Case("nf4", QOPT_NBITS_NF4)
                         .Default(-1);
    if (format < 0)
      return;
    SmallVector<Value> operands(op->getOperands());
    // Row strides of x and y; the last dim must be contiguous, the weight
    // operands wholly contiguous.
    auto rowStride = [](Value v, int64_t &rows, int64_t &stride) {
      auto t = cast<MemRefType>(v.getType());
      SmallVector<int64_t> strides;
      int64_t offset;
      if (failed(t.getStridesAndOffset(strides, offset)) ||
          llvm::any_of(strides, ShapedType::isDynamic) || strides.back() != 1)
        return false;
      rows = t.getRank() == 2 ? t.getDimSize(0) : 1;
      stride = t.getRank() == 2 ? strides[0] : t.getDimSize(0);
      return true;
    };
    int64_t m, lda, mc, ldc;
    Value x = operands.front(), y = operands.back();
    if (!rowStride(x, m, lda) || !rowStride(y, mc, ldc) || m != mc)
      return;
    for (Value w : ArrayRef<Value>(operands).slice(1, operands.size() - 2))
      if (!cast<MemRefType>(w.getType()).getLayout().isIdentity())
        return;
    auto xType = cast<MemRefType>(x.getType());
    auto codes = cast<MemRefType>(operands[1].getType());
    int64_t k = xType.getDimSize(xType.getRank() - 1);
    int64_t n = codes.getDimSize(0), group = 2 * codes.getDimSize(2);

    Location loc = op.getLoc();
    declareKernel(mlir::qopt::kNBitsKernelName, 6, loc, symbols);
    OpBuilder b(op);
    auto activations =
        op->getAttrOfType<StringAttr>(mlir::qopt::kNBitsActivationsAttr);
    int64_t int8 = activations && activations.getValue() == "int8"
                       ? QOPT_NBITS_INT8_ACTIVATIONS
                       : QOPT_NBITS_F32_ACTIVATIONS;
    int64_t desc[] = {QOPT_UK_ABI, format, m, k, n, group, lda, ldc, int8};
    SmallVector<Value> args = {descriptor(b, loc, desc, symbols),
                               elementAddress(b, loc, x, 0),
                               elementAddress(b, loc, operands[1], 0),
                               elementAddress(b, loc, operands[2], 0)};
    args.push_back(operands.size() == 5
                       ? elementAddress(b, loc, operands[3], 0)
                       : arith::ConstantIndexOp::create(b, loc, 0).getResult());
    args.push_back(elementAddress(b, loc, y, 0));
    func::CallOp::create(b, loc, mlir::qopt::kNBitsKernelName, TypeRange{}, args);
    op->erase();
  }

  void lower(linalg::LinalgOp op, const Description &d, SymbolTable &symbols) {
    Location loc = op.getLoc();
    declareKernel(kKernelName, 4, loc, symbols);
    OpBuilder b(op);
    Value descPtr = descriptor(b, loc, d.desc, symbols);
    Value a = op.getDpsInputOperand(d.swapped ? 1 : 0)->get();
    Value bv = op.getDpsInputOperand(d.swapped ? 0 : 1)->get();
    Value c = op.getDpsInitOperand(0)->get();
    Value args[] = {descPtr, elementAddress(b, loc, a, d.offset[0]),
                    elementAddress(b, loc, bv, d.offset[1]),
                    elementAddress(b, loc, c, d.offset[2])};
    func::CallOp::create(b, loc, kKernelName, TypeRange{}, args);
    op->erase();
  }
};

} // namespace

bool mlir::qopt::isMultiplyAccumulate(linalg::LinalgOp op) {
  Block *body = op.getBlock();
  if (!body || body->getNumArguments() != 3 ||
      body->getOperations().size() > 5)
    return false;
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (!yield || yield.getNumOperands() != 1)
    return false;
  Operation *add = yield.getOperand(0).getDefiningOp();
  if (!add || !isa<arith::AddFOp, arith::AddIOp>(add))
    return false;
  Value acc = body->getArgument(2), product;
  if (add->getOperand(0) == acc)
    product = add->getOperand(1);
  else if (add->getOperand(1) == acc)
    product = add->getOperand(0);
  else
    return false;
  Operation *mul = product.getDefiningOp();
  if (!mul || !isa<arith::MulFOp, arith::MulIOp>(mul) ||
      isa<arith::AddFOp>(add) != isa<arith::MulFOp>(mul))
    return false;
  auto stripExt = [](Value v) {
    if (auto ext = v.getDefiningOp<arith::ExtFOp>())
      return ext.getIn();
    if (auto ext = v.getDefiningOp<arith::ExtSIOp>())
      return ext.getIn();
    if (auto ext = v.getDefiningOp<arith::SIToFPOp>())
      return ext.getIn();
    return v;
  };
  Value x = stripExt(mul->getOperand(0)), y = stripExt(mul->getOperand(1));
  Value a = body->getArgument(0), b = body->getArgument(1);
  return (x == a && y == b) || (x == b && y == a);
}
