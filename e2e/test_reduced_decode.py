"""A large JPEG's pre-process reads a reduced decode of it (image-io.js
decodeReduced, worker.js photoFor): the job reports the copy it read, gives
the photo's full size upright (EXIF rotation included) and the cutout of the
photo read in full (JobOptions.reduce false) within a small tolerance; a
damaged JPEG ends as it does without the copy, and the next photo still works.
Mostly with the stand-in model (every real graph, a fixed ellipse instead of
ISNet: the copy changes only what the guided filter is guided by); one real
photo with ISNet, against its ground truth. And photos are decoded in a worker
of their own (photo-decoder.js), or, where it fails, in the engine worker, to
the same cutout."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from PIL import Image

from .helpers import STAND_IN, iou, open_app
from .test_real_photo import IOU_FLOOR

MEAN_TOL, P999_TOL = 0.5, 16  # ISNet on the two reductions: measured mean 0.060, p99.9 6, max 41

STORED = (3000, 2000)  # width, height as stored: 1/2 of it (1500 x 1000) is the smallest copy ISNet's 1024 allows


def _photo(w: int, h: int) -> Image.Image:
    """A textured subject-like disk on a textured background: many soft edges for the guided filter."""
    yy, xx = np.mgrid[0:h, 0:w]
    d = np.hypot(yy - h / 2, xx - w / 2) / (0.35 * min(h, w))
    fg = np.clip(1.3 - d, 0, 1)[..., None]
    texture = np.stack([(xx * 7 + yy * 3) % 97, (xx * 2 + yy * 5) % 89, (xx ^ yy) % 61], -1)
    rgb = fg * (150 + texture) + (1 - fg) * (20 + texture // 2)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reduced")
    img = _photo(*STORED)
    plain, turned, damaged = folder / "large.jpg", folder / "turned.jpg", folder / "damaged.jpg"
    img.save(plain, quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown rotated 90° clockwise: portrait
    img.save(turned, quality=90, exif=exif.tobytes())
    data = plain.read_bytes()
    damaged.write_bytes(data[: len(data) // 3])  # header intact, most of the scan missing
    return {"plain": plain, "turned": turned, "damaged": damaged}


# Through the engine's client (js/engine/client.js), as test_tile_helpers.py: the
# raw pixels of both reads, compared in the page (the app's own downloads of a
# photo this large cost a credit)
SETUP = """async (fault = "") => {
  const { EngineClient } = await import("/js/engine/client.js");
  const engine = new EngineClient({ backend: "wasm", test: true, fault });
  await engine.ready;
  const input = document.createElement("input");
  input.type = "file";
  input.id = "reduced-test-file";
  document.body.append(input);
  const job = async (reduce, model) => {
    try {
      const r = await engine.cutout(input.files[0], { ...(model ? { model } : {}), reduce });
      const pixels = new Uint8Array(await r.pixels);
      const sha = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", pixels)), (b) => b.toString(16).padStart(2, "0")).join("");
      return { ...r, pixels, sha };
    } catch (e) {
      return { error: e.code };
    }
  };
  // the chosen file cut out with the reduced decode and read in full: their |alpha difference|
  // histogram, sizes, timings, and which of rows and columns the subject spans more of
  const alpha = (r) => {
    let s = "";
    for (let i = 3; i < r.pixels.length; i += 4) s += String.fromCharCode(r.pixels[i]);
    return btoa(s);
  };
  window.bothReads = async (model = "stand-in-ellipse", alphas = false) => {
    const fast = await job(true, model), full = await job(false, model);
    if (fast.error || full.error) return { fast: fast.error || "done", full: full.error || "done" };
    const histogram = new Array(256).fill(0);
    for (let i = 3; i < fast.pixels.length; i += 4) histogram[Math.abs(fast.pixels[i] - full.pixels[i])] += 1;
    const rows = new Set(), cols = new Set();
    for (let i = 3, p = 0; i < fast.pixels.length; i += 4, p++) {
      if (fast.pixels[i] > 128) { rows.add(Math.floor(p / fast.width)); cols.add(p % fast.width); }
    }
    const shape = (r) => [r.height, r.width, r.channels];
    const summary = (r) => ({ shape: shape(r), reduced: r.reduced, timings: r.timings, decodedIn: r.decodedIn, sha: r.sha });
    return { fast: summary(fast), full: summary(full),
             histogram, rows: rows.size, cols: cols.size, ...(alphas ? { alphas: [alpha(fast), alpha(full)] } : {}) };
  };
}"""


def _both_reads(page, path, model: str = "stand-in-ellipse", alphas: bool = False) -> dict:
    page.set_input_files("#reduced-test-file", str(path))
    return page.evaluate("([model, alphas]) => bothReads(model, alphas)", [model, alphas])


@pytest.fixture(scope="module")
def page(browser, app_url):
    ctx = browser.new_context()
    p = open_app(ctx, app_url, f"backend=wasm&{STAND_IN}")  # a page of our origin; its own engine idles
    p.evaluate(SETUP)
    yield p
    ctx.close()


def _assert_close(histogram: list[int], mean: float = 0.5, p999: float = 8) -> None:
    """The stand-in's ellipse, guided by the photo reduced two ways (libjpeg's DCT
    scaling, then the antialiased resize): measured mean 0.010, p99.9 1, max 14."""
    d = np.repeat(np.arange(256), histogram)
    stats = f"alpha mean {d.mean():.3f}, p99.9 {np.percentile(d, 99.9):.1f}, max {d.max()}"
    print(f"reduced vs full read: {stats}")
    assert d.mean() <= mean and np.percentile(d, 99.9) <= p999, stats


@pytest.mark.parametrize("name, upright", [("plain", STORED), ("turned", STORED[::-1])])
def test_a_large_jpeg_is_pre_processed_from_a_reduced_decode(page, files, name, upright):
    r = _both_reads(page, files[name])
    w, h = upright
    assert r["fast"]["shape"] == r["full"]["shape"] == [h, w, 4], r
    assert r["fast"]["reduced"] == [h // 2, w // 2], r["fast"]
    assert r["full"]["reduced"] is None and "reducedDecode" not in r["full"]["timings"], r["full"]
    assert r["fast"]["timings"]["reducedDecode"] > 0 and r["fast"]["timings"]["fullDecode"] > 0
    _assert_close(r["histogram"])
    # upright: the stand-in's wide ellipse follows the photo's long side
    assert (r["cols"] > r["rows"]) == (w > h), r


def test_small_photos_and_other_formats_are_read_in_full(page, files, tmp_path):
    small = tmp_path / "small.jpg"
    _photo(1800, 1200).save(small, quality=90)  # 1/2 would be 900 px: less than ISNet's 1024
    png = tmp_path / "large.png"
    Image.open(files["plain"]).save(png)
    for path in (small, png):
        r = _both_reads(page, path)
        assert r["fast"]["reduced"] is None, (path.name, r["fast"])


def test_a_damaged_jpeg_ends_as_without_the_reduced_decode(page, files):
    r = _both_reads(page, files["damaged"])
    print("damaged JPEG:", {k: r[k] for k in ("fast", "full")})
    assert r["fast"] == r["full"] if isinstance(r["fast"], str) else r["fast"]["shape"] == r["full"]["shape"], r
    again = _both_reads(page, files["plain"])  # the next photo still works
    assert again["fast"]["reduced"] == [STORED[1] // 2, STORED[0] // 2], again["fast"]


def test_real_photo_through_isnet_from_a_reduced_decode(page, photo, tmp_path):
    """GT18 scaled up to 2400 x 1600: ISNet reads the 1/2 decode. Both cutouts
    meet the real-photo IoU floor against the scaled-up ground truth and agree
    with each other."""
    image, gt = Image.open(photo[0]).convert("RGB"), Image.open(photo[1]).convert("L")
    size = (2400, 1600)
    path = tmp_path / "gt18-large.jpg"
    image.resize(size, Image.LANCZOS).save(path, quality=92)
    truth = np.asarray(gt.resize(size, Image.BILINEAR))
    r = _both_reads(page, path, model="", alphas=True)
    assert r["fast"]["reduced"] == [800, 1200], r["fast"]
    fast, full = (np.frombuffer(base64.b64decode(a), np.uint8).reshape(1600, 2400) for a in r.pop("alphas"))
    scores = iou(fast, truth), iou(full, truth)
    print(f"IoU reduced {scores[0]:.4f}, full read {scores[1]:.4f}")
    assert min(scores) >= IOU_FLOOR, scores
    _assert_close(r["histogram"], mean=MEAN_TOL, p999=P999_TOL)


def test_reduced_size_is_the_smallest_scale_that_keeps_the_need(page):
    """libjpeg's scales 1/8, 1/4, 1/2 (sides rounded up); null where even 1/2 is too small."""
    got = page.evaluate("""async () => {
        const { reducedSize } = await import("/js/engine/image-io.js");
        const need = { width: 1024, height: 683 };
        return [[6000, 4000], [8000, 6000], [3000, 2000], [2047, 1365], [3001, 1999], [1800, 1200], [9000, 3000]]
            .map(([width, height]) => reducedSize({ width, height }, need));
    }""")
    assert got == [{"width": 1500, "height": 1000, "factor": 4}, {"width": 2000, "height": 1500, "factor": 4},
                   {"width": 1500, "height": 1000, "factor": 2}, {"width": 1024, "height": 683, "factor": 2},
                   {"width": 1501, "height": 1000, "factor": 2}, None, {"width": 2250, "height": 750, "factor": 4}]


def test_photos_are_decoded_in_a_worker_of_their_own(page, browser, app_url, files):
    """photo-decoder.js: the decoder's worker by default; where it fails, the
    engine worker decodes the photo itself, to the same cutout."""
    ctx = browser.new_context()
    try:
        failing = open_app(ctx, app_url, f"backend=wasm&{STAND_IN}")
        failing.evaluate(SETUP, "decoder-worker")
        for name in ("plain", "turned"):
            ours, fallback = _both_reads(page, files[name]), _both_reads(failing, files[name])
            assert ours["fast"]["decodedIn"] == ours["full"]["decodedIn"] == "decoder worker", ours["fast"]
            assert fallback["fast"]["decodedIn"] == fallback["full"]["decodedIn"] == "engine worker", fallback["fast"]
            assert fallback["fast"]["reduced"] == ours["fast"]["reduced"]
            assert (fallback["fast"]["sha"], fallback["full"]["sha"]) == (ours["fast"]["sha"], ours["full"]["sha"]), name
    finally:
        ctx.close()
