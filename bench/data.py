"""The evaluation sets in ../shared/eval (read in place, never copied)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


@dataclass
class Sample:
    set: str
    name: str
    image: Path
    gt: np.ndarray       # float 0..1, [H, W]
    scored: np.ndarray   # bool [H, W]
    binary: bool


def scaled_size(width: int, height: int, megapixels: float) -> tuple[int, int]:
    """(width, height) scaled, aspect kept, to about `megapixels`."""
    scale = (megapixels * 1e6 / (width * height)) ** 0.5
    return round(width * scale), round(height * scale)


def eval_sets() -> list[str]:
    if not EVAL.is_dir():
        return []
    return sorted(p.name for p in EVAL.iterdir() if (p / "image").is_dir() and (p / "gt").is_dir())


def samples(set_name: str) -> list[Sample]:
    root = EVAL / set_name
    out = []
    for image in sorted((root / "image").iterdir()):
        gt_path = root / "gt" / f"{image.stem}.png"
        if not gt_path.exists():
            continue
        gt = np.asarray(Image.open(gt_path).convert("L"))
        scored = np.ones(gt.shape, bool)
        ignore = root / "ignore" / f"{image.stem}.png"
        if ignore.exists():
            scored &= np.asarray(Image.open(ignore).convert("L")) < 128
        binary = bool(np.isin(np.unique(gt), [0, 255]).all())
        out.append(Sample(set_name, image.stem, image, gt / 255.0, scored, binary))
    return out
