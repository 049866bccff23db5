"""Browser backend: onnxruntime-web through Pyodide's JS bridge.

The only engine module that imports `js` / `pyodide`. Tensors are
onnxruntime-web `Tensor` objects living in JS memory or on the GPU; Python
holds JsProxy references and asks the bridge (web/static/js/engine/ort-bridge.js)
to run sessions and the compose stage's tile loop. The bridge is asynchronous; the engine's
Backend protocol is synchronous, so every call blocks on its promise with
JS Promise Integration (`pyodide.ffi.run_sync`): the job must be entered
with `callPromising` (see `cutout.browser_jobs`).
"""

from __future__ import annotations

import re
from typing import Sequence

from pyodide.ffi import JsException, create_proxy, run_sync, to_js  # type: ignore[import-not-found]

from .errors import CutoutError
from .manifest import Asset

_CODED = re.compile(r"\[([a-z_]+)\]\s*(.*)", re.S)
_KNOWN = set(CutoutError.MESSAGES) | {"internal"}


def coded_error(exc: BaseException) -> CutoutError:
    """Map a JS error thrown as Error("[code] detail") to a CutoutError."""
    text = str(exc)
    match = _CODED.search(text)
    if match and match.group(1) in _KNOWN:
        return CutoutError(match.group(1), match.group(2).strip()[:500])
    if "out of memory" in text.lower() or "allocation failed" in text.lower():
        return CutoutError("out_of_memory", text[:500])
    return CutoutError("internal", text[:500])


class BrowserBackend:
    """Backend protocol over onnxruntime-web (see cutout.backend.Backend)."""

    # 24 MP compose, warm, square tiles with the loop in JS (two runs each): 256²
    # 0.76-1.06 s, 384² 0.77-0.91 s, 512² 0.97-1.02 s
    block, tile_pixels = 64, 384 * 384

    def __init__(self, bridge):
        self._bridge = bridge
        self.name = str(bridge.ep)

    def _wait(self, value):
        try:
            return run_sync(value)
        except JsException as exc:
            raise coded_error(exc) from None

    def load(self, asset: Asset, tiles: bool = False):
        opened = self._bridge.openedSession(asset.name)
        if opened is not None:
            return opened
        return self._wait(self._bridge.createSession(asset.name, asset.file, asset.sha256, asset.bytes, asset.role))

    def open_soon(self, asset: Asset) -> bool:
        """Start creating the session unless it exists or is being created;
        True if this started it."""
        return bool(self._bridge.openSoon(asset.name, asset.file, asset.sha256, asset.bytes, asset.role))

    def run(self, session, feeds: dict, outputs: Sequence[str]) -> dict:
        names = list(feeds)
        values = self._wait(self._bridge.run(session, to_js(names), to_js([feeds[n] for n in names]), to_js(list(outputs))))
        return dict(zip(outputs, values))

    def compose_tiles(self, session, rgba, coef, out, plan, extra: dict, progress) -> bool:
        # the tile loop runs in JS (OrtBridge.composeTiles): in Python each tile
        # cost ~8 calls across the bridge, ~2.4 ms a tile (0.2 s of a 24 MP compose)
        names = list(extra)
        tick = create_proxy(lambda done: bool(progress(int(done))))
        try:
            return bool(self._wait(self._bridge.composeTiles(
                session, rgba, coef, out, to_js([job.row() for job in plan]), to_js(names),
                to_js([extra[n] for n in names]), tick)))
        finally:
            tick.destroy()

    def constant(self, values, shape, dtype):
        return self._bridge.constant(to_js([float(v) if dtype == "float32" else int(v) for v in values]),
                                     to_js(list(shape)), dtype)

    def to_list(self, tensor) -> list:
        return self._wait(self._bridge.toList(tensor)).to_py()

    def shape(self, tensor) -> tuple[int, ...]:
        return tuple(int(d) for d in self._bridge.shape(tensor))

    def new_image(self, height: int, width: int, channels: int):
        try:
            return self._bridge.newImage(height, width, channels)
        except JsException as exc:
            raise coded_error(exc) from None

    def release(self, tensor) -> None:
        self._bridge.release(tensor)
