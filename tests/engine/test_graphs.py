"""Graph builders against the numpy references, on synthetic data."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from cutout.graphs import stages
from cutout.graphs_meta import GF_RADIUS, GF_RADIUS_LARGE, LOGIT_CLIP
from cutout.graphs.builder import Graph
from cutout.graphs.filters import box_sum, guided_filter_coefficients

from . import reference as ref
from .conftest import disk_photo


def session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("size,target", [((300, 400), (150, 200)), ((97, 203), (64, 128)), ((50, 60), (120, 90))])
def test_pre_resize_matches_reference(size, target):
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 256, (*size, 4), dtype=np.uint8)
    photo[..., :3] = (ref.resize(rng.random((6, 8, 3)), *size) * 255).astype(np.uint8)  # smooth + noise
    photo[..., :3] += rng.integers(0, 8, (*size, 3), dtype=np.uint8)
    model_in = (1024, 768) if target[0] > target[1] else (768, 1024)  # aspect-preserving ISNet input
    x, guide = session(stages.pre()).run(["x", "guide"], {"rgba": photo, "guide_size": np.array(target),
                                                          "model_size": np.array(model_in)})
    expect = ref.resize(photo[..., :3] / 255.0, *target)
    got = guide[0].transpose(1, 2, 0)
    assert got.shape == expect.shape
    # the graph resizes uint8 directly (fixed-point weights, rounded output), and
    # onnxruntime's antialias window edges differ slightly from PIL's at
    # non-integer scales: up to ~2.5 levels on this smooth-plus-noise photo
    assert np.abs(got - expect).max() <= 3 / 255
    assert np.abs(got - expect).mean() <= 0.5 / 255
    sq = ref.resize(got, *model_in) - 0.5
    assert x.shape == (1, 3, *model_in)
    assert np.abs(x[0].transpose(1, 2, 0) - sq).max() < 1e-4


@pytest.mark.parametrize("r", [1, 4, 30])
def test_box_sum_matches_reference(r):
    g = Graph("box")
    x = g.input("x", "float32", [1, 2, "h", "w"])
    rr = g.input("r", "int64", [1])
    g.output(box_sum(g, x, rr), "y", "float32", [1, 2, "h", "w"])
    data = np.random.default_rng(2).random((1, 2, 45, 70)).astype(np.float32)
    (got,) = session(g.model()).run(["y"], {"x": data, "r": np.array([r])})
    counts = ref.window_counts((45, 70), r)
    expect = ref.box_mean(data[0].transpose(1, 2, 0), r).transpose(2, 0, 1)
    assert np.abs(got[0] / counts - expect).max() < 1e-5


def test_guided_filter_matches_reference():
    photo = disk_photo(90, 120) / 255.0
    guide = photo[..., :3].astype(np.float32)
    p = (photo[..., 0] > 0.5).astype(np.float32)
    g = Graph("gf")
    gi = g.input("guide", "float32", [1, 3, "h", "w"])
    pi = g.input("p", "float32", [1, 1, "h", "w"])
    eps = g.input("eps", "float32", [1])
    a, b = guided_filter_coefficients(g, gi, pi, 3, eps)
    g.output(a, "a", "float32", [1, 3, "h", "w"])
    g.output(b, "b", "float32", [1, 1, "h", "w"])
    feeds = {"guide": guide.transpose(2, 0, 1)[None], "p": p[None, None],
             "eps": np.array([1e-3], np.float32)}
    got_a, got_b = session(g.model()).run(["a", "b"], feeds)
    exp_a, exp_b = ref.guided_filter(guide.astype(np.float64), p.astype(np.float64), 3, 1e-3)
    got_q = (got_a[0].transpose(1, 2, 0) * guide).sum(-1) + got_b[0, 0]
    exp_q = (exp_a * guide).sum(-1) + exp_b
    assert np.abs(got_q - exp_q).max() < 1e-4


@pytest.mark.parametrize("name, radius", [("refine", GF_RADIUS), ("refine-large", GF_RADIUS_LARGE)])
def test_refine_foreground_matches_reference(name, radius):
    photo = disk_photo(80, 100, seed=3)
    guide = (photo[..., :3] / 255.0).astype(np.float32)
    mask = np.clip(ref.resize(guide.mean(-1, keepdims=True) * 1.5 - 0.2, 1024, 1024), 0, 1).astype(np.float32)
    radii, eps, shift = np.array([8, 2]), np.array([1e-3], np.float32), np.array([0.85], np.float32)
    coef, bounds = session(stages.ALL[name]()).run(
        ["coef", "bounds"], {"guide": guide.transpose(2, 0, 1)[None], "mask": mask.transpose(2, 0, 1)[None],
                             "radii": radii, "eps": eps, "shift": shift})
    assert coef.shape == (1, 10, 80, 100)
    p = ref.resize(mask, 80, 100)[..., 0]
    big_a, big_b = ref.refine_alpha(guide.astype(np.float64), p, radius, 1e-3, 0.85, LOGIT_CLIP)
    alpha = ref.sigmoid((big_a * guide).sum(-1) + big_b)
    fg, bg = ref.blur_fusion(guide.astype(np.float64), alpha, [8, 2], [stages.WIDE_POOL, 1])
    inner = ref.unpack(coef[0].transpose(1, 2, 0))
    # the refined alpha itself (the coefficients' effect on the guide)
    got_alpha = ref.sigmoid((inner[..., :3] * guide).sum(-1) + inner[..., 3])
    assert np.abs(got_alpha - alpha).max() < 2e-3
    assert alpha.min() < 0.05 and alpha.max() > 0.95  # the test mask has both regions
    # colours only matter where they are visible: compare them premultiplied
    # (where alpha ~ 0 the foreground is a ratio of near-zero sums)
    a = alpha[..., None]
    assert np.abs(a * (inner[..., 4:7] - fg)).max() < 5e-3
    assert np.abs((1 - a) * (inner[..., 7:10] - bg)).max() < 5e-3
    # bounds enclose alpha in every cell
    lo, hi = -bounds[0, 0], bounds[0, 1]
    cells = np.kron(np.ones((1, 1)), alpha)[: lo.shape[0] * 8, : lo.shape[1] * 8]
    for cy in range(lo.shape[0]):
        for cx in range(lo.shape[1]):
            block = cells[cy * 8:(cy + 1) * 8, cx * 8:(cx + 1) * 8]
            assert lo[cy, cx] - 1e-4 <= block.min() and block.max() <= hi[cy, cx] + 1e-4


def test_compose_matches_reference_on_whole_image():
    photo = disk_photo(150, 190, seed=4)
    photo[:20, :20, 3] = 128  # input transparency is kept
    rng = np.random.default_rng(5)
    work = (60, 76)
    big_a = rng.normal(0, 0.3, (*work, 3))
    big_b = rng.random(work)
    fg, bg = rng.random((*work, 3)), rng.random((*work, 3))
    coef = ref.pack(big_a, big_b, fg, bg).transpose(2, 0, 1)[None].astype(np.float32)
    from cutout.tiling import Tile, coef_window
    win = coef_window(Tile(0, 0, 150, 190), (150, 190), work)
    crop = coef[:, :, win.starts[0]:win.ends[0], win.starts[1]:win.ends[1]]
    (out,) = session(stages.compose()).run(["out"], {"rgba": photo, "coef": crop, "pos": np.array(win.pos, np.float32),
                                                      "keep_photo": np.array([0.0], np.float32)})
    expect = ref.compose(photo, big_a, big_b, fg, bg)
    diff = np.abs(out.astype(int) - expect.astype(int))
    assert diff.max() <= 1, diff.max()


def test_plain_alpha_is_the_resized_mask():
    """Refinement off: the packed logit b gives back the resized mask through
    the tile graphs' sigmoid, and the bounds are the mask itself."""
    photo = disk_photo(60, 80, seed=6)
    guide = (photo[..., :3] / 255.0).astype(np.float32)
    mask = np.clip(ref.resize(guide.mean(-1, keepdims=True) * 1.5 - 0.2, 1024, 1024), 0, 1).astype(np.float32)
    coef, bounds = session(stages.plain()).run(
        ["coef", "bounds"], {"guide": guide.transpose(2, 0, 1)[None], "mask": mask.transpose(2, 0, 1)[None]})
    p = ref.resize(mask, 60, 80)[..., 0]
    inner = coef[0]
    assert np.abs(inner[:3]).max() == 0
    assert np.abs(ref.sigmoid(inner[3]) - p).max() < 1e-4
    cells = np.pad(p, ((0, 4), (0, 0)), constant_values=-1).reshape(8, 8, 10, 8)  # 60x80 -> 8x10 cells
    assert np.abs(bounds[0, 1] - cells.max(axis=(1, 3))).max() < 1e-5
    assert np.abs(-bounds[0, 0] - np.where(cells < 0, 2, cells).min(axis=(1, 3))).max() < 1e-5


def test_flip_mirrors_left_right():
    x = np.random.default_rng(3).random((1, 3, 5, 7), dtype=np.float32)
    (y,) = session(stages.flip()).run(["y"], {"x": x})
    assert np.array_equal(y, x[..., ::-1])


def test_flip_mean_averages_the_mirrored_pass():
    rng = np.random.default_rng(4)
    mask, mirrored = (rng.random((1, 1, 1024, 1024), dtype=np.float32) for _ in range(2))
    (mean,) = session(stages.flip_mean()).run(["mean"], {"mask": mask, "mirrored": mirrored})
    assert np.abs(mean - (mask + mirrored[..., ::-1]) / 2).max() < 1e-7
