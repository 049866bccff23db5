"""The browser decoder (web/static/js/engine/image-io.js) against Pillow, in
the browser that runs it: every EXIF orientation comes out upright, alpha
stays straight, and each format the app names decodes to the same pixels."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image, ImageOps

DECODE = """async ([b64, type]) => {
    const { decodeImage } = await import("/js/engine/image-io.js");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const { width, height, pixels } = await decodeImage(new Blob([bytes], { type }), 64e6);
    let s = ""; for (let i = 0; i < pixels.length; i += 0x8000) s += String.fromCharCode(...pixels.subarray(i, i + 0x8000));
    return { width, height, pixels: btoa(s), decoder: self.ImageDecoder ? "ImageDecoder" : "canvas" };
}"""


def _photo(w=120, h=80) -> Image.Image:
    """Smooth colours, so JPEG decoders agree within a level or two; not symmetric."""
    yy, xx = np.mgrid[:h, :w]
    rgb = np.stack([xx * 255 // w, yy * 255 // h, (xx + 2 * yy) * 255 // (w + 2 * h)], -1).astype(np.uint8)
    return Image.fromarray(rgb)


def _decode(page, data: bytes, mime: str) -> np.ndarray:
    r = page.evaluate(DECODE, [base64.b64encode(data).decode(), mime])
    return np.frombuffer(base64.b64decode(r["pixels"]), np.uint8).reshape(r["height"], r["width"], 4)


@pytest.fixture(scope="module")
def page(browser, app_url):
    ctx = browser.new_context()
    p = ctx.new_page()
    p.goto(f"{app_url}/")
    yield p
    ctx.close()


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(page, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    _photo().save(buf, "JPEG", quality=95, exif=exif)
    expect = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buf.getvalue()))).convert("RGBA")).astype(int)
    got = _decode(page, buf.getvalue(), "image/jpeg").astype(int)
    assert got.shape == expect.shape, f"orientation {orientation}: {got.shape[:2]} is not {expect.shape[:2]}"
    diff = np.abs(got - expect)
    assert diff.mean() < 1.0 and diff.max() <= 12, (orientation, diff.mean(), diff.max())


def test_alpha_stays_straight(page):
    """Soft alpha down to 1/255 keeps its colours: a canvas would premultiply them away."""
    h, w = 64, 256
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 2] = 200, 90, 30
    rgba[..., 3] = np.arange(w, dtype=np.uint8)[None, :]
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, "PNG")
    got = _decode(page, buf.getvalue(), "image/png")
    assert np.array_equal(got, rgba)


@pytest.mark.parametrize("fmt, mime", [("PNG", "image/png"), ("WEBP", "image/webp"), ("GIF", "image/gif"), ("BMP", "image/bmp")])
def test_formats_decode_to_the_same_pixels(page, fmt, mime):
    buf = io.BytesIO()
    img = _photo()
    options = {"lossless": True} if fmt == "WEBP" else {}
    (img.quantize(64) if fmt == "GIF" else img).save(buf, fmt, **options)
    expect = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGBA"))
    assert np.array_equal(_decode(page, buf.getvalue(), mime), expect)


def test_jpeg_gives_libjpeg_pixels_however_its_bytes_arrive(page):
    """Sharp colour edges. With every byte there before it decodes, Chrome's
    ImageDecoder offers YUV planes whose chroma copyTo upsamples coarsely (up to
    118 levels off here); streamed, it decodes to RGB itself. Which one a file
    got depended on how its bytes arrived: the frame path must give libjpeg's
    pixels or nothing (the canvas then decodes), and decodeImage libjpeg's."""
    yy, xx = np.mgrid[0:300, 0:400]
    textured = np.stack([(xx * 7 + yy * 3) % 256, (xx * 2 + yy * 5) % 256, (xx ^ yy) % 256], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(textured).save(buf, "JPEG", quality=90)
    expect = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGBA")).astype(int)
    r = page.evaluate("""async (b64) => {
        const { decodeFrame } = await import("/js/engine/image-io.js");
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const frame = await decodeFrame(bytes.buffer, "image/jpeg", 64e6);  // every byte there at once
        if (!frame) return null;
        let s = ""; for (let i = 0; i < frame.pixels.length; i += 0x8000) s += String.fromCharCode(...frame.pixels.subarray(i, i + 0x8000));
        return btoa(s);
    }""", base64.b64encode(buf.getvalue()).decode())
    if r is not None:
        got = np.frombuffer(base64.b64decode(r), np.uint8).reshape(expect.shape).astype(int)
        assert np.abs(got - expect).max() <= 2, np.abs(got - expect).max()
    for _ in range(3):
        diff = np.abs(_decode(page, buf.getvalue(), "image/jpeg").astype(int) - expect)
        assert diff.max() <= 2 and diff.mean() < 0.05, (diff.max(), diff.mean())


def test_pixels_go_into_a_spare_buffer_when_it_is_large_enough(page):
    """The worker hands the last photo's buffer to the next decode: the pixels
    must be written there (a view of it) and be the same as decoded fresh; so
    must they in a buffer made from the file header's size, which may be wrong."""
    buf = io.BytesIO()
    _photo().save(buf, "PNG")
    r = page.evaluate("""async (b64) => {
        const { decodeImage } = await import("/js/engine/image-io.js");
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const blob = new Blob([bytes], { type: "image/png" });
        const fresh = await decodeImage(blob, 64e6);
        const spare = new Uint8Array(fresh.pixels.length + 4096).fill(7).buffer;
        const reused = await decodeImage(blob, 64e6, { spare });
        const small = await decodeImage(blob, 64e6, { spare: new ArrayBuffer(16) });
        const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
        // a buffer made from the header's size while the decoder works; a header that lies is outgrown
        const header = Promise.resolve({ width: fresh.width, height: fresh.height });
        const made = await decodeImage(blob, 64e6, { header });
        const lied = await decodeImage(blob, 64e6, { header: Promise.resolve({ width: 3, height: 2 }) });
        return { inSpare: reused.pixels.buffer === spare, same: same(fresh.pixels, reused.pixels),
                 smallNew: small.pixels.byteLength === fresh.pixels.length && same(fresh.pixels, small.pixels),
                 made: same(fresh.pixels, made.pixels), lied: same(fresh.pixels, lied.pixels) };
    }""", base64.b64encode(buf.getvalue()).decode())
    assert r == {"inSpare": True, "same": True, "smallNew": True, "made": True, "lied": True}
