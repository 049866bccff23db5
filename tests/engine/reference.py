"""numpy reference implementations the ONNX graphs are checked against.

Written for clarity, in float64, independently of the graph code."""

from __future__ import annotations

import numpy as np


def resize_weights(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in] antialiased linear (triangle) resampling, half-pixel centres."""
    scale = n_out / n_in
    support = 1.0 / min(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) / scale - 0.5
    dist = np.abs(np.arange(n_in)[None, :] - centres[:, None]) / support
    w = np.clip(1.0 - dist, 0.0, None)
    if scale >= 1.0:  # plain bilinear: clamp the sample position to the edges
        w = np.zeros((n_out, n_in))
        pos = np.clip(centres, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, n_in - 1)
        frac = pos - lo
        w[np.arange(n_out), lo] += 1 - frac
        w[np.arange(n_out), hi] += frac
    return w / w.sum(axis=1, keepdims=True)


def resize(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Resize the first two axes of an [H, W, ...] array."""
    ry = resize_weights(img.shape[0], h)
    rx = resize_weights(img.shape[1], w)
    out = np.tensordot(ry, img.astype(np.float64), axes=(1, 0))
    return np.moveaxis(np.tensordot(rx, out, axes=(1, 1)), 0, 1)


def box_mean(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over the in-image part of a (2r+1)² window; x is [H, W, ...]."""
    out = x.astype(np.float64)
    for axis in (0, 1):
        n = out.shape[axis]
        c = np.cumsum(np.moveaxis(out, axis, 0), axis=0)
        c = np.concatenate([np.zeros_like(c[:1]), c], axis=0)
        idx = np.arange(n)
        hi = np.minimum(idx + r + 1, n)
        lo = np.maximum(idx - r, 0)
        sums = c[hi] - c[lo]
        count = (hi - lo).reshape((-1,) + (1,) * (sums.ndim - 1))
        out = np.moveaxis(sums / count, 0, axis)
    return out


def guided_filter(guide: np.ndarray, p: np.ndarray, r: int, eps: float):
    """Colour guided filter: returns (A [H,W,3], b [H,W]) with q = A.I + b."""
    mean_i = box_mean(guide, r)
    mean_p = box_mean(p, r)
    cov_ip = box_mean(guide * p[..., None], r) - mean_i * mean_p[..., None]
    outer = guide[..., :, None] * guide[..., None, :]
    sigma = box_mean(outer.reshape(*p.shape, 9), r).reshape(*p.shape, 3, 3)
    sigma -= mean_i[..., :, None] * mean_i[..., None, :]
    sigma += eps * np.eye(3)
    a = np.linalg.solve(sigma, cov_ip[..., None])[..., 0]
    b = mean_p - (a * mean_i).sum(-1)
    return box_mean(a, r), box_mean(b, r)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def logit(p, clip):
    """log(p / (1 - p)) of p kept inside (0, 1), clipped to +-clip."""
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.clip(np.log(q / (1 - q)), -clip, clip)


def refine_alpha(guide, p, r, eps, shift, clip):
    """The refine stage's alpha: guided filter on the mask's clipped logits,
    shifted; returns (A, b) with alpha = sigmoid(A.I + b)."""
    big_a, big_b = guided_filter(guide, logit(p, clip), r, eps)
    return big_a, big_b + shift


def blur_fusion(image: np.ndarray, alpha: np.ndarray, radii, pools=None) -> tuple[np.ndarray, np.ndarray]:
    """Foreground/background colour estimation (Germer et al. 2021). A pass
    with pool p > 1 takes its window sums on the map averaged over p x p
    blocks, with the radius divided by p, and resizes the estimates back."""
    a = alpha[..., None]
    fg = bg = image.astype(np.float64)
    for r, pool in zip(radii, pools or [1] * len(radii)):
        if pool > 1:
            small = block_mean(np.concatenate([fg * a, a, bg * (1 - a), 1 - a], -1), pool)
            rs = max(1, (r + pool // 2) // pool)
            sums = _box_sum(small, rs)
            est = np.concatenate([sums[..., 0:3] / (sums[..., 3:4] + 1e-5), sums[..., 4:7] / (sums[..., 7:8] + 1e-5)], -1)
            est = resize(est, *image.shape[:2])
            f_hat, b_hat = est[..., 0:3], est[..., 3:6]
        else:
            f_hat = _box_sum(fg * a, r) / (_box_sum(a, r) + 1e-5)
            b_hat = _box_sum(bg * (1 - a), r) / (_box_sum(1 - a, r) + 1e-5)
        resid = image - a * f_hat - (1 - a) * b_hat
        fg = np.clip(f_hat + a * resid, 0, 1)
        bg = np.clip(b_hat + (1 - a) * resid, 0, 1)
    return fg, bg


def block_mean(x: np.ndarray, p: int) -> np.ndarray:
    """Mean over p x p blocks of [H, W, C] (blocks cut short by the edges: their own pixels)."""
    h, w = x.shape[:2]
    gh, gw = -(-h // p), -(-w // p)
    out = np.zeros((gh, gw, x.shape[2]))
    for by in range(gh):
        for bx in range(gw):
            out[by, bx] = x[by * p:(by + 1) * p, bx * p:(bx + 1) * p].mean(axis=(0, 1))
    return out


def _box_sum(x, r):
    return box_mean(x, r) * window_counts(x.shape[:2], r)[..., None]


def window_counts(shape, r):
    ys = np.minimum(np.arange(shape[0]) + r + 1, shape[0]) - np.maximum(np.arange(shape[0]) - r, 0)
    xs = np.minimum(np.arange(shape[1]) + r + 1, shape[1]) - np.maximum(np.arange(shape[1]) - r, 0)
    return np.outer(ys, xs).astype(np.float64)


def pack(big_a, big_b, fg, bg) -> np.ndarray:
    """HWC coefficient map as the refine graph packs it (stages.py docstring)."""
    return np.concatenate([big_a / 255, big_b[..., None], fg * 255, (fg - bg) * 255], -1)


def unpack(coef: np.ndarray) -> np.ndarray:
    """HWC packed map -> [A (3), b, F (3), B (3)] on the 0..1 scale."""
    fg = coef[..., 4:7] / 255
    return np.concatenate([coef[..., :3] * 255, coef[..., 3:4], fg, fg - coef[..., 7:10] / 255], -1)


def compose(photo: np.ndarray, big_a, big_b, fg, bg) -> np.ndarray:
    """Full-resolution RGBA from working-resolution maps (bilinear upsampling)."""
    h, w = photo.shape[:2]
    up = [resize(m, h, w) for m in (big_a, big_b, fg, bg)]
    rgb = photo[..., :3] / 255.0
    alpha = sigmoid((up[0] * rgb).sum(-1) + up[1])
    a = alpha[..., None]
    f = np.clip(up[2] + a * (rgb - a * up[2] - (1 - a) * up[3]), 0, 1)
    a_out = alpha * photo[..., 3] / 255.0
    f = f * (a_out[..., None] > 0.5 / 255)
    out = np.concatenate([f, a_out[..., None]], -1)
    return np.clip(np.floor(out * 255 + 0.5), 0, 255).astype(np.uint8)
