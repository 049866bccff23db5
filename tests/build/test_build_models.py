"""The shipped ISNet models: interface, fp32 numerics, and the ONNX edits that make them."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from buildlib import onnx_edit, pins
from buildlib.common import MODELS


@pytest.mark.parametrize("name", ["isnet-fp16", "isnet-int8", "isnet-fp32"])
def test_model_interface(name, model_pins):
    pin = model_pins[name]
    g = onnx.load(str(MODELS / pin.file)).graph
    (inp,) = g.input
    assert inp.name == "input" and inp.type.tensor_type.elem_type == TensorProto.FLOAT
    assert [d.dim_value for d in inp.type.tensor_type.shape.dim] == [1, 3, 1024, 1024]
    outs = [o.name for o in g.output]
    assert outs == ["output"] if pins.PRUNE else outs[0] == "output"
    out = g.output[0].type.tensor_type
    assert out.elem_type == TensorProto.FLOAT and [d.dim_value for d in out.shape.dim] == [1, 1, 1024, 1024]
    if pin.precision == "fp32":
        assert all(t.data_type != TensorProto.FLOAT16 for t in g.initializer)


@pytest.mark.slow
def test_fp32_model_matches_fp16(model_pins):
    diff = onnx_edit.max_abs_diff(MODELS / model_pins["isnet-fp16"].file, MODELS / model_pins["isnet-fp32"].file,
                                  seed=1)
    assert diff < pins.FP32_MAX_ABS_DIFF, f"fp32 vs fp16 max abs diff {diff:.2e}"


def _toy_fp16_model() -> onnx.ModelProto:
    """x(fp32) -> Cast fp16 -> Conv(fp16 w) -> Cast fp32 -> Sigmoid = y, plus a side output
    Relu(conv) that pruning must drop; nodes deliberately not in topological order."""
    w = numpy_helper.from_array(np.random.default_rng(0).normal(size=(2, 3, 3, 3)).astype(np.float16), "w")
    side_w = numpy_helper.from_array(np.ones((1, 2, 1, 1), np.float16), "side_w")
    half = helper.make_tensor("half", TensorProto.FLOAT16, [], [0.5])
    nodes = [
        helper.make_node("Sigmoid", ["c32"], ["y"]),
        helper.make_node("Cast", ["x"], ["x16"], to=TensorProto.FLOAT16),
        helper.make_node("Constant", [], ["k"], value=half),
        helper.make_node("Conv", ["x16", "w"], ["c16"], pads=[1, 1, 1, 1]),
        helper.make_node("Mul", ["c16", "k"], ["c16k"]),
        helper.make_node("Cast", ["c16k"], ["c32"], to=TensorProto.FLOAT),
        helper.make_node("Conv", ["c16", "side_w"], ["side16"]),
        helper.make_node("Relu", ["side16"], ["side"]),
    ]
    graph = helper.make_graph(
        nodes, "toy", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 8, 8]),
         helper.make_tensor_value_info("side", TensorProto.FLOAT16, [1, 1, 8, 8])],
        initializer=[w, side_w],
        value_info=[helper.make_tensor_value_info("c16", TensorProto.FLOAT16, [1, 2, 8, 8])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)], ir_version=8)


def _run(model: onnx.ModelProto, x: np.ndarray) -> dict:
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {"x": x}), strict=True))


def test_to_fp32_widens_every_fp16_tensor_and_keeps_results():
    model, x = _toy_fp16_model(), np.random.default_rng(1).random((1, 3, 8, 8), dtype=np.float32)
    ref = _run(model, x)
    counts = onnx_edit.to_fp32(model)
    assert counts == {"initializers": 2, "tensor_attrs": 1, "casts": 1, "value_infos": 2}
    g = model.graph
    assert all(t.data_type == TensorProto.FLOAT for t in g.initializer)
    assert all(a.i != TensorProto.FLOAT16 for n in g.node if n.op_type == "Cast" for a in n.attribute)
    got = _run(model, x)
    assert got["side"].dtype == np.float32
    np.testing.assert_allclose(got["y"], ref["y"], atol=2e-3)


def test_prune_outputs_drops_side_branch_only():
    model, x = _toy_fp16_model(), np.random.default_rng(2).random((1, 3, 8, 8), dtype=np.float32)
    ref = _run(model, x)["y"]
    counts = onnx_edit.prune_outputs(model, ["y"])
    assert counts["outputs"] == (2, 1) and counts["nodes"] == (8, 6) and counts["initializers"] == (2, 1)
    assert {n.op_type for n in model.graph.node} == {"Sigmoid", "Cast", "Constant", "Conv", "Mul"}
    np.testing.assert_array_equal(_run(model, x)["y"], ref)
    with pytest.raises(ValueError, match="no outputs named"):
        onnx_edit.prune_outputs(model, ["nope"])
