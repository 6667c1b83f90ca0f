#!/usr/bin/env python3
"""Writes the small ONNX models that test/Import/nbits.test reads.

    python test/Import/make_nbits_models.py [OUT_DIR]
        (default: Inputs/nbits/ here)

4-bit weights in the two forms qopt imports into qopt.matmul_nbits:
onnxruntime's com.microsoft.MatMulNBits (B [N, blocks, block_size/2] uint8,
scales [N, blocks], packed uint8 zero points [N, ceil(blocks/2)]) and
DequantizeLinear (opset 21) of an INT4/UINT4 initializer [K, N] in blocks
along K read by MatMul; plus DequantizeLinear of 4-bit constants read
otherwise (dequantized at import), and the err_* models the importer
refuses. Weights are small patterns (the packed bytes appear in nbits.test)
or fixed-seed random values. Valid models pass onnx.checker at IR version
10 (which 4-bit initializers need) and run under onnxruntime. Rerunning the
script reproduces the files byte for byte.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as TP, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_test_models import (  # noqa: E402
    build_model, const, main, registry, rng as _rng, vi as _vi)

MODELS, model = registry()  # name -> function returning a ModelProto
MS = [helper.make_opsetid("com.microsoft", 1)]


def _model(name, nodes, inputs, outputs, inits=(), opset=21, check=True):
    m = build_model(name, nodes, inputs, outputs, inits, opset, check=False,
                    extra_opsets=MS if any(n.domain == "com.microsoft" for n in nodes) else ())
    m.ir_version = 10
    if check:
        m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        onnx.checker.check_model(m, full_check=True)
    return m


def _4bit(name, values, data_type):
    """An INT4/UINT4 initializer from unpacked integer values (packed two a
    byte by onnx.helper, element 0 in the low nibble)."""
    values = np.asarray(values)
    return helper.make_tensor(name, data_type, values.shape, values.flatten().tolist())


def _pack(codes):
    """[..., 2m] codes 0..15 -> [..., m] uint8, element 2i low."""
    codes = np.asarray(codes, dtype=np.uint8)
    return (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)


def _nbits(name, k, n, block, a_shape, zero_points=None, bias=None, attrs=None,
           a_type=TP.FLOAT, b_input=False, scales_input=False, zp_input=False,
           zp_type=TP.UINT8, g_idx=False, flat_scales=False, check=True):
    """One MatMulNBits y = A x dequant(B) with codes (k + 3n) % 16 and scales
    0.01 * (1 + n + block index)."""
    blocks = -(-k // block)
    codes = np.array([[(kk + 3 * nn) % 16 if kk < k else 0
                       for kk in range(blocks * block)] for nn in range(n)])
    b = _pack(codes).reshape(n, blocks, block // 2)
    s = np.array([[0.01 * (1 + nn + j) for j in range(blocks)] for nn in range(n)],
                 dtype=np.float32)
    if flat_scales:
        s = s.reshape(-1)
    inputs, inits = [_vi("a", a_type, a_shape)], []
    names = ["a", "b", "scales"]
    (inputs.append(_vi("b", TP.UINT8, list(b.shape))) if b_input
     else inits.append(const("b", b, np.uint8)))
    s_type, s_dtype = (TP.FLOAT16, np.float16) if a_type == TP.FLOAT16 else (TP.FLOAT, np.float32)
    (inputs.append(_vi("scales", s_type, list(s.shape))) if scales_input
     else inits.append(const("scales", s, s_dtype)))
    if zero_points is not None:
        names.append("zp")
        if zp_type == TP.UINT8:
            zp = _pack(np.pad(zero_points, [(0, 0), (0, blocks % 2)]))
            dtype = np.uint8
        else:
            zp, dtype = np.asarray(zero_points, dtype=np.float32), np.float32
        (inputs.append(_vi("zp", zp_type, list(zp.shape))) if zp_input
         else inits.append(const("zp", zp, dtype)))
    if g_idx:
        names += [""] * (4 - len(names)) + ["g_idx"]
        inits.append(const("g_idx", [i // block for i in range(k)], np.int32))
    if bias is not None:
        names += [""] * (5 - len(names)) + ["bias"]
        inits.append(const("bias", bias, np.float32))
    attrs = {"K": k, "N": n, "bits": 4, "block_size": block, **(attrs or {})}
    node = helper.make_node("MatMulNBits", names, ["y"], name="mm",
                            domain="com.microsoft", **attrs)
    out_type = TP.FLOAT16 if a_type == TP.FLOAT16 else TP.FLOAT
    return _model(name, [node], inputs, [_vi("y", out_type, a_shape[:-1] + [n])],
                  inits, opset=17, check=False)


# --- com.microsoft.MatMulNBits ---------------------------------------------

@model
def matmulnbits_sym():
    return _nbits("matmulnbits_sym", 32, 2, 16, [3, 32])


@model
def matmulnbits_asym_bias():
    # K = 48 in blocks of 32: the second block is padded. 3-D A.
    zp = np.array([[3, 12], [8, 0]])
    return _nbits("matmulnbits_asym_bias", 48, 2, 32, [1, 4, 48], zero_points=zp,
                  bias=[0.5, -0.25], attrs={"accuracy_level": 4})


@model
def matmulnbits_flat_scales():
    # Scales flattened to [N * blocks], as older onnxruntime wrote them.
    return _nbits("matmulnbits_flat_scales", 64, 4, 16, [2, 64], flat_scales=True)


@model
def err_matmulnbits_bits8():
    return _nbits("err_matmulnbits_bits8", 32, 2, 16, [3, 32], attrs={"bits": 8})


@model
def err_matmulnbits_float_zp():
    return _nbits("err_matmulnbits_float_zp", 32, 2, 16, [3, 32],
                  zero_points=np.full((2, 2), 8.0), zp_type=TP.FLOAT)


@model
def err_matmulnbits_g_idx():
    return _nbits("err_matmulnbits_g_idx", 32, 2, 16, [3, 32], g_idx=True)


@model
def err_matmulnbits_f16():
    return _nbits("err_matmulnbits_f16", 32, 2, 16, [3, 32], a_type=TP.FLOAT16)


@model
def err_matmulnbits_b_input():
    return _nbits("err_matmulnbits_b_input", 32, 2, 16, [3, 32], b_input=True)


@model
def err_matmulnbits_scales_input():
    return _nbits("err_matmulnbits_scales_input", 32, 2, 16, [3, 32],
                  scales_input=True)


@model
def err_matmulnbits_zp_input():
    return _nbits("err_matmulnbits_zp_input", 32, 2, 16, [3, 32],
                  zero_points=np.full((2, 2), 8), zp_input=True)


# --- DequantizeLinear of 4-bit initializers --------------------------------

def _dq_matmul(name, x, scale, zp=None, block=16, a_shape=None, readers=1):
    """y_i = a @ DequantizeLinear(x, scale, zp) for `readers` MatMuls."""
    k, n = x.shape
    data_type = TP.INT4 if np.min(x) < 0 or zp is None else TP.UINT4
    inits = [_4bit("w_q", x, data_type), const("w_scale", scale, np.float32)]
    ins = ["w_q", "w_scale"]
    if zp is not None:
        inits.append(_4bit("w_zp", zp, data_type))
        ins.append("w_zp")
    nodes = [helper.make_node("DequantizeLinear", ins, ["w"], name="dq", axis=0,
                              block_size=block)]
    a_shape = a_shape or [3, k]
    outs = []
    for r in range(readers):
        nodes.append(helper.make_node("MatMul", ["a", "w"], [f"y{r}"], name=f"mm{r}"))
        outs.append(_vi(f"y{r}", TP.FLOAT, a_shape[:-1] + [n]))
    return _model(name, nodes, [_vi("a", TP.FLOAT, a_shape)], outs, inits)


def _pattern(k, n):
    """The codes of _nbits as int4 values: (k + 3n) % 16 - 8, [K, N]."""
    return np.array([[(kk + 3 * nn) % 16 - 8 for nn in range(n)] for kk in range(k)])


@model
def dq_int4_matmul():
    # The same weight as matmulnbits_sym, as a QDQ model writes it.
    scale = np.array([[0.01 * (1 + nn + j) for nn in range(2)] for j in range(2)])
    return _dq_matmul("dq_int4_matmul", _pattern(32, 2), scale)


@model
def dq_int4_zp_matmul():
    # Non-zero int4 zero points: asymmetric, zero points + 8.
    scale = np.full((2, 2), 0.05)
    return _dq_matmul("dq_int4_zp_matmul", _pattern(32, 2), scale,
                      zp=np.array([[-5, 4], [0, -8]]))


@model
def dq_uint4_tied():
    # uint4 with zero points, K = 40 (last block padded), read by two
    # MatMuls; 3-D A.
    r = _rng("dq_uint4_tied")
    x = r.integers(0, 16, (40, 16))
    scale = r.uniform(0.01, 0.1, (3, 16))
    zp = r.integers(0, 16, (3, 16))
    return _dq_matmul("dq_uint4_tied", x, scale, zp=zp, a_shape=[1, 2, 40], readers=2)


@model
def dq_int4_const_add():
    # Not read by a MatMul: dequantized at import, (x - zp) * scale blocked
    # along axis 1 (blocks of 2).
    x = np.array([[-8, -1, 0, 7], [1, 2, 3, 4]])
    zp = np.array([[0, 1], [-2, 3]])
    inits = [_4bit("c_q", x, TP.INT4), const("c_scale", [[0.5, 0.25], [1.0, 2.0]], np.float32),
             _4bit("c_zp", zp, TP.INT4)]
    nodes = [helper.make_node("DequantizeLinear", ["c_q", "c_scale", "c_zp"], ["c"],
                              name="dq", axis=1, block_size=2),
             helper.make_node("Add", ["a", "c"], ["y"], name="add")]
    return _model("dq_int4_const_add", nodes, [_vi("a", TP.FLOAT, [2, 4])],
                  [_vi("y", TP.FLOAT, [2, 4])], inits)


@model
def dq_int4_f16_scale():
    # An f16 scale: dequantized in f32, rounded to f16 (per tensor, zp 0).
    inits = [_4bit("c_q", [[-8, 7, 3]], TP.INT4), const("c_scale", 0.1, np.float16)]
    nodes = [helper.make_node("DequantizeLinear", ["c_q", "c_scale"], ["c"], name="dq"),
             helper.make_node("Add", ["a", "c"], ["y"], name="add")]
    return _model("dq_int4_f16_scale", nodes, [_vi("a", TP.FLOAT16, [1, 3])],
                  [_vi("y", TP.FLOAT16, [1, 3])], inits)


@model
def dq_uint4_per_axis():
    # Per-axis (no block_size) uint4 read by a MatMul: dequantized at import
    # (qopt.matmul_nbits takes blocks along K only), tosa.matmul.
    x = np.array([[15, 0, 7], [1, 2, 3]])
    inits = [_4bit("w_q", x, TP.UINT4), const("w_scale", [0.5, 1.0, 2.0], np.float32),
             _4bit("w_zp", [8, 0, 1], TP.UINT4)]
    nodes = [helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zp"], ["w"],
                              name="dq", axis=1),
             helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")]
    return _model("dq_uint4_per_axis", nodes, [_vi("a", TP.FLOAT, [1, 2])],
                  [_vi("y", TP.FLOAT, [1, 3])], inits)


@model
def err_dq_int4_runtime_scale():
    inits = [_4bit("w_q", _pattern(32, 2), TP.INT4)]
    nodes = [helper.make_node("DequantizeLinear", ["w_q", "w_scale"], ["w"], name="dq",
                              axis=0, block_size=16),
             helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")]
    return _model("err_dq_int4_runtime_scale", nodes,
                  [_vi("a", TP.FLOAT, [3, 32]), _vi("w_scale", TP.FLOAT, [2, 2])],
                  [_vi("y", TP.FLOAT, [3, 2])], inits)


@model
def err_quantize_int4():
    # Quantizing to 4 bits at run time is not supported (only constants).
    node = helper.make_node("QuantizeLinear", ["x", "s"], ["y"], name="q",
                            output_dtype=TP.INT4)
    return _model("err_quantize_int4", [node], [_vi("x", TP.FLOAT, [2])],
                  [_vi("y", TP.INT4, [2])], [const("s", 0.5, np.float32)])


@model
def err_int4_read_by_cast():
    inits = [_4bit("c_q", [[1, -2]], TP.INT4)]
    nodes = [helper.make_node("Cast", ["c_q"], ["y"], name="cast", to=TP.FLOAT)]
    return _model("err_int4_read_by_cast", nodes, [], [_vi("y", TP.FLOAT, [1, 2])], inits)


if __name__ == "__main__":
    main(MODELS, "nbits")
