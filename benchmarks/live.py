"""What watching a running loop costs the loop: ``live.frame()`` beside ``display(fig)``
and ipympl; and what keeping 10,000 captured frames costs the kernel.

No browser: one Python process, the Agg backend. A loop changes a figure at every step,
as a training loop or a simulation does, and shows it one of these ways:

- ``loop``: nothing shown (the loop's own work: the baseline);
- ``display``: what ``clear_output(wait=True); display(fig)`` or a display handle's
  ``update(fig)`` costs the kernel per step under ``%matplotlib inline``: the inline
  backend's ``print_figure`` (``savefig`` to PNG with ``bbox_inches="tight"``), base64;
- ``ipympl``: ``fig.canvas.draw(); fig.canvas.flush_events()`` on an ipympl canvas
  (``%matplotlib widget``), with no page connected: a lower bound (a connected page also
  costs it a PNG diff per draw);
- ``live``: ``ipyanimagic.live(fig).frame()``: the figure drawn with the player's exact
  auto-blit on the loop's thread, kept losslessly on the keeper thread (which takes a
  core of its own while the loop goes on).

Figures: the 2013 post's line at 640x480 with only the line changing (the issue's goal
case), the same with the title changing too, at 640x480 and 1280x960, and a 512x512 image
with a changing title. Steps run in rounds, each
round gives every (figure, way) pair a slice of steps, in rotating order, so machine load
hits them alike. The number is wall time per step added to the loop (``loop`` taken
away), and the ratios ``display`` / ``live`` and ``ipympl`` / ``live``.

Then 10,000 captures of the goal case into one live player (cache budget 16 MB): the
process's RSS growth against the budget + 30 MB, the kept frames' temporary file, and
whether ``close()`` let it go.

Then in JupyterLab (Chromium, ``--page``; the goal case's figure, ``%matplotlib inline``):

- a loop of ``--loop`` steps with ``live.frame()`` beside the same loop with
  ``clear_output(wait=True); display(fig)``: seconds to finish, and the frames the page
  showed per second meanwhile against min(capture rate, the page's rAF rate): display
  frames (rAF ticks) in which a new frame was drawn, so frames drawn over one another
  before a paint count once; the same for a paced loop (a step's work is a 20 ms sleep),
  which leaves the machine a core's room;
- capture -> painted: the kernel notes the wall clock of each capture, the page the wall
  clock of each frame it shows (same machine, same clock): median and p90;
- scrubbing while a slower loop runs (a step every 50 ms): a click on Previous frame
  until that frame is painted (median, p90), and a 3 s drag of the slider (frames
  painted per second) beside the same drag once the loop was stopped.

    .venv/bin/python benchmarks/live.py [--steps 40] [--rounds 6] [--keep 10000]
        [--loop 1000] [--no-page] [--quick]
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

WAYS = ("loop", "display", "ipympl", "live")


def line_figure(dpi: int, title: bool = True) -> tuple[Any, Callable[[int], None]]:
    fig = plt.figure(figsize=(6.4, 4.8), dpi=dpi)
    ax = plt.axes(xlim=(0, 10), ylim=(-2, 2))
    (line,) = ax.plot([], [], lw=2)
    x = np.linspace(0, 10, 1000)

    def step(i: int) -> None:
        line.set_data(x, np.cos(i * 0.02 * np.pi) * np.sin(x - i * 0.02 * np.pi))
        if title:
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
    "line640_one": lambda: line_figure(100, title=False),
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
    if way == "ipympl":
        from ipympl.backend_nbagg import Canvas, FigureManager

        FigureManager(Canvas(fig), 1)  # what %matplotlib widget gives a new figure

        def draw() -> None:
            fig.canvas.draw()
            fig.canvas.flush_events()

        return draw, (lambda: None)
    player = ipyanimagic.live(fig, display=False)
    return player.frame, player.close


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(__doc__ or "", "live", 900, "a short run")
    parser.add_argument("--steps", type=int, default=40, help="steps per slice")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--keep", type=int, default=10_000, help="frames for the RSS part")
    parser.add_argument("--loop", type=int, default=1000, help="steps of the page's loop")
    parser.add_argument("--no-page", dest="page", action="store_false", help="no browser")
    parser.add_argument(
        "--variants",
        type=lambda v: v.split(","),
        default=list(FOLLOW_VARIANTS),
        help=f"how the page follows, the first is reported as ours ({', '.join(FOLLOW_VARIANTS)})",
    )
    parser.add_argument("--page-rounds", type=int, default=2, help="followed loops per variant")
    args = _common.parse_args(
        parser, argv, {"steps": 10, "rounds": 2, "keep": 1000, "loop": 200, "page_rounds": 1}
    )
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
        added = {way: max(per[way] - per["loop"], 1e-6) for way in WAYS[1:]}
        ratios = {way: added[way] / added["live"] for way in ("display", "ipympl")}
        report["figures"][name] = {"ms_per_step": per, "added_ms": added, "ratios": ratios}
        rows.append(
            [
                name,
                f"{per['loop']:.2f}",
                f"{added['display']:.2f}",
                f"{added['ipympl']:.2f}",
                f"{added['live']:.2f}",
                f"{ratios['display']:.1f}x",
                f"{ratios['ipympl']:.1f}x",
            ]
        )
    report["keep"] = keep_many(args.keep)
    print(_common.machine_line(report["machine"]))
    head = ["figure", "loop ms", "display +ms", "ipympl +ms", "live +ms", "display/", "ipympl/"]
    print(_common.format_table(head, rows))
    keep = report["keep"]
    goal = keep["rss_growth_mb"] <= keep["budget_mb"] + 30
    print(
        f"{keep['frames']} frames kept: RSS +{keep['rss_growth_mb']:.1f} MB (goal <= "
        f"{keep['budget_mb']:.0f} + 30 MB: {_common.goal_text(goal)}), file "
        f"{keep['file_mb']:.1f} MB, after close(): file closed {keep['file_closed']}"
    )
    if args.page:
        report["page"] = page_cases(args.loop, args.timeout, args.variants, args.page_rounds)
        print_page(report["page"])
    one = report["figures"]["line640_one"]
    report["goals"] = [
        {
            "name": "capture, seed line 640x480, one line changed: median <= 2 ms",
            "value": round(one["added_ms"]["live"], 2),
            "met": one["added_ms"]["live"] <= 2,
        },
        {
            "name": ">= 10x cheaper than display(fig) and than ipympl draw + flush_events",
            "value": [round(one["ratios"]["display"], 1), round(one["ratios"]["ipympl"], 1)],
            "met": min(one["ratios"].values()) >= 10,
        },
        {
            "name": "10,000 frames: RSS growth <= cache budget + 30 MB, file gone after close",
            "value": round(keep["rss_growth_mb"], 1),
            "met": goal and keep["file_closed"],
        },
    ]
    if args.page:
        report["goals"] += page_goals(report["page"])
    for goal in report["goals"]:
        print(f"goal: {goal['name']}: {goal['value']} ({_common.goal_text(goal['met'])})")
    return _common.finish(args, "live", report, None)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def keep_many(count: int) -> dict[str, Any]:
    """``count`` captures of the goal case into one player: what memory and disk hold."""
    import gc

    fig, step = FIGURES["line640_one"]()
    player = ipyanimagic.live(fig, display=False)
    for i in range(5):
        step(i)
        player.frame()
    gc.collect()
    before = rss_mb()
    for i in range(5, count):
        step(i)
        player.frame()
    player.stop()
    player.run.frame_now(count - 1, "png", 0)  # the last one kept: every copy made
    gc.collect()
    grown = rss_mb() - before
    kept = player.run.kept
    file_mb = kept.nbytes / 1e6
    budget_mb = player.pipeline.budget_bytes / 2**20
    handle = kept.file
    player.close()
    plt.close("all")
    return {
        "frames": count,
        "rss_growth_mb": grown,
        "budget_mb": budget_mb,
        "file_mb": file_mb,
        "file_closed": handle is not None and handle.closed,
    }


# -- in JupyterLab ---------------------------------------------------------------------

PAGE_SETUP = (
    "%matplotlib inline\nimport json, os, time\nimport numpy as np\n"
    "import matplotlib.pyplot as plt\nimport ipyanimagic\n"
    "from IPython.display import clear_output, display\n"
    "print(MARK + json.dumps({'pid': os.getpid()}))"
)
FIGURE = """fig = plt.figure(figsize=(6.4, 4.8), dpi=100)
ax = plt.axes(xlim=(0, 10), ylim=(-2, 2))
(line,) = ax.plot([], [], lw=2)
x = np.linspace(0, 10, 1000)
def step(i):
    line.set_data(x, np.cos(i * 0.02 * np.pi) * np.sin(x - i * 0.02 * np.pi))
"""
LIVE_LOOP = (
    FIGURE
    + """live = ipyanimagic.live(fig)
captured = []
t0 = time.perf_counter()
for k in range({steps}):
    step(k)
    live.frame()
    captured.append(time.time() * 1000)
    time.sleep({sleep})
elapsed = time.perf_counter() - t0
live.stop()
print(MARK + json.dumps({{"elapsed": elapsed, "captured": captured}}))
"""
)
DISPLAY_LOOP = (
    FIGURE
    + """t0 = time.perf_counter()
for k in range({steps}):
    step(k)
    clear_output(wait=True)
    display(fig)
elapsed = time.perf_counter() - t0
plt.close(fig)
print(MARK + json.dumps({{"elapsed": elapsed}}))
"""
)
# Paint times on the page's wall clock (timeOrigin + performance.now()), per frame index.
# ... and the rAF tick each was drawn in.
PAINTED_JS = """() => window.__bench.events.map(([t, i]) => [performance.timeOrigin + t, i])"""
TICKS_JS = (
    """() => window.__bench.events.map(([t, _i, tick]) => [performance.timeOrigin + t, tick])"""
)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


#: How the page follows: its rule (None) and variants of it, swapped into the page code
#: of the case's own kernel (follow.js's constants).
FOLLOW_VARIANTS: dict[str, list[tuple[str, str]] | None] = {
    "rule": None,
    "one-at-a-time": [
        ("const FOLLOW_DEPTH_MIN = 2;", "const FOLLOW_DEPTH_MIN = 1;"),
        ("const FOLLOW_DEPTH_MAX = 12;", "const FOLLOW_DEPTH_MAX = 1;"),
        ("const FOLLOW_DEPTH_FIRST = 4;", "const FOLLOW_DEPTH_FIRST = 1;"),
        ("const FOLLOW_SPACING_MS = 12;", "const FOLLOW_SPACING_MS = 0;"),
    ],
    "four": [
        ("const FOLLOW_DEPTH_MIN = 2;", "const FOLLOW_DEPTH_MIN = 4;"),
        ("const FOLLOW_DEPTH_MAX = 12;", "const FOLLOW_DEPTH_MAX = 4;"),
    ],
}
VARIANT_PRELUDE = """
from ipyanimagic import esm as _bench_esm
from ipyanimagic.player.live import LivePlayer as _BenchLive
_code = _bench_esm.player_esm()
for _old, _new in {swaps!r}:
    assert _code.count(_old) == 1, f"{{_old!r}} not found once in the joined module"
    _code = _code.replace(_old, _new)
_BenchLive._esm = _bench_esm.player_loader_for(_code)
"""


def _variant_setup(setup: str, variant: str) -> str:
    swaps = FOLLOW_VARIANTS[variant]
    # Before the set-up, whose last line prints what the benchmark waits for: a variant
    # that cannot be made fails the case, not measured as the rule.
    return setup if swaps is None else VARIANT_PRELUDE.format(swaps=swaps) + "\n" + setup


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        key: statistics.median(r[key] for r in runs)
        for key in runs[0]
        if all(r[key] is not None for r in runs)
    }


def page_cases(steps: int, timeout: float, variants: list[str], rounds: int) -> dict[str, Any]:
    import _browser
    import interaction

    mark = repr(_browser.MARK)
    setup = PAGE_SETUP.replace("MARK", mark)
    out: dict[str, Any] = {}
    with _browser.lab_session(timeout) as (server, browser):
        # The display loop first, in a notebook of its own.
        cells = [setup, DISPLAY_LOOP.format(steps=steps).replace("MARK", mark)]
        with _browser.notebook(server, browser, cells) as nb:
            _browser.cell_json(nb, 0)
            out["display_s"] = _browser.cell_json(nb, 1, timeout=timeout)["elapsed"]
        # Following, the page's rule beside the variants, interleaved in rounds: the fast
        # loop, and a loop that leaves the machine room (a step's work is a 20 ms sleep;
        # on 2 cores the fast loop, the lossless copies and the page share one core).
        fast = LIVE_LOOP.format(steps=steps, sleep=0)
        paced = LIVE_LOOP.format(steps=max(50, steps // 4), sleep=0.02)
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {
            v: {"fast": [], "paced": []} for v in variants
        }
        for r in range(rounds):
            for v in variants[r % len(variants) :] + variants[: r % len(variants)]:
                cell = _variant_setup(setup, v)
                runs[v]["fast"].append(_followed(server, browser, cell, fast, timeout))
                runs[v]["paced"].append(_followed(server, browser, cell, paced, timeout))
        out["follow"] = {
            v: {loop: _medians(got) for loop, got in by_loop.items()} for v, by_loop in runs.items()
        }
        out.update(out["follow"][variants[0]]["fast"])
        out["paced"] = out["follow"][variants[0]]["paced"]
        # Scrubbing while a slower loop runs.
        slow = LIVE_LOOP.format(steps=100_000, sleep=0.05).replace("MARK", mark)
        with _browser.notebook(server, browser, [setup, slow]) as nb:
            _browser.cell_json(nb, 0)
            nb.start_cell(1)
            player = nb.output(1)
            canvas = player.locator("canvas.iam-frame")
            canvas.wait_for(timeout=60_000)
            nb.page.wait_for_function(
                "(c) => Number(c.dataset.frame) > 60", arg=canvas.element_handle()
            )
            prev = player.get_by_role("button", name="Previous frame", exact=True)
            times = nb.page.evaluate(
                interaction.CLICKS_JS,
                {
                    "el": prev.element_handle(),
                    "target": canvas.element_handle(),
                    "kind": "ours",
                    "n": 22,
                    "pause": 120,
                },
            )[2:]
            canvas.evaluate(_browser.OBSERVE_PLAYER_JS)
            slider = player.locator("input.iam-slider")
            running = interaction.drag(nb, slider, 3)
            _browser.lab.interrupt_kernel(server, nb)
            nb.page.wait_for_function(
                "(b) => b.hidden", arg=player.locator(".iam-live").element_handle()
            )
            finished = interaction.drag(nb, slider, 3)
        out.update(
            prev_click_median_ms=statistics.median(times),
            prev_click_p90_ms=_percentile(times, 90),
            drag_running_per_s=running["drag_painted_per_s"],
            drag_finished_per_s=finished["drag_painted_per_s"],
        )
    out["loop_ratio"] = out["display_s"] / out["live_s"]
    return out


def _followed(server: Any, browser: Any, setup: str, loop: str, timeout: float) -> dict[str, Any]:
    """A live loop followed by the page: its time, captures/s, display frames with a new
    frame per second against min(captures/s, rAF), capture -> painted."""
    import _browser

    mark = repr(_browser.MARK)
    with _browser.notebook(server, browser, [setup, loop.replace("MARK", mark)]) as nb:
        return follow_measured(nb, timeout)


def follow_measured(nb: Any, timeout: float) -> dict[str, Any]:
    """In an opened notebook of two cells (the set-up, a live loop printing its capture
    times): run them and measure how the page followed (see ``_followed``)."""
    import _browser

    _browser.cell_json(nb, 0)
    nb.page.evaluate("() => window.__bench.start()")
    nb.start_cell(1)
    canvas = nb.output(1).locator("canvas.iam-frame")
    canvas.wait_for(timeout=60_000)
    canvas.evaluate(_browser.OBSERVE_PLAYER_JS)
    result = _wait_json(nb, 1, timeout)
    painted = nb.page.evaluate(PAINTED_JS)
    ticks = nb.page.evaluate(TICKS_JS)
    rec = nb.page.evaluate("() => window.__bench.stop()")
    captured = result["captured"]
    elapsed = result["elapsed"]
    start, end = captured[0], captured[-1]
    latencies = [t - captured[i] for t, i in painted if 0 <= i < len(captured)]
    raf = len(rec["ticks"]) / ((rec["t1"] - rec["t0"]) / 1000)
    capture_rate = len(captured) / elapsed
    shown_ticks = {tick for t, tick in ticks if start <= t <= end + 1}
    shown_rate = len(shown_ticks) / max((end - start) / 1000, 1e-3)
    return {
        "live_s": elapsed,
        "capture_per_s": capture_rate,
        "raf_per_s": raf,
        "shown_per_s": shown_rate,
        "shown_vs_goal": shown_rate / min(capture_rate, raf),
        "latency_median_ms": statistics.median(latencies) if latencies else None,
        "latency_p90_ms": _percentile(latencies, 90) if latencies else None,
    }


def _wait_json(nb: Any, cell: int, timeout: float) -> Any:
    import json

    import _browser

    out = nb.output(cell)
    out.get_by_text(_browser.MARK.strip()).first.wait_for(timeout=timeout * 1000)
    for line in (out.text_content() or "").splitlines():
        if _browser.MARK in line:
            return json.loads(line.split(_browser.MARK, 1)[1])
    raise RuntimeError("no result printed")


def print_page(page: dict[str, Any]) -> None:
    print(
        f"loop in JupyterLab: display {page['display_s']:.1f} s, live {page['live_s']:.1f} s "
        f"({page['loop_ratio']:.1f}x); captured {page['capture_per_s']:.0f}/s, shown "
        f"{page['shown_per_s']:.1f}/s, rAF {page['raf_per_s']:.1f}/s "
        f"({page['shown_vs_goal']:.2f} of min); capture -> painted median "
        f"{page['latency_median_ms']:.1f} ms, p90 {page['latency_p90_ms']:.1f}"
    )
    print("following, median of the rounds (fast loop | paced loop):")
    nan = float("nan")
    for v, got in page["follow"].items():
        f = {"latency_median_ms": nan, **got["fast"]}
        p = {"latency_median_ms": nan, **got["paced"]}
        print(
            f"  {v:14s} shown {f['shown_per_s']:5.1f}/s ({f['shown_vs_goal']:.2f} of min), "
            f"capture -> painted {f['latency_median_ms']:5.1f} ms | shown "
            f"{p['shown_per_s']:5.1f}/s ({p['shown_vs_goal']:.2f}), "
            f"{p['latency_median_ms']:5.1f} ms"
        )
    paced = page["paced"]
    print(
        f"a paced loop (20 ms of work a step): captured {paced['capture_per_s']:.0f}/s, shown "
        f"{paced['shown_per_s']:.1f}/s, rAF {paced['raf_per_s']:.1f}/s "
        f"({paced['shown_vs_goal']:.2f} of min); capture -> painted median "
        f"{paced['latency_median_ms']:.1f} ms, p90 {paced['latency_p90_ms']:.1f}"
    )
    print(
        f"while running: Previous -> painted median {page['prev_click_median_ms']:.1f} ms, "
        f"p90 {page['prev_click_p90_ms']:.1f}; drag {page['drag_running_per_s']:.1f} "
        f"painted/s vs {page['drag_finished_per_s']:.1f} finished"
    )


def page_goals(page: dict[str, Any]) -> list[dict[str, Any]]:
    drag = page["drag_running_per_s"] / max(page["drag_finished_per_s"], 1e-6)
    return [
        {
            "name": "loop in JupyterLab >= 10x sooner than clear_output + display",
            "value": round(page["loop_ratio"], 1),
            "met": page["loop_ratio"] >= 10,
        },
        {
            "name": "frames shown >= 0.9 of min(capture rate, rAF)",
            "value": round(page["shown_vs_goal"], 2),
            "met": page["shown_vs_goal"] >= 0.9,
        },
        {
            "name": "paced loop: frames shown >= 0.9 of min(capture rate, rAF)",
            "value": round(page["paced"]["shown_vs_goal"], 2),
            "met": page["paced"]["shown_vs_goal"] >= 0.9,
        },
        {
            "name": "capture -> painted median <= 50 ms",
            "value": round(page["latency_median_ms"], 1),
            "met": page["latency_median_ms"] <= 50,
        },
        {
            "name": "while running: Previous -> painted median <= 35 ms",
            "value": round(page["prev_click_median_ms"], 1),
            "met": page["prev_click_median_ms"] <= 35,
        },
        {
            "name": "while running: drag painted/s >= 0.8x the finished player's",
            "value": round(drag, 2),
            "met": drag >= 0.8,
        },
    ]


if __name__ == "__main__":
    raise SystemExit(main())
