"""The one interface between the engine and whatever executes ONNX graphs.

A backend owns tensors; the engine only holds references to them and asks
the backend to run graphs and to carry out the compose stage's tile plan. In CPython tensors are numpy
arrays; in the browser they are onnxruntime-web tensors living in JS memory
or on the GPU, so the engine never touches pixels itself.

Implementations: `cutout.backend_cpython.CPythonBackend` (onnxruntime) and
`cutout.browser.BrowserBackend` (onnxruntime-web via Pyodide's JS bridge).
"""

from __future__ import annotations

from typing import Any, Callable, Protocol, Sequence

from .manifest import Asset
from .tiling import TileJob

Tensor = Any  # opaque handle, owned by the backend
Session = Any


class Backend(Protocol):
    #: what actually runs the graphs, e.g. "cpu", "wasm", "webgpu"
    name: str
    #: side of the compose stage's blocks when Options.block is None: settled
    #: (fully transparent or opaque) area is skipped block by block
    block: int
    #: the most pixels in one compose tile (a run of blocks of a strip)
    tile_pixels: int

    def load(self, asset: Asset, tiles: bool = False) -> Session:
        """Create (or return the cached) session for a model/graph asset;
        `tiles`: the session will serve `compose_tiles` (a backend may set it
        up differently, e.g. single-threaded).

        Must verify the asset's sha256 and raise CutoutError("model_missing")
        or CutoutError("model_corrupt") as appropriate."""

    def run(self, session: Session, feeds: dict[str, Tensor], outputs: Sequence[str]) -> dict[str, Tensor]:
        """Run a session; returns the requested outputs by name."""

    def compose_tiles(self, session: Session, rgba: Tensor, coef: Tensor, out: Tensor, plan: Sequence[TileJob],
                      extra: dict[str, Tensor], progress: Callable[[int], bool]) -> bool:
        """Carry out the compose stage's plan (planned by `cutout.pipeline`):
        for a mixed tile, run the tile graph on the photo's pixels under it
        (feeds `rgba`, `coef`: the tile's window of the coefficient map, `pos`,
        plus `extra`) and paste its `out`; for a settled one, copy the photo's
        pixels (only their alpha channel when `out` has one channel). Calls
        `progress(tiles done)` before each tile and stops when it returns False;
        returns whether every tile was done. A backend may run a few tiles at
        once (memory stays bounded) and loops wherever a tile costs least."""

    def constant(self, values: Sequence[float], shape: Sequence[int], dtype: str) -> Tensor:
        """A small tensor made from Python numbers ("float32" or "int64")."""

    def to_list(self, tensor: Tensor) -> list:
        """Flat list of a *small* tensor's values (planning data only)."""

    def shape(self, tensor: Tensor) -> tuple[int, ...]: ...

    def new_image(self, height: int, width: int, channels: int) -> Tensor:
        """A zeroed uint8 HWC image (the full-resolution output buffer)."""

    def release(self, tensor: Tensor) -> None:
        """Free a tensor early (GPU memory); a no-op where memory is managed."""
