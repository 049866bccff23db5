"""CPython backend: onnxruntime on the CPU, numpy arrays as tensors.

Used by the CLI, the benchmarks and the tests (the browser backend lives in
`cutout.browser`). Sessions are verified against the manifest's sha256."""

from __future__ import annotations

import hashlib
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np
import onnxruntime as ort

from .errors import CutoutError
from .manifest import Asset, Manifest


class CPythonBackend:
    name = "cpu"
    # 12 MP compose, square tiles: 256² 0.27 s, 512² 0.28 s, 1024² 0.55 s (out of cache)
    block, tile_pixels = 64, 256 * 256

    def __init__(self, manifest: Manifest, threads: int | None = None):
        self.manifest = manifest
        self.threads = threads or min(os.cpu_count() or 1, 8)
        self._sessions: dict[tuple[str, bool], ort.InferenceSession] = {}
        self._pool: ThreadPoolExecutor | None = None

    def load(self, asset: Asset, tiles: bool = False) -> ort.InferenceSession:
        key = (asset.name, tiles)
        if key not in self._sessions:
            self._sessions[key] = self._create(asset, read_verified(self.manifest, asset), tiles)
        return self._sessions[key]

    def _create(self, asset: Asset, data: bytes, tiles: bool) -> ort.InferenceSession:
        opts = ort.SessionOptions()
        # A tile graph is ~40 small ops: a thread pool's wake-ups cost as much
        # as the ops (2 threads ran a 256² tile no faster than 1), so tiles run
        # single-threaded, one per core at once (compose_tiles).
        opts.intra_op_num_threads = 1 if tiles else self.threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        # Each session has its own thread pool, and by default its threads spin
        # after a run: the model's spinning threads then starved the tile graphs
        # on a 2-core machine (compose 0.35 s or 0.8 s at 12 MP, at random).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # The arena keeps a session's freed working memory for its next run.
        # Without it glibc hands the large blocks back to the OS and every run
        # page-faults them in again: the refine graph took 0.19 s at 12 MP
        # against 0.10 s with it. The model and the working-resolution graphs
        # keep one (their working sets do not grow with the photo: graph-pre's
        # only full-resolution tensor is its input); the tiles vary in shape,
        # and an arena would pin the largest one.
        opts.enable_cpu_mem_arena = not tiles
        # The memory pattern (one block planned per input shape) runs ISNet ~4%
        # faster (BENCHMARKS.md) and the tiles no slower (12 MP compose: 0.18-0.19 s
        # with it, 0.19-0.21 s without); for the refine graph it held ~130 MiB
        # more than the arena alone and was no faster.
        opts.enable_mem_pattern = tiles or asset.role == "model"
        try:
            return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise CutoutError("model_corrupt", f"{asset.name}: {exc}") from exc

    def run(self, session, feeds: dict, outputs: Sequence[str]) -> dict:
        try:
            values = session.run(list(outputs), feeds)
        except MemoryError as exc:
            raise CutoutError("out_of_memory", str(exc)) from exc
        return dict(zip(outputs, values))

    def compose_tiles(self, session, rgba, coef, out, plan, extra: dict, progress) -> bool:
        settled = slice(0, 4) if out.shape[2] == 4 else slice(3, 4)
        finished = True

        def jobs():
            nonlocal finished
            for i, job in enumerate(plan):
                if not progress(i):
                    finished = False
                    return
                t, w = job.tile, job.window
                pixels = rgba[t.y:t.y + t.h, t.x:t.x + t.w]
                if w is None:
                    out[t.y:t.y + t.h, t.x:t.x + t.w] = pixels[..., settled]
                    continue
                yield t, {"rgba": pixels, "pos": np.asarray(w.pos, np.float32),
                          "coef": coef[:, :, w.starts[0]:w.ends[0], w.starts[1]:w.ends[1]], **extra}

        for t, result in self._run_tiles(session, jobs()):
            out[t.y:t.y + t.h, t.x:t.x + t.w] = result
        return finished

    def _run_tiles(self, session, jobs):
        """Up to 2 tiles per core in flight; `jobs` is pulled lazily, a few
        ahead of the results, so memory stays bounded."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="cutout-tile")
        pending: deque = deque()
        try:
            for key, feeds in jobs:
                pending.append((key, self._pool.submit(self.run, session, feeds, ["out"])))
                if len(pending) >= 2 * self.threads:
                    key, future = pending.popleft()
                    yield key, future.result()["out"]
            while pending:
                key, future = pending.popleft()
                yield key, future.result()["out"]
        finally:  # cancelled or failed: let the tiles in flight finish, drop their results
            for _key, future in pending:
                future.cancel()
                if not future.cancelled():
                    future.exception()

    def constant(self, values, shape, dtype):
        return np.asarray(values, dtype=dtype).reshape(shape)

    def to_list(self, tensor) -> list:
        return tensor.ravel().tolist()

    def shape(self, tensor) -> tuple[int, ...]:
        return tuple(tensor.shape)

    def new_image(self, height: int, width: int, channels: int):
        return np.zeros((height, width, channels), np.uint8)

    def release(self, tensor) -> None:
        pass


def read_verified(manifest: Manifest, asset: Asset) -> bytes:
    """The asset's bytes, refused unless size and sha256 match the manifest."""
    path = Path(manifest.base) / asset.file
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CutoutError("model_missing", f"{path} not found; run `python build.py`") from None
    if len(data) != asset.bytes or hashlib.sha256(data).hexdigest() != asset.sha256:
        raise CutoutError("model_corrupt", f"{path} does not match the build manifest")
    return data
