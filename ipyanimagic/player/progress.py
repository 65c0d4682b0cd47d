"""Progress of long kernel-side work (export), the way Jupyter users know it: tqdm.

Why tqdm and not a bar of our own: ``tqdm.auto`` already draws a widget bar in a
notebook and a text bar in a terminal, handles output that is disabled or redirected
and nested bars; users recognise it and can configure it (``TQDM_DISABLE`` etc.).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["progress_bar"]

T = TypeVar("T")


def progress_bar(items: Iterable[T], label: str, *, enabled: bool = True) -> Iterator[T]:
    """Iterate ``items``, showing how far it got (a notebook widget, or stderr)."""
    if not enabled:
        yield from items
        return
    from tqdm.auto import tqdm

    # mininterval: redrawing a notebook widget costs a comm message; 10 per second is plenty.
    with tqdm(items, desc=label, unit="frame", mininterval=0.1, leave=True) as bar:
        yield from bar
