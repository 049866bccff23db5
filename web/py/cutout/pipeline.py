"""The conductor: one photo in, one full-resolution cutout out.

    pre (antialiased resize) -> ISNet -> refine (guided filter + foreground
    colours at working resolution) -> compose, tile by tile, at full resolution

Only small numbers pass through Python; pixels stay in the backend.

Memory bound for the full-resolution stage: the input and output images
(4 bytes/pixel each) plus the working sets of the tiles in flight, about 130
bytes per tile pixel each (10 float32 coefficient channels upsampled, colour
and alpha planes): the CPU backend keeps up to 2 per core of its tiles of at
most 256² pixels in flight (~9 MB each), the browser one of at most 384²
(~20 MB), whatever the photo's size.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from .errors import CutoutError
from .graphs_meta import BOUNDS_CELL, LARGE_SCALE, MODEL_MULTIPLE, MODEL_SIZE
from .manifest import Manifest
from .tiling import model_size, plan, working_size

MAX_PIXELS = 64_000_000  # 8000 x 8000; a 100-megapixel photo is refused up front
MIN_SIDE = 8
PLAIN_SHIFT, TTA_SHIFT = 0.4, 0.5  # see Options.shift


@dataclass
class Options:
    output: str = "cutout"        # "cutout": RGBA, straight alpha; "mask": alpha only
    refine: bool = True           # False: ISNet mask resized, photo colours kept
    model: str = "isnet-fp16"     # manifest name of the segmentation model
    block: int | None = None      # compose block side (settled area is skipped block by block);
                                  # None: the backend's (Backend.block)
    max_pixels: int = MAX_PIXELS
    work_size: int = 1024         # long side of the refinement stage. Measured and not kept: refining
                                  # at 2x the mask's size (bench quality's masks 1/2.93 of the photo)
                                  # raised boundary SAD (alphamatting27 16.95 -> 17.19, grabcut50
                                  # 1.70 -> 1.82), with 4x the pixels for the refine stage
    aspect: bool = True           # ISNet sees the photo's aspect ratio (fewer pixels, no squashing);
                                  # False: a 1024x1024 square, as IMG.LY ships it (benchmark baseline)
    tta: bool = False             # flip test-time augmentation: a second ISNet pass on the mirrored
                                  # photo, masks averaged; ~2x model time, better edges (BENCHMARKS.md)
    gf_eps: float = 1e-3          # guided filter regularisation, on mask logits (radius: refine_graph()).
                                  # Measured and not kept: a smaller eps for photos larger than the working size
                                  # (their mask is coarser than their pixels). With the eval masks averaged down
                                  # to 1/2.93 of the photo (bench quality), 1e-4 took boundary SAD from 0.78x to
                                  # 0.72x of the stretched mask's on grabcut50 (0.81x -> 0.80x on alphamatting27),
                                  # but on the photos scaled up to 6 MP it raised Grad from 0.741 to 0.799 (3e-4:
                                  # 0.780), past the stretched mask's 0.755: it follows the upscaling's ringing
    logit_shift: float | None = None  # added to the refined logits: ISNet under-covers the subject's rim;
                                      # None: the value measured best for the mode (shift() below)
    fg_radii: tuple = (1 / 12, 1 / 170)  # blur-fusion passes, fractions of the long side

    def shift(self) -> float:
        # Swept 0.3-0.85 over both eval sets. A larger push lowers SAD on the hair
        # photos (alphamatting27: 37.6 at 0.4, 35.2 at 0.85) but blurs the sharp
        # outlines of grabcut50 (Grad 0.074 at 0.4, 0.081 at 0.85; the baseline has
        # 0.076): 0.4 keeps both sets ahead of the baseline and rembg on every
        # metric. The averaged flip-TTA mask is softer at the rim and takes 0.5.
        if self.logit_shift is not None:
            return self.logit_shift
        return TTA_SHIFT if self.tta else PLAIN_SHIFT

    def check(self) -> None:
        if self.output not in ("cutout", "mask"):
            raise CutoutError("bad_option", f"output must be 'cutout' or 'mask', not {self.output!r}")
        if self.block is not None and not 64 <= self.block <= 8192:
            raise CutoutError("bad_option", "block must be between 64 and 8192 pixels")


@dataclass
class Stats:
    timings: dict = field(default_factory=dict)  # stage -> seconds
    tiles: dict = field(default_factory=dict)    # compose blocks by class ("empty", "solid", "mixed") -> count;
                                                 # "runs": tiles the compose graph ran on
    backend: str = ""
    reduced: tuple | None = None                 # (h, w) of the reduced copy the pre-process read, if any


Progress = Callable[[str, float], None]


def check_size(height: int, width: int, max_pixels: int = MAX_PIXELS) -> None:
    """Raise a coded error for images we refuse, before any work is done."""
    if height * width > max_pixels:
        raise CutoutError("image_too_large",
                          f"{width}x{height} is {height * width / 1e6:.1f} MP; the limit is {max_pixels / 1e6:.0f} MP")
    if min(height, width) < MIN_SIDE:
        raise CutoutError("image_too_small", f"{width}x{height}; each side needs at least {MIN_SIDE} pixels")


def cutout(backend, manifest: Manifest, rgba, options: Options | None = None,
           progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
           stats: Stats | None = None, reduced=None):
    """Cut out the subject of `rgba` (uint8 [H, W, 4]); returns uint8 [H, W, 4]
    (or [H, W, 1] for options.output == "mask") at full resolution.

    `reduced`: the same photo decoded smaller (a JPEG decoder's 1/2, 1/4 or
    1/8 scale, which costs a fraction of the full decode). The pre-process
    reads it instead of the photo when it is at least as large as ISNet's
    input and the working size (see _pre_source); the photo itself is then
    read only by the compose stage, so a backend may hand over one whose
    pixels are still being decoded (the browser's)."""
    options = options or Options()
    options.check()
    stats = stats if stats is not None else Stats()
    stats.backend = backend.name
    run = _Runner(backend, manifest, progress, cancelled, stats)
    shape = backend.shape(rgba)
    if len(shape) != 3 or shape[2] != 4:
        raise CutoutError("decode_failed", f"expected RGBA pixels, got shape {shape}")
    full = shape[:2]
    check_size(*full, options.max_pixels)
    work = working_size(*full, options.work_size)

    run.stage("prepare", 0.0)
    isnet = model_size(*full, MODEL_SIZE, MODEL_MULTIPLE, options.aspect)
    feeds = {"rgba": _pre_source(backend, rgba, reduced, full, options, stats),
             "guide_size": backend.constant(work, [2], "int64"), "model_size": backend.constant(isnet, [2], "int64")}
    pre = run.graph("graph-pre", feeds, ["x", "guide"])
    run.stage("model", 0.1)
    mask = _segment(run, options, pre["x"])
    run.stage("refine", 0.6)
    coef = _coefficients(run, options, pre["guide"], mask, full, work)
    backend.release(pre["guide"])
    backend.release(mask)
    out = _compose(run, options, rgba, coef, full, work)
    backend.release(coef["coef"])
    run.stage("done", 1.0)
    return out


def reduced_need(full, options: Options) -> tuple[int, int]:
    """The smallest (h, w) a reduced copy of a photo of size `full` may have and
    still stand in for it in the pre-process: its outputs' sizes (ISNet's input
    and the working size), so that they remain a reduction of it."""
    isnet = model_size(*full, MODEL_SIZE, MODEL_MULTIPLE, options.aspect)
    work = working_size(*full, options.work_size)
    return max(isnet[0], work[0]), max(isnet[1], work[1])


def _pre_source(backend, rgba, reduced, full, options: Options, stats: Stats):
    """`reduced` where it can stand in for the photo in the pre-process: RGBA,
    smaller than the photo, the same aspect ratio (within one of its pixels)
    and no side below reduced_need. Else the photo."""
    if reduced is None:
        return rgba
    shape = backend.shape(reduced)
    if len(shape) != 3 or shape[2] != 4:
        return rgba
    h, w = shape[:2]
    need = reduced_need(full, options)
    same_aspect = abs(h * full[1] - w * full[0]) <= max(full)
    if not same_aspect or h < need[0] or w < need[1] or h * w >= full[0] * full[1]:
        return rgba
    stats.reduced = (h, w)
    return reduced


def _segment(run: "_Runner", options: Options, x):
    """ISNet's mask at its input size; with options.tta, averaged with the mirrored pass."""
    b = run.backend
    mask = run.graph(options.model, {"input": x}, ["output"])["output"]
    if options.tta:
        mirrored_x = run.graph("graph-flip", {"x": x}, ["y"])["y"]
        b.release(x)
        mirrored = run.graph(options.model, {"input": mirrored_x}, ["output"])["output"]
        b.release(mirrored_x)
        merged = run.graph("graph-flip-mean", {"mask": mask, "mirrored": mirrored}, ["mean"])["mean"]
        for t in (mask, mirrored):
            b.release(t)
        return merged
    b.release(x)
    return mask


def refine_graph(full, work) -> str:
    """The refine graph for a photo of size `full` refined at `work`: photos at
    least LARGE_SCALE x the working size take the tighter guided filter
    (graphs_meta.GF_RADIUS_LARGE)."""
    return "graph-refine-large" if max(full) >= LARGE_SCALE * max(work) else "graph-refine"


def graph_names(full, options: Options) -> list[str]:
    """The manifest assets a job on a photo of size `full` runs (the browser
    engine creates their sessions as it boots, and while a photo decodes)."""
    names = [options.model, "graph-pre"]
    if options.tta:
        names += ["graph-flip", "graph-flip-mean"]
    names.append(refine_graph(full, working_size(*full, options.work_size)) if options.refine else "graph-plain")
    names.append("graph-compose" if options.output == "cutout" else "graph-mask")
    return names


def _coefficients(run: "_Runner", options: Options, guide, mask, full, work) -> dict:
    if not options.refine:
        return run.graph("graph-plain", {"guide": guide, "mask": mask}, ["coef", "bounds"])
    long_side = max(work)
    radii = [max(1, round(long_side * f)) for f in options.fg_radii]
    b = run.backend
    feeds = {"guide": guide, "mask": mask, "radii": b.constant(radii, [2], "int64"),
             "eps": b.constant([options.gf_eps], [1], "float32"),
             "shift": b.constant([options.shift()], [1], "float32")}
    return run.graph(refine_graph(full, work), feeds, ["coef", "bounds"])


def _compose(run: "_Runner", options: Options, rgba, coef: dict, full, work):
    b = run.backend
    channels = 4 if options.output == "cutout" else 1
    out = b.new_image(full[0], full[1], channels)
    bounds = b.to_list(coef["bounds"])
    grid = b.shape(coef["bounds"])[2:]
    run.stage("compose", 0.7)
    block = options.block or b.block
    jobs, counts = plan(full, work, bounds, grid, BOUNDS_CELL, block, max(b.tile_pixels, block * block))
    run.stats.tiles.update(counts, runs=sum(job.window is not None for job in jobs))
    extra = {"keep_photo": b.constant([0.0 if options.refine else 1.0], [1], "float32")} if channels == 4 else {}

    def tick(done: int) -> bool:  # False: cancelled, the backend stops
        try:
            run.stage("compose", 0.7 + 0.3 * done / len(jobs), record=False)
        except CutoutError:
            return False
        return True

    name = "graph-compose" if options.output == "cutout" else "graph-mask"
    if not b.compose_tiles(run.load(name, tiles=True), rgba, coef["coef"], out, jobs, extra, tick):
        run.stage("compose", 1.0)  # raises the cancel that stopped the tiles
        raise CutoutError("cancelled")
    run.stage("compose", 1.0)
    return out


class _Runner:
    """Runs graphs with cancellation checks, progress reports and timings."""

    def __init__(self, backend, manifest: Manifest, progress, cancelled, stats: Stats):
        self.backend, self.manifest, self.stats = backend, manifest, stats
        self._progress, self._cancelled = progress, cancelled
        self._stage, self._since = None, time.perf_counter()

    def stage(self, name: str, fraction: float, record: bool = True) -> None:
        if self._cancelled is not None and self._cancelled():
            raise CutoutError("cancelled")
        if record and name != self._stage:
            now = time.perf_counter()
            if self._stage is not None:
                self.stats.timings[self._stage] = self.stats.timings.get(self._stage, 0.0) + now - self._since
            self._stage, self._since = name, now
        if self._progress is not None:
            self._progress(name, fraction)

    def graph(self, asset_name: str, feeds: dict, outputs: list[str]) -> dict:
        return self.backend.run(self.load(asset_name), feeds, outputs)

    def load(self, asset_name: str, tiles: bool = False):
        started = time.perf_counter()
        session = self.backend.load(self.manifest.get(asset_name), tiles)
        loading = time.perf_counter() - started
        if loading > 1e-3:  # first use: session creation is its own stage
            self.stats.timings["load"] = self.stats.timings.get("load", 0.0) + loading
            self._since += loading
        return session
