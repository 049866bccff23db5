"""Pre/post-processing graphs: `cutout.graphs.build_graphs(models/graphs)`, when sources changed.

The stamp key hashes every file under web/py/cutout/graphs/ plus every other
`cutout` module the builders imported last time (recorded from sys.modules),
and the onnx version. Unchanged key and intact outputs: nothing is imported.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .common import MODELS, ROOT, BuildError, HashCache, Stamp, json_key, log

PY_ROOT = ROOT / "web" / "py"
GRAPH_SRC = PY_ROOT / "cutout" / "graphs"
GRAPH_OUT = MODELS / "graphs"


def graph_sources() -> list[Path]:
    files = [p for p in GRAPH_SRC.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    single = PY_ROOT / "cutout" / "graphs.py"
    return sorted(files + ([single] if single.exists() else []))


def _imported_cutout_files() -> list[Path]:
    """Source files of the `cutout` modules loaded so far (the builders' real inputs)."""
    files = []
    for name, mod in list(sys.modules.items()):
        path = getattr(mod, "__file__", None)
        if (name == "cutout" or name.startswith("cutout.")) and path:
            p = Path(path).resolve()
            if PY_ROOT.resolve() in p.parents:
                files.append(p)
    return sorted(set(files))


def _key(files: list[Path], hashes: HashCache) -> str:
    import importlib.metadata as md

    rel = {str(p.relative_to(ROOT)): (hashes.sha256(p) if p.exists() else None) for p in files}
    return json_key({"files": rel, "onnx": md.version("onnx")})


def _import_builder():
    if str(PY_ROOT) not in sys.path:
        sys.path.insert(0, str(PY_ROOT))
    try:
        from cutout.graphs import build_graphs
    except ImportError as e:
        if e.name in ("cutout", "cutout.graphs"):
            return None, str(e)
        raise
    return build_graphs, ""


def _check_result(result) -> list[dict]:
    graphs = []
    for name, path, meta in result:
        path = Path(path).resolve()
        if GRAPH_OUT.resolve() not in path.parents or not path.is_file():
            raise BuildError(f"build_graphs returned {path} for {name}: not a file under {GRAPH_OUT}")
        json.dumps(meta)  # must be JSON data: it goes into the manifest
        graphs.append({"name": name, "file": path.relative_to(MODELS.resolve()).as_posix(), "meta": meta})
    names = [g["name"] for g in graphs]
    if len(set(names)) != len(names):
        raise BuildError(f"build_graphs returned duplicate names: {names}")
    return graphs


def _remove_stale(graphs: list[dict]) -> None:
    keep = {g["file"] for g in graphs}
    for p in GRAPH_OUT.glob("*.onnx"):
        if p.relative_to(MODELS).as_posix() not in keep:
            log(f"graphs: remove stale {p.relative_to(ROOT)}")
            p.unlink()


def build(hashes: HashCache) -> list[dict]:
    """Graph entries {name, file (relative to models/), sha256, meta}; [] while there is no builder."""
    stamp = Stamp("graphs")
    saved = stamp.raw()
    deps = [ROOT / d for d in (saved or {}).get("data", {}).get("deps", [])]
    sources = graph_sources()
    if saved and saved["key"] == _key(sorted(set(sources + deps)), hashes):
        graphs = saved["data"]["graphs"]
        if all((MODELS / g["file"]).exists() and hashes.sha256(MODELS / g["file"]) == g["sha256"] for g in graphs):
            log(f"graphs: {len(graphs)} up to date")
            return graphs
    build_graphs, why = _import_builder()
    if build_graphs is None:
        log(f"graphs: SKIPPED, cutout.graphs.build_graphs is not available yet ({why}); "
            "the manifest will list models only")
        return []
    log(f"graphs: building from {GRAPH_SRC.relative_to(ROOT)}/")
    GRAPH_OUT.mkdir(parents=True, exist_ok=True)
    graphs = _check_result(build_graphs(GRAPH_OUT))
    for g in graphs:
        g["sha256"] = hashes.sha256(MODELS / g["file"])
    _remove_stale(graphs)
    deps = _imported_cutout_files()
    key = _key(sorted(set(sources + deps)), hashes)
    stamp.save(key, {"deps": [str(p.relative_to(ROOT)) for p in deps], "graphs": graphs})
    log(f"graphs: built {', '.join(g['name'] for g in graphs)}")
    return graphs
