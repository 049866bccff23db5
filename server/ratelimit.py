"""In-memory sliding-window counters. Per process: with several app
processes each keeps its own window, which only loosens the limit by the
number of processes; a shared store can replace this class later."""

from __future__ import annotations

import math
from collections import deque
from typing import Callable


class SlidingWindow:
    def __init__(self, limit: int, window_s: float, now: Callable[[], float]) -> None:
        self.limit, self.window_s, self._now = limit, window_s, now
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        cutoff = self._now() - self.window_s
        while hits and hits[0] <= cutoff:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> int | None:
        """Seconds to wait if the key is over its limit, else None."""
        hits = self._recent(key)
        if len(hits) < self.limit:
            if not hits:
                self._hits.pop(key, None)
            return None
        return max(1, math.ceil(hits[0] + self.window_s - self._now()))

    def hit(self, key: str) -> None:
        self._recent(key).append(self._now())

    def clear(self, key: str) -> None:
        self._hits.pop(key, None)
