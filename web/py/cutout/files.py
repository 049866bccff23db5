"""Decode and encode image files with Pillow (CPython side: CLI, benchmarks).
The browser decodes and encodes with its own codecs instead."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import CutoutError
from .pipeline import MAX_PIXELS, check_size

FORMATS = {"png": "PNG", "webp": "WEBP"}


def read_rgba(path: Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """uint8 [H, W, 4], upright per EXIF. Size is checked from the header,
    before any pixel is decoded."""
    data = Path(path).read_bytes()
    if not data:
        raise CutoutError("empty_file", str(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            check_size(img.height, img.width, max_pixels)
            img = ImageOps.exif_transpose(img)
            return np.asarray(img.convert("RGBA"))
    except CutoutError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise CutoutError("image_too_large", f"{path}: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise CutoutError("decode_failed", f"{path}: {exc}") from exc
    except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt data
        raise CutoutError("decode_failed", f"{path}: {exc}") from exc


def write_image(path: Path, pixels: np.ndarray, fmt: str) -> None:
    """Write RGBA (H, W, 4) or a mask (H, W, 1). Written to a temporary name
    first, removed if anything fails: an interrupted run never leaves a
    half-written file."""
    img = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels)
    tmp = path.with_name(path.name + ".part")
    options = {"compress_level": 3} if fmt == "png" else {"quality": 90, "method": 4}
    try:
        img.save(tmp, FORMATS[fmt], **options)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
