"""A least-recently-used cache of encoded frames, bounded in bytes.

Why: stepping back, reversing and looping show frames the kernel already made; keeping
the encoded bytes makes those free. The budget (``--cache-mb``) bounds kernel memory
however long the animation is. Thread-safe, so the page can ask what is buffered from
any thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

__all__ = ["CacheKey", "FrameCache", "index_ranges"]

#: (frame index, format, quality, scale): quality is 0 for a lossless format; scale is
#: the resolution (a frame at devicePixelRatio 2 is another picture than at 1).
CacheKey = tuple[int, str, int, float]


class FrameCache:
    """Maps a key (frame index, format, quality, scale) to (meta, bytes), at most
    ``budget`` bytes."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = max(0, int(budget_bytes))
        self._items: OrderedDict[CacheKey, tuple[dict[str, Any], bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: CacheKey) -> tuple[dict[str, Any], bytes] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: CacheKey, meta: dict[str, Any], data: bytes) -> None:
        size = len(data)
        with self._lock:
            if size > self.budget:
                return
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old[1])
            self._items[key] = (meta, data)
            self._size += size
            while self._size > self.budget:
                _, (_, evicted) = self._items.popitem(last=False)
                self._size -= len(evicted)

    def indices(self) -> list[int]:
        """Frame indices with at least one cached encoding, sorted."""
        with self._lock:
            return sorted({key[0] for key in self._items})

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    @property
    def nbytes(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._items)


def index_ranges(indices: Iterable[int]) -> list[list[int]]:
    """Sorted frame indices as ranges ``[first, last]`` (what the page's bar draws)."""
    ranges: list[list[int]] = []
    for i in indices:
        if ranges and ranges[-1][1] == i - 1:
            ranges[-1][1] = i
        else:
            ranges.append([i, i])
    return ranges
