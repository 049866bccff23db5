"""What a person sees when things go wrong, and that the app keeps working:
EXIF-rotated photos, corrupt and non-image files, too many pixels, cancel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from .helpers import STAND_IN, cut, download, open_app, rgba_of, wait_job


@pytest.fixture(scope="module")
def files(photo, tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    upright = Image.open(photo[0]).convert("RGB").resize((400, 323), Image.LANCZOS)
    upright.save(d / "upright.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: display rotated 90° clockwise
    upright.rotate(90, expand=True).save(d / "rotated.jpg", quality=95, exif=exif)
    good = (d / "rotated.jpg").read_bytes()
    (d / "corrupt.jpg").write_bytes(good[:600])  # header intact, data cut off
    (d / "notes.txt").write_text("this is not an image\n" * 20)
    (d / "empty.png").write_bytes(b"")
    Image.new("RGB", (9000, 8000), (200, 180, 160)).save(d / "huge.png")  # 72 MP, limit 64 MP
    return d


def test_exif_rotated_jpeg_comes_out_upright(context, app_url, files, artifacts):
    page = open_app(context, app_url, f"backend=wasm&{STAND_IN}")
    assert cut(page, files / "rotated.jpg") == "done", page.text_content("#error")
    page.screenshot(path=str(artifacts / "exif-upright.png"))
    out = rgba_of(download(page, "#save-png"))
    upright = np.asarray(Image.open(files / "upright.png").convert("RGB")).astype(int)
    assert out.shape[:2] == upright.shape[:2], f"{out.shape} is not upright {upright.shape}"
    inside = out[..., 3] == 255  # opaque middle of the stand-in ellipse keeps photo colours
    assert inside.sum() > 10_000
    err = np.abs(out[..., :3].astype(int) - upright)[inside].mean()
    assert err < 6, f"colours differ from the upright photo by {err:.1f} levels on average"


def _error_after(page, path, code, words, artifacts, shot):
    assert cut(page, path) == "error"
    assert page.get_attribute("body", "data-error-code") == code
    text = page.text_content("#error")
    assert page.is_visible("#error") and all(w in text for w in words), text
    page.screenshot(path=str(artifacts / shot))


def test_bad_files_show_sentences_and_the_app_keeps_working(context, app_url, files, artifacts):
    page = open_app(context, app_url, f"backend=wasm&{STAND_IN}")
    _error_after(page, files / "corrupt.jpg", "decode_failed", ["could not be read as an image"], artifacts, "error-corrupt.png")
    _error_after(page, files / "notes.txt", "not_an_image", ["not an image"], artifacts, "error-not-image.png")
    _error_after(page, files / "empty.png", "empty_file", ["empty"], artifacts, "error-empty.png")
    _error_after(page, files / "huge.png", "image_too_large", ["more pixels than"], artifacts, "error-too-large.png")
    assert cut(page, files / "upright.png") == "done", page.text_content("#error")
    assert page.is_hidden("#error"), "the previous error is still shown after a good image"
    page.screenshot(path=str(artifacts / "after-errors.png"))


def test_cancel_stops_a_running_cutout_and_the_next_one_works(context, app_url, files, artifacts):
    page = open_app(context, app_url, "backend=wasm")
    page.evaluate("() => { document.body.dataset.job = 'submitted'; }")
    page.set_input_files("#file", str(files / "upright.png"))
    page.wait_for_selector("#stage:has-text('Finding the subject')", timeout=120_000)
    page.click("#cancel")
    assert wait_job(page, timeout_ms=15_000) == "cancelled"
    page.screenshot(path=str(artifacts / "cancelled.png"))
    assert "Cancelled" in page.text_content("#stage")
    page.wait_for_selector("body[data-engine=ready]", state="attached", timeout=120_000)  # restarted engine
    assert "Ready" in page.text_content("#stage")
    assert cut(page, files / "upright.png") == "done", page.text_content("#error")
