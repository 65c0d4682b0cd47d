"""Every frame of an in-order run, kept on disk: a jump back reads, never redraws.

Why: the frames of an animation that remembers can be drawn only once, in order (``sequential.py``);
drawn again, frame i would show the state after frame k, not after i - 1. So each one
is kept, encoded losslessly, for as long as the player lives. Memory holds the recent
ones (the pipeline's cache, bounded by ``--cache-mb``); all of them are appended to a
temporary file, which is removed when the player closes (and at exit, if it never
does), so kernel memory stays bounded by the cache budget however long the run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import weakref
from typing import Any, BinaryIO

__all__ = ["KeptFrames"]


def _remove(path: str, file: BinaryIO) -> None:
    try:
        file.close()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


class KeptFrames:
    """Frame index -> (meta, bytes), append-only, in a temporary file made on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._where: dict[int, tuple[int, int, dict[str, Any]]] = {}
        self._size = 0
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self.closed = False

    @property
    def path(self) -> str | None:
        """The temporary file's path, once one was made."""
        return self._file.name if self._file is not None else None

    @property
    def nbytes(self) -> int:
        return self._size

    def __contains__(self, index: object) -> bool:
        return index in self._where

    def __len__(self) -> int:
        return len(self._where)

    def put(self, index: int, meta: dict[str, Any], data: bytes) -> None:
        with self._lock:
            if self.closed or index in self._where:
                return
            if self._file is None:
                handle, path = tempfile.mkstemp(prefix="ipyanimagic-kept-", suffix=".frames")
                self._file = os.fdopen(handle, "w+b")
                self._finalizer = weakref.finalize(self, _remove, path, self._file)
            self._file.seek(0, os.SEEK_END)
            offset = self._file.tell()
            self._file.write(data)
            self._where[index] = (offset, len(data), dict(meta))
            self._size += len(data)

    def get(self, index: int) -> tuple[dict[str, Any], bytes] | None:
        with self._lock:
            where = self._where.get(index)
            if where is None or self._file is None:
                return None
            offset, length, meta = where
            self._file.flush()
            data = os.pread(self._file.fileno(), length, offset)
        return dict(meta), data

    def close(self) -> None:
        """Remove the file; nothing is kept after this."""
        with self._lock:
            self.closed = True
            self._where.clear()
            finalizer, self._finalizer = self._finalizer, None
            self._file = None
        if finalizer is not None:
            finalizer()
