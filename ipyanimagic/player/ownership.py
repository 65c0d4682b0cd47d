"""Which player owns a figure, and what adopting one does to it.

Why: a figure shown by a player must not also be shown by matplotlib (``%matplotlib
inline`` would add a static copy at the end of the cell) nor animated by matplotlib's
own timer; and when the player goes, the figure must be closed, unless another player
has adopted it since.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from ..frames.source import FrameSource
from ..mplcompat import detach_from_timer

__all__ = ["adopt", "release"]

_owners: dict[int, Any] = {}  # id(figure) -> the player that owns it now


def adopt(source: FrameSource, owner: Any) -> None:
    """``owner`` shows ``source``'s figure from now on; pyplot and the timer let go."""
    figure = source.figure
    _owners[id(figure)] = owner
    if source.animation is not None:
        detach_from_timer(source.animation)
    # Under %matplotlib inline an open figure is also shown as a static picture at the
    # end of the cell; the player is its view now.
    plt.close(figure)


def release(source: FrameSource, owner: Any) -> None:
    """``owner`` is done with the figure: close it, if no other player took it since."""
    figure = source.figure
    if _owners.get(id(figure)) is owner:
        del _owners[id(figure)]
        plt.close(figure)
