"""Planning for the full-resolution stage: working size, which blocks of the
photo need the compose graph, the tiles they are run in, and where each tile
samples the coefficient map.

Pure Python on small numbers: runs the same in CPython and Pyodide."""

from __future__ import annotations

import math
from dataclasses import dataclass

# alpha bounds beyond which a tile rounds to fully transparent / fully opaque
EMPTY_BELOW = 0.5 / 255
SOLID_ABOVE = 1.0 - 0.5 / 255


@dataclass(frozen=True)
class Tile:
    y: int
    x: int
    h: int
    w: int


@dataclass(frozen=True)
class Window:
    """Crop of the coefficient map for one tile, and where the tile's
    pixels sample it (first position and step, in crop pixels, y then x): the
    same positions an untiled half-pixel bilinear resize of the map uses."""
    starts: tuple[int, int]
    ends: tuple[int, int]
    pos: tuple[float, float, float, float]


@dataclass(frozen=True)
class TileJob:
    """One tile of the compose stage's plan: `window` None for a settled
    (fully opaque) tile, whose photo pixels are copied as they are."""
    tile: Tile
    window: Window | None

    def row(self) -> list:
        """As numbers for a backend that takes the plan as plain data:
        [y, x, h, w] (+ [cy0, cx0, cy1, cx1, py, px, dy, dx] when mixed)."""
        t, w = self.tile, self.window
        head = [t.y, t.x, t.h, t.w]
        return head if w is None else head + [*w.starts, *w.ends, *w.pos]


def working_size(height: int, width: int, limit: int) -> tuple[int, int]:
    """Aspect-preserving size with the long side at most `limit`."""
    scale = min(1.0, limit / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def model_size(height: int, width: int, long_side: int, multiple: int, keep_aspect: bool = True) -> tuple[int, int]:
    """ISNet's input size: the long side at `long_side`, the short side scaled
    alike and rounded to a multiple of `multiple` (never below it). Without
    keep_aspect: the square that IMG.LY and rembg squash every photo into."""
    if not keep_aspect:
        return long_side, long_side
    scale = long_side / max(height, width)

    def side(n: int) -> int:
        return min(long_side, max(multiple, round(n * scale / multiple) * multiple))
    return side(height), side(width)


def _axis_window(start: int, length: int, full: int, work: int) -> tuple[int, int, float, float]:
    scale = work / full
    first = (start + 0.5) * scale - 0.5  # half-pixel centres; >= -0.5 (the tile graph clamps to the edge row)
    last = (start + length - 0.5) * scale - 0.5
    c0 = max(math.floor(first) - 1, 0)
    c1 = min(math.floor(last) + 3, work)
    return c0, c1, first - c0, scale


def coef_window(tile: Tile, full: tuple[int, int], work: tuple[int, int]) -> Window:
    y0, y1, ys, dy = _axis_window(tile.y, tile.h, full[0], work[0])
    x0, x1, xs, dx = _axis_window(tile.x, tile.w, full[1], work[1])
    return Window((y0, x0), (y1, x1), (ys, xs, dy, dx))


def _cell_range(start: int, length: int, full: int, work: int, cell: int) -> range:
    scale = work / full
    lo = max(math.floor((start + 0.5) * scale - 0.5), 0)
    hi = min(math.ceil((start + length - 0.5) * scale - 0.5), work - 1)
    return range(lo // cell, hi // cell + 1)


def _kind(lo: float, hi: float) -> str:
    if hi <= EMPTY_BELOW:
        return "empty"
    if lo >= SOLID_ABOVE:
        return "solid"
    return "mixed"


def _column_max(bounds: list[float], rows: range, gw: int, base: int) -> list[float]:
    """Per cell column, the largest of `bounds` (one plane of it, at `base`) over `rows`."""
    planes = [bounds[base + r * gw:base + (r + 1) * gw] for r in rows]
    return planes[0] if len(planes) == 1 else list(map(max, *planes))  # the loop over columns runs in C


def block_kinds(full, work, bounds: list[float], grid: tuple[int, int], cell: int, block: int):
    """The photo cut into strips `block` rows high, each into `block`-wide
    blocks: yields (y, h, [(x, w, kind)]) per strip, kind 'empty', 'solid' or
    'mixed' from the per-cell alpha bounds under the block (flat list
    [2, gh, gw]: minus the lower bound, then the upper bound)."""
    gh, gw = grid
    xs = [(x, min(block, full[1] - x)) for x in range(0, full[1], block)]
    cols = [_cell_range(x, w, full[1], work[1], cell) for x, w in xs]
    for y in range(0, full[0], block):
        h = min(block, full[0] - y)
        rows = _cell_range(y, h, full[0], work[0], cell)
        neg_lo, hi = _column_max(bounds, rows, gw, 0), _column_max(bounds, rows, gw, gh * gw)
        yield y, h, [(x, w, _kind(-max(neg_lo[c.start:c.stop]), max(hi[c.start:c.stop])))
                     for (x, w), c in zip(xs, cols)]


def plan(full, work, bounds: list[float], grid: tuple[int, int], cell: int, block: int,
         max_pixels: int) -> tuple[list[TileJob], dict]:
    """The compose stage's plan: runs of adjacent mixed (or solid) blocks of a
    strip become one tile of at most max_pixels; empty blocks are left out
    (the output starts transparent). Small blocks skip settled area around
    hair and outlines, merged runs keep the graph runs few. Returns the plan
    and the number of blocks of each kind."""
    jobs, counts = [], {"empty": 0, "solid": 0, "mixed": 0}
    for y, h, blocks in block_kinds(full, work, bounds, grid, cell, block):
        i = 0
        while i < len(blocks):
            x0, w0, kind = blocks[i]
            end = x0 + w0
            j = i + 1
            while j < len(blocks) and blocks[j][2] == kind and (blocks[j][0] + blocks[j][1] - x0) * h <= max_pixels:
                end = blocks[j][0] + blocks[j][1]
                j += 1
            counts[kind] += j - i
            if kind != "empty":
                tile = Tile(y, x0, h, end - x0)
                jobs.append(TileJob(tile, coef_window(tile, full, work) if kind == "mixed" else None))
            i = j
    return jobs, counts
