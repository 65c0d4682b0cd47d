"""A progress bar for long kernel-side work: in the notebook output, or on stderr."""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["Progress"]


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class Progress:
    """``with Progress(total, "rendering") as p: p.update(n)`` (throttled to ~10/s)."""

    def __init__(self, total: int, label: str, *, enabled: bool = True) -> None:
        self.total = max(1, int(total))
        self.label = label
        self.enabled = enabled
        self._handle: Any = None
        self._last = 0.0
        self._notebook = enabled and _in_notebook()

    def __enter__(self) -> Progress:
        self.update(0, force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.update(self.total if exc[0] is None else self._done, force=True)
        if self.enabled and not self._notebook:
            sys.stderr.write("\n")
            sys.stderr.flush()

    _done = 0

    def update(self, done: int, *, force: bool = False) -> None:
        self._done = done
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        pct = 100.0 * done / self.total
        if self._notebook:
            from IPython.display import HTML, display

            html = HTML(
                f'<progress value="{done}" max="{self.total}" style="width:20em"></progress> '
                f"{self.label}: {done} / {self.total}"
            )
            if self._handle is None:
                self._handle = display(html, display_id=True)
            else:
                self._handle.update(html)
        else:
            sys.stderr.write(f"\r{self.label}: {done} / {self.total} ({pct:.0f}%)")
            sys.stderr.flush()
