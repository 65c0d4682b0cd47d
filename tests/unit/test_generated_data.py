"""Frame data from a generator is made and pulled as ``Animation.save`` makes and pulls it.

matplotlib's strip-chart / oscilloscope examples pass ``frames=emit``, a generator
function drawing from a random generator the frame function may share, and the frame
function appends to lists. ``Animation.save`` makes the init draw on the first item of a
fresh generator (``_init_draw``: ``next(self.new_frame_seq())``) when there is no
``init_func``, then draws the frames from another fresh generator, pulling each item
just before its frame is drawn. Pulling an item earlier (ahead of drawing, or for the
purity check's copy) moves the shared random generator under the frame function, so
every frame after it differs. The reference is what a frame-grabbing movie writer
receives from ``Animation.save`` on an independent making of the same animation.
"""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import animation
from PIL import Image, ImageSequence
from support import zoo

import ipyanimagic

RANDOM_ORDER = [17, 3, 30, 0, 35, 12, 29, 1, 34]

VARIANTS = {
    f"{'init' if init else 'no_init'}-{'cache' if cache else 'no_cache'}-"
    f"{'shared' if shared else 'data_only'}": functools.partial(
        zoo.strip_chart, init=init, cache_frame_data=cache, shared=shared
    )
    for init in (False, True)
    for cache in (False, True)
    for shared in (False, True)
}
PLAYERS = {"measured": {}, "stated": {"pure": False}}


@functools.cache
def saved(name: str) -> tuple[np.ndarray, ...]:
    return tuple(zoo.saved_frames(VARIANTS[name]))


@pytest.fixture(autouse=True, scope="module")
def _forget_saved_frames():
    yield
    saved.cache_clear()


def differing(player, order: list[int], reference) -> list[int]:
    """The frames of ``order`` whose pixels differ from the reference's."""
    return [
        i
        for i in order
        if not np.array_equal(
            zoo.decoded(player.supply.frame(i, "png", 0).result(timeout=30)), reference[i]
        )
    ]


@pytest.mark.parametrize("kind", sorted(PLAYERS))
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_strip_chart_played_forward_has_the_frames_save_writes(players, name, kind):
    reference = saved(name)
    assert len(reference) == zoo.STRIP
    _, anim = VARIANTS[name]()
    p = ipyanimagic.animate(anim, **PLAYERS[kind])
    players.append(p)
    assert p.supply.verdict.pure is False, p.supply.verdict
    assert differing(p, list(range(zoo.STRIP)), reference) == []


@pytest.mark.parametrize("kind", sorted(PLAYERS))
@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_strip_chart_under_random_access_has_the_frames_save_writes(players, name, kind):
    reference = saved(name)
    _, anim = VARIANTS[name]()
    p = ipyanimagic.animate(anim, **PLAYERS[kind])
    players.append(p)
    assert differing(p, RANDOM_ORDER, reference) == []
    assert differing(p, list(range(zoo.STRIP)), reference) == []


@pytest.mark.parametrize("cache", [False, True])
def test_a_pure_drawing_of_shared_random_data_has_the_frames_save_writes(players, cache):
    make = functools.partial(zoo.strip_chart, trail=False, cache_frame_data=cache)
    reference = zoo.saved_frames(make)
    _, anim = make()
    p = ipyanimagic.animate(anim)
    players.append(p)
    assert p.supply.verdict.pure is True, p.supply.verdict
    assert differing(p, RANDOM_ORDER, reference) == []
    assert differing(p, list(range(zoo.STRIP)), reference) == []


def test_workers_draw_a_pure_drawing_of_shared_random_data_as_save_does(players):
    """The copy pulls its own generator (restarted, its init draw pulls nothing more):
    the same data as the user's when taken before any frame was drawn."""
    make = functools.partial(zoo.strip_chart, trail=False)
    reference = zoo.saved_frames(make)
    _, anim = make()
    p = ipyanimagic.animate(anim, workers=2)
    players.append(p)
    assert differing(p, RANDOM_ORDER, reference) == []
    assert p.stats()["frames_from"] == "workers", p.stats()["workers_fallback"]
    assert p.stats()["parallel"]["drawn_by_workers"] >= 1


@pytest.mark.parametrize("init", [False, True])
@pytest.mark.parametrize("kind", sorted(PLAYERS))
def test_generators_are_made_and_pulled_as_save_makes_and_pulls_them(players, init, kind):
    theirs: list[tuple] = []
    _, anim = zoo.strip_chart(init=init, shared=True, log=theirs)
    anim.save("unused.raw", writer=zoo.GrabWriter())
    ours: list[tuple] = []
    _, anim = zoo.strip_chart(init=init, shared=True, log=ours)
    p = ipyanimagic.animate(anim, **PLAYERS[kind])
    players.append(p)
    assert ours == []  # the purity check drew on a copy
    for i in RANDOM_ORDER:
        p.supply.frame(i, "png", 0).result(timeout=30)
    assert ours == theirs[: len(ours)]
    assert ours[-1] == ("frame", max(RANDOM_ORDER))


def test_the_purity_check_leaves_the_users_generator_and_random_state_alone(players):
    rng = np.random.default_rng(19680801)
    _, anim = zoo.strip_chart(shared=True, rng=rng)
    before = rng.bit_generator.state
    p = ipyanimagic.animate(anim)
    players.append(p)
    assert p.supply.verdict.pure is False and p.supply.verdict.how == "measured"
    assert rng.bit_generator.state == before
    assert p.known == 0


def test_a_generator_function_closing_over_numbers_and_lists_is_pulled_on_demand(players):
    """Not taken for matplotlib's adapter of a sized ``frames`` (which would pull all of
    it at once, before the init draw)."""

    def make(log):
        fig = plt.figure(figsize=(3.2, 2.4), dpi=72)
        ax = fig.add_subplot(xlim=(-1, 13), ylim=(-0.1, 1.5))
        (ln,) = ax.plot([], [], "-o", ms=2)
        rng = np.random.default_rng(5)
        step = 1
        xs: list[float] = []
        ys: list[float] = []

        def emit(scale=2):
            t = 0
            while True:
                log.append(t)
                yield t, rng.uniform() * scale / 2
                t += step

        def update(datum):
            xs.append(datum[0])
            ys.append(datum[1] + 0.3 * rng.uniform())
            ln.set_data(xs, ys)
            return (ln,)

        anim = animation.FuncAnimation(
            fig, update, frames=emit, save_count=12, cache_frame_data=False
        )
        return fig, anim

    theirs: list[int] = []
    reference = zoo.saved_frames(lambda: make(theirs))
    ours: list[int] = []
    _, anim = make(ours)
    p = ipyanimagic.animate(anim)
    players.append(p)
    assert p.count == -1 and ours == []  # nothing pulled before a frame is drawn
    assert p.supply.verdict.pure is False, p.supply.verdict
    assert differing(p, [7, 2, 11, 0], reference) == []
    assert ours == theirs[: len(ours)]


def test_a_generator_that_ends_before_save_count_ends_the_frames_where_save_does(players):
    def make():
        fig = plt.figure(figsize=(2, 2), dpi=40)
        ax = fig.add_subplot(xlim=(-1, 8), ylim=(-1, 8))
        (ln,) = ax.plot([], [], "o-")
        xs: list[int] = []

        def emit():
            yield from range(5)

        def update(k):
            xs.append(k)
            ln.set_data(xs, xs)
            return (ln,)

        return fig, animation.FuncAnimation(
            fig, update, frames=emit, save_count=9, cache_frame_data=False
        )

    reference = zoo.saved_frames(make)
    assert len(reference) == 5
    _, anim = make()
    p = ipyanimagic.animate(anim)
    players.append(p)
    assert differing(p, [4, 0, 2], reference) == []
    with pytest.raises(IndexError):
        p.supply.frame(5, "png", 0).result(timeout=30)
    assert p.count == 5


@pytest.mark.parametrize(
    "trail, shared, pure",
    [(False, False, True), (True, True, None)],
    ids=["pure drawing", "remembers and shares the generator's state, measured"],
)
def test_export_before_any_frame_has_the_frames_save_writes(
    players, tmp_path, trail, shared, pure
):
    """The count is learnt first: a pure drawing pulls the generator to save_count (the
    init draw's fresh generator still pulled before the frames' one, as save pulls them);
    an animation drawn in order learns it by drawing in order, never pulling ahead."""
    make = functools.partial(zoo.strip_chart, trail=trail, shared=shared)
    _, anim = make()
    p = ipyanimagic.animate(anim, pure=pure)
    players.append(p)
    path = p.save(tmp_path / "a.gif", progress=False)
    fig, anim = make()
    anim.save(tmp_path / "theirs.gif", writer=animation.PillowWriter(fps=5))
    plt.close(fig)
    with Image.open(path) as ours, Image.open(tmp_path / "theirs.gif") as theirs:
        a = [np.asarray(f.convert("RGBA")) for f in ImageSequence.Iterator(ours)]
        b = [np.asarray(f.convert("RGBA")) for f in ImageSequence.Iterator(theirs)]
    assert p.stats()["purity"]["pure"] is (pure is not None)
    assert len(a) == len(b) == zoo.STRIP
    assert [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if not np.array_equal(x, y)] == []
