"""Fixtures for build tests. They check the outputs `python build.py` already
wrote (./dev test builds first) and exercise build steps on temp copies."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from buildlib import pins  # noqa: E402
from buildlib.common import MODELS, WEB_OUT  # noqa: E402


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} missing: run `python build.py` (./dev test does) before the build tests")
    return path


@pytest.fixture(scope="session")
def models_manifest() -> dict:
    return json.loads(_need(MODELS / "manifest.json").read_text())


@pytest.fixture(scope="session")
def asset_manifest() -> dict:
    return json.loads(_need(WEB_OUT / "asset-manifest.json").read_text())


@pytest.fixture(scope="session")
def model_pins() -> dict[str, pins.ModelPin]:
    return {p.name: p for p in pins.isnet_pins()}
