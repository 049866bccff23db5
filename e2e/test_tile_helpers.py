"""The tile helpers (web/static/js/engine/tile-helper.js): after a large photo
the engine worker starts one single-threaded onnxruntime worker per thread, and
the next large photo's compose tiles run there. Their cutout must be the one
the engine worker makes alone, byte for byte; tiles a failing helper took are
run by the engine worker; a cancel stops them and the next photo still works.
Driven through the engine's client (js/engine/client.js) with the stand-in
model (every real graph, no ISNet), so the raw pixels can be compared."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from e2e.helpers import open_app

SIZE = (2600, 1700)  # 4.4 MP: over worker.js HELPER_PIXELS

SETUP = """async (fault) => {
  const { EngineClient } = await import("/js/engine/client.js");
  const engine = new EngineClient({ backend: "wasm", test: true, fault });
  await engine.ready;
  const input = document.createElement("input");
  input.type = "file";
  input.id = "tile-test-file";
  document.body.append(input);
  const digest = async (buffer) => Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", buffer)),
    (b) => b.toString(16).padStart(2, "0")).join("");
  // one cutout of the chosen file; cancelled once its compose stage has reported `cancelAt` of its progress
  window.tileJob = async (cancelAt = null) => {
    let cancelling = null;
    const onProgress = (p) => {
      if (cancelAt !== null && !cancelling && p.stage === "compose" && p.fraction >= cancelAt) cancelling = engine.cancel();
    };
    try {
      const r = await engine.cutout(input.files[0], { model: "stand-in-ellipse" }, onProgress);
      return { tiles: r.tiles, width: r.width, height: r.height, sha: await digest(await r.pixels) };
    } catch (e) {
      await cancelling;
      return { error: e.code, restarts: engine.restarts };
    }
  };
  return Math.min(navigator.hardwareConcurrency || 1, 4) * (self.crossOriginIsolated ? 1 : 0);
}"""


def _textured(w: int, h: int) -> np.ndarray:
    """Texture everywhere, so the stand-in's soft ellipse edge leaves many mixed tiles."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([(xx * 7 + yy * 3) % 256, (xx * 2 + yy * 5) % 256, (xx ^ yy) % 256], -1).astype(np.uint8)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiles")
    big, huge = folder / "big.jpg", folder / "huge.jpg"
    Image.fromarray(_textured(*SIZE)).save(big, quality=90)
    # 24 MP: a compose stage long enough (~0.5 s with helpers) to cancel in the middle of
    Image.fromarray(_textured(6000, 4000)).save(huge, quality=90)
    return big, huge


def _engine(context, app_url, fault=""):
    page = open_app(context, app_url, "backend=wasm&test=1")  # a page of our origin (isolated); its own engine idles
    threads = page.evaluate(SETUP, fault)
    if threads < 2:
        pytest.skip("one thread or no cross-origin isolation: the engine starts no tile helpers")
    return page, threads


def _job(page, photo, cancel_at=None) -> dict:
    page.set_input_files("#tile-test-file", str(photo))
    return page.evaluate("(at) => tileJob(at)", cancel_at)


def _helped(page, photo) -> dict:
    """Cut `photo` until the helpers take part (they start after the first large photo, in the background)."""
    for _ in range(5):
        r = _job(page, photo)
        assert "error" not in r, r
        if r["tiles"]["helpers"]:
            return r
        page.wait_for_timeout(1000)
    raise AssertionError(f"the tile helpers never took part: {r}")


def test_helpers_make_the_same_cutout(context, app_url, photos):
    page, threads = _engine(context, app_url)
    alone = _job(page, photos[0])
    assert alone["tiles"]["helpers"] == 0, alone  # not started before the first large photo
    helped = _helped(page, photos[0])
    assert helped["tiles"]["helpers"] == threads, helped
    assert helped["tiles"]["helped"] == helped["tiles"]["runs"] > 10, helped  # every mixed tile ran in a helper
    assert (helped["width"], helped["height"]) == SIZE
    assert helped["sha"] == alone["sha"]
    page.close()


def test_tiles_of_a_failing_helper_are_run_by_the_engine(context, app_url, photos):
    page, _ = _engine(context, app_url)
    reference = _job(page, photos[0])
    page.close()
    page, threads = _engine(context, app_url, "tile-helper")
    r = _helped(page, photos[0])
    # each helper delivered its first tile, then failed holding its second
    assert r["tiles"]["helped"] == threads < r["tiles"]["runs"], r
    assert r["sha"] == reference["sha"]
    assert any("simulated failure" in line for line in page.console_lines), page.console_lines[-10:]
    page.close()


def test_cancel_stops_the_helpers_and_the_next_photo_works(context, app_url, photos):
    page, _ = _engine(context, app_url)
    _helped(page, photos[0])
    _helped(page, photos[1])  # the 24 MP photo's buffers exist now: its compose is the long part
    cancelled = _job(page, photos[1], cancel_at=0.75)
    assert cancelled == {"error": "cancelled", "restarts": 0}, cancelled  # stopped in time, no worker restart
    again = _helped(page, photos[0])
    assert again["tiles"]["helped"] == again["tiles"]["runs"], again
    page.close()
