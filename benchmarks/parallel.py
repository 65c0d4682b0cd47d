"""Frames in worker processes vs in the kernel, kernel side (no browser), side by side.

For a pure animation, frames per second the player gets when the page keeps a few
requests in flight (as ``clock.flow`` does: a window of ``--window`` frames), drawn

- in the kernel (``pure=True``: random access, the encoder thread beside it),
- by 1 and 2 local worker processes (``workers=N``),
- by a Dask ``LocalCluster`` of 2 worker processes (``executor=client``),

for the heavy imshow frame of ``_common.py`` and for a 100 ms CPU-bound frame function;
then the export of ``--export-frames`` frames of a 50 ms CPU-bound frame to HTML and
GIF, serial (in the kernel) vs 2 local workers. Ratios are against the in-kernel run of
the same animation in the same run; efficiency per worker is speedup / workers.

    .venv/bin/python benchmarks/parallel.py [--quick]

Needs the ``parallel`` extra (cloudpickle, dask[distributed]). Run it on a quiet
machine: on 2 cores anything else running takes a worker's core away.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import _common

NAME = "parallel"

SETUP = (
    "import numpy as np\nimport matplotlib\nmatplotlib.use('agg')\n"
    "import matplotlib.pyplot as plt\nfrom matplotlib import animation\n"
)

# A frame function that computes for about `ms` ms of CPU (a simulation step, say),
# then draws the result: a pure function of the frame index.
CPU_SRC = """\
fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
ax.set(xlim=(0, 200), ylim=(-1.5, 1.5))
line, = ax.plot([], [], lw=2)
_x = np.arange(200)

def _work(i, ms):
    end = time.perf_counter() + ms / 1000
    acc = float(i)
    while time.perf_counter() < end:
        acc = (acc * 1.0000001 + 1.0) % 1000.0
    return acc

def animate(i):
    _work(i, {ms})
    line.set_data(_x, np.sin(_x / 20 + i * 0.1))
    ax.set_title(f"frame {{i}}")
    return line, ax.title

anim = animation.FuncAnimation(fig, animate, frames={frames}, interval=30)
"""


def make(key: str, frames: int) -> Any:
    """A fresh animation (source text run in a namespace: cloudpickle copies its functions)."""
    ns: dict[str, Any] = {"time": time}
    exec(SETUP, ns)
    if key.startswith("cpu"):
        exec(CPU_SRC.format(ms=int(key[3:]), frames=frames), ns)
    else:
        exec(_common.animation_source(key, frames=frames), ns)
    return ns["anim"]


LABELS = {"imshow640": "heavy imshow 640x480", "cpu100": "100 ms CPU-bound frame"}


def playback_fps(anim: Any, frames: int, window: int, **kw: Any) -> dict[str, Any]:
    """Frames per second for frames 8 .. frames-1 requested in order, ``window`` in flight."""
    import ipyanimagic

    player = ipyanimagic.animate(anim, **kw)
    try:
        stats = player.stats()
        source = stats["frames_from"]
        if kw.get("workers") or kw.get("executor") is not None:
            assert source == "workers", stats["workers_fallback"]
        # Warm: each worker has drawn a few frames (a fresh process's first draws are
        # slow), as has the kernel; then the timed frames, in order.
        warm = 8
        for f in [player.supply.frame(i, "jpeg", 85) for i in range(warm)]:
            f.result(120)
        pending: deque[Any] = deque()
        t0 = time.perf_counter()
        for i in range(warm, frames):
            pending.append(player.supply.frame(i, "jpeg", 85))
            while len(pending) >= window:
                pending.popleft().result(120)
        while pending:
            pending.popleft().result(120)
        elapsed = time.perf_counter() - t0
    finally:
        player.close()
    return {"fps": (frames - warm) / elapsed, "frames_from": source}


def export_seconds(anim: Any, kind: str, **kw: Any) -> float:
    import ipyanimagic

    player = ipyanimagic.animate(anim, **kw)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            if kind == "html":
                player.save_html(
                    Path(tmp) / "a.html", format="jpeg", scale=1, progress=False, max_mb=1000
                )
            else:
                player.save(Path(tmp) / "a.gif", progress=False)
            return time.perf_counter() - t0
    finally:
        player.close()


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(__doc__, NAME, timeout=1800, quick="fewer frames")
    parser.add_argument("--frames", type=int, default=60, help="frames per playback run")
    parser.add_argument("--window", type=int, default=8, help="frames in flight")
    parser.add_argument("--export-frames", type=int, default=200)
    args = _common.parse_args(parser, argv, quick={"frames": 24, "export_frames": 40})
    import distributed

    machine = _common.machine_info()
    print(_common.machine_line(machine))
    cluster = distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    )
    client = distributed.Client(cluster)
    rows: list[dict[str, Any]] = []
    try:
        for key in ("imshow640", "cpu100"):
            runs = {
                "kernel": {"pure": True},
                "1 worker": {"workers": 1},
                "2 workers": {"workers": 2},
                "Dask, 2 workers": {"executor": client},
            }
            got = {}
            for label, kw in runs.items():
                got[label] = playback_fps(make(key, args.frames), args.frames, args.window, **kw)
                print(f"{LABELS[key]:<24} {label:<16} {got[label]['fps']:6.2f} fps", flush=True)
            base = got["kernel"]["fps"]
            for label, r in got.items():
                n = {"kernel": 0, "1 worker": 1, "2 workers": 2, "Dask, 2 workers": 2}[label]
                rows.append(
                    {
                        "animation": key,
                        "run": label,
                        "fps": r["fps"],
                        "ratio": r["fps"] / base,
                        "efficiency": (r["fps"] / base) / n if n else None,
                    }
                )
        exports = []
        for kind in ("html", "gif"):
            serial = export_seconds(make("cpu50", args.export_frames), kind, pure=True)
            parallel = export_seconds(make("cpu50", args.export_frames), kind, workers=2)
            exports.append(
                {
                    "kind": kind,
                    "serial_s": serial,
                    "parallel_s": parallel,
                    "ratio": serial / parallel,
                }
            )
            print(
                f"export {kind}: serial {serial:.1f} s, 2 workers {parallel:.1f} s, "
                f"{serial / parallel:.2f}x",
                flush=True,
            )
    finally:
        client.close()
        cluster.close()

    def row(a, r):
        return next(x for x in rows if x["animation"] == a and x["run"] == r)

    goals = []
    for key in ("imshow640", "cpu100"):
        goals.append(
            {
                "animation": key,
                "goal": "2 local workers vs kernel >= 1.7x",
                "ratio": row(key, "2 workers")["ratio"],
                "met": row(key, "2 workers")["ratio"] >= 1.7,
            }
        )
        goals.append(
            {
                "animation": key,
                "goal": "Dask LocalCluster of 2 vs kernel >= 1.6x",
                "ratio": row(key, "Dask, 2 workers")["ratio"],
                "met": row(key, "Dask, 2 workers")["ratio"] >= 1.6,
            }
        )
    for e in exports:
        goals.append(
            {
                "case": f"export {e['kind']}",
                "goal": f"{args.export_frames} heavy frames, 2 workers vs serial >= 1.7x",
                "ratio": e["ratio"],
                "met": e["ratio"] >= 1.7,
            }
        )
    table = _common.format_table(
        ["animation", "run", "fps", "vs kernel", "per worker"],
        [
            [
                LABELS[r["animation"]],
                r["run"],
                f"{r['fps']:.2f}",
                f"{r['ratio']:.2f}x",
                "" if r["efficiency"] is None else f"{r['efficiency']:.2f}",
            ]
            for r in rows
        ],
        "<<>>>",
    )
    print(table)
    for g in goals:
        print(
            f"goal {g.get('animation') or g.get('case'):<12} {g['goal']:<52} "
            f"{g['ratio']:.2f}x  {_common.goal_text(g['met'])}"
        )
    report = {
        "machine": machine,
        "args": vars(args) | {"output": str(args.output), "plot": str(args.plot)},
        "rows": rows,
        "exports": exports,
        "goals": goals,
    }
    return _common.finish(args, NAME, report, None)


if __name__ == "__main__":
    sys.exit(main())
