"""The 2013 post's animation, written once: for tests in this process, and as cell source.

A line ``y = cos(t) * sin(x - t)``, ``t = 0.02 * pi * i``, over ``x`` in [0, 10] (the
post's ``animate``, with ``init_func``). Unit tests call ``seed_animation``; kernel and
browser tests run ``SEED_CELL``, which defines the same functions in the kernel (their
source is taken from this file, so the two cannot drift apart).

``seed_animation(frames=100, *, size=(4, 3), dpi=50, interval=30, ...) -> (fig, anim)``
    The figure and its ``FuncAnimation``; the keywords are listed in its docstring.
``seed(**kw) -> anim``
    Just the animation (``seed_animation(**kw)[1]``), for cells like ``%animate seed()``.
``reference_rgba(index, **kw) -> ndarray``
    Frame ``index`` of ``seed_animation(**kw)``, drawn in full by a fresh figure.
``reference_hashes(count, **kw) -> list[str]``
    SHA-256 of the RGBA pixels of frames ``0 .. count - 1``, each by ``reference_rgba``.
``SEED_CELL``
    Cell source that imports numpy / pyplot / animation / hashlib and defines the four.
"""

from __future__ import annotations

import hashlib
import inspect
import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

# The annotations below are evaluated when SEED_CELL runs in a kernel (no ``from
# __future__ import annotations`` there): use only names the cell imports.


def seed_animation(
    frames=100,
    *,
    size=(4, 3),
    dpi=50,
    interval=30,
    blit=False,
    amplitude=1.0,
    phase=0.0,
    color=None,
    title=None,
    fail_at=None,
    **kwargs,
) -> tuple[plt.Figure, animation.FuncAnimation]:
    """The 2013 post's animation: ``(fig, anim)``.

    ``frames``, ``interval``, ``blit`` and any other keyword (``save_count``,
    ``cache_frame_data``, ...) go to ``FuncAnimation``; ``size`` (inches) and ``dpi`` to
    the figure. Variations, so that several seeds on one page differ: ``amplitude``
    scales the line (above 2 it crosses the axes' spines), ``phase`` shifts it,
    ``color`` is the line's, ``title`` is a format string of the frame number ``i``
    drawn as the axes title on every frame. Drawing frame ``fail_at`` raises
    ``ValueError("no frame <i> today")``.
    """
    fig = plt.figure(figsize=size, dpi=dpi)
    ax = fig.add_subplot(xlim=(0, 10), ylim=(-2, 2))  # what the post's plt.axes(...) makes
    (line,) = ax.plot([], [], lw=2, color=color)
    x = np.linspace(0, 10, 300)

    def init():
        line.set_data([], [])
        return (line,)

    def animate(i):
        if i == fail_at:
            raise ValueError(f"no frame {i} today")
        t = i * 0.02 * np.pi
        line.set_data(x, amplitude * np.cos(t) * np.sin(x - t + phase))
        if title is None:
            return (line,)
        ax.set_title(title.format(i=i), fontsize=9)
        return (line, ax.title)

    anim = animation.FuncAnimation(
        fig, animate, init_func=init, frames=frames, interval=interval, blit=blit, **kwargs
    )
    return fig, anim


def seed(**kwargs) -> animation.FuncAnimation:
    """The seed animation alone (its figure is the one it draws on)."""
    return seed_animation(**kwargs)[1]


def reference_rgba(index, **kwargs) -> np.ndarray:
    """Frame ``index`` of ``seed_animation(**kwargs)``, drawn in full by a fresh figure
    of its own (never a player's)."""
    fig, anim = seed_animation(**kwargs)
    anim._func(index)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba()).copy()
    anim._draw_was_started = True  # never run: no "deleted without rendering" warning
    plt.close(fig)
    return rgba


def reference_hashes(count, **kwargs) -> list:
    """SHA-256 (hex) of the RGBA pixels of frames ``0 .. count - 1`` of the seed made
    with ``kwargs``, each drawn by ``reference_rgba``."""
    return [hashlib.sha256(reference_rgba(i, **kwargs).tobytes()).hexdigest() for i in range(count)]


SEED_CELL = "\n\n".join(
    [
        "import hashlib\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
        "from matplotlib import animation",
        *(
            textwrap.dedent(inspect.getsource(f))
            for f in (seed_animation, seed, reference_rgba, reference_hashes)
        ),
    ]
)
