"""Driving the app page the way a person does, and reading its results."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

BOOT_TIMEOUT_MS = 180_000
JOB_TIMEOUT_MS = 300_000
STAND_IN = "test=1&model=stand-in-ellipse"  # every real graph, a fixed ellipse instead of ISNet


def open_app(context, base: str, query: str = ""):
    page = context.new_page()
    page.console_lines = []
    page.on("console", lambda m: page.console_lines.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: page.console_lines.append(f"pageerror: {e}"))
    page.goto(f"{base}/?{query}")
    page.wait_for_selector("body[data-engine]", state="attached", timeout=BOOT_TIMEOUT_MS)
    engine = page.get_attribute("body", "data-engine")
    assert engine == "ready", f"engine {engine}: {page.text_content('#error')}\n" + "\n".join(page.console_lines[-20:])
    return page


def cut(page, path: Path | str, timeout_ms: int = JOB_TIMEOUT_MS) -> str:
    """Choose a file like a person would; wait until the job ends; returns done|error|cancelled."""
    page.evaluate("() => { document.body.dataset.job = 'submitted'; }")
    page.set_input_files("#file", str(path))
    return wait_job(page, timeout_ms)


def wait_job(page, timeout_ms: int = JOB_TIMEOUT_MS) -> str:
    sel = "body[data-job=done], body[data-job=error], body[data-job=cancelled]"
    page.wait_for_selector(sel, state="attached", timeout=timeout_ms)
    return page.get_attribute("body", "data-job")


def download(page, button: str) -> bytes:
    with page.expect_download() as info:
        page.click(button)
    return Path(info.value.path()).read_bytes()


def rgba_of(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def backend_label(page) -> str:
    return page.text_content("#backend") or ""


def iou(alpha: np.ndarray, gt: np.ndarray) -> float:
    a, g = alpha >= 128, gt >= 128
    return float((a & g).sum() / max((a | g).sum(), 1))
