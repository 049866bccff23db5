"""A photo chosen while the engine is still starting: it is decoded meanwhile
and cut out as soon as the engine is ready; cancelling it then does not
restart the engine."""

from __future__ import annotations

import json
import time

import pytest
from PIL import Image

from .helpers import BOOT_TIMEOUT_MS, STAND_IN, cut, download, rgba_of, wait_job


@pytest.fixture(scope="module")
def small_photo(photo, tmp_path_factory):
    path = tmp_path_factory.mktemp("boot") / "small.png"
    Image.open(photo[0]).convert("RGB").resize((400, 300), Image.LANCZOS).save(path)
    return path


def _choose_while_starting(context, app_url, path):
    """Open the app and choose `path` at once; returns the page, after checking
    that the engine was not ready yet when the photo went in."""
    page = context.new_page()
    page.goto(f"{app_url}/?backend=wasm&{STAND_IN}", wait_until="domcontentloaded")
    page.evaluate("() => { document.body.dataset.job = 'submitted'; }")
    page.set_input_files("#file", str(path))
    assert page.get_attribute("body", "data-engine") is None, "the engine was ready before the photo went in"
    return page


def test_photo_chosen_while_the_engine_starts_is_cut_out(context, app_url, small_photo, artifacts):
    page = _choose_while_starting(context, app_url, small_photo)
    page.wait_for_selector("#stage:has-text('Starting the engine')", timeout=BOOT_TIMEOUT_MS)
    assert wait_job(page) == "done", page.text_content("#error")
    assert page.get_attribute("body", "data-engine") == "ready"
    page.screenshot(path=str(artifacts / "chosen-while-starting.png"))
    out = rgba_of(download(page, "#save-png"))
    w, h = Image.open(small_photo).size
    assert out.shape[:2] == (h, w)
    assert 0 < (out[..., 3] > 127).mean() < 1  # the stand-in's ellipse: subject and background both there


def test_cancel_while_the_engine_starts_keeps_the_engine(context, app_url, small_photo):
    page = _choose_while_starting(context, app_url, small_photo)
    page.click("#cancel")
    assert wait_job(page, timeout_ms=15_000) == "cancelled"
    page.wait_for_selector("body[data-engine=ready]", state="attached", timeout=BOOT_TIMEOUT_MS)
    assert "Restarting" not in page.text_content("#stage"), "cancelling a waiting photo restarted the engine"
    assert cut(page, small_photo) == "done", page.text_content("#error")


def test_wire_types_load_once_the_engine_is_idle(context, app_url, small_photo):
    """msgspec (the wire types) is loaded after the engine is ready, but not in
    the way of a photo chosen right then: the first job runs without it, and it
    is there for a job that comes after the engine has been idle."""
    page = context.new_page()
    page.goto(f"{app_url}/?backend=wasm&{STAND_IN}")
    page.wait_for_selector("body[data-engine=ready]", state="attached", timeout=BOOT_TIMEOUT_MS)
    assert cut(page, small_photo) == "done", page.text_content("#error")
    assert json.loads(page.get_attribute("body", "data-timings"))["wireTypes"] is None
    time.sleep(2.5)  # the worker's WIRE_IDLE_MS is 1.5 s; loading takes ~0.1-0.3 s
    assert cut(page, small_photo) == "done", page.text_content("#error")
    assert json.loads(page.get_attribute("body", "data-timings"))["wireTypes"] > 0
