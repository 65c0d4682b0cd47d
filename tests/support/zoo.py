"""Animations of every kind, pure and remembering, each made fresh by a function.

Why fresh: an animation that remembers is changed by drawing it, so a test compares two
independent makings of the same animation (one saved by matplotlib, one played). Each
maker returns ``(figure, animation)``; ``PURE`` and ``REMEMBERS`` name them by verdict.
The frame functions are closures (cloudpickle copies them by value, as it does a
notebook's functions), so worker processes need not import this module.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import matplotlib

matplotlib.use("agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.figure import Figure

Maker = Callable[[], tuple[Figure, Any]]

FRAMES = 12


def _axes(figsize=(3.2, 2.4)):
    fig = plt.figure(figsize=figsize, dpi=72)
    ax = fig.add_subplot(xlim=(0, 12), ylim=(-3, 3))
    return fig, ax


def line(blit: bool = False) -> tuple[Figure, Any]:
    fig, ax = _axes()
    (ln,) = ax.plot([], [], lw=2)

    def step(i):
        x = np.linspace(0, 12, 200)
        ln.set_data(x, np.sin(x - i * 0.5))
        return (ln,)

    return fig, animation.FuncAnimation(fig, step, frames=FRAMES, blit=blit)


def line_blit() -> tuple[Figure, Any]:
    return line(blit=True)


def imshow() -> tuple[Figure, Any]:
    fig, ax = _axes()
    y, x = np.mgrid[0:48, 0:64]
    im = ax.imshow(np.sin(x / 6.0), animated=True)
    ax.set_title("imshow")

    def step(i):
        im.set_array(np.sin(x / 6.0 + i / 3) * np.cos(y / 5.0))
        return (im,)

    return fig, animation.FuncAnimation(fig, step, frames=FRAMES)


def artists() -> tuple[Figure, Any]:
    fig, ax = _axes()
    x = np.linspace(0, 12, 100)
    frames = [ax.plot(x, np.sin(x + k), "C0") for k in range(FRAMES)]
    return fig, animation.ArtistAnimation(fig, frames)


def trail(init: bool = False) -> tuple[Figure, Any]:
    """Appends a point each frame: a growing curve."""
    fig, ax = _axes()
    (ln,) = ax.plot([], [], "o-")
    xs: list[float] = []
    ys: list[float] = []

    def start():
        xs.clear()
        ys.clear()
        ln.set_data([], [])
        return (ln,)

    def step(i):
        xs.append(i)
        ys.append(np.sin(i / 2))
        ln.set_data(xs, ys)
        return (ln,)

    return fig, animation.FuncAnimation(
        fig, step, frames=FRAMES, init_func=start if init else None
    )


def trail_init() -> tuple[Figure, Any]:
    return trail(init=True)


def integrated(init: bool = False) -> tuple[Figure, Any]:
    """A state integrated by each call (a damped oscillator, one Euler step a frame)."""
    fig, ax = _axes()
    (dot,) = ax.plot([0], [2], "o")
    state = {"x": 0.0, "v": 2.0}

    def start():
        state.update(x=0.0, v=2.0)
        dot.set_data([0], [2])
        return (dot,)

    def step(i):
        state["v"] -= 0.4 * state["x"] + 0.05 * state["v"]
        state["x"] += state["v"] * 0.5
        dot.set_data([i], [state["x"]])
        return (dot,)

    return fig, animation.FuncAnimation(
        fig, step, frames=FRAMES, init_func=start if init else None
    )


def integrated_init() -> tuple[Figure, Any]:
    return integrated(init=True)


def random_walk() -> tuple[Figure, Any]:
    """A walk from a fixed seed: each step moves from the last position."""
    fig, ax = _axes()
    rng = np.random.default_rng(7)
    pos = [0.0]
    (dot,) = ax.plot([0], [0], "o")

    def step(i):
        pos[0] += rng.normal(0, 0.6)
        dot.set_data([i], [pos[0]])
        return (dot,)

    return fig, animation.FuncAnimation(fig, step, frames=FRAMES)


def generator() -> tuple[Figure, Any]:
    """A generator function of data; a pure drawing of each datum."""
    fig, ax = _axes()
    (ln,) = ax.plot([], [])

    def data():
        for k in range(FRAMES):
            yield k * 0.5

    def step(phase):
        x = np.linspace(0, 12, 100)
        ln.set_data(x, np.cos(x - phase))
        return (ln,)

    return fig, animation.FuncAnimation(fig, step, frames=data, save_count=FRAMES)


def generator_state() -> tuple[Figure, Any]:
    """A generator that emits data built on the last (a cumulative sum), drawn as a curve."""
    fig, ax = _axes()
    (ln,) = ax.plot([], [])
    seen: list[float] = []

    def data():
        total = 0.0
        for k in range(FRAMES):
            total += np.sin(k)
            yield total

    def step(value):
        seen.append(value)
        ln.set_data(range(len(seen)), seen)
        return (ln,)

    return fig, animation.FuncAnimation(fig, step, frames=data, save_count=FRAMES)


STRIP = 36


def strip_chart(
    *,
    init: bool = False,
    cache_frame_data: bool = False,
    shared: bool = False,
    trail: bool = True,
    log: list[Any] | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[Figure, Any]:
    """matplotlib's strip-chart / oscilloscope gallery pattern: ``frames=emit``, a
    generator function that yields ``(t, y)`` forever, ``y`` from one random generator
    (a module-level ``rng`` in the gallery; here a closure over it), ``save_count``
    bounding it. The frame function appends each pair to lists and draws them as a line
    (``trail``; ``trail=False`` draws the latest pair alone: pure). ``shared``: the frame
    function draws from the same random generator too. ``log``: each generator's
    creation and pull, the init draw and each call of the frame function, in order;
    ``rng``: the random generator (default: seeded 19680801, as in the gallery)."""
    fig = plt.figure(figsize=(3.2, 2.4), dpi=72)
    ax = fig.add_subplot(xlim=(-1, STRIP), ylim=(-0.1, 1.5))
    (ln,) = ax.plot([], [], "-o", ms=2, lw=1)
    if rng is None:
        rng = np.random.default_rng(19680801)
    ts: list[float] = []
    ys: list[float] = []
    # emit's closure holds the generator and this record only (no list, no number), as
    # a module-level emit over a module-level rng would.
    record = SimpleNamespace(events=log if log is not None else [], made=0)

    def emit():
        record.made += 1
        serial = record.made
        record.events.append(("generator", serial))
        t = 0
        while True:
            y = rng.uniform()
            record.events.append(("pull", serial, t))
            yield t, y
            t += 1

    def start():
        record.events.append(("init",))
        ts.clear()
        ys.clear()
        ln.set_data([], [])
        return (ln,)

    def update(datum):
        t, y = datum
        record.events.append(("frame", t))
        if shared:
            y += 0.4 * rng.uniform()
        if trail:
            ts.append(t)
            ys.append(y)
            ln.set_data(ts, ys)
        else:
            ln.set_data([t], [y])
        return (ln,)

    return fig, animation.FuncAnimation(
        fig,
        update,
        frames=emit,
        init_func=start if init else None,
        save_count=STRIP,
        cache_frame_data=cache_frame_data,
        interval=50,
    )


PURE: dict[str, Maker] = {
    "line": line,
    "line_blit": line_blit,
    "imshow": imshow,
    "artists": artists,
    "generator": generator,
}
REMEMBERS: dict[str, Maker] = {
    "trail": trail,
    "trail_init": trail_init,
    "integrated": integrated,
    "integrated_init": integrated_init,
    "random_walk": random_walk,
    "generator_state": generator_state,
}


class GrabWriter(animation.AbstractMovieWriter):
    """A movie writer that keeps what ``Animation.save`` gives it: RGBA arrays."""

    def __init__(self) -> None:
        super().__init__(fps=5)
        self.frames: list[np.ndarray] = []

    def setup(self, fig, outfile, dpi=None):
        super().setup(fig, outfile, dpi)

    def grab_frame(self, **savefig_kwargs):
        buf = io.BytesIO()
        self.fig.savefig(buf, **{**savefig_kwargs, "format": "rgba", "dpi": self.dpi})
        width, height = self.frame_size
        self.frames.append(np.frombuffer(buf.getvalue(), np.uint8).reshape(height, width, 4))

    def finish(self):
        pass


def decoded(frame: Any) -> np.ndarray:
    """The RGBA pixels of an ``EncodedFrame`` (PNG or JPEG bytes in ``frame.data``)."""
    from PIL import Image

    with Image.open(io.BytesIO(frame.data)) as image:
        return np.asarray(image.convert("RGBA"))


def saved_frames(make: Maker) -> list[np.ndarray]:
    """The frames ``Animation.save`` writes for a fresh making of ``make``."""
    fig, anim = make()
    writer = GrabWriter()
    anim.save("unused.raw", writer=writer)
    plt.close(fig)
    return writer.frames
