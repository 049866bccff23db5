"""Dynamic int8 quantization of a model's convolutions, written out here
rather than taken from onnxruntime.quantization so that the same fp32 bytes
always give the same int8 bytes (the result is pinned by sha256).

Each Conv(x, W, B) not in `keep` becomes
    DynamicQuantizeLinear(x) -> ConvInteger(xq, Wq, x_zp, W_zp)
    -> DequantizeLinear(acc, x_scale) -> BatchNormalization(scale W_scale, bias B, mean 0, var 1, eps 0)
with W quantized once, asymmetric uint8 per tensor, the layout the int8 model
in @imgly/background-removal-data uses. Its model computes acc * x_scale *
W_scale + B in four nodes (Cast -> Mul(x_scale * W_scale) -> Mul -> Add); the
last two nodes here do it in two, with the same values to float rounding:
onnxruntime-web spends ~0.4 ms creating each node (the session took 250-323 ms
with the four, 185-229 ms with the two: 8 creations each, alternating, in
headless Chromium), and the activations are passed over twice instead of three
times. Why some stay fp32: the shipped int8 model quantizes every conv and
loses ~18% SAD on alphamatting27. A stage-by-stage sweep (buildlib/pins.py)
found the loss in the 1-channel output head, the stem and the second decoder
stage; keeping those fp32 costs little time.
"""

from __future__ import annotations

import numpy as np
from onnx import ModelProto, helper, numpy_helper


def _quantize_weight(w: np.ndarray) -> tuple[np.ndarray, np.float32, np.uint8]:
    lo, hi = min(0.0, float(w.min())), max(0.0, float(w.max()))  # 0 must be exact
    scale = np.float32((hi - lo) / 255.0 if hi > lo else 1.0)
    zero = np.uint8(np.clip(np.rint(-lo / scale), 0, 255))
    q = np.clip(np.rint(w / scale) + float(zero), 0, 255).astype(np.uint8)
    return q, scale, zero


def quantize_convs(model: ModelProto, keep: tuple[str, ...]) -> dict:
    """Rewrite `model` in place; returns counts. Convs whose name starts with
    one of `keep` stay fp32; each prefix must match at least one."""
    if not any(o.domain in ("", "ai.onnx") and o.version >= 10 for o in model.opset_import):
        raise ValueError("ConvInteger needs opset >= 10")
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    names = [n.name for n in g.node if n.op_type == "Conv"]
    if missing := [k for k in keep if not any(n.startswith(k) for n in names)]:
        raise ValueError(f"no Conv named {missing}*")
    nodes, new_inits, dead = [], [], set()
    neutral: dict[int, tuple[str, str]] = {}
    counts = {"quantized": 0, "kept_fp32": 0}
    for node in g.node:
        if node.op_type != "Conv" or node.name.startswith(keep):
            counts["kept_fp32"] += node.op_type == "Conv"
            nodes.append(node)
            continue
        x, w_name = node.input[0], node.input[1]
        p = f"{node.name}/q"
        q, scale, zero = _quantize_weight(numpy_helper.to_array(inits[w_name]).astype(np.float32))
        new_inits += [numpy_helper.from_array(q, p + "/w"), numpy_helper.from_array(np.array(zero), p + "/w_zero")]
        dead.add(w_name)
        conv = helper.make_node("ConvInteger", [p + "/x", p + "/w", p + "/x_zero", p + "/w_zero"], [p + "/acc"],
                                name=p + "/conv")
        conv.attribute.extend(node.attribute)  # pads, strides, dilations, group: as the Conv's
        channels = q.shape[0]
        if len(node.input) > 2 and node.input[2]:
            bias = numpy_helper.to_array(inits[node.input[2]]).astype(np.float32).reshape(channels)
            dead.add(node.input[2])
        else:
            bias = np.zeros(channels, np.float32)
        if channels not in neutral:  # mean 0 and variance 1 (eps 0: divides by exactly 1), one pair per width
            neutral[channels] = (f"affine/{channels}/mean", f"affine/{channels}/var")
            new_inits += [numpy_helper.from_array(np.zeros(channels, np.float32), neutral[channels][0]),
                          numpy_helper.from_array(np.ones(channels, np.float32), neutral[channels][1])]
        new_inits += [numpy_helper.from_array(np.full(channels, scale, np.float32), p + "/w_scales"),
                      numpy_helper.from_array(bias, p + "/bias")]
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [p + "/x", p + "/x_scale", p + "/x_zero"], name=p + "/dql"),
            conv,
            helper.make_node("DequantizeLinear", [p + "/acc", p + "/x_scale"], [p + "/accf"], name=p + "/dq"),
            helper.make_node("BatchNormalization", [p + "/accf", p + "/w_scales", p + "/bias", *neutral[channels]],
                             [node.output[0]], name=p + "/affine", epsilon=0.0),
        ]
        counts["quantized"] += 1
    still_used = {i for n in nodes for i in n.input}
    kept_inits = [t for t in g.initializer if t.name not in dead or t.name in still_used]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(kept_inits + new_inits)
    del g.value_info[:]  # conv outputs are now produced by other ops
    return counts
