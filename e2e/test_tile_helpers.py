"""The tile helpers (web/static/js/engine/tile-pool.js): for a large photo the
engine worker starts one single-threaded onnxruntime worker per thread and
hands them the compose stage's mixed tiles. Their cutout must be the one the
engine worker makes alone, byte for byte; tiles of a failing helper are run by
the engine worker; a cancel stops them and the next photo still works; small
photos do not start them. Driven through the engine's client
(js/engine/client.js) with the stand-in model (every real graph, no ISNet), so
the raw pixels can be compared."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from e2e.helpers import open_app

SIZE = (2600, 1700)  # 4.4 MP: over worker.js HELPER_PIXELS

SETUP = """async ([fault, helpers]) => {
  const { EngineClient } = await import("/js/engine/client.js");
  const engine = new EngineClient({ backend: "wasm", test: true, fault, tileHelpers: helpers });
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
      return { tiles: r.tiles, width: r.width, height: r.height, early: r.earlySessions, sha: await digest(await r.pixels) };
    } catch (e) {
      await cancelling;
      return { error: e.code, restarts: engine.restarts };
    }
  };
  return self.crossOriginIsolated ? Math.min(navigator.hardwareConcurrency || 1, 4) : 1;
}"""


def _textured(w: int, h: int) -> np.ndarray:
    """Texture everywhere, so the stand-in's soft ellipse edge leaves many mixed tiles."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([(xx * 7 + yy * 3) % 256, (xx * 2 + yy * 5) % 256, (xx ^ yy) % 256], -1).astype(np.uint8)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiles")
    big, huge, small = folder / "big.jpg", folder / "huge.jpg", folder / "small.png"
    Image.fromarray(_textured(*SIZE)).save(big, quality=90)
    # 24 MP: a compose stage long enough to cancel in the middle of
    Image.fromarray(_textured(6000, 4000)).save(huge, quality=90)
    Image.fromarray(_textured(1200, 800)).save(small)  # ~1 MP
    return big, huge, small


def _engine(context, app_url, fault="", helpers=True):
    page = open_app(context, app_url, "backend=wasm&test=1")  # a page of our origin (isolated); its own engine idles
    threads = page.evaluate(SETUP, [fault, helpers])
    if helpers is True and threads < 2:
        pytest.skip("one thread or no cross-origin isolation: the engine starts no tile helpers")
    return page, threads


def _job(page, photo, cancel_at=None) -> dict:
    page.set_input_files("#tile-test-file", str(photo))
    return page.evaluate("(at) => tileJob(at)", cancel_at)


def _helped(page, photo) -> dict:
    """Cut `photo` until the helpers take part (the first large photo starts them;
    on a busy machine they may be up only for the next)."""
    for _ in range(4):
        r = _job(page, photo)
        assert "error" not in r, r
        if r["tiles"]["helpers"]:
            return r
    raise AssertionError(f"the tile helpers never took part: {r}")


def test_helpers_make_the_same_cutout(context, app_url, photos):
    page, _ = _engine(context, app_url, helpers=False)
    alone = _job(page, photos[0])
    assert alone["tiles"]["helpers"] == 0, alone
    page.close()
    page, threads = _engine(context, app_url)
    first = _helped(page, photos[0])  # started by this photo: one may join only during its compose
    assert first["sha"] == alone["sha"]
    for _ in range(3):  # up from the start now, reusing their buffers
        helped = _job(page, photos[0])
        assert helped["tiles"]["helpers"] == threads, helped
        assert helped["tiles"]["helped"] == helped["tiles"]["runs"] > 10, helped  # every mixed tile ran in a helper
        assert (helped["width"], helped["height"]) == SIZE
        assert helped["sha"] == alone["sha"]
    page.close()


def test_a_large_photos_sessions_open_while_it_decodes(context, app_url, photos):
    """The refine graph a 24 MP photo needs (graph-refine-large, not made at
    boot) is started from the file header's size, before the photo is decoded;
    the next photo finds it made."""
    page, _ = _engine(context, app_url, helpers=False)
    small = _job(page, photos[2])  # ~1 MP: the refine graph made at boot
    assert "error" not in small, small
    assert "graph-refine" not in small["early"] and "graph-refine-large" not in small["early"], small
    huge = _job(page, photos[1])
    assert "error" not in huge, huge
    assert "graph-refine-large" in huge["early"], huge
    again = _job(page, photos[1])
    assert again["early"] == [], again
    page.close()


def test_small_photos_start_no_helpers(context, app_url, photos):
    page, _ = _engine(context, app_url)
    r = _job(page, photos[2])
    assert "error" not in r, r
    assert r["tiles"]["helpers"] == r["tiles"]["helpersRunning"] == 0, r
    page.close()


def test_tiles_of_a_failing_helper_are_run_by_the_engine(context, app_url, photos):
    page, _ = _engine(context, app_url, helpers=False)
    reference = _job(page, photos[0])
    page.close()
    page, threads = _engine(context, app_url, "tile-helper")
    r = _helped(page, photos[0])
    # each helper delivered its first tile, then failed on its second: that one and the rest ran here
    assert r["tiles"]["helped"] == threads < r["tiles"]["runs"], r
    assert r["sha"] == reference["sha"]
    assert any("simulated tile helper failure" in line for line in page.console_lines), page.console_lines[-10:]
    again = _helped(page, photos[0])  # failed helpers are started afresh for the next large photo
    assert again["sha"] == reference["sha"]
    page.close()


def test_cancel_stops_the_helpers_and_the_next_photo_works(context, app_url, photos):
    page, _ = _engine(context, app_url)
    _helped(page, photos[1])
    cancelled = _job(page, photos[1], cancel_at=0.8)
    assert cancelled == {"error": "cancelled", "restarts": 0}, cancelled  # stopped in time, no worker restart
    again = _helped(page, photos[0])
    assert again["tiles"]["helped"] == again["tiles"]["runs"], again
    page.close()


def test_header_size(context, app_url, tmp_path):
    """The size read from a file's header (image-size.js), which starts the
    helpers, the job's sessions and its pixel buffer as the photo is decoded:
    JPEG (after an EXIF block), PNG, WebP in its three forms, and which of them
    it is; null where it cannot tell."""
    rgb = Image.fromarray(_textured(301, 203))
    exif = Image.Exif()
    exif[0x010E] = "x" * 30_000  # ImageDescription: the frame header sits after a long APP1 block
    cases = {"photo.jpg": dict(format="JPEG", exif=exif.tobytes()), "progressive.jpg": dict(format="JPEG", progressive=True),
             "photo.png": dict(format="PNG"), "lossy.webp": dict(format="WEBP", quality=80),
             "lossless.webp": dict(format="WEBP", lossless=True), "photo.gif": dict(format="GIF")}
    files = {}
    for name, kw in cases.items():
        img = rgb.convert("RGBA") if name == "alpha.webp" else rgb
        img.save(tmp_path / name, **kw)
        files[name] = list((tmp_path / name).read_bytes())
    # VP8X: a lossy WebP with alpha
    Image.fromarray(np.dstack([_textured(301, 203), np.full((203, 301), 128, np.uint8)])).save(tmp_path / "alpha.webp", quality=80)
    files["alpha.webp"] = list((tmp_path / "alpha.webp").read_bytes())
    files["truncated.jpg"] = files["photo.jpg"][:200]
    page = context.new_page()
    page.goto(f"{app_url}/")
    got = page.evaluate("""async (files) => {
        const { headerSize } = await import("/js/engine/image-size.js");
        const out = {};
        for (const [name, bytes] of Object.entries(files)) out[name] = await headerSize(new Blob([new Uint8Array(bytes)]));
        return out;
    }""", files)
    expected = {name: {"width": 301, "height": 203, "format": name.rsplit(".")[1].replace("jpg", "jpeg")} for name in files}
    expected.update({"photo.gif": None, "truncated.jpg": None})
    assert got == expected
    assert bytes(files["alpha.webp"][12:16]) == b"VP8X"


def test_auto_starts_helpers_only_with_a_core_for_each(context, app_url):
    """By default (tileHelpers "auto") helpers start only where each has a core
    of its own beside the engine's threads (backends.js wantsTileHelpers)."""
    page = open_app(context, app_url, "backend=wasm&test=1")
    got = page.evaluate("""async () => {
        const { wantsTileHelpers } = await import("/js/engine/backends.js");
        const ask = (cores, setting, backend) => {
            Object.defineProperty(navigator, "hardwareConcurrency", { value: cores, configurable: true });
            return wantsTileHelpers(setting, backend);
        };
        const wasm = (threads) => ({ name: "wasm", threads });
        return [ask(2, "auto", wasm(2)), ask(4, "auto", wasm(4)), ask(8, "auto", wasm(4)), ask(16, "auto", wasm(4)),
                ask(2, true, wasm(2)), ask(16, false, wasm(4)), ask(16, "auto", { name: "webgpu", threads: 4 })];
    }""")
    assert got == [False, False, True, True, True, False, False]
    page.close()


def test_auto_leaves_them_off_on_a_machine_without_spare_cores(context, app_url, photos):
    page = open_app(context, app_url, "backend=wasm&test=1")
    cores, threads = page.evaluate("async () => [navigator.hardwareConcurrency, (await import('/js/engine/backends.js')).wasmThreads()]")
    page.close()
    if cores >= 2 * threads:
        pytest.skip(f"{cores} cores: 'auto' starts helpers here")
    page, _ = _engine(context, app_url, helpers="auto")
    r = _job(page, photos[0])
    assert "error" not in r, r
    assert r["tiles"]["helpers"] == r["tiles"]["helpersRunning"] == 0, r
    page.close()
