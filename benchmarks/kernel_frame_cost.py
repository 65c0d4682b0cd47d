"""Kernel milliseconds per frame: the 2013 seed path beside ipyanimagic's ways to make one.

No browser, no Jupyter: this times, in one Python process with the Agg backend, what
the kernel does for each frame of three animations (see ``_common.py``): the 2013
post's line animation at 640x480 and at 1280x960, a heavy imshow (a changing 512x512
array and a changing title, 640x480), and the post's line animation made with
``blit=True``. Strategies, each on its own copy of the animation:

- ``seed``: the post's ``DisplayAnimation._get_frame_data(i)``: ``anim._draw_frame(i)``,
  ``fig.savefig(BytesIO, format="png")``, base64 data URL;
- ``full_raw`` / ``full_png`` / ``full_jpeg``: ``FrameRenderer(source, blit=False)
  .render(i)`` (a full ``canvas.draw()`` into the Agg buffer), then nothing / PNG / JPEG
  q85 with ``ipyanimagic.frames.encode.encode``;
- ``blit_raw`` / ``blit_jpeg`` / ``blit_png``: ``FrameRenderer(source, blit=True)``
  (auto-blit: only the changing artists redrawn, when pixel-identical, checked), then
  nothing / JPEG / PNG.

JPEG is made by the encoder the player uses (``simplejpeg`` when installed, else Pillow);
PNG by Pillow at compress_level 1, as the player does.

Each figure first draws a few warm-up frames. Then the measured frames (played forward,
as the player does while playing) are taken in rounds: each round gives every
(animation, strategy) pair a slice of frames, in a rotating order, so that a change in
machine load hits all of them alike. The numbers are sequential kernel time per frame
(draw + encode); the player overlaps the encoding of one frame with drawing the next.

Prints a table, writes ``benchmarks/results/kernel_frame_cost.json`` and a plot to
``docs/img/kernel_frame_cost.png``.

    .venv/bin/python benchmarks/kernel_frame_cost.py [--frames 120] [--warmup 5] [--quick]
"""

from __future__ import annotations

import gc
import signal
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
from matplotlib import animation

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _common  # noqa: E402

from ipyanimagic.frames.encode import JPEG_ENCODERS, encode  # noqa: E402
from ipyanimagic.frames.render import FrameRenderer  # noqa: E402
from ipyanimagic.frames.source import frame_source  # noqa: E402

NAME = "kernel_frame_cost"
ANIMS = ("line640", "line1280", "imshow640", "line640_blit")
# key -> (label, renderer blit or None for the seed path, encoding or None)
STRATEGIES: dict[str, tuple[str, bool | None, str | None]] = {
    "seed": ("seed path: savefig PNG + base64", None, "png"),
    "full_raw": ("full draw, raw RGBA", False, None),
    "full_png": ("full draw + PNG", False, "png"),
    "full_jpeg": (f"full draw + JPEG q85 ({JPEG_ENCODERS[0]})", False, "jpeg"),
    "blit_raw": ("auto-blit, raw RGBA", True, None),
    "blit_jpeg": (f"auto-blit + JPEG q85 ({JPEG_ENCODERS[0]})", True, "jpeg"),
    "blit_png": ("auto-blit + PNG", True, "png"),
}
QUALITY = 85  # the player's default
FRAMES_IN_ANIMATION = 100
GOAL_BLIT = 20.0  # seed ms / auto-blit + JPEG ms, for animations that blit
GOAL_FULL = 1.5  # seed ms / full draw + JPEG ms
BLIT_SHARE = 0.9  # an animation "blits" when this share of its auto-blit frames did


class BenchmarkTimeout(Exception):
    pass


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise BenchmarkTimeout("the benchmark ran out of time (--timeout)")


class Case:
    """One (animation, strategy): its own figure and a function that makes frame i."""

    def __init__(self, anim_key: str, strategy: str) -> None:
        self.anim_key = anim_key
        self.strategy = strategy
        _label, blit, fmt = STRATEGIES[strategy]
        ns: dict[str, Any] = {"np": np, "plt": plt, "animation": animation}
        exec(_common.animation_source(anim_key, frames=FRAMES_IN_ANIMATION), ns)
        exec(_common.DETACH_SRC, ns)
        self.fig = ns["fig"]
        self.times_ms: list[float] = []
        self.cpu_ms: list[float] = []
        self.sizes: list[int] = []
        self.modes: dict[str, int] = {}
        self.make: Callable[[int], tuple[int, str]]
        if blit is None:
            exec(_common.SEED_DISPLAY_SRC, ns)
            disp = ns["DisplayAnimation"](ns["anim"])  # closes the figure, as the post did
            self.make = lambda i: (len(disp._get_frame_data(i)), "savefig")
            self.renderer = None
        else:
            source = frame_source(ns["anim"])
            plt.close(self.fig)  # as %animate does; the source keeps the figure
            renderer = FrameRenderer(source, blit=blit)
            self.renderer = renderer

            def make(i: int) -> tuple[int, str]:
                frame = renderer.render(i)
                if fmt is None:
                    return frame.rgba.nbytes, frame.mode
                return len(encode(frame.rgba, fmt, QUALITY)), frame.mode

            self.make = make
        self.anim = ns["anim"]  # keep it alive

    def run(self, indices: list[int], record: bool) -> None:
        for i in indices:
            c0 = time.thread_time()
            t0 = time.perf_counter()
            size, mode = self.make(i % FRAMES_IN_ANIMATION)
            dt = (time.perf_counter() - t0) * 1000
            dc = (time.thread_time() - c0) * 1000
            if record:
                self.times_ms.append(dt)
                self.cpu_ms.append(dc)
                self.sizes.append(size)
                self.modes[mode] = self.modes.get(mode, 0) + 1

    def summary(self) -> dict:
        t = self.times_ms
        return {
            "animation": self.anim_key,
            "strategy": self.strategy,
            "frames": len(t),
            "median_ms": statistics.median(t),
            "p90_ms": statistics.quantiles(t, n=10, method="inclusive")[8] if len(t) > 1 else t[0],
            "cpu_median_ms": statistics.median(self.cpu_ms),
            "mean_kib": statistics.fmean(self.sizes) / 1024,
            "modes": dict(self.modes),
            "times_ms": [round(x, 3) for x in t],
        }


def measure(frames: int, warmup: int, rounds: int, anims: tuple[str, ...]) -> list[dict]:
    cases = [Case(a, s) for a in anims for s in STRATEGIES]
    for case in cases:
        case.run(list(range(warmup)), record=False)
    slices = np.array_split(np.arange(warmup, warmup + frames), rounds)
    for r, chunk in enumerate(slices):
        order = cases[r % len(cases) :] + cases[: r % len(cases)]
        print(f"  round {r + 1}/{rounds} ...", file=sys.stderr, flush=True)
        gc.collect()
        for case in order:
            case.run([int(i) for i in chunk], record=True)
    out = [c.summary() for c in cases]
    plt.close("all")
    return out


def add_ratios(rows: list[dict]) -> None:
    seed = {r["animation"]: r for r in rows if r["strategy"] == "seed"}
    for r in rows:
        r["x_less_than_seed"] = seed[r["animation"]]["median_ms"] / r["median_ms"]
        r["x_less_than_seed_cpu"] = seed[r["animation"]]["cpu_median_ms"] / r["cpu_median_ms"]


def goals(rows: list[dict], anims: tuple[str, ...]) -> list[dict]:
    by = {(r["animation"], r["strategy"]): r for r in rows}
    out = []
    for a in anims:
        blit = by[(a, "blit_jpeg")]
        share = blit["modes"].get("blit", 0) / max(1, blit["frames"])
        blits = share >= BLIT_SHARE
        out.append(
            {
                "animation": a,
                "goal": f"auto-blit + JPEG >= {GOAL_BLIT:g}x less than seed",
                "applies": blits,
                "blit_share": share,
                "ratio": blit["x_less_than_seed"],
                "ratio_cpu": blit["x_less_than_seed_cpu"],
                "met": blit["x_less_than_seed"] >= GOAL_BLIT if blits else None,
            }
        )
        full = by[(a, "full_jpeg")]
        out.append(
            {
                "animation": a,
                "goal": f"full draw + JPEG >= {GOAL_FULL:g}x less than seed",
                "applies": True,
                "ratio": full["x_less_than_seed"],
                "ratio_cpu": full["x_less_than_seed_cpu"],
                "met": full["x_less_than_seed"] >= GOAL_FULL,
            }
        )
    return out


def table(rows: list[dict], anims: tuple[str, ...]) -> str:
    head = [
        "animation",
        "strategy",
        "median ms",
        "p90 ms",
        "x less than seed",
        "CPU ms",
        "x less (CPU)",
        "KiB/frame",
    ]
    body = []
    for a in anims:
        for s, (label, _b, _f) in STRATEGIES.items():
            r = next(r for r in rows if r["animation"] == a and r["strategy"] == s)
            kib = "-" if s.endswith("_raw") else f"{r['mean_kib']:.1f}"
            body.append(
                [
                    _common.ANIMATIONS[a]["label"] if s == "seed" else "",
                    label,
                    f"{r['median_ms']:.2f}",
                    f"{r['p90_ms']:.2f}",
                    f"{r['x_less_than_seed']:.1f}",
                    f"{r['cpu_median_ms']:.2f}",
                    f"{r['x_less_than_seed_cpu']:.1f}",
                    kib,
                ]
            )
    return _common.format_table(head, body, "<<>>>>>>")


def modes_line(rows: list[dict]) -> str:
    parts = []
    for r in rows:
        if r["strategy"] == "blit_jpeg":
            m = r["modes"]
            parts.append(f"{r['animation']}: {m.get('blit', 0)} blit / {m.get('full', 0)} full")
    return "auto-blit frames (measured): " + "; ".join(parts)


def plot(rows: list[dict], anims: tuple[str, ...], path: Path, subtitle: str) -> None:
    fig, ax = plt.subplots(figsize=(9, 5.2), dpi=100)
    keys = list(STRATEGIES)
    colors = plt.get_cmap("tab10").colors
    width = 0.8 / len(keys)
    x = np.arange(len(anims))
    for k, s in enumerate(keys):
        vals = [
            next(r for r in rows if r["animation"] == a and r["strategy"] == s)["median_ms"]
            for a in anims
        ]
        bars = ax.bar(
            x + (k - (len(keys) - 1) / 2) * width,
            vals,
            width,
            label=STRATEGIES[s][0],
            color=colors[k % len(colors)],
        )
        if s == "blit_jpeg":
            _common.label_bars(ax, bars, vals, fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("kernel ms per frame (median, log scale)")
    ax.set_xticks(x, [_common.ANIMATIONS[a]["label"] for a in anims], fontsize=8)
    ax.set_title(f"What a frame costs in the kernel\n{subtitle}", fontsize=9)
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=7, ncols=2)
    _common.save_plot(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(__doc__, NAME, timeout=900, quick="30 frames, 3 rounds")
    parser.add_argument("--frames", type=int, default=120, help="measured frames per case")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up frames per case")
    parser.add_argument("--rounds", type=int, default=12, help="interleaved rounds")
    args = _common.parse_args(parser, argv, quick={"frames": 30, "rounds": 3})
    if args.frames < 2 or args.warmup < 3 or not 1 <= args.rounds <= args.frames:
        parser.error("--frames >= 2, --warmup >= 3 (blitting settles), 1 <= --rounds <= frames")

    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(max(1, int(args.timeout)))
    machine = _common.machine_info()
    started = time.monotonic()
    try:
        rows = measure(args.frames, args.warmup, args.rounds, ANIMS)
    finally:
        signal.alarm(0)
    elapsed = time.monotonic() - started
    add_ratios(rows)
    goal_rows = goals(rows, ANIMS)

    print(_common.machine_line(machine))
    print(
        f"median kernel ms per frame over {args.frames} frames (after {args.warmup} warm-up), "
        f"interleaved in {args.rounds} rounds; x less = seed ms / this ms (wall clock); CPU ms "
        "= the thread's CPU time (what other processes on the machine do not add); KiB = mean "
        "bytes sent per frame (seed: the data URL). Goals are judged on wall-clock medians."
    )
    print()
    print(table(rows, ANIMS))
    print()
    print(modes_line(rows))
    print()
    for g in goal_rows:
        if not g["applies"]:
            state = f"n/a (auto-blit blitted {g['blit_share']:.0%} of frames)"
        else:
            state = _common.goal_text(g["met"])
        print(
            f"goal {g['animation']:<13} {g['goal']:<40} {g['ratio']:6.1f}x  {state}  "
            f"(CPU time: {g['ratio_cpu']:.1f}x)"
        )

    report = {
        "benchmark": NAME,
        "machine": machine,
        "frames": args.frames,
        "warmup": args.warmup,
        "rounds": args.rounds,
        "jpeg_quality": QUALITY,
        "jpeg_encoder": JPEG_ENCODERS[0],
        "elapsed_s": round(elapsed, 1),
        "animations": {a: _common.ANIMATIONS[a]["label"] for a in ANIMS},
        "strategies": {k: v[0] for k, v in STRATEGIES.items()},
        "results": rows,
        "goals": goal_rows,
    }
    subtitle = (
        f"median of {args.frames} frames, {machine['nproc']} cores, "
        f"matplotlib {machine['matplotlib']}"
    )
    return _common.finish(args, NAME, report, lambda png: plot(rows, ANIMS, png, subtitle))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchmarkTimeout as exc:
        print(f"{NAME}: {exc}", file=sys.stderr)
        sys.exit(1)
