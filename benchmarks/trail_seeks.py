"""An animation that remembers, under a user's random seeks and steps: right frames, bounded memory.

A trail (each frame appends a point to a growing line; without ``init_func``, so
matplotlib's first draw calls the frame function once before frame 0, as in
``Animation.save``), 640x480. Kernel side, no browser, one process:

- the reference: ``Animation.save`` of a fresh making of it, through a frame-grabbing
  movie writer that keeps each frame's SHA-256 (and the time it took);
- the player: ``ipyanimagic.animate`` of another fresh making (default path: purity
  measured, then frames drawn in order and kept), then ``--ops`` operations of a user
  (a third jumps to a random frame, the rest steps of -1 or +1 from the frame shown),
  each frame asked for as the page asks it (PNG, the exposed ``frame`` method);
- checked: every frame shown is pixel for pixel the reference at its index;
- memory: the process's RSS after a tenth of the operations (the player made, its
  first frames drawn) and after the last, against the frame cache's budget plus the
  temporary file the kept frames overflow into.

Goal (issue: animations that remember): every frame shown identical; RSS growth <= the
cache budget + the kept frames' file (the frames are kept losslessly, in the file past
the budget). Also printed: the player's total time for the operations against
``Animation.save``'s time for all frames, in the same run.

    .venv/bin/python benchmarks/trail_seeks.py [--frames 600] [--ops 500] [--quick]
"""

from __future__ import annotations

import hashlib
import io
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402

NAME = "trail_seeks"


def make_trail(frames: int) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import animation

    fig = plt.figure(figsize=(6.4, 4.8), dpi=100)
    ax = fig.add_subplot(xlim=(0, frames), ylim=(-1.5, 1.5))
    (trail,) = ax.plot([], [], lw=1.5)
    xs: list[float] = []
    ys: list[float] = []
    rng = np.random.default_rng(7)  # a random walk: state no index can recompute

    def step(i: int) -> tuple[Any, ...]:
        xs.append(i)
        ys.append((ys[-1] if ys else 0.0) * 0.98 + rng.normal(0, 0.08))
        trail.set_data(xs, ys)
        return (trail,)

    return fig, animation.FuncAnimation(fig, step, frames=frames, interval=40)


def saved_hashes(frames: int) -> tuple[list[str], float]:
    """SHA-256 of each frame ``Animation.save`` writes, and the seconds it took."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import animation

    class HashWriter(animation.AbstractMovieWriter):
        def __init__(self) -> None:
            super().__init__(fps=25)
            self.hashes: list[str] = []

        def setup(self, fig: Any, outfile: Any, dpi: Any = None) -> None:
            super().setup(fig, outfile, dpi)

        def grab_frame(self, **savefig_kwargs: Any) -> None:
            buf = io.BytesIO()
            self.fig.savefig(buf, **{**savefig_kwargs, "format": "rgba", "dpi": self.dpi})
            width, height = self.frame_size
            rgba = np.frombuffer(buf.getvalue(), np.uint8).reshape(height, width, 4)
            self.hashes.append(hashlib.sha256(rgba.tobytes()).hexdigest())

        def finish(self) -> None:
            pass

    fig, anim = make_trail(frames)
    writer = HashWriter()
    t0 = time.perf_counter()
    anim.save("unused.raw", writer=writer)
    seconds = time.perf_counter() - t0
    plt.close(fig)
    return writer.hashes, seconds


def operations(frames: int, ops: int, seed: int = 1) -> list[tuple[str, int]]:
    """A user's moves from frame 0: a third jumps, the rest steps back or forward."""
    rng = random.Random(seed)
    at, out = 0, []
    for _ in range(ops):
        if rng.random() < 1 / 3:
            at, kind = rng.randrange(frames), "jump"
        else:
            at, kind = min(frames - 1, max(0, at + rng.choice((-1, 1)))), "step"
        out.append((kind, at))
    return out


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    import psutil
    from PIL import Image

    import ipyanimagic

    parser = _common.argument_parser(__doc__, NAME, timeout=900, quick="fewer frames and moves")
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--ops", type=int, default=500)
    args = _common.parse_args(parser, argv, quick={"frames": 150, "ops": 120})
    machine = _common.machine_info()
    print(_common.machine_line(machine))

    reference, save_s = saved_hashes(args.frames)
    print(f"Animation.save: {args.frames} frames in {save_s:.1f} s", flush=True)
    process = psutil.Process()
    rss_before = process.memory_info().rss
    _fig, anim = make_trail(args.frames)
    player = ipyanimagic.animate(anim)
    player._repr_mimebundle_()  # the poster, as a display makes it
    verdict = player.supply.settle()
    wrong: list[int] = []
    ms: dict[str, list[float]] = {"jump": [], "step": []}
    t_all = time.perf_counter()
    warm_at = max(1, args.ops // 10)
    rss_warm = rss_before
    for n, (kind, index) in enumerate(operations(args.frames, args.ops)):
        if n == warm_at:
            rss_warm = process.memory_info().rss
        t0 = time.perf_counter()
        reply = player.frame(index, format="png")
        reply = reply.result(timeout=600) if hasattr(reply, "result") else reply
        ms[kind].append((time.perf_counter() - t0) * 1000)
        with Image.open(io.BytesIO(bytes(reply.buffers[0]))) as image:
            rgba = np.asarray(image.convert("RGBA"))
        if hashlib.sha256(rgba.tobytes()).hexdigest() != reference[index]:
            wrong.append(index)
    ops_s = time.perf_counter() - t_all
    rss_after = process.memory_info().rss
    stats = player.stats()
    budget = int(player.pipeline.budget_bytes)
    file_bytes = int(stats["in_order"]["kept_file_bytes"])
    growth = rss_after - rss_warm
    player.close()

    mb = 1e6
    rows = [
        ["verdict", verdict.describe()],
        ["moves (jumps / steps)", f"{len(ms['jump'])} / {len(ms['step'])}"],
        ["frames shown wrong", f"{len(wrong)} of {args.ops}"],
        ["frames drawn in order (kept)", f"{stats['in_order']['next']} of {args.frames}"],
        ["jump ms: median / p90", _median_p90(ms["jump"])],
        ["step ms: median / p90", _median_p90(ms["step"])],
        ["all moves, s (vs Animation.save of every frame)", f"{ops_s:.1f} ({ops_s / save_s:.2f}x)"],
        ["RSS: player made + 10% of the moves, MB", f"{(rss_warm - rss_before) / mb:.1f}"],
        ["RSS growth over the other 90%, MB", f"{growth / mb:.1f}"],
        ["cache budget + kept file, MB", f"{budget / mb:.1f} + {file_bytes / mb:.1f}"],
    ]
    print(_common.format_table(["", "value"], rows, "<<"))
    goals = [
        {
            "case": "trail",
            "goal": f"{args.ops} seeks and steps: every frame as Animation.save",
            "value": len(wrong),
            "met": not wrong,
        },
        {
            "case": "trail",
            "goal": "RSS growth after 10% of moves <= budget + kept file (MB)",
            "value_mb": round(growth / mb, 1),
            "met": growth <= budget + file_bytes,
        },
    ]
    for g in goals:
        print(f"goal {g['goal']:<58} {_common.goal_text(g['met'])}")
    report = {
        "machine": machine,
        "args": vars(args) | {"output": str(args.output), "plot": str(args.plot)},
        "verdict": verdict.as_dict(),
        "wrong": wrong,
        "ms": ms,
        "ops_s": ops_s,
        "save_s": save_s,
        "rss_before": rss_before,
        "rss_warm": rss_warm,
        "rss_after": rss_after,
        "budget_bytes": budget,
        "kept_file_bytes": file_bytes,
        "goals": goals,
    }
    return _common.finish(args, NAME, report, None)


def _median_p90(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"{statistics.median(ordered):.1f} / {p90:.1f}"


if __name__ == "__main__":
    sys.exit(main())
