"""WebGPU (SwiftShader in CI: software, slow) against WASM on the same photo.

ISNet itself takes 15+ minutes on SwiftShader, so these runs use the test
stand-in model (?test=1): every real pre/post-processing graph runs, with a
fixed soft ellipse in place of the ISNet mask. The full model on WebGPU is
measured by the browser benchmark, not here."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from .helpers import STAND_IN, backend_label, cut, download, open_app, rgba_of

# WebGPU shaders and WASM kernels round differently (and some graphs fall back
# to WASM, see cpuGraphs); measured on a 400 px crop: max 1 level of alpha.
MAX_ALPHA_DIFF = 3
MEAN_DIFF_TOL = 0.5


@pytest.fixture(scope="module")
def small_photo(photo, tmp_path_factory):
    """A 400 px version of the photo: one compose tile (SwiftShader needs ~30 s per 512² tile)."""
    img = Image.open(photo[0]).convert("RGB")
    img = img.resize((400, round(400 * img.height / img.width)), Image.LANCZOS)
    path = tmp_path_factory.mktemp("photos") / "small.png"
    img.save(path)
    return path


def _cutout(context, app_url, query, path, artifacts, shot, best=False):
    page = open_app(context, app_url, f"{query}&{STAND_IN}")
    page.set_checked("#best", best)
    assert cut(page, path, timeout_ms=600_000) == "done", page.text_content("#error")
    page.screenshot(path=str(artifacts / shot))
    return page, rgba_of(download(page, "#save-png"))


@pytest.mark.parametrize("best", [False, True], ids=["one-pass", "best-flip-tta"])
def test_webgpu_graphs_match_wasm(context, app_url, small_photo, artifacts, best):
    suffix = "-best" if best else ""
    gpu_page, on_gpu = _cutout(context, app_url, "backend=webgpu", small_photo, artifacts,
                               f"webgpu-stand-in{suffix}.png", best)
    label = backend_label(gpu_page)
    assert label.startswith("WebGPU"), label
    _, on_wasm = _cutout(context, app_url, "backend=wasm", small_photo, artifacts, f"wasm-stand-in{suffix}.png", best)
    assert on_gpu.shape == on_wasm.shape
    # Colours compared premultiplied: a pixel whose alpha rounds to 0 on one side
    # and 1 on the other has its straight colour zeroed on that side only.
    g, w = on_gpu.astype(int), on_wasm.astype(int)
    alpha = np.abs(g[..., 3] - w[..., 3])
    colour = np.abs(g[..., :3] * g[..., 3:] - w[..., :3] * w[..., 3:]) / 255
    print(f"WebGPU vs WASM: alpha mean {alpha.mean():.4f} max {alpha.max()}; premultiplied colour max {colour.max():.2f}")
    assert alpha.max() <= MAX_ALPHA_DIFF and alpha.mean() <= MEAN_DIFF_TOL, (alpha.mean(), alpha.max())
    assert colour.max() <= MAX_ALPHA_DIFF, colour.max()
    assert (on_gpu[..., 3] > 0).any() and (on_gpu[..., 3] == 0).any(), "the stand-in ellipse should cut something out"


def test_webgpu_failure_at_session_creation_falls_back(context, app_url, small_photo):
    page = open_app(context, app_url, f"backend=webgpu&fault=webgpu-create&{STAND_IN}")
    assert "WASM" in backend_label(page) and "WebGPU" in backend_label(page), backend_label(page)
    assert cut(page, small_photo) == "done", page.text_content("#error")


def test_webgpu_failure_mid_job_retries_on_wasm_with_the_real_model(context, app_url, photo, artifacts):
    page = open_app(context, app_url, "backend=webgpu&fault=webgpu-run")
    assert backend_label(page).startswith("WebGPU"), backend_label(page)
    assert cut(page, photo[0]) == "done", page.text_content("#error")
    page.screenshot(path=str(artifacts / "webgpu-fallback.png"))
    label = backend_label(page)
    assert label.startswith("WASM") and "after WebGPU" in label, label
    out = rgba_of(download(page, "#save-png"))
    assert out.shape[:2] == Image.open(photo[0]).size[::-1]
