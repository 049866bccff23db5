"""The app's PNG encoder (web/static/js/engine/png.js), in the browser that
runs it: its files decode, with Pillow and with zlib's own checks, to exactly
the pixels it was given, whether its image data was compressed in one part
or in several at once (deflate-worker.js)."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

ENCODE = """async ([width, height, channels, seed]) => {
    const { encodePng, encoderStats } = await import("/js/engine/png.js");
    // a photo-like image: smooth ramps, noise, and a transparent (zero) region
    const n = width * height * channels, px = new Uint8Array(n);
    let s = seed;
    for (let i = 0; i < n; i++) {
        s = (s * 1103515245 + 12345) >>> 0;
        const p = Math.floor(i / channels), x = p % width, y = Math.floor(p / width);
        px[i] = x < width / 5 ? 0 : (x * 3 + y * 5 + ((s >>> 16) & 15)) & 255;
    }
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", px));
    const blob = await encodePng(px, width, height, channels);
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = "";
    for (let i = 0; i < bytes.length; i += 32768) text += String.fromCharCode(...bytes.subarray(i, i + 32768));
    return { png: btoa(text), parts: encoderStats.parts, cores: navigator.hardwareConcurrency, sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("") };
}"""


def _idat(png: bytes) -> bytes:
    """The concatenated IDAT payload, every chunk's CRC checked."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, data = 8, b""
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        body = png[at + 8:at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body), kind
        if kind == b"IDAT":
            data += body
        at += 12 + length
    return data


@pytest.mark.parametrize("width,height,channels", [
    (1, 1, 4),        # one pixel
    (3, 2, 1),        # grey (mask downloads)
    (257, 131, 4),    # odd sizes, one part
    (1531, 1709, 4),  # 10 MB of rows: several parts, one per worker
    (2903, 1601, 1),  # grey, two parts
])
def test_png_decodes_to_the_same_pixels(context, app_url, width, height, channels):
    page = context.new_page()
    page.goto(f"{app_url}/")
    got = page.evaluate(ENCODE, [width, height, channels, 7])
    png = base64.b64decode(got["png"])
    raw = zlib.decompress(_idat(png))  # zlib checks the stream's Adler-32 (the parts' combined)
    assert len(raw) == (width * channels + 1) * height
    img = Image.open(io.BytesIO(png))
    assert img.size == (width, height) and img.mode == ("RGBA" if channels == 4 else "L")
    decoded = np.asarray(img).reshape(height, width, channels)
    assert hashlib.sha256(decoded.tobytes()).hexdigest() == got["sha256"]
    if width * height * channels > 8 << 20:  # more than two parts' worth of rows
        assert got["parts"] == min(got["cores"], 3), got
    page.close()
