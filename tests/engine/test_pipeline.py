"""The conductor with a stand-in segmentation graph: tiling, tile skipping,
options and coded errors. Fast: no real model needed."""

from __future__ import annotations

import numpy as np
import pytest

from cutout.errors import CutoutError
from cutout.pipeline import Options, Stats, cutout, graph_names, refine_graph
from cutout.tiling import EMPTY_BELOW, SOLID_ABOVE, _cell_range, block_kinds, model_size, plan

from .conftest import disk_photo


def assert_same_cutout(a, b):
    """Alpha within one level; colours compared premultiplied, because a pixel
    whose alpha rounds to 0 on one side and 1 on the other has its colour
    zeroed on one side only (float sums differ by ~1e-6 between tilings)."""
    a, b = a.astype(int), b.astype(int)
    assert np.abs(a[..., 3] - b[..., 3]).max() <= 1
    premult = np.abs(a[..., :3] * a[..., 3:] - b[..., :3] * b[..., 3:]) / 255
    assert premult.max() <= 2


def run(backend, manifest, photo, **opts):
    stats = Stats()
    out = cutout(backend, manifest, photo, Options(**opts), stats=stats)
    return out, stats


@pytest.mark.parametrize("shape", [(700, 1300), (1500, 900)])
def test_tiled_equals_untiled(toy_backend, toy_manifest, shape):
    photo = disk_photo(*shape, seed=7)
    whole, one = run(toy_backend, toy_manifest, photo, block=4096)
    tiled, stats = run(toy_backend, toy_manifest, photo, block=128)
    assert one.tiles["runs"] == 1 and stats.tiles["runs"] > 1
    assert whole.shape == tiled.shape == (*shape, 4)
    assert_same_cutout(whole, tiled)


def test_skipped_tiles_match_computed_ones(toy_backend, toy_manifest, monkeypatch):
    photo = disk_photo(1200, 1600, seed=8)
    fast, stats = run(toy_backend, toy_manifest, photo, block=64)
    assert stats.tiles["empty"] > 0 and stats.tiles["solid"] > 0
    monkeypatch.setattr("cutout.tiling._kind", lambda lo, hi: "mixed")
    full, _ = run(toy_backend, toy_manifest, photo, block=64)
    assert_same_cutout(fast, full)


def _bounds_grid(work, seed=3):
    """Per-cell alpha bounds of a disk with a soft rim: [lo, hi] planes and the flat list."""
    rng = np.random.default_rng(seed)
    gh, gw = -(-work[0] // 8), -(-work[1] // 8)
    yy, xx = np.mgrid[:gh, :gw]
    dist = np.hypot(yy - gh * rng.random(), xx - gw * rng.random()) - gh / 3
    lo = np.where(dist < -3, 1.0, np.where(dist > 0, 0.0, 0.4))
    hi = np.where(dist > 3, 0.0, np.where(dist < 0, 1.0, 0.6))
    return lo, hi, [*(-lo).ravel().tolist(), *hi.ravel().tolist()], (gh, gw)


FULL_WORK = [((4000, 6000), (683, 1024)), ((2906, 4129), (721, 1024)), ((37, 1000), (37, 1000))]


@pytest.mark.parametrize("full, work", FULL_WORK)
@pytest.mark.parametrize("block", [64, 256])
def test_block_kinds_match_every_cell_under_the_block(full, work, block):
    """The per-strip column maxima in block_kinds against a cell-by-cell reading."""
    lo, hi, bounds, grid = _bounds_grid(work)
    seen = set()
    for y, h, blocks in block_kinds(full, work, bounds, grid, 8, block):
        rows = _cell_range(y, h, full[0], work[0], 8)
        for x, w, kind in blocks:
            cols = _cell_range(x, w, full[1], work[1], 8)
            cell_lo, cell_hi = lo[rows.start:rows.stop, cols.start:cols.stop], hi[rows.start:rows.stop, cols.start:cols.stop]
            expect = "empty" if cell_hi.max() <= EMPTY_BELOW else "solid" if cell_lo.min() >= SOLID_ABOVE else "mixed"
            assert kind == expect, (y, x)
            seen.add(kind)
    assert seen == {"empty", "solid", "mixed"} or full[0] < block


@pytest.mark.parametrize("full, work", FULL_WORK)
def test_plan_tiles_are_runs_of_one_kind_covering_every_settled_and_mixed_block(full, work):
    _lo, _hi, bounds, grid = _bounds_grid(work)
    jobs, counts = plan(full, work, bounds, grid, 8, 64, 256 * 256)
    covered = np.zeros(full, int)
    for job in jobs:
        t = job.tile
        assert t.h * t.w <= 256 * 256
        covered[t.y:t.y + t.h, t.x:t.x + t.w] += 1 if job.window is None else 2
    assert covered.max() <= 2  # no pixel in two tiles
    expect = np.zeros(full, int)
    for y, h, blocks in block_kinds(full, work, bounds, grid, 8, 64):
        for x, w, kind in blocks:
            expect[y:y + h, x:x + w] = {"empty": 0, "solid": 1, "mixed": 2}[kind]
    assert np.array_equal(covered, expect)
    assert sum(counts.values()) == -(-full[0] // 64) * -(-full[1] // 64)
    assert len(jobs) < counts["solid"] + counts["mixed"] or full[0] < 64  # adjacent blocks were merged


def test_mask_output_is_alpha_of_cutout(toy_backend, toy_manifest):
    photo = disk_photo(600, 800, seed=9)
    rgba, _ = run(toy_backend, toy_manifest, photo, block=256)
    mask, _ = run(toy_backend, toy_manifest, photo, block=256, output="mask")
    assert mask.shape == (600, 800, 1)
    assert np.abs(mask[..., 0].astype(int) - rgba[..., 3]).max() <= 1
    # the subject (bright disk centre) is opaque, the corners transparent
    assert mask[300, 400, 0] == 255 and mask[5, 5, 0] == 0


def test_refine_off_keeps_photo_colours(toy_backend, toy_manifest):
    photo = disk_photo(400, 500, seed=10)
    out, _ = run(toy_backend, toy_manifest, photo, refine=False)
    visible = out[..., 3] > 0
    assert np.array_equal(out[..., :3][visible], photo[..., :3][visible])


@pytest.mark.parametrize("full, work, graph", [
    ((800, 600), (800, 600), "graph-refine"),        # refined at its own size
    ((2047, 1400), (1024, 700), "graph-refine"),     # just under 2x the working size
    ((2048, 1400), (1024, 700), "graph-refine-large"),
    ((4000, 6000), (683, 1024), "graph-refine-large"),
])
def test_refine_graph_follows_the_scale(full, work, graph):
    assert refine_graph(full, work) == graph


def test_large_photo_runs_the_large_refine_graph(toy_backend, toy_manifest, monkeypatch):
    ran = []
    real_load = toy_backend.load
    monkeypatch.setattr(toy_backend, "load", lambda asset, tiles=False: ran.append(asset.name) or real_load(asset, tiles))
    photo = disk_photo(600, 800, seed=12)
    run(toy_backend, toy_manifest, photo, work_size=400)
    assert "graph-refine-large" in ran and "graph-refine" not in ran
    ran.clear()
    run(toy_backend, toy_manifest, photo, work_size=401)  # 800 < 2 x 401: the working-size filter
    assert "graph-refine" in ran and "graph-refine-large" not in ran


@pytest.mark.parametrize("opts", [{}, {"work_size": 400}, {"tta": True}, {"output": "mask"}, {"refine": False}])
def test_graph_names_are_the_graphs_a_job_runs(toy_backend, toy_manifest, monkeypatch, opts):
    """The browser engine creates these sessions while a photo decodes
    (browser_jobs.open_for): the list must be what the job then loads."""
    loaded = []
    real_load = toy_backend.load
    monkeypatch.setattr(toy_backend, "load", lambda asset, tiles=False: loaded.append(asset.name) or real_load(asset, tiles))
    photo = disk_photo(600, 800, seed=13)
    run(toy_backend, toy_manifest, photo, **opts)
    assert sorted(graph_names(photo.shape[:2], Options(**opts))) == sorted(set(loaded))


def test_input_transparency_is_kept(toy_backend, toy_manifest):
    photo = disk_photo(300, 300, seed=11)
    photo[140:160, 140:160, 3] = 0
    out, _ = run(toy_backend, toy_manifest, photo)
    assert (out[140:160, 140:160, 3] == 0).all()
    assert out[130, 150, 3] > 200


@pytest.mark.parametrize("shape,code", [((5, 400, 4), "image_too_small"), ((300, 300, 3), "decode_failed")])
def test_bad_inputs_raise_coded_errors(toy_backend, toy_manifest, shape, code):
    with pytest.raises(CutoutError) as err:
        cutout(toy_backend, toy_manifest, np.zeros(shape, np.uint8))
    assert err.value.code == code


def test_too_many_pixels_refused_before_work(toy_backend, toy_manifest):
    # a 100 MP buffer is never allocated: only the shape is checked
    huge = np.lib.stride_tricks.as_strided(np.zeros(4, np.uint8), shape=(10000, 10000, 4), strides=(0, 0, 1))
    with pytest.raises(CutoutError) as err:
        cutout(toy_backend, toy_manifest, huge)
    assert err.value.code == "image_too_large"


def test_cancel_stops_the_job(toy_backend, toy_manifest):
    seen = []
    with pytest.raises(CutoutError) as err:
        cutout(toy_backend, toy_manifest, disk_photo(300, 300), Options(),
               progress=lambda stage, f: seen.append(stage), cancelled=lambda: "model" in seen)
    assert err.value.code == "cancelled"
    assert "compose" not in seen


def test_cancel_during_compose_stops_the_tiles_in_flight(toy_backend, toy_manifest):
    """Tiles run several at once (CPythonBackend.compose_tiles): a cancel between
    tiles ends the job, and the backend serves the next one unharmed."""
    photo = disk_photo(700, 1300, seed=7)
    fractions = []

    def progress(stage, fraction):
        if stage == "compose":
            fractions.append(fraction)
    with pytest.raises(CutoutError) as err:
        cutout(toy_backend, toy_manifest, photo, Options(block=64), progress=progress,
               cancelled=lambda: len(fractions) > 5)
    assert err.value.code == "cancelled"
    assert len(fractions) > 5 and max(fractions) < 0.9  # stopped part-way: 13 tiles in all
    out, _ = run(toy_backend, toy_manifest, photo, block=64)
    assert (out[..., 3] > 0).any()


def test_bad_option(toy_backend, toy_manifest):
    with pytest.raises(CutoutError) as err:
        cutout(toy_backend, toy_manifest, disk_photo(100, 100), Options(output="jpeg"))
    assert err.value.code == "bad_option"


def test_flip_tta_runs_the_model_twice_and_merges(toy_backend, toy_manifest, monkeypatch):
    """The stand-in model works pixel by pixel, so the mirrored pass gives back
    the same mask: with the same shift, TTA must equal the single pass."""
    photo = disk_photo(300, 420, seed=9)
    calls = []
    real_run = toy_backend.run
    monkeypatch.setattr(toy_backend, "run", lambda s, f, o: calls.append(sorted(f)) or real_run(s, f, o))
    single, _ = run(toy_backend, toy_manifest, photo, logit_shift=0.7)
    calls.clear()
    merged, _ = run(toy_backend, toy_manifest, photo, logit_shift=0.7, tta=True)
    assert calls.count(["input"]) == 2 and ["x"] in calls and ["mask", "mirrored"] in calls
    assert_same_cutout(single, merged)


def test_tta_uses_its_own_default_shift():
    assert Options().shift() != Options(tta=True).shift()
    assert Options(tta=True, logit_shift=0.3).shift() == 0.3


@pytest.mark.parametrize("photo,expect", [((3000, 4000), (768, 1024)), ((4000, 3000), (1024, 768)),
                                          ((1000, 1000), (1024, 1024)), ((8, 8000), (32, 1024)),
                                          ((500, 1200), (416, 1024))])
def test_model_input_keeps_the_photo_aspect_in_multiples_of_32(photo, expect):
    assert model_size(*photo, 1024, 32) == expect
    assert model_size(*photo, 1024, 32, keep_aspect=False) == (1024, 1024)


def test_model_sees_the_photo_unsquashed(toy_backend, toy_manifest, monkeypatch):
    shapes = []
    real_run = toy_backend.run
    monkeypatch.setattr(toy_backend, "run", lambda s, f, o: (
        shapes.append(toy_backend.shape(f["input"])) if "input" in f else None) or real_run(s, f, o))
    photo = disk_photo(300, 420, seed=10)
    run(toy_backend, toy_manifest, photo)
    run(toy_backend, toy_manifest, photo, aspect=False)
    assert shapes == [(1, 3, 736, 1024), (1, 3, 1024, 1024)]



def _halved(photo):
    """The photo at half size, 2 x 2 box averages (as a JPEG decoder's 1/2 scale gives it)."""
    h, w = photo.shape[0] // 2 * 2, photo.shape[1] // 2 * 2
    boxes = photo[:h, :w].reshape(h // 2, 2, w // 2, 2, 4).astype(np.float32).mean(axis=(1, 3))
    return np.round(boxes).astype(np.uint8)


def test_reduced_copy_stands_in_for_the_photo_in_the_pre_process(toy_backend, toy_manifest):
    photo = disk_photo(2200, 3000, seed=11)
    whole, plain = run(toy_backend, toy_manifest, photo)
    stats = Stats()
    fast = cutout(toy_backend, toy_manifest, photo, Options(), stats=stats, reduced=_halved(photo))
    assert plain.reduced is None and stats.reduced == (1100, 1500)
    assert fast.shape == whole.shape == (2200, 3000, 4)
    alpha = np.abs(fast[..., 3].astype(int) - whole[..., 3].astype(int))
    assert alpha.mean() < 0.5 and np.percentile(alpha, 99.9) <= 8
    assert np.array_equal(fast[..., :3][fast[..., 3] == 255], photo[..., :3][fast[..., 3] == 255])


@pytest.mark.parametrize("reduced_shape", [(600, 818), (1100, 1400), (1100, 1500, 3), (2200, 3000)])
def test_reduced_copy_that_cannot_stand_in_is_not_used(toy_backend, toy_manifest, reduced_shape):
    """Smaller than ISNet's input, another aspect, not RGBA, not smaller: the photo is read."""
    photo = disk_photo(2200, 3000, seed=11)
    stats = Stats()
    cutout(toy_backend, toy_manifest, photo, Options(output="mask"), stats=stats,
           reduced=np.zeros(reduced_shape if len(reduced_shape) == 3 else (*reduced_shape, 4), np.uint8))
    assert stats.reduced is None
