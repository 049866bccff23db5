"""Filters expressed as ONNX subgraphs: box mean via cumulative sums (cost
independent of radius, radius is a run-time input), the colour guided filter
(He et al., 2013) and blur-fusion foreground estimation (Germer et al., 2021).

All tensors here are NCHW float32 at the working resolution.
"""

from __future__ import annotations

from .builder import Graph


def box_sum(g: Graph, x: str, r: str) -> str:
    """Sum over a (2r+1)² window, zero outside the image. `r` is int64 [1]."""
    # onnxruntime's CumSum along the last axis ran ~10x slower than along
    # rows (1024x721, 8 channels: 20 ms against 2): the column pass runs on
    # the transposed map instead
    return g.swap_hw(_box_sum_axis(g, g.swap_hw(_box_sum_axis(g, x, r, 2)), r, 2))


def _box_sum_axis(g: Graph, x: str, r: str, axis: int) -> str:
    zero = g.const([0], "int64")
    one = g.const([1], "int64")
    before = [zero] * 4
    after = [zero] * 4
    before[axis] = g.add(r, one)
    after[axis] = r
    pads = g.op("Concat", *before, *after, axis=0)
    padded = g.op("Pad", x, pads)
    csum = g.op("CumSum", padded, g.const(axis, "int64"))
    width = g.add(g.mul(r, g.const([2], "int64")), one)  # 2r + 1
    ax = g.const([axis], "int64")
    upper = g.op("Slice", csum, width, g.const([2**62], "int64"), ax)
    lower = g.op("Slice", csum, zero, g.op("Neg", width), ax)
    return g.sub(upper, lower)


def box_mean_fixed(g: Graph, x: str, r: int) -> str:
    """Mean over the in-image part of a (2r+1)² window, for a radius fixed at
    build time. Exact in float32 (no cumulative sums), which the guided filter
    needs: its variances are small differences of window means."""
    for kernel, pads in (([2 * r + 1, 1], [r, 0, r, 0]), ([1, 2 * r + 1], [0, r, 0, r])):
        x = g.op("AveragePool", x, kernel_shape=kernel, pads=pads, count_include_pad=0)
    return x


def guided_filter_coefficients(g: Graph, guide: str, p: str, r: int, eps: str):
    """Colour guided filter of p guided by guide: returns (A [1,3,..], b [1,1,..])
    such that the filtered output is sum_c A_c * guide_c + b. Coefficients are
    smooth, so they can be upsampled and applied to a full-resolution guide
    (the "fast guided filter")."""
    ic = g.sub(guide, g.const(0.5))  # centred: keeps the window sums small
    chans = g.ops("Split", ic, g.const([1, 1, 1], "int64"), n=3, axis=1)
    pairs = [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    # every window mean pooled on its own tensor: a 13-channel stack and the
    # slices back out of it were copies that cost as much as the pooling
    m_i = box_mean_fixed(g, ic, r)
    m_p = box_mean_fixed(g, p, r)
    cov_ip = g.sub(box_mean_fixed(g, g.mul(ic, p), r), g.mul(m_i, m_p))
    mi = g.ops("Split", m_i, g.const([1, 1, 1], "int64"), n=3, axis=1)
    s = {}
    for i, j in pairs:
        var = g.sub(box_mean_fixed(g, g.mul(chans[i], chans[j]), r), g.mul(mi[i], mi[j]))
        s[i, j] = g.add(var, eps) if i == j else var
    a = _solve_sym3(g, s, g.ops("Split", cov_ip, g.const([1, 1, 1], "int64"), n=3, axis=1))
    a_all = g.op("Concat", *a, axis=1)
    b = g.sub(m_p, g.op("ReduceSum", g.mul(a_all, m_i), g.const([1], "int64"), keepdims=1))
    big_a = box_mean_fixed(g, a_all, r)
    # undo the centring so coefficients apply to the plain 0..1 guide
    shift = g.op("ReduceSum", big_a, g.const([1], "int64"), keepdims=1)
    big_b = g.sub(box_mean_fixed(g, b, r), g.mul(shift, g.const(0.5)))
    return big_a, big_b


def _solve_sym3(g: Graph, s: dict, v: list[str]) -> list[str]:
    """Per-pixel solve of a symmetric 3x3 system by cofactors."""
    a, b, c, d, e, f = s[0, 0], s[0, 1], s[0, 2], s[1, 1], s[1, 2], s[2, 2]

    def det2(p, q, r_, t):  # p*q - r*t
        return g.sub(g.mul(p, q), g.mul(r_, t))

    i00, i01, i02 = det2(d, f, e, e), det2(c, e, b, f), det2(b, e, c, d)
    i11, i12, i22 = det2(a, f, c, c), det2(b, c, a, e), det2(a, d, b, b)
    det = g.add(g.add(g.mul(a, i00), g.mul(b, i01)), g.mul(c, i02))
    rows = [(i00, i01, i02), (i01, i11, i12), (i02, i12, i22)]
    out = []
    for r0, r1, r2 in rows:
        num = g.add(g.add(g.mul(r0, v[0]), g.mul(r1, v[1])), g.mul(r2, v[2]))
        out.append(g.div(num, det))
    return out


def blur_fusion_step(g: Graph, image: str, fg: str, bg: str, alpha: str, r: str, pool: int = 1):
    """One blur-fusion update of foreground and background colours. With
    pool > 1 the window means are taken on the map pooled pool x pool (radius
    r / pool) and upsampled: for the wide pass, whose window is ~85 px wide,
    that changes the means by little and skips most of the full-size work."""
    one_minus = g.sub(g.const(1.0), alpha)
    stack = g.op("Concat", g.mul(fg, alpha), alpha, g.mul(bg, one_minus), one_minus, axis=1)
    if pool > 1:
        stack = g.op("AveragePool", stack, kernel_shape=[pool, pool], strides=[pool, pool], ceil_mode=1,
                     count_include_pad=0)
        half = g.const([pool // 2], "int64")
        r = g.op("Max", g.op("Div", g.add(r, half), g.const([pool], "int64")), g.const([1], "int64"))
    sums = box_sum(g, stack, r)
    tiny = g.const(1e-5)
    f_hat = g.div(g.channels(sums, 0, 3), g.add(g.channels(sums, 3, 4), tiny))
    b_hat = g.div(g.channels(sums, 4, 7), g.add(g.channels(sums, 7, 8), tiny))
    if pool > 1:
        hw = g.slice(g.op("Shape", image), [2], [4], [0])
        both = g.op("Resize", g.op("Concat", f_hat, b_hat, axis=1), "", "", hw, mode="linear", axes=[2, 3])
        f_hat, b_hat = g.ops("Split", both, g.const([3, 3], "int64"), n=2, axis=1)
    resid = composite_residual(g, image, f_hat, b_hat, alpha)
    new_fg = g.clip01(g.add(f_hat, g.mul(alpha, resid)))
    new_bg = g.clip01(g.add(b_hat, g.mul(one_minus, resid)))
    return new_fg, new_bg


ROW_BAND = 32  # output rows per band of the banded row upsampling


def row_bands(g: Graph, n_in: str, n_out: str, start: str, step: str):
    """Plan for linear interpolation of n_out rows at positions start + j*step
    (input rows, step <= 1) in bands of ROW_BAND output rows: each band reads
    only the k rows under it. A dense [n_out, n_in] weight matrix costs n_in
    multiply-adds per output pixel and grows with the tile (91 for a 512 px
    tile of a 24 MP photo); a band costs k ~ ROW_BAND*step + 3.
    Returns (idx [nb, k] int64: input rows per band, weights [nb, ROW_BAND, k],
    nb * ROW_BAND: the rows the bands make, n_out rounded up)."""
    i64 = g.i64
    band = g.const(float(ROW_BAND))
    nb = g.op("Div", g.add(n_out, i64(ROW_BAND - 1)), i64(ROW_BAND))
    k = g.add(g.op("Cast", g.op("Floor", g.mul(step, g.const(ROW_BAND - 1.0))), to=7), i64(3))
    b = g.op("Cast", g.op("Range", i64(0), nb, i64(1)), to=1)  # [nb]
    first = g.op("Floor", g.add(start, g.mul(g.mul(b, band), step)))  # first input row of each band
    i = g.op("Cast", g.op("Range", i64(0), k, i64(1)), to=1)  # [k]
    rows = g.add(g.op("Unsqueeze", first, i64([1])), g.op("Unsqueeze", i, i64([0])))  # [nb, k]
    last = g.op("Cast", g.sub(n_in, i64(1)), to=1)
    idx = g.op("Cast", g.op("Clip", rows, g.const(0.0), last), to=7)  # rows outside: the edge row (see below)
    jj = g.op("Cast", g.op("Range", i64(0), i64(ROW_BAND), i64(1)), to=1)  # [ROW_BAND]
    j = g.add(g.op("Unsqueeze", g.mul(b, band), i64([1])), g.op("Unsqueeze", jj, i64([0])))  # [nb, ROW_BAND]
    x = g.add(start, g.mul(j, step))
    # hat weights from the unclamped row numbers. At the map's own edges a clamped
    # row is the edge row again, with the weight of the row beyond it: edge
    # replication, as if the map were padded. Inside the map a clamped row sits
    # >= 1 row from every position its crop was cut for, so it weighs 0
    dist = g.op("Abs", g.sub(g.op("Unsqueeze", rows, i64([1])), g.op("Unsqueeze", x, i64([2]))))
    return idx, g.op("Relu", g.sub(g.const(1.0), dist)), g.mul(nb, i64(ROW_BAND))


def upsample_rows(g: Graph, x: str, bands, n_out: str | None = None) -> str:
    """[1, C, n_in, W] -> [1, C, n_out, W] with a row_bands plan; n_out None:
    all the bands' rows (a caller that pads its other inputs to match slices
    once at the end, on fewer channels)."""
    idx, weights, _rows = bands
    picked = g.op("Gather", x, idx, axis=2)  # [1, C, nb, k, W]
    out = g.op("MatMul", weights, picked)  # [1, C, nb, ROW_BAND, W]
    width = g.slice(g.op("Shape", x), [3], [4], [0])
    flat = g.op("Reshape", out, g.op("Concat", g.const([0, 0, -1], "int64"), width, axis=0))
    if n_out is None:
        return flat
    return g.op("Slice", flat, g.const([0], "int64"), g.op("Unsqueeze", n_out, g.const([0], "int64")), g.const([2], "int64"))


def composite_residual(g: Graph, image: str, fg: str, bg: str, alpha: str) -> str:
    """image - (alpha*fg + (1-alpha)*bg): what the estimates fail to explain."""
    blend = g.add(g.mul(alpha, fg), g.mul(g.sub(g.const(1.0), alpha), bg))
    return g.sub(image, blend)
