"""Is frame i a pure function of i? Measured by drawing on a copy, never guessed.

Why measure: a frame function that appends to a list, integrates a state or draws the
next step of a random walk looks like any other function; only drawing tells. The
player needs the answer twice: to allow random access and worker processes (pure), or
to draw in order from the start and keep every frame (remembers, ``sequential.py``).

How: on a copy of the animation (``workers/portable.py``: the figure, the frame function and
its data, pickled with cloudpickle, so nothing the check draws moves the user's
state), in a worker process (so the user's global random state is not touched either):

1. init draw, then frames 0 .. k-1 in order (k = PROBES, fewer if the animation is
   shorter), as ``Animation.save`` would;
2. the last of them again, then frame 0 again after it;
3. on a second, fresh copy, frame k-1 at once after the init draw (a jump);
4. for one that remembers, on the first copy, the init draw again and frame 0: can the
   start be reproduced (does ``init_func`` reset the state)?

Every frame drawn again must match the first drawing pixel for pixel; if any differs,
the animation remembers, and the verdict says which frame and how.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .source import FrameSource

__all__ = ["PROBES", "Purity", "measure", "stated", "unknown"]

#: Frames drawn in order by the check (the frame function runs about PROBES + 4 times).
PROBES = 3


@dataclass(frozen=True)
class Purity:
    """A verdict: ``pure`` True / False, or None while it is being measured."""

    pure: bool | None
    #: "measured", "stated" (the user said), "no copy" (could not measure), "measuring"
    how: str
    #: One line: what was seen, or why nothing could be.
    reason: str
    #: Whether the init draw resets the animation (frame 0 drawn again is frame 0).
    restartable: bool = True

    def describe(self) -> str:
        """The line the player's status tooltip and ``stats()`` show."""
        if self.pure is None:
            return f"purity: {self.reason}"
        word = "pure (random access)" if self.pure else "remembers (frames drawn in order)"
        return f"{word}, {self.how}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def stated(pure: bool) -> Purity:
    """The user's word (``pure=True/False``, ``--pure`` / ``--sequential``)."""
    said = "pure=True" if pure else "pure=False"
    return Purity(pure, "stated", f"{said} given")


def unknown(reason: str = "being measured on a copy") -> Purity:
    return Purity(None, "measuring", reason)


class _Copy:
    """A copy and its renderer. The renderer blits when that is pixel-exact (checked),
    as the player's does, so the check costs a few full draws, not one per frame."""

    def __init__(self, source: FrameSource) -> None:
        from .render import FrameRenderer  # render imports frames; keep this module light

        self.source = source
        self.renderer = FrameRenderer(source, blit=True)

    def draw(self, index: int) -> np.ndarray:
        rgba: np.ndarray = self.renderer.render(index).rgba.copy()
        return rgba

    def restart(self) -> None:
        self.source.restart()
        self.renderer.reset()


def measure(first: FrameSource, second: FrameSource, count: int) -> Purity:
    """The verdict for an animation of ``count`` frames, from two independent copies.

    Runs anywhere (a worker process calls it); draws only on the copies.
    """
    return _measure(_Copy(first), _Copy(second), count)


def _measure(first: _Copy, second: _Copy, count: int) -> Purity:
    in_order: list[np.ndarray] = []
    for i in range(max(1, min(count, PROBES))):
        try:
            in_order.append(first.draw(i))
        except Exception as exc:
            # A frame that fails says nothing about memory: judge by the ones before.
            if not in_order:
                return Purity(
                    False, "no copy", f"frame 0 failed on the copy: {type(exc).__name__}: {exc}"
                )
            # (For a pure animation the copy is as good as new after a restart; for
            # one that remembers, its frame 0 will differ, which is the answer too.)
            first.restart()
            return _measure(first, second, len(in_order))
    k = len(in_order)
    last = k - 1
    reason = ""
    if not np.array_equal(first.draw(last), in_order[last]):
        reason = f"frame {last} drawn twice in a row differs"
    elif k > 1 and not np.array_equal(first.draw(0), in_order[0]):
        reason = f"frame 0 drawn after frame {last} differs from the first"
    elif k > 1 and not np.array_equal(second.draw(last), in_order[last]):
        reason = f"frame {last} drawn after a jump differs from frame {last} drawn in order"
    if not reason:
        return Purity(
            True, "measured", f"frames 0-{last} the same in order, again and after a jump"
        )
    # Does the init draw reset it? Frame 0 after a new init draw, as at the start.
    first.restart()
    restarts = bool(np.array_equal(first.draw(0), in_order[0]))
    return Purity(False, "measured", reason, restartable=restarts)
