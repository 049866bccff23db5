"""The one interface between the engine and whatever executes ONNX graphs.

A backend owns tensors; the engine only holds references to them and asks
the backend to run graphs, crop and paste. In CPython tensors are numpy
arrays; in the browser they are onnxruntime-web tensors living in JS memory
or on the GPU, so the engine never touches pixels itself.

Implementations: `cutout.backend_cpython.CPythonBackend` (onnxruntime) and
`cutout.browser.BrowserBackend` (onnxruntime-web via Pyodide's JS bridge).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Protocol, Sequence

from .manifest import Asset

Tensor = Any  # opaque handle, owned by the backend
Session = Any


class Backend(Protocol):
    #: what actually runs the graphs, e.g. "cpu", "wasm", "webgpu"
    name: str
    #: side of the full-resolution compose tiles when Options.tile is None
    tile: int

    def load(self, asset: Asset, tiles: bool = False) -> Session:
        """Create (or return the cached) session for a model/graph asset;
        `tiles`: the session will serve `run_tiles` (a backend may set it up
        differently, e.g. single-threaded).

        Must verify the asset's sha256 and raise CutoutError("model_missing")
        or CutoutError("model_corrupt") as appropriate."""

    def run(self, session: Session, feeds: dict[str, Tensor], outputs: Sequence[str]) -> dict[str, Tensor]:
        """Run a session; returns the requested outputs by name."""

    def run_tiles(self, session: Session, jobs: Iterable[tuple[Any, dict[str, Tensor]]],
                  outputs: Sequence[str]) -> Iterator[tuple[Any, dict[str, Tensor]]]:
        """Run a tile graph over many feeds, yielding (key, outputs) in job
        order. A backend may run a few at once; `jobs` is pulled lazily, a few
        ahead of the results, so memory stays bounded."""

    def constant(self, values: Sequence[float], shape: Sequence[int], dtype: str) -> Tensor:
        """A small tensor made from Python numbers ("float32" or "int64")."""

    def to_list(self, tensor: Tensor) -> list:
        """Flat list of a *small* tensor's values (planning data only)."""

    def shape(self, tensor: Tensor) -> tuple[int, ...]: ...

    def crop(self, tensor: Tensor, starts: Sequence[int], ends: Sequence[int]) -> Tensor:
        """Sub-block [starts, ends) along every axis, as a new tensor."""

    def new_image(self, height: int, width: int, channels: int) -> Tensor:
        """A zeroed uint8 HWC image (the full-resolution output buffer)."""

    def paste(self, dst: Tensor, src: Tensor, y: int, x: int) -> None:
        """Copy uint8 HWC `src` into `dst` with its top-left corner at (y, x)."""

    def release(self, tensor: Tensor) -> None:
        """Free a tensor early (GPU memory); a no-op where memory is managed."""
