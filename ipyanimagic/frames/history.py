"""Every frame of an in-order run, kept on disk: a jump back reads, never redraws.

Why: the frames of an animation that remembers can be drawn only once, in order
(``sequential.py``); drawn again, frame i would show the state after frame k, not after
i - 1. So each one is kept, encoded losslessly, for as long as the player lives. Memory
holds the recent ones (the pipeline's cache, bounded by ``--cache-mb``); all of them go
to a temporary file, so kernel memory stays bounded by the cache budget however long
the run. The file has no name on disk from the start (unlinked as soon as it is made):
closing the player frees it, and so does the kernel's end however it ends (a killed
kernel cannot leave one behind).
"""

from __future__ import annotations

import os
import tempfile
import threading
from typing import Any, BinaryIO

__all__ = ["KeptFrames"]


class KeptFrames:
    """Frame index -> (meta, bytes), append-only, in a temporary file made on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._where: dict[int, tuple[int, int, dict[str, Any]]] = {}
        self._size = 0
        self.closed = False

    @property
    def file(self) -> BinaryIO | None:
        """The temporary file (nameless), once one was made."""
        return self._file

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
                # Unlinked at once (TemporaryFile): nothing on disk outlives the process.
                self._file = tempfile.TemporaryFile(prefix="ipyanimagic-kept-")  # noqa: SIM115 (lives with the player)
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
            file, self._file = self._file, None
        if file is not None:
            file.close()
