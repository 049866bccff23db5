"""The build's asset manifest, as data the engine plans with.

`models/manifest.json` is written by build.py. Each asset:
  name     stable id the engine asks for ("isnet-fp16", "graph-pre", ...)
  file     path relative to the manifest (content-hashed in the web bundle)
  bytes    size
  sha256   hex digest, verified before a session is created
  role     "model" | "graph" | "runtime" | "python" | "app"
  meta     free-form facts (model input size, normalisation, precision ...)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CutoutError


@dataclass(frozen=True)
class Asset:
    name: str
    file: str
    bytes: int
    sha256: str
    role: str
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    build_id: str
    assets: dict[str, Asset]
    base: str = ""  # directory or URL prefix the files are relative to

    def get(self, name: str) -> Asset:
        try:
            return self.assets[name]
        except KeyError:
            raise CutoutError("model_missing", f"{name} is not in the build manifest") from None

    @classmethod
    def from_json(cls, text: str, base: str = "") -> "Manifest":
        data = json.loads(text)
        assets = {a["name"]: Asset(a["name"], a["file"], a["bytes"], a["sha256"], a["role"], a.get("meta", {}))
                  for a in data["assets"]}
        return cls(data["build_id"], assets, base)

    @classmethod
    def load(cls, path: str | Path) -> "Manifest":
        path = Path(path)
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise CutoutError("model_missing", f"no build manifest at {path}; run `python build.py`") from None
        return cls.from_json(text, str(path.parent))
