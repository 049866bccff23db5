"""The shipped ISNet models: interface, fp32 numerics, and the ONNX edits that make them."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from buildlib import onnx_edit, pins
from buildlib.common import MODELS


@pytest.mark.parametrize("name", ["isnet-fp16", "isnet-int8", "isnet-fp32", "isnet-mixed"])
def test_model_interface(name, model_pins):
    pin = model_pins[name]
    g = onnx.load(str(MODELS / pin.file)).graph
    (inp,) = g.input
    assert inp.name == "input" and inp.type.tensor_type.elem_type == TensorProto.FLOAT
    # spatial dims freed by onnx_edit.free_spatial_dims: the pipeline keeps the photo's aspect
    assert [d.dim_value or d.dim_param for d in inp.type.tensor_type.shape.dim] == [1, 3, "h", "w"]
    outs = [o.name for o in g.output]
    assert outs == ["output"] if pins.PRUNE else outs[0] == "output"
    out = g.output[0].type.tensor_type
    assert out.elem_type == TensorProto.FLOAT and [d.dim_value or d.dim_param for d in out.shape.dim] == [1, 1, "h", "w"]
    if pin.precision == "fp32":
        assert all(t.data_type != TensorProto.FLOAT16 for t in g.initializer)
    if pin.precision == "mixed":
        kept = [n.name for n in g.node if n.op_type == "Conv"]
        assert len(kept) == 16 and all(k.startswith(pins.MIXED_KEEP_FP32) for k in kept)
        assert sum(n.op_type == "ConvInteger" for n in g.node) == 114 - 16


@pytest.mark.slow
def test_mixed_model_stays_close_to_fp32(model_pins):
    diff = onnx_edit.max_abs_diff(MODELS / model_pins["isnet-fp32"].file, MODELS / model_pins["isnet-mixed"].file,
                                  seed=1, shape=(1, 3, 768, 1024))
    assert diff < pins.MIXED_MAX_ABS_DIFF, f"mixed vs fp32 max abs diff {diff:.2e}"


@pytest.mark.slow
def test_fp32_model_matches_fp16(model_pins):
    diff = onnx_edit.max_abs_diff(MODELS / model_pins["isnet-fp16"].file, MODELS / model_pins["isnet-fp32"].file,
                                  seed=1, shape=(1, 3, 768, 1024))
    assert diff < pins.FP32_MAX_ABS_DIFF, f"fp32 vs fp16 max abs diff {diff:.2e}"


@pytest.mark.slow
def test_freed_model_keeps_square_results_and_takes_the_photo_aspect(model_pins):
    """The shipped fp16 model against the unpruned, unedited one at 1024 x 1024,
    then at 768 x 1024: the output follows the input's size."""
    from buildlib.models import FULL
    full = FULL / "isnet_fp16_full.onnx"
    shipped = MODELS / model_pins["isnet-fp16"].file
    if not full.exists():
        pytest.skip("the unpruned model is built only when a shipped model is (re)built")
    assert onnx_edit.max_abs_diff(full, shipped) < 1e-3
    x = onnx_edit.random_input((1, 3, 768, 1024))
    (y,) = onnx_edit.session(shipped).run(["output"], {"input": x})
    assert y.shape == (1, 1, 768, 1024) and 0 <= y.min() and y.max() <= 1


def _upsample_model(folded: bool) -> onnx.ModelProto:
    """x [1,1,8,8] -> MaxPool 2x -> Resize back to sizes baked for an 8x8 input, + x:
    the two forms ISNet exports use (Concat(shape, Constant) or one initializer)."""
    nodes = [helper.make_node("MaxPool", ["x"], ["p"], kernel_shape=[2, 2], strides=[2, 2])]
    inits = []
    if folded:
        inits.append(numpy_helper.from_array(np.array([1, 1, 8, 8], np.int64), "sizes"))
    else:
        nodes += [helper.make_node("Shape", ["p"], ["ps"], start=0, end=2),
                  helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.array([8, 8], np.int64))),
                  helper.make_node("Concat", ["ps", "k"], ["sizes"], axis=0)]
    nodes += [helper.make_node("Resize", ["p", "", "", "sizes"], ["u"], mode="nearest"),
              helper.make_node("Add", ["u", "x"], ["y"])]
    graph = helper.make_graph(nodes, "up", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 8, 8])], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)


@pytest.mark.parametrize("folded", [False, True], ids=["concat-constant", "folded-initializer"])
def test_free_spatial_dims_follows_the_input(folded):
    model = _upsample_model(folded)
    x8 = np.random.default_rng(2).random((1, 1, 8, 8), dtype=np.float32)
    before = _run(model, x8)["y"]
    assert onnx_edit.free_spatial_dims(model, 8) == 1
    assert np.array_equal(_run(model, x8)["y"], before)
    x = np.random.default_rng(3).random((1, 1, 4, 12), dtype=np.float32)
    y = _run(model, x)["y"]
    pooled = x.reshape(1, 1, 2, 2, 6, 2).max(axis=(3, 5))
    assert np.array_equal(y, pooled.repeat(2, axis=2).repeat(2, axis=3) + x)


def test_free_spatial_dims_refuses_an_unknown_export():
    model = _upsample_model(False)
    concat = next(n for n in model.graph.node if n.op_type == "Concat")
    concat.input[1] = "ps"  # sizes no longer end in a constant
    with pytest.raises(ValueError, match="unknown form"):
        onnx_edit.free_spatial_dims(model, 8)


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
