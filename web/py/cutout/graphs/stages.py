"""The pipeline's graphs. Each function returns an onnx.ModelProto.

pre      uint8 RGBA photo -> working-resolution guide + ISNet input
refine   guide + ISNet mask -> packed coefficient map + tile bounds
refine-large  the same with a tighter guided filter, for photos much larger than the working size
plain    guide + ISNet mask -> same packing, no refinement (mask upsampled only)
compose  one full-resolution tile: uint8 RGBA + coefficients -> uint8 RGBA
mask     one full-resolution tile: uint8 RGBA + coefficients -> uint8 alpha
flip     NCHW tensor mirrored left-right (the second pass of flip test-time augmentation)
flip_mean  mean of a mask and the mirror image of the mask of the mirrored input

Coefficient map channels (NCHW, at the working resolution), scaled for photo values 0..255 so the full-resolution graphs
skip every rescale: 0-2 guided-filter A / 255, 3 guided-filter b, 4-6
foreground colour F (0..255), 7-9 F - B (B: background colour). Bilinear
upsampling is linear, so F - B upsampled is the difference of the upsampled
maps: precomputing it saves full-resolution work. Full-resolution
alpha = sigmoid(sum_c A_c*I_c + b):
the guided filter works on the mask's logits (clipped to +-LOGIT_CLIP), so the
refined edge follows the photo's edges while confident regions stay saturated,
and a logit shift corrects ISNet's tendency to under-cover the subject's rim.
"""

from __future__ import annotations

from .builder import Graph
from ..graphs_meta import BOUNDS_CELL, COEF_CHANNELS, GF_RADIUS, GF_RADIUS_LARGE, LOGIT_CLIP
from .filters import blur_fusion_step, guided_filter_coefficients, row_bands, upsample_rows


WIDE_POOL = 4  # the wide blur-fusion pass works on the map pooled 4 x 4 (filters.blur_fusion_step)


def pre() -> object:
    g = Graph("pre")
    rgba = g.input("rgba", "uint8", ["H", "W", 4])
    size = g.input("guide_size", "int64", [2])
    model_size = g.input("model_size", "int64", [2])  # ISNet's input (h, w): tiling.model_size
    # antialiased resize straight on uint8 HWC: the full-res photo is read once.
    # As a 4-D NHWC resize (N and C kept): onnxruntime's 2-axis form of it copied
    # the whole photo first (+191 MiB at 50 MP) and ran ~1.8x slower, same output
    sizes = g.op("Concat", g.i64([1]), size, g.i64([4]), axis=0)
    small = g.op("Squeeze", g.op("Resize", g.op("Unsqueeze", rgba, g.i64([0])), "", "", sizes,
                                 mode="linear", antialias=1), g.i64([0]))
    chw = g.op("Transpose", g.op("Cast", small, to=1), perm=[2, 0, 1])
    rgb = g.slice(chw, [0], [3], [0])
    guide = g.mul(g.op("Unsqueeze", rgb, g.const([0], "int64")), g.const(1 / 255))
    x = g.op("Resize", guide, "", "", model_size, mode="linear", antialias=1, axes=[2, 3])
    g.output(g.sub(x, g.const(0.5)), "x", "float32", [1, 3, "mh", "mw"])
    g.output(guide, "guide", "float32", [1, 3, "h", "w"])
    return g.model()


def _mask_at_guide_size(g: Graph, guide: str, mask: str) -> str:
    hw = g.slice(g.op("Shape", guide), [2], [4], [0])
    return g.op("Resize", mask, "", "", hw, mode="linear", antialias=1, axes=[2, 3])


def _pack(g: Graph, parts: list[str], lo: str, hi: str) -> None:
    # not padded: the tile graphs clamp their sampling rows to the map's edges
    # (an edge Pad of the 10 channels was the refine graph's costliest node)
    g.output(g.op("Concat", *parts, axis=1), "coef", "float32", [1, COEF_CHANNELS, "h", "w"])
    # per-cell bounds of full-resolution alpha, for skipping settled tiles
    both = g.op("Concat", g.op("Neg", lo), hi, axis=1)
    cells = g.op("MaxPool", both, kernel_shape=[BOUNDS_CELL] * 2, strides=[BOUNDS_CELL] * 2, ceil_mode=1)
    g.output(cells, "bounds", "float32", [1, 2, "gh", "gw"])


def _logit(g: Graph, p: str) -> str:
    """log(p / (1 - p)), clipped to +-LOGIT_CLIP."""
    tiny = 1e-6
    q = g.op("Clip", p, g.const(tiny), g.const(1.0 - tiny))
    lg = g.op("Log", g.div(q, g.sub(g.const(1.0), q)))
    return g.op("Clip", lg, g.const(-LOGIT_CLIP), g.const(LOGIT_CLIP))


def _alpha_bounds(g: Graph, big_a: str, big_b: str):
    """Per-pixel bounds of sigmoid(A.I + b) over any colour I in [0, 1]^3."""
    k1 = g.const([1], "int64")
    lo = g.add(big_b, g.op("ReduceSum", g.op("Min", big_a, g.const(0.0)), k1, keepdims=1))
    hi = g.add(big_b, g.op("ReduceSum", g.op("Max", big_a, g.const(0.0)), k1, keepdims=1))
    return g.op("Sigmoid", lo), g.op("Sigmoid", hi)


def refine(radius: int = GF_RADIUS) -> object:
    g = Graph("refine")
    guide = g.input("guide", "float32", [1, 3, "h", "w"])
    mask = g.input("mask", "float32", [1, 1, "mh", "mw"])
    radii = g.input("radii", "int64", [2])  # blur fusion: wide pass, fine pass
    eps = g.input("eps", "float32", [1])
    shift = g.input("shift", "float32", [1])  # added to the refined logits
    p = _mask_at_guide_size(g, guide, mask)
    r_wide, r_fine = (g.slice(radii, [i], [i + 1], [0]) for i in range(2))
    big_a, big_b = guided_filter_coefficients(g, guide, _logit(g, p), radius, eps)
    big_b = g.add(big_b, shift)
    alpha = g.op("Sigmoid", g.add(g.op("ReduceSum", g.mul(big_a, guide), g.const([1], "int64"), keepdims=1), big_b))
    fg, bg = guide, guide
    for r, pool in ((r_wide, WIDE_POOL), (r_fine, 1)):
        fg, bg = blur_fusion_step(g, guide, fg, bg, alpha, r, pool)
    lo, hi = _alpha_bounds(g, big_a, big_b)
    fg255 = g.mul(fg, g.const(255.0))
    _pack(g, [g.mul(big_a, g.const(1 / 255)), big_b, fg255, g.sub(fg255, g.mul(bg, g.const(255.0)))], lo, hi)
    return g.model()


def plain() -> object:
    """No refinement: alpha is the ISNet mask resized, colours are the photo's."""
    g = Graph("plain")
    guide = g.input("guide", "float32", [1, 3, "h", "w"])
    mask = g.input("mask", "float32", [1, 1, "mh", "mw"])
    p = _mask_at_guide_size(g, guide, mask)
    zeros3 = g.mul(guide, g.const(0.0))
    # alpha = sigmoid(b): b = logit(p), exact where p rounds away from 0 and 1
    q = g.op("Clip", p, g.const(1e-7), g.const(1.0 - 1e-7))
    b = g.op("Log", g.div(q, g.sub(g.const(1.0), q)))
    _pack(g, [zeros3, b, zeros3, zeros3], p, p)
    return g.model()


def _tile_alpha(g: Graph):
    """Shared front of the tile graphs: upsample coefficients, compute alpha.
    Returns (rgb, alpha, output alpha, colours: upsamples the colour maps (the
    mask graph skips them), finish: uint8 result -> the tile's rows).
    Works on photo values 0..255 (the packing is scaled for them); the uint8
    photo is transposed before its cast: a quarter of the bytes to move. Rows
    are the row bands' (a multiple of 32): the photo is padded to them and
    the uint8 result cut back, rather than every float channel cut."""
    rgba = g.input("rgba", "uint8", ["h", "w", 4])
    coef = g.input("coef", "float32", [1, COEF_CHANNELS, "ch", "cw"])
    # where the tile's first pixel samples the crop, and the step per pixel (y0, x0, dy, dx)
    pos = g.input("pos", "float32", [4])
    dims = [g.op("Squeeze", g.slice(g.op("Shape", t), [k], [k + 1], [0]), g.const([0], "int64"))
            for t, k in ((rgba, 0), (rgba, 1), (coef, 2), (coef, 3))]
    p = [g.op("Squeeze", g.slice(pos, [k], [k + 1], [0]), g.const([0], "int64")) for k in range(4)]
    rows = row_bands(g, dims[2], dims[0], p[0], p[2])
    cols = row_bands(g, dims[3], dims[1], p[1], p[3])

    def up(part):  # columns first, while the map is small (the column pass runs on it transposed)
        return upsample_rows(g, g.swap_hw(upsample_rows(g, g.swap_hw(part), cols, dims[1])), rows)

    i64 = g.i64
    extra = g.op("Unsqueeze", g.sub(rows[2], dims[0]), i64([0]))
    padded = g.op("Pad", rgba, g.op("Concat", i64([0, 0, 0]), extra, i64([0, 0]), axis=0))

    def finish(hwc):
        return g.op("Slice", hwc, i64([0]), g.op("Unsqueeze", dims[0], i64([0])), i64([0]))

    # split before upsampling (a split at full resolution copies every channel),
    # and the photo while it is still uint8
    groups = g.ops("Split", coef, g.const([3, 1, 3, 3], "int64"), n=4, axis=1)
    big_a, big_b = (up(part) for part in groups[:2])
    chw = g.op("Transpose", padded, perm=[2, 0, 1])
    # split as [4, h*w] rows: a Split right after the Transpose is moved before
    # it by onnxruntime's optimiser, into a strided split of the interleaved photo
    flat = g.op("Reshape", chw, i64([4, -1]))
    hw1 = g.op("Concat", i64([1, -1]), g.slice(g.op("Shape", chw), [1], [3], [0]), axis=0)
    rgb, a_in = (g.op("Reshape", g.op("Cast", part, to=1), hw1)
                 for part in g.ops("Split", flat, g.const([3, 1], "int64"), n=2, axis=0))
    dot = g.op("Sum", *g.ops("Split", g.mul(big_a, rgb), g.const([1, 1, 1], "int64"), n=3, axis=1))
    alpha = g.op("Sigmoid", g.add(dot, big_b))
    colours = lambda: tuple(up(part) for part in groups[2:])  # noqa: E731
    return rgb, alpha, g.mul(alpha, a_in), colours, finish


def _to_uint8_hwc(g: Graph, nchw: str) -> str:
    """Round values in 0..255 (clipped) to uint8 HWC; casts before transposing."""
    rounded = g.op("Clip", g.add(nchw, g.const(0.5)), g.const(0.0), g.const(255.4))
    small = g.op("Cast", g.op("Squeeze", rounded, g.const([0], "int64")), to=2)
    return g.op("Transpose", small, perm=[1, 2, 0])


def compose() -> object:
    g = Graph("compose")
    rgb, alpha, a_out, colours, finish = _tile_alpha(g)
    fg, diff = colours()  # upsampled F and F - B
    # 0: estimated colours; 1: the photo's (refinement off: the colour weight
    # below becomes 1 and F + (I - F) gives back I)
    keep_photo = g.input("keep_photo", "float32", [1])
    beta = g.op("Max", alpha, keep_photo)
    # blur-fusion's last step: F + beta * (I - (beta F + (1 - beta) B)), with
    # I - (beta F + (1 - beta) B) = I - F + (1 - beta)(F - B)
    resid = g.add(g.sub(rgb, fg), g.mul(diff, g.sub(g.const(1.0), beta)))
    colour = g.add(fg, g.mul(beta, resid))  # (1 - beta)(F - B) can leave 0..255: _to_uint8_hwc clips
    # fully transparent pixels get black, not leftover colour
    # (a multiply by the 0/1 mask: ORT's broadcasting Where took a fifth of the graph)
    colour = g.mul(colour, g.op("Cast", g.op("Greater", a_out, g.const(0.5)), to=1))
    g.output(finish(_to_uint8_hwc(g, g.op("Concat", colour, a_out, axis=1))), "out", "uint8", ["h", "w", 4])
    return g.model()


def mask() -> object:
    g = Graph("mask")
    _rgb, _alpha, a_out, _colours, finish = _tile_alpha(g)
    g.output(finish(_to_uint8_hwc(g, a_out)), "out", "uint8", ["h", "w", 1])
    return g.model()


def _mirror(g: Graph, x: str) -> str:
    big = 2**62  # Slice clamps: from the last column down to before the first, step -1
    return g.op("Slice", x, g.const([-1], "int64"), g.const([-big], "int64"), g.const([3], "int64"),
                g.const([-1], "int64"))


def flip() -> object:
    g = Graph("flip")
    x = g.input("x", "float32", [1, "c", "h", "w"])
    g.output(_mirror(g, x), "y", "float32", [1, "c", "h", "w"])
    return g.model()


def flip_mean() -> object:
    g = Graph("flip_mean")
    mask = g.input("mask", "float32", [1, 1, "mh", "mw"])
    mirrored = g.input("mirrored", "float32", [1, 1, "mh", "mw"])  # the mask of the mirrored input
    mean = g.mul(g.add(mask, _mirror(g, mirrored)), g.const(0.5))
    g.output(mean, "mean", "float32", [1, 1, "mh", "mw"])
    return g.model()


ALL = {"pre": pre, "refine": refine, "refine-large": lambda: refine(GF_RADIUS_LARGE), "plain": plain,
       "compose": compose, "mask": mask, "flip": flip, "flip-mean": flip_mean}
