"""Shared pieces of the frame benchmarks: the animations, machine info, output files.

The animations are Python source text, so that the kernel benchmark (``exec`` in a
namespace) and the browser benchmarks (notebook cells) run exactly the same code:

- ``line``: the 2013 post's animation (a cos * sin line over x in [0, 10]), 640x480 at
  dpi 100, or 1280x960 at dpi 200 (the same figure at twice the resolution, as
  ``%animate --dpi 200`` would draw it);
- ``imshow``: a heavy one, a changing 512x512 array with a changing title, 640x480.

Each snippet needs ``np``, ``plt`` and ``animation`` in its namespace and binds ``fig``,
``anim`` and the helpers its frame function uses.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
IMG = ROOT / "docs" / "img"

# The 2013 post's animation, as in the post (init_func, frames, interval), with the
# figure size and dpi made explicit.
LINE_SRC = """\
fig = plt.figure(figsize=(6.4, 4.8), dpi={dpi})
ax = plt.axes(xlim=(0, 10), ylim=(-2, 2))
line, = ax.plot([], [], lw=2)

def init():
    line.set_data([], [])
    return line,

def animate(i):
    x = np.linspace(0, 10, 1000)
    y = np.cos(i * 0.02 * np.pi) * np.sin(x - i * 0.02 * np.pi)
    line.set_data(x, y)
    return line,

anim = animation.FuncAnimation(fig, animate, init_func=init, frames={frames},
                               interval={interval}, blit={blit})
"""

# A heavy frame: a full-axes image that changes every frame, and a title that does too.
IMSHOW_SRC = """\
fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
_yy, _xx = np.mgrid[0:512, 0:512] / 512.0
im = ax.imshow(np.zeros((512, 512)), vmin=-1, vmax=1, cmap="viridis")

def animate(i):
    t = i * 0.05
    im.set_data(np.sin(12 * _xx + t) * np.cos(9 * _yy - 1.3 * t))
    ax.set_title(f"frame {{i}}: t = {{t:.2f}}")
    return im, ax.title

anim = animation.FuncAnimation(fig, animate, frames={frames}, interval={interval},
                               blit={blit})
"""

# An animation that remembers: each frame appends a point to a growing trail (no
# init_func). Played in order (measured: it remembers), or declared pure=True to compare
# the in-order path with random access on the same drawing.
TRAIL_SRC = """\
fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
ax.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1))
trail, = ax.plot([], [], lw=1.5)
xs, ys = [], []

def animate(i):
    t = i * 0.05
    xs.append(np.cos(t) * np.cos(0.31 * t))
    ys.append(np.sin(t) * np.cos(0.31 * t))
    trail.set_data(xs[-300:], ys[-300:])
    return trail,

anim = animation.FuncAnimation(fig, animate, frames={frames}, interval={interval},
                               blit={blit})
"""

# key -> label, source template, and the values it is formatted with
ANIMATIONS: dict[str, dict[str, Any]] = {
    "line640": {"label": "seed line 640x480", "src": LINE_SRC, "dpi": 100},
    "line1280": {"label": "seed line 1280x960", "src": LINE_SRC, "dpi": 200},
    "line640_blit": {
        "label": "seed line 640x480, blit=True",
        "src": LINE_SRC,
        "dpi": 100,
        "blit": True,
    },
    "imshow640": {"label": "heavy imshow 640x480", "src": IMSHOW_SRC},
    "trail640": {"label": "trail 640x480 (remembers)", "src": TRAIL_SRC},
}


def animation_source(key: str, frames: int = 100, interval: float = 30) -> str:
    """Python source that binds ``fig`` and ``anim`` for animation ``key``."""
    spec = ANIMATIONS[key]
    return spec["src"].format(
        dpi=spec.get("dpi", 100),
        frames=frames,
        interval=interval,
        blit=spec.get("blit", False),
    )


# The post's DisplayAnimation._get_frame_data, with io.BytesIO and base64 for Python 3
# (``.encode('base64')`` + removing newlines == ``b64encode``), and self.anim / self.fig
# where the post used the globals ``anim`` / ``fig``.
SEED_DISPLAY_SRC = """\
import base64 as _base64
import io as _io

class DisplayAnimation(object):
    def __init__(self, anim):
        self.anim = anim
        self.fig = anim._fig
        plt.close(self.fig)

    def _get_frame_data(self, i):
        self.anim._draw_frame(i)
        buffer = _io.BytesIO()
        self.fig.savefig(buffer, format='png')
        data = _base64.b64encode(buffer.getvalue()).decode('ascii')
        return "data:image/png;base64,{0}".format(data)
"""

# What ipyanimagic.player.ownership.adopt does to an animation it plays: no timer start on the
# first draw (with Agg that would also call init_func in the middle of a frame) and no
# "animation was deleted without rendering" warning. Applied to every strategy alike.
DETACH_SRC = """\
if getattr(anim, "_first_draw_id", None) is not None:
    fig.canvas.mpl_disconnect(anim._first_draw_id)
    anim._first_draw_id = None
anim._draw_was_started = True
"""


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def machine_info(**extra: str) -> dict:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "cpu model")):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        nproc = os.cpu_count() or 0
    load = None
    with contextlib.suppress(OSError, AttributeError):
        load = [round(x, 2) for x in os.getloadavg()]
    info = {
        "nproc": nproc,
        "cpu": cpu,
        "loadavg_at_start": load,
        "python": platform.python_version(),
        "matplotlib": version("matplotlib"),
        "pillow": version("pillow"),
        "numpy": version("numpy"),
        "ipyanimagic": version("ipyanimagic"),
    }
    info.update(git_state())
    info.update(extra)
    return info


def git_state() -> dict:
    """The commit measured, and whether the package's files differ from it."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = git("status", "--porcelain", "--", "ipyanimagic", "templates")
    return {"commit": git("rev-parse", "--short", "HEAD") or "?", "package_dirty": bool(dirty)}


def machine_line(m: dict) -> str:
    parts = [f"nproc={m['nproc']}", f"CPU {m['cpu']}", f"load {m.get('loadavg_at_start')}"]
    if "commit" in m:
        parts.append(f"commit {m['commit']}{' + local changes' if m['package_dirty'] else ''}")
    for key in ("python", "matplotlib", "pillow", "jupyterlab", "ipykernel", "ipympl", "chromium"):
        if key in m:
            parts.append(f"{key} {m[key]}")
    return "machine: " + ", ".join(parts)


def write_json(path: Path, report: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {path.parent.name}/{path.name}", file=sys.stderr)


def argument_parser(
    doc: str, name: str, timeout: float, quick: str | None = None
) -> argparse.ArgumentParser:
    """A benchmark's parser with the options every benchmark has (timeout, output, plot),
    and ``--quick`` (a short run) described by ``quick``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    if quick is not None:
        parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--timeout", type=float, default=timeout, help="give up after (s)")
    parser.add_argument("--output", type=Path, default=RESULTS / f"{name}.json")
    parser.add_argument("--plot", type=Path, default=None, help="PNG (default docs/img/)")
    return parser


def parse_args(
    parser: argparse.ArgumentParser, argv: list[str] | None, quick: dict[str, Any]
) -> argparse.Namespace:
    """Parse; a ``--quick`` run takes the values in ``quick`` instead."""
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in quick.items():
            setattr(args, key, value)
    return args


def save_plot(fig: Any, path: Path) -> None:
    """Lay out, write and close a matplotlib figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def label_bars(ax: Any, bars: Any, values: list[float], fontsize: int = 8) -> None:
    """Write each bar's value above it."""
    for bar, value in zip(bars, values, strict=True):
        ax.annotate(
            f"{value:.1f}",
            (bar.get_x() + bar.get_width() / 2, value),
            ha="center",
            va="bottom",
            fontsize=fontsize,
        )


def finish(args: argparse.Namespace, name: str, report: dict, draw: Any | None) -> int:
    """Write the JSON report and, with ``draw(png_path)``, the plot; exit status 0."""
    write_json(args.output, report)
    if draw is not None:
        png = args.plot or plot_path(name, quick=getattr(args, "quick", False))
        draw(png)
        print(f"wrote {png.name}", file=sys.stderr)
    return 0


def plot_path(name: str, quick: bool = False) -> Path:
    """docs/img/<name>.png; a quick run's plot goes to benchmarks/results/ instead."""
    folder = RESULTS if quick else IMG
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


def format_table(head: list[str], rows: list[list[Any]], align: str | None = None) -> str:
    """A plain-text table; ``align`` is one char per column, "<" or ">" (default: > but first)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[k]) for r in cells)) if cells else len(h) for k, h in enumerate(head)
    ]
    align = align or "<" + ">" * (len(head) - 1)

    def fmt(row: list[str]) -> str:
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(row, align, widths, strict=True)).rstrip()

    out = [fmt(head), "-" * len(fmt(head))]
    out += [fmt(r) for r in cells]
    return "\n".join(out)


def goal_text(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "NOT met")
