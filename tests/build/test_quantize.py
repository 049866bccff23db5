"""buildlib.quantize: int8 convolutions against numpy and the fp32 graph."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from buildlib.quantize import _quantize_weight, quantize_convs


def _two_convs() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(size=(8, 3, 3, 3)).astype(np.float32), "w1"),
             numpy_helper.from_array(rng.normal(size=8).astype(np.float32), "b1"),
             numpy_helper.from_array(rng.normal(size=(2, 8, 1, 1)).astype(np.float32), "w2")]
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="first", pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c1"], ["r"]),
             helper.make_node("Conv", ["r", "w2"], ["y"], name="head")]
    graph = helper.make_graph(nodes, "two", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 8, 8])], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _run(model, x):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]


def test_weight_quantization_keeps_zero_exact_and_bounds_the_error():
    w = np.random.default_rng(1).normal(size=(4, 3, 3, 3)).astype(np.float32)
    q, scale, zero = _quantize_weight(w)
    assert q.dtype == np.uint8 and 0 < zero < 255
    assert np.abs((q.astype(np.float32) - zero) * scale - w).max() <= scale / 2 + 1e-7
    q, scale, zero = _quantize_weight(np.abs(w))  # all positive: zero point 0, zero still exact
    assert zero == 0 and (q.astype(np.float32) * scale).min() >= 0


def test_quantized_graph_tracks_fp32_and_keeps_named_convs():
    x = np.random.default_rng(2).random((1, 3, 16, 16), dtype=np.float32)
    model = _two_convs()
    ref = _run(model, x)
    counts = quantize_convs(model, ("he",))  # a name prefix
    assert counts == {"quantized": 1, "kept_fp32": 1}
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("ConvInteger") == 1 and ops.count("Conv") == 1
    # the dequantization and bias in two nodes, not the int8 model's four
    assert ops.count("DequantizeLinear") == 1 and ops.count("BatchNormalization") == 1
    assert "Cast" not in ops and "Mul" not in ops and "Add" not in ops
    assert {t.name for t in model.graph.initializer} >= {"w2"} and "w1" not in {t.name for t in model.graph.initializer}
    got = _run(model, x)
    assert got.shape == ref.shape
    # 8-bit weights and activations: ~1% of the output's range
    assert np.abs(got - ref).max() < 0.02 * np.abs(ref).max(), np.abs(got - ref).max()
    assert np.abs(got - ref).max() > 0  # it really is quantized


def test_quantization_is_deterministic_and_refuses_unknown_names():
    a, b = _two_convs(), _two_convs()
    quantize_convs(a, ())
    quantize_convs(b, ())
    assert a.SerializeToString() == b.SerializeToString()
    with pytest.raises(ValueError, match="no Conv named"):
        quantize_convs(_two_convs(), ("head", "nope"))


def test_a_conv_without_bias_is_quantized_too():
    x = np.random.default_rng(3).random((1, 3, 16, 16), dtype=np.float32)
    model = _two_convs()
    ref = _run(model, x)
    assert quantize_convs(model, ()) == {"quantized": 2, "kept_fp32": 0}  # "head" has no bias input
    got = _run(model, x)
    assert np.abs(got - ref).max() < 0.03 * np.abs(ref).max(), np.abs(got - ref).max()
