"""A small helper for writing ONNX graphs as straight-line Python.

Only used at build time (needs the `onnx` package); the engine at run time
never imports it.
"""

from __future__ import annotations

import itertools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 18
DTYPES = {"float32": TensorProto.FLOAT, "uint8": TensorProto.UINT8, "int64": TensorProto.INT64}


class Graph:
    """Collects nodes; every op method returns the name of its output."""

    def __init__(self, name: str):
        self.name = name
        self.nodes: list = []
        self.inputs: list = []
        self.outputs: list = []
        self.inits: list = []
        self._ids = itertools.count()
        self._consts: dict = {}

    def _tmp(self, hint: str) -> str:
        return f"{hint}_{next(self._ids)}"

    def input(self, name: str, dtype: str, shape: list) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, DTYPES[dtype], shape))
        return name

    def output(self, value: str, name: str, dtype: str, shape: list | None = None) -> None:
        self.op("Identity", value, out=name)
        self.outputs.append(helper.make_tensor_value_info(name, DTYPES[dtype], shape))

    def const(self, value, dtype: str = "float32") -> str:
        arr = np.asarray(value, dtype=dtype)
        key = (dtype, arr.shape, arr.tobytes())
        if key not in self._consts:
            name = self._tmp("c")
            self.inits.append(numpy_helper.from_array(arr, name))
            self._consts[key] = name
        return self._consts[key]

    def op(self, op_type: str, *inputs: str, out: str | None = None, **attrs) -> str:
        out = out or self._tmp(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [out], **attrs))
        return out

    def ops(self, op_type: str, *inputs: str, n: int, **attrs) -> list[str]:
        outs = [self._tmp(op_type.lower()) for _ in range(n)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, **attrs))
        return outs

    # -- shorthands used across graphs -------------------------------------
    def add(self, a, b): return self.op("Add", a, b)
    def sub(self, a, b): return self.op("Sub", a, b)
    def mul(self, a, b): return self.op("Mul", a, b)
    def div(self, a, b): return self.op("Div", a, b)

    def i64(self, value) -> str:
        return self.const(value, "int64")

    def clip01(self, x: str) -> str:
        return self.op("Clip", x, self.const(0.0), self.const(1.0))

    def slice(self, x: str, starts, ends, axes) -> str:
        return self.op("Slice", x, self.const(starts, "int64"), self.const(ends, "int64"), self.const(axes, "int64"))

    def swap_hw(self, x: str) -> str:
        """NCHW -> NCWH: lets a pass along columns run as a pass along rows."""
        return self.op("Transpose", x, perm=[0, 1, 3, 2])

    def channels(self, x: str, lo: int, hi: int, axis: int = 1) -> str:
        return self.slice(x, [lo], [hi], [axis])

    def model(self) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, initializer=self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="cutout-studio")
        model.ir_version = 9  # readable by onnxruntime(-web) 1.17+
        onnx.checker.check_model(model)
        return model
