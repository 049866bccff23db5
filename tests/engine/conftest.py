"""Fixtures for engine tests: graphs built into a temp dir, a tiny stand-in
segmentation model (a real ONNX graph: luminance threshold), and the real
build's manifest when it exists."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto

from cutout.backend_cpython import CPythonBackend
from cutout.graphs import build_graphs
from cutout.graphs.builder import Graph
from cutout.manifest import Manifest

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT.parent / "shared" / "eval"
MODELS = ROOT / "models"


def toy_model():
    """Stand-in for ISNet with the same interface: 'bright pixels are the subject'."""
    g = Graph("toy")
    x = g.input("input", "float32", [1, 3, "h", "w"])
    lum = g.op("ReduceMean", x, g.const([1], "int64"), keepdims=1)
    g.output(g.op("Sigmoid", g.mul(lum, g.const(40.0))), "output", "float32", [1, 1, "h", "w"])
    return g.model()


@pytest.fixture(scope="session")
def toy_manifest(tmp_path_factory) -> Manifest:
    out = tmp_path_factory.mktemp("graphs")
    entries = [(name, path) for name, path, _ in build_graphs(out)]
    toy = out / "toy.onnx"
    toy.write_bytes(toy_model().SerializeToString())
    entries.append(("isnet-fp16", toy))
    assets = [{"name": n, "file": p.name, "bytes": p.stat().st_size,
               "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
               "role": "model" if n.startswith("isnet") else "graph", "meta": {}} for n, p in entries]
    (out / "manifest.json").write_text(json.dumps({"build_id": "test", "assets": assets}))
    return Manifest.load(out / "manifest.json")


@pytest.fixture(scope="session")
def toy_backend(toy_manifest) -> CPythonBackend:
    return CPythonBackend(toy_manifest, threads=2)


@pytest.fixture(scope="session")
def real_manifest() -> Manifest:
    path = MODELS / "manifest.json"
    if not path.exists():
        pytest.fail(f"{path} missing: run `python build.py` (./dev test does) before the engine tests")
    return Manifest.load(path)


def disk_photo(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A bright soft-edged disk with fine 'hair' streaks on a dark textured background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    d = np.hypot(yy - h / 2, xx - w / 2) / (0.3 * min(h, w))
    fg = np.clip(1.2 - d, 0, 1)
    streaks = (np.sin(xx / 3.0) > 0.8) & (d < 1.3)
    fg = np.maximum(fg, streaks * 0.8)
    bg = 0.1 + 0.05 * rng.random((h, w))
    lum = fg + (1 - fg) * bg
    rgb = np.stack([lum, lum * 0.9, lum * 0.8], -1)
    alpha = np.full((h, w, 1), 255, np.uint8)
    return np.concatenate([(rgb * 255).astype(np.uint8), alpha], -1)
