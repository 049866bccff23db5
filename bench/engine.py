"""Shared bits for the engine benchmarks."""

from __future__ import annotations

import os
from pathlib import Path

from cutout.manifest import Manifest

MODELS = Path(__file__).resolve().parents[1] / "models"


def load_manifest() -> Manifest:
    return Manifest.load(Path(os.environ.get("CUTOUT_MODELS", MODELS)) / "manifest.json")
