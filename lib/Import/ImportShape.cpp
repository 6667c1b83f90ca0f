//===- ImportShape.cpp - ONNX layout and constant ops ---------------------===//
#include "ImporterCore.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::qopt;
using namespace mlir::qopt::onnx_import;

/// Resolves ONNX Reshape's target (0 copies the input dim unless allowzero,
/// -1 is inferred) against `in`.
static FailureOr<std::vector<int64_t>>
resolveReshape(NodeContext &n, llvm::ArrayRef<int64_t> in,
               std::vector<int64_t> target, bool allowZero) {
  int64_t total = 1, known = 1, inferAt = -1;
  // A hostile shape must be refused, not wrap: counts are multiplied with
  // overflow checks.
  for (int64_t d : in)
    if (llvm::MulOverflow(total, d, total))
      return n.fail("the input's element count overflows");
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allowZero) {
      if (i >= in.size())
        return n.fail("shape entry 0 at position " + std::to_string(i) +
                      " has no input dimension to copy");
      target[i] = in[i];
    }
    if (target[i] == -1) {
      if (inferAt >= 0)
        return n.fail("shape has more than one -1");
      inferAt = i;
      continue;
    }
    if (target[i] < 0)
      return n.fail("shape entry " + std::to_string(target[i]) + " is invalid");
    if (llvm::MulOverflow(known, target[i], known))
      return n.fail("the shape's element count overflows");
  }
  if (inferAt >= 0) {
    if (known == 0 || total % known)
      return n.fail("cannot infer the -1 dimension");
    target[inferAt] = total / known;
    known *= target[inferAt];
  }
  if (known != total)
    return n.fail("reshape changes the element count (" +
                  std::to_string(total) + " -> " + std::to_string(known) + ")");
  return target;
}

static LogicalResult importReshape(NodeContext &n) {
  auto xt = n.inputType(0);
  std::vector<int64_t> target;
  if (n.opset < 5) {
    target = n.attrInts("shape");
  } else if (const HostTensor *s = n.constantInput(1)) {
    for (int64_t k = 0; k < s->numElements(); ++k)
      target.push_back(s->asInt(k));
  } else {
    // A shape computed at run time must agree with the declared one.
    auto declared = n.shapeForRuntime("the shape input");
    if (failed(declared))
      return failure();
    target = *declared;
  }
  auto shape = resolveReshape(n, xt.getShape(), target,
                              n.attrInt("allowzero", 0) != 0);
  if (failed(shape))
    return failure();
  Value r = reshapeTo(n.builder(), n.loc, n.input(0), *shape);
  // Reshapes of constants stay known at compile time (shape computations).
  if (const HostTensor *c = n.constantInput(0)) {
    HostTensor t = *c;
    t.shape = *shape;
    return n.setConstantOutput(0, std::move(t));
  }
  return n.setOutputs(r, {n.inputOnnxType(0)});
}

static LogicalResult importTranspose(NodeContext &n) {
  auto xt = n.inputType(0);
  int64_t rank = xt.getRank();
  std::vector<int64_t> perm = n.attrInts("perm");
  if (perm.empty())
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  if ((int64_t)perm.size() != rank)
    return n.fail("perm has " + std::to_string(perm.size()) +
                  " entries for rank " + std::to_string(rank));
  std::vector<bool> seen(rank, false);
  SmallVector<int32_t> p;
  for (int64_t v : perm) {
    if (v < 0 || v >= rank || seen[v])
      return n.fail("perm is not a permutation");
    seen[v] = true;
    p.push_back(v);
  }
  return n.setOutputs(transposeBy(n.builder(), n.loc, n.input(0), p),
                      {n.inputOnnxType(0)});
}

static LogicalResult importFlatten(NodeContext &n) {
  auto xt = n.inputType(0);
  int64_t rank = xt.getRank();
  int64_t axis = n.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return n.fail("axis out of range");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= xt.getDimSize(d);
  return n.setOutputs(reshapeTo(n.builder(), n.loc, n.input(0), {outer, inner}),
                      {n.inputOnnxType(0)});
}

static LogicalResult importConcat(NodeContext &n) {
  SmallVector<Value> ins;
  for (size_t i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      ins.push_back(n.input(i));
  if (ins.empty())
    return n.fail("expects at least one input");
  auto t0 = llvm::cast<RankedTensorType>(ins[0].getType());
  auto axis = normalizeAxis(n.attrInt("axis", n.opset < 4 ? 1 : 0), t0.getRank());
  if (!axis)
    return n.fail("axis out of range");
  SmallVector<int64_t> shape(t0.getShape());
  shape[*axis] = 0;
  for (Value v : ins) {
    auto t = llvm::cast<RankedTensorType>(v.getType());
    if (t.getRank() != t0.getRank() || t.getElementType() != t0.getElementType())
      return n.fail("inputs differ in rank or element type");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != *axis && t.getDimSize(d) != t0.getDimSize(d))
        return n.fail("inputs differ outside the concatenation axis");
    shape[*axis] += t.getDimSize(*axis);
  }
  if (ins.size() == 1)
    return n.setOutputs(ins[0], {n.inputOnnxType(0)});
  // Concatenations of small constants (shape computations) fold.
  int64_t total = 1;
  for (int64_t d : shape)
    total *= d;
  std::vector<const HostTensor *> hosts;
  for (size_t i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      hosts.push_back(n.constantInput(i));
  if (total <= kHostFoldLimit &&
      llvm::all_of(hosts, [](const HostTensor *h) { return h != nullptr; })) {
    HostTensor r;
    r.onnxType = hosts[0]->onnxType;
    r.shape.assign(shape.begin(), shape.end());
    int64_t outer = 1;
    for (int64_t d = 0; d < *axis; ++d)
      outer *= shape[d];
    for (int64_t o = 0; o < outer; ++o)
      for (const HostTensor *h : hosts) {
        int64_t chunk = h->numElements() / std::max<int64_t>(outer, 1);
        for (int64_t k = o * chunk; k < (o + 1) * chunk; ++k) {
          if (r.isFloat())
            r.f.push_back(h->asDouble(k));
          else
            r.i.push_back(h->asInt(k));
        }
      }
    return n.setConstantOutput(0, std::move(r));
  }
  Value r = tosa::ConcatOp::create(n.builder(), n.loc, t0.clone(shape), ins,
                                   n.builder().getI32IntegerAttr(*axis));
  return n.setOutputs(r, {n.inputOnnxType(0)});
}

static LogicalResult importConstant(NodeContext &n) {
  if (n.node.attribute_size() != 1)
    return n.fail("expects exactly one value attribute");
  const onnx::AttributeProto &a = n.node.attribute(0);
  HostTensor t;
  if (a.name() == "value") {
    std::vector<char> bytes;
    if (auto err = readTensorBytes(a.t(), n.g.modelDir, bytes))
      return n.fail("value: " + *err);
    if (!getElementType(n.g.ctx, a.t().data_type()))
      return n.fail(std::string("unsupported element type ") +
                    onnxTypeName(a.t().data_type()));
    std::vector<int64_t> shape(a.t().dims().begin(), a.t().dims().end());
    // Large constants go straight to a resource; small ones stay foldable.
    if (bytes.size() > 4096) {
      n.g.values[n.node.output(0)] =
          n.g.materializeBytes(a.t().data_type(), shape, bytes);
      n.g.onnxTypes[n.node.output(0)] = a.t().data_type();
      return success();
    }
    t = decodeHostTensor(a.t().data_type(), std::move(shape), bytes);
  } else if (a.name() == "value_float" || a.name() == "value_floats") {
    t.onnxType = onnx::TensorProto::FLOAT;
    if (a.name() == "value_float") {
      t.f = {a.f()};
    } else {
      t.f.assign(a.floats().begin(), a.floats().end());
      t.shape = {(int64_t)t.f.size()};
    }
  } else if (a.name() == "value_int" || a.name() == "value_ints") {
    t.onnxType = onnx::TensorProto::INT64;
    if (a.name() == "value_int") {
      t.i = {a.i()};
    } else {
      t.i.assign(a.ints().begin(), a.ints().end());
      t.shape = {(int64_t)t.i.size()};
    }
  } else {
    return n.fail("attribute '" + a.name() + "' is not supported");
  }
  return n.setConstantOutput(0, std::move(t));
}

void onnx_import::registerShapeOps(OpRegistry &r) {
  r.onOp("Reshape", 1, importReshape);
  r.onOp("Transpose", 1, importTranspose);
  r.onOp("Flatten", 1, importFlatten);
  r.onOp("Concat", 1, importConcat);
  r.onOp("Constant", 1, importConstant);
}
