"""ONNX graph builders for the pipeline's pre/post-processing (build time only)."""

from __future__ import annotations

from pathlib import Path

from ..graphs_meta import BOUNDS_CELL, COEF_CHANNELS, MODEL_SIZE
from .stages import ALL

__all__ = ["build_graphs", "BOUNDS_CELL", "COEF_CHANNELS", "MODEL_SIZE"]


def build_graphs(out_dir: Path) -> list[tuple[str, Path, dict]]:
    """Write every graph to out_dir; returns (manifest name, path, meta)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    built = []
    for name, make in ALL.items():
        model = make()
        path = out_dir / f"{name}.onnx"
        data = model.SerializeToString()
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        meta = {"inputs": [i.name for i in model.graph.input], "outputs": [o.name for o in model.graph.output],
                "opset": model.opset_import[0].version}
        built.append((f"graph-{name}", path, meta))
    return built
