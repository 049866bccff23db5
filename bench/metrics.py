"""Matting metrics as defined in DESIGN.md §5. Alpha and ground truth in 0..1;
pixels where `scored` is False count for nothing."""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def metrics(alpha: np.ndarray, gt: np.ndarray, scored: np.ndarray, binary_gt: bool) -> dict:
    a = alpha.astype(np.float64)
    g = gt.astype(np.float64)
    diff = np.abs(a - g) * scored
    grad = (ndimage.gaussian_gradient_magnitude(a, 1.4) - ndimage.gaussian_gradient_magnitude(g, 1.4)) ** 2
    fa, fg = (a > 0.5) & scored, (g > 0.5) & scored
    union = (fa | fg).sum()
    band = boundary_band(g, binary_gt) & scored
    return {
        "SAD": diff.sum() / 1000,
        "MSE": (diff ** 2).sum() / max(scored.sum(), 1) * 1e3,
        "Grad": (grad * scored).sum() / 1000,
        "IoU": (fa & fg).sum() / union if union else 1.0,
        "bSAD": (diff * band).sum() / 1000,
    }


def boundary_band(g: np.ndarray, binary_gt: bool) -> np.ndarray:
    """Soft ground truth: where 0 < g < 1, dilated 5 px. Binary: 10 px each side of the edge."""
    if binary_gt:
        fg = g > 0.5
        seed, radius = fg ^ ndimage.binary_erosion(fg), 10
    else:
        seed, radius = (g > 0) & (g < 1), 5
    if not seed.any():
        return seed
    return ndimage.distance_transform_edt(~seed) <= radius
