"""End-to-end fixtures: the real server serving build/web, Debian Chromium
driven by Playwright, the evaluation photos, and an artefacts folder.

Run by `./dev test` (which builds the bundle and installs chromium first)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WEB_ROOT = ROOT / "build" / "web"
EVAL = ROOT.parent / "shared" / "eval"
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM = os.environ.get("CUTOUT_CHROMIUM", "/usr/bin/chromium")
# DESIGN.md section 2: the flags that work in this environment
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic", "--enable-unsafe-webgpu"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url}")


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    if not (WEB_ROOT / "asset-manifest.json").exists():
        pytest.fail(f"{WEB_ROOT} is not built: run `python build.py` (./dev test does)")
    port = _free_port()
    db = tmp_path_factory.mktemp("server") / "e2e.sqlite3"
    log = open(tmp_path_factory.mktemp("server-log") / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port),
                             "--db", str(db), "--web-root", str(WEB_ROOT)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(url + "/", proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def server(tmp_path):
    """The app on a server of its own, serving a linked copy of the build that the
    test may change (replace files in it, stop the server)."""
    from .live_server import AppServer, linked_copy  # it imports this module
    s = AppServer(tmp_path, linked_copy(WEB_ROOT, tmp_path / "web")).start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: `./dev test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    if not EVAL.is_dir():
        msg = f"EVALUATION PHOTOS ABSENT: {EVAL} not found; real-photo end-to-end tests are SKIPPED"
        print("\n" + "!" * len(msg) + "\n" + msg + "\n" + "!" * len(msg), file=sys.stderr)
        pytest.skip(msg)
    return EVAL


@pytest.fixture(scope="session")
def photo(eval_dir) -> tuple[Path, Path]:
    """A real photo with its ground-truth alpha (alphamatting.com GT18: 800 px, a soft toy with fuzzy edges)."""
    image, gt = eval_dir / "alphamatting27" / "image" / "GT18.png", eval_dir / "alphamatting27" / "gt" / "GT18.png"
    if not image.exists() or not gt.exists():
        pytest.skip(f"{image} or its ground truth is missing")
    return image, gt


def pytest_collection_modifyitems(config, items):
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        return  # the browser fixture fails loudly with the reason
