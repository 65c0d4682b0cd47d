"""What watching a running loop costs the loop: ``live.frame()`` beside ``display(fig)``.

No browser: one Python process, the Agg backend. A loop changes a figure at every step,
as a training loop or a simulation does, and shows it one of three ways:

- ``loop``: nothing shown (the loop's own work: the baseline);
- ``display``: what ``clear_output(wait=True); display(fig)`` or a display handle's
  ``update(fig)`` costs the kernel per step under ``%matplotlib inline``: the inline
  backend's ``print_figure`` (``savefig`` to PNG with ``bbox_inches="tight"``), base64;
- ``live``: ``ipyanimagic.live(fig).frame()``: the figure drawn with the player's exact
  auto-blit on the loop's thread, kept losslessly on the keeper thread (which takes a
  core of its own while the loop goes on).

Figures: the 2013 post's line (its y data and the title change every step) at 640x480
and at 1280x960, and a 512x512 image with a changing title. Steps run in rounds, each
round gives every (figure, way) pair a slice of steps, in rotating order, so machine load
hits them alike. The number is wall time per step added to the loop (``loop`` taken
away), and the ratio ``display`` / ``live``.

    .venv/bin/python benchmarks/live_capture.py [--steps 200] [--rounds 5] [--quick]
"""

from __future__ import annotations

import base64
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _common  # noqa: E402

import ipyanimagic  # noqa: E402

WAYS = ("loop", "display", "live")


def line_figure(dpi: int) -> tuple[Any, Callable[[int], None]]:
    fig = plt.figure(figsize=(6.4, 4.8), dpi=dpi)
    ax = plt.axes(xlim=(0, 10), ylim=(-2, 2))
    (line,) = ax.plot([], [], lw=2)
    x = np.linspace(0, 10, 1000)

    def step(i: int) -> None:
        line.set_data(x, np.cos(i * 0.02 * np.pi) * np.sin(x - i * 0.02 * np.pi))
        ax.set_title(f"step {i}")

    return fig, step


def image_figure() -> tuple[Any, Callable[[int], None]]:
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    yy, xx = np.mgrid[0:512, 0:512] / 512.0
    im = ax.imshow(np.zeros((512, 512)), vmin=-1, vmax=1)

    def step(i: int) -> None:
        im.set_data(np.sin(12 * xx + i * 0.05) * np.cos(9 * yy - 0.06 * i))
        ax.set_title(f"step {i}")

    return fig, step


FIGURES: dict[str, Callable[[], tuple[Any, Callable[[int], None]]]] = {
    "line640": lambda: line_figure(100),
    "line1280": lambda: line_figure(200),
    "imshow640": image_figure,
}


def shown_by(way: str, fig: Any) -> tuple[Callable[[], None], Callable[[], None]]:
    """(what a step does to show the figure, what ends it)."""
    if way == "loop":
        return (lambda: None), (lambda: None)
    if way == "display":

        def display() -> None:
            out = io.BytesIO()
            fig.savefig(out, format="png", bbox_inches="tight")
            base64.b64encode(out.getvalue())

        return display, (lambda: None)
    player = ipyanimagic.live(fig, display=False)
    return player.frame, player.close


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(__doc__ or "", "live_capture", 600, "a short run")
    parser.add_argument("--steps", type=int, default=40, help="steps per slice")
    parser.add_argument("--rounds", type=int, default=6)
    args = _common.parse_args(parser, argv, {"steps": 10, "rounds": 2})
    cases = {}
    for name, make in FIGURES.items():
        for way in WAYS:
            fig, step = make()
            show, end = shown_by(way, fig)
            for i in range(5):  # warm-up: fonts, the blit's learned layer
                step(i)
                show()
            cases[(name, way)] = {"step": step, "show": show, "end": end, "i": 5, "ms": []}
    keys = list(cases)
    for r in range(args.rounds):
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            case = cases[key]
            t0 = time.perf_counter()
            for _ in range(args.steps):
                case["step"](case["i"])
                case["show"]()
                case["i"] += 1
            case["ms"].append((time.perf_counter() - t0) * 1000 / args.steps)
    for case in cases.values():
        case["end"]()
    plt.close("all")

    rows, report = [], {"machine": _common.machine_info(), "figures": {}}
    for name in FIGURES:
        per = {way: statistics.median(cases[(name, way)]["ms"]) for way in WAYS}
        added = {way: max(per[way] - per["loop"], 1e-6) for way in ("display", "live")}
        ratio = added["display"] / added["live"]
        report["figures"][name] = {"ms_per_step": per, "added_ms": added, "ratio": ratio}
        rows.append(
            [
                name,
                f"{per['loop']:.2f}",
                f"{added['display']:.2f}",
                f"{added['live']:.2f}",
                f"{ratio:.1f}x",
            ]
        )
    print(_common.machine_line(report["machine"]))
    print(
        _common.format_table(
            ["figure", "loop ms", "display(fig) +ms", "live.frame() +ms", "display / live"],
            rows,
        )
    )
    return _common.finish(args, "live_capture", report, None)


if __name__ == "__main__":
    raise SystemExit(main())
