"""Edits of ONNX models: fp16 -> fp32, dropping unused outputs, numeric checks.

Edits are direct protobuf changes (no shape inference, no checker rewrites),
so the same input bytes and onnx/protobuf give the same output bytes and the
results can be pinned by sha256.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import AttributeProto, ModelProto, TensorProto, numpy_helper

FP16, FP32 = TensorProto.FLOAT16, TensorProto.FLOAT
_DTYPE_ATTRS = {"Cast": "to", "CastLike": None, "EyeLike": "dtype", "RandomNormal": "dtype",
                "RandomUniform": "dtype", "RandomNormalLike": "dtype", "RandomUniformLike": "dtype"}


def _fp32_tensor(t: TensorProto) -> TensorProto:
    out = numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float32), t.name)
    out.doc_string = t.doc_string
    return out


def _retype(value_infos) -> int:
    changed = 0
    for vi in value_infos:
        tt = vi.type.tensor_type
        if tt.elem_type == FP16:
            tt.elem_type = FP32
            changed += 1
    return changed


def to_fp32(model: ModelProto) -> dict:
    """Turn every fp16 tensor of `model` into fp32, in place. Returns counts.

    Initializers and Constant/attribute tensors are widened, Cast-to-fp16
    becomes Cast-to-fp32 (a no-op cast the runtime removes), value_info and
    graph inputs/outputs are retyped.
    """
    g = model.graph
    counts = {"initializers": 0, "tensor_attrs": 0, "casts": 0, "value_infos": 0}
    for i, t in enumerate(g.initializer):
        if t.data_type == FP16:
            g.initializer[i].CopyFrom(_fp32_tensor(t))
            counts["initializers"] += 1
    for node in g.node:
        dtype_attr = _DTYPE_ATTRS.get(node.op_type)
        for attr in node.attribute:
            if attr.type == AttributeProto.GRAPH or attr.type == AttributeProto.GRAPHS:
                raise ValueError(f"{node.op_type} {node.name}: subgraphs are not handled")
            if attr.type == AttributeProto.TENSOR and attr.t.data_type == FP16:
                attr.t.CopyFrom(_fp32_tensor(attr.t))
                counts["tensor_attrs"] += 1
            elif attr.name == dtype_attr and attr.type == AttributeProto.INT and attr.i == FP16:
                attr.i = FP32
                counts["casts"] += 1
    counts["value_infos"] = _retype(g.value_info) + _retype(g.input) + _retype(g.output)
    return counts


def _replace(field, items) -> None:
    """Set a repeated message field to `items` (copied first: they may live in it)."""
    copies = [type(m).FromString(m.SerializeToString()) for m in items]
    del field[:]
    field.extend(copies)


def prune_outputs(model: ModelProto, keep: list[str]) -> dict:
    """Keep only graph outputs `keep` and the nodes/initializers they need, in place."""
    g = model.graph
    missing = set(keep) - {o.name for o in g.output}
    if missing:
        raise ValueError(f"model has no outputs named {sorted(missing)}")
    producer = {o: n for n in g.node for o in n.output if o}
    needed, todo, kept_ids = set(keep), list(keep), set()
    while todo:  # walk back from the kept outputs (node order need not be topological)
        node = producer.get(todo.pop())
        if node is None or id(node) in kept_ids:
            continue
        kept_ids.add(id(node))
        fresh = [i for i in node.input if i and i not in needed]
        needed.update(fresh)
        todo.extend(fresh)
    kept_nodes = [n for n in g.node if id(n) in kept_ids]
    before = (len(g.node), len(g.initializer), len(g.output))
    produced = {o for n in kept_nodes for o in n.output}
    _replace(g.node, kept_nodes)
    _replace(g.initializer, [t for t in g.initializer if t.name in needed])
    _replace(g.value_info, [vi for vi in g.value_info if vi.name in produced])
    _replace(g.output, [o for o in g.output if o.name in keep])
    return {"nodes": (before[0], len(g.node)), "initializers": (before[1], len(g.initializer)),
            "outputs": (before[2], len(g.output))}


def free_spatial_dims(model: ModelProto, size: int) -> int:
    """Let the model take any input height and width that are multiples of 32.

    The exported ISNet upsamples its side outputs to sizes baked in for a
    size x size input: Resize sizes = Concat(N and C from a Shape, Constant
    [k, k]) in the fp16 export, one folded [N, C, k, k] initializer in the int8
    one. Each [k, k] becomes input_hw / (size / k), so an aspect-preserving
    input (e.g. 1024x768 for a 4:3 photo) runs on 25% fewer pixels. Returns the
    number of Resize nodes rewritten; raises if neither pattern is there."""
    from onnx import helper

    g = model.graph
    producer = {o: n for n in g.node for o in n.output if o}
    inits = {t.name: t for t in g.initializer}
    added = [helper.make_node("Shape", [g.input[0].name], ["free_dims/hw"], start=2, end=4)]
    divided: dict[int, str] = {}

    def const(name: str, values) -> str:
        added.append(helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(values, np.int64))))
        return name

    def hw_over(k: list, where: str) -> str:
        if len(k) != 2 or k[0] != k[1] or size % k[0]:
            raise ValueError(f"{where}: sizes {k} are not a square fraction of {size}")
        factor = size // k[0]
        if factor not in divided:
            divided[factor] = f"free_dims/hw_div{factor}"
            added.append(helper.make_node("Div", ["free_dims/hw", const(f"free_dims/c{factor}", [factor, factor])],
                                          [divided[factor]]))
        return divided[factor]

    rewritten = 0
    for node in g.node:
        if node.op_type != "Resize" or len(node.input) < 4 or not node.input[3]:
            continue
        sizes = node.input[3]
        concat = producer.get(sizes)
        if sizes in inits:  # folded: [N, C, k, k]
            n, c, *k = numpy_helper.to_array(inits[sizes]).tolist()
            out = f"free_dims/{node.name}/sizes"
            added.append(helper.make_node("Concat", [const(out + "/nc", [n, c]), hw_over(k, node.name)], [out], axis=0))
            node.input[3] = out
        elif concat is not None and concat.op_type == "Concat" and producer.get(concat.input[1]) is not None \
                and producer[concat.input[1]].op_type == "Constant":
            k = numpy_helper.to_array(producer[concat.input[1]].attribute[0].t).tolist()
            concat.input[1] = hw_over(k, node.name)
        else:
            raise ValueError(f"{node.name}: Resize sizes of an unknown form")
        rewritten += 1
    if not rewritten:
        raise ValueError("no Resize with constant sizes found")
    for i, node in enumerate(added):
        g.node.insert(i, node)
    for value in (g.input[0], g.output[0]):
        dims = value.type.tensor_type.shape.dim
        dims[2].dim_param, dims[3].dim_param = "h", "w"
    del g.value_info[:]  # inferred shapes were for size x size only
    return rewritten


def session(path: Path, threads: int = 2):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def random_input(shape, seed: int = 0) -> np.ndarray:
    """A normalised image-like input: (u - 0.5) / 1.0 with u uniform in [0, 1)."""
    return (np.random.default_rng(seed).random(shape, dtype=np.float32) - 0.5).astype(np.float32)


def max_abs_diff(a: Path, b: Path, output: str = "output", seed: int = 0, shape=None) -> float:
    """Largest |a(x) - b(x)| on one random input, for models with the same interface
    (`shape`: the input's, required when model a has symbolic dims)."""
    sa = session(a)
    x = random_input(shape or sa.get_inputs()[0].shape, seed)
    name = sa.get_inputs()[0].name
    ya = sa.run([output], {name: x})[0]
    del sa
    yb = session(b).run([output], {name: x})[0]
    return float(np.max(np.abs(ya.astype(np.float64) - yb.astype(np.float64))))
