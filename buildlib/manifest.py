"""`models/manifest.json`: the assets the engine plans with (see web/py/cutout/manifest.py).

Format: {"build_id": str, "assets": [{"name", "file", "bytes", "sha256", "role", "meta"}]}
with `file` relative to the manifest's folder and role "model" | "graph".
"""

from __future__ import annotations

import json
from pathlib import Path

from . import pins
from .common import MODELS, BuildError, HashCache, digest_file, json_bytes, json_key, log, write_if_changed
from .models import model_meta

MANIFEST = MODELS / "manifest.json"


def entry(name: str, file: str, path: Path, sha256: str, role: str, meta: dict) -> dict:
    return {"name": name, "file": file, "bytes": path.stat().st_size, "sha256": sha256, "role": role, "meta": meta}


def model_entries(built: list[tuple[pins.ModelPin, Path]]) -> list[dict]:
    return [entry(pin.name, pin.file, path, pin.sha256, "model", model_meta(pin)) for pin, path in built]


def graph_entries(graphs: list[dict]) -> list[dict]:
    return [entry(g["name"], g["file"], MODELS / g["file"], g["sha256"], "graph", g["meta"]) for g in graphs]


def build_id(assets: list[dict]) -> str:
    """Content-derived: the same assets give the same id on every machine."""
    return json_key([[a["name"], a["sha256"]] for a in assets])[:16]


def document(assets: list[dict]) -> dict:
    names = [a["name"] for a in assets]
    if len(set(names)) != len(names):
        raise BuildError(f"duplicate asset names in the manifest: {names}")
    return {"build_id": build_id(assets), "assets": assets}


def write(assets: list[dict], path: Path = MANIFEST) -> dict:
    doc = document(assets)
    if write_if_changed(path, json_bytes(doc)):
        log(f"wrote {path.relative_to(path.parent.parent)} (build {doc['build_id']}, {len(assets)} assets)")
    return doc


def verify(path: Path = MANIFEST, hashes: HashCache | None = None) -> dict:
    """Check every asset a manifest lists: present, size and sha256 as recorded.

    `hashes=None` hashes in full. Raises BuildError naming each bad asset.
    """
    doc = json.loads(path.read_text())
    problems = []
    for a in doc["assets"]:
        f = path.parent / a["file"]
        if not f.is_file():
            problems.append(f"{a['name']}: {f} is missing")
            continue
        if f.stat().st_size != a["bytes"]:
            problems.append(f"{a['name']}: {f} has {f.stat().st_size} bytes, manifest says {a['bytes']}")
            continue
        actual = hashes.sha256(f) if hashes else digest_file(f)
        if actual != a["sha256"]:
            problems.append(f"{a['name']}: sha256 mismatch for {f}: expected {a['sha256']}, actual {actual}")
    if problems:
        raise BuildError(f"{path} does not match its files (tampered or stale; run `python build.py`):\n  "
                         + "\n  ".join(problems))
    return doc
