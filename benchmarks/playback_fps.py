"""Frames per second a playing animation shows in JupyterLab: ours, ipympl, the 2013 seed.

Starts its own JupyterLab (127.0.0.1 only) and headless Chromium with the browser test
harness (``tests/support/lab.py``). For each animation (the 2013 post's line animation
and a heavy imshow, both 640x480, with 2,000 frames so that none is played twice; see
``_common.py``) and each way of playing it, in a fresh notebook (browser context and
kernel), one after the other in the same run:

- ``ours``: ``%animate anim --fps 60``, then the player's Play button. Counted: distinct
  ``data-frame`` values of ``canvas.iam-frame`` (a MutationObserver the benchmark
  installs), i.e. frames drawn on the canvas;
- ``ipympl``: ``%matplotlib widget`` and the same FuncAnimation, with ``interval`` 1000/60
  ms (so that matplotlib's timer asks for 60 fps too). Counted: ipympl's draws of a new
  image onto its visible canvas (``drawImage`` wrapped for that canvas);
- ``ours_workers`` (not in the default run): ``%animate anim --fps 60 --workers 2``,
  played once the player's stats say its frames come from the workers;
- ``ours_pure`` (not in the default run): ``%animate anim --fps 60 --pure``, random access
  whatever the animation is: beside ``ours`` on ``trail640`` (an animation that
  remembers, so ``ours`` draws it in order) it measures the in-order path against the
  pure one on the same drawing;
- ``seed``: the post's viewer (``disp_html`` + ``javascript``, unchanged) in a
  ``%%jsexec --html`` cell, its ``kernel.execute("disp._get_frame_data(" + count + ")",
  callbacks)`` answered by the post's ``DisplayAnimation`` (savefig PNG + base64), one
  frame at a time into an ``<img>``, then its Play button. Counted: ``load`` events of
  the ``<img>``.

Each plays ``--warmup`` s, then is recorded for ``--seconds`` s, then stopped (Pause /
``anim.pause()``) before its notebook is closed and its kernel shut down. Also recorded
in the same window: the page's requestAnimationFrame rate, and the CPU use of the
kernel, the Jupyter server and Chromium. "painted/s" counts the page's animation frames
(rAF intervals) in which a new frame was drawn: what the screen can have shown.

Prints a table with the ratios (ours / rAF rate, ours / ipympl, ours / seed), writes
``benchmarks/results/playback_fps.json`` and a plot to ``docs/img/playback_fps.png``.

``--ratio 2``: the page at devicePixelRatio 2 (Playwright's ``device_scale_factor``), as
on a laptop: our player asks for frames at 2x (1280x960 pixels for the 640x480 figure)
and ipympl draws at 2x too. Writes ``playback_fps_2x.json``, no plot.

    .venv/bin/python benchmarks/playback_fps.py [--seconds 12] [--warmup 3] [--quick]
        [--anims line640 imshow640 trail640] [--impls ours ipympl seed ours_workers ours_pure]
        [--ratio 1]

The in-order path against random access (README, "Animations that remember"):

    .venv/bin/python benchmarks/playback_fps.py --anims trail640 --impls ours ours_pure
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _browser  # noqa: E402
import _common  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

NAME = "playback_fps"
ANIMS = ("line640", "imshow640")  # the default run's
ALL_ANIMS = (*ANIMS, "trail640")
IMPLS = ("ours", "ipympl", "seed", "ours_workers", "ours_pure")
DEFAULT_IMPLS = IMPLS[:3]  # what the plot shows
OURS = ("ours", "ours_workers", "ours_pure")  # our player: kernel, workers, declared pure
GOAL_IN_ORDER = 0.9  # trail640: ours (drawn in order) / ours_pure
WORKERS = 2
FPS = 60
# More frames than a case plays (60 fps x (warm-up + recorded s)), so that no frame is
# shown twice: every frame counted was rendered by the kernel, for ours too (its frame
# cache would otherwise serve a second loop of a 100-frame animation without drawing).
FRAMES = 2000
DATA_URL = re.compile(r"^data:image/png;base64,")
GOAL_RAF = 0.95  # ours / page rAF rate at --fps 60
GOAL_IPYMPL = {"line640": 3.5, "imshow640": 2.0}  # ours / ipympl

SETUP = """\
{backend}
import os, json
import numpy as np
import matplotlib.pyplot as plt
from matplotlib import animation
print("BENCH-JSON " + json.dumps({{"pid": os.getpid()}}))
"""

STATS_CELL = """\
import json, ipyanimagic
from ipyanimagic.player.widget import Player
_players = [ipyanimagic.bridge.registry.get(k) for k in ipyanimagic.bridge.registry.keys()]
_players = [p for p in _players if isinstance(p, Player)]
print("BENCH-JSON " + json.dumps(_players[-1].stats()))
"""

# The post's viewer, unchanged (disp_html + javascript), as a %%jsexec --html cell.
SEED_VIEWER = """\
%%jsexec --html
<div class="animation" align="center">
<img id="anim_frame" src=""><br>
<button onclick="prevFrame()">Prev Frame</button>
<button onclick="reverse()">Reverse</button>
<button onclick="pause()">Pause</button>
<button onclick="play()">Play</button>
<button onclick="nextFrame()">Next Frame</button>
</div>
<script type="text/Javascript">
var count = -1;  // keep track of frame number
var animating = 0;  // keep track of animation direction
var timer = null;
var kernel = IPython.notebook.kernel;

function output(out_type, out){
    data = out.data["text/plain"];
    document.getElementById("anim_frame").src = data.substring(1, data.length - 1);

    if(animating > 0){
        timer = setTimeout(nextFrame, 0);
    }
    else if(animating < 0){
        timer = setTimeout(prevFrame, 0);
    }
}

var callbacks = {'output' : output};

function pause(){
    animating = 0;
    if(timer){
        clearInterval(timer);
        timer = null;
    }
}

function play(){
    pause();
    animating = +1;
    nextFrame();
}

function reverse(){
    pause();
    animating = -1;
    prevFrame();
}

function nextFrame(){
    count += 1;
    var msg_id = kernel.execute("disp._get_frame_data(" + count + ")", callbacks, {silent:false});
}

function prevFrame(){
    count -= 1;
    var msg_id = kernel.execute("disp._get_frame_data(" + count + ")", callbacks, {silent:false});
}

// display the first frame
setTimeout(nextFrame, 0);

</script>
"""


def cells_for(impl: str, anim: str) -> list[str]:
    if impl in OURS:
        flags = {"ours_workers": f" --workers {WORKERS}", "ours_pure": " --pure"}
        return [
            SETUP.format(backend="%load_ext ipyanimagic\n%matplotlib inline"),
            _common.animation_source(anim, frames=FRAMES, interval=30),
            f"%animate anim --fps {FPS}{flags.get(impl, '')}",
            STATS_CELL,
        ]
    if impl == "ipympl":
        return [
            SETUP.format(backend="%matplotlib widget"),
            _common.animation_source(anim, frames=FRAMES, interval=round(1000 / FPS, 3)),
            "anim.pause()",
        ]
    return [
        SETUP.format(backend="%load_ext ipyanimagic\n%matplotlib inline"),
        _common.animation_source(anim, frames=FRAMES, interval=30)
        + "\n"
        + _common.SEED_DISPLAY_SRC
        + "\ndisp = DisplayAnimation(anim)\n",
        SEED_VIEWER,
    ]


def play_case(
    server: Any,
    browser: Any,
    impl: str,
    anim: str,
    warmup: float,
    seconds: float,
    ratio: float = 1,
    prelude: str = "",
    label: str | None = None,
):
    """One case; ``prelude``: code the first cell runs after its imports (ours only: how
    ``playback_flow.py`` gives the page another flow rule), ``label`` its name."""
    name = f"{impl} {label}" if label else impl
    print(f"  {anim} {name} (devicePixelRatio {ratio:g}) ...", file=sys.stderr, flush=True)
    result: dict[str, Any] = {"animation": anim, "impl": impl, "device_pixel_ratio": ratio}
    cells = cells_for(impl, anim)
    if prelude:
        cells[0] += prelude
    with _browser.notebook(server, browser, cells, ratio) as nb:
        pid = _browser.cell_json(nb, 0)["pid"]
        if impl in OURS:
            nb.run_cell(1)
            out = nb.run_cell(2)
            canvas = out.locator("canvas.iam-frame")
            expect(canvas).to_have_attribute("data-frame", "0", timeout=30_000)
            if impl == "ours_workers":
                result["frames_from"] = wait_for_workers(nb)
            canvas.scroll_into_view_if_needed()
            canvas.evaluate(_browser.OBSERVE_PLAYER_JS)
            nb.page.evaluate("() => window.__bench.mark()")
            out.get_by_role("button", name="Play", exact=True).click()
            stop = out.get_by_role("button", name="Pause", exact=True)
        elif impl == "ipympl":
            out = nb.run_cell(1, timeout=60)
            view = out.locator(".jupyter-matplotlib-canvas-div canvas").first
            view.wait_for(timeout=30_000)
            view.scroll_into_view_if_needed()
            stop = None
        else:
            nb.run_cell(1)
            out = nb.run_cell(2)
            img = out.locator("img#anim_frame")
            expect(img).to_have_attribute("src", DATA_URL, timeout=30_000)
            img.scroll_into_view_if_needed()
            img.evaluate(_browser.OBSERVE_IMG_JS)
            out.get_by_role("button", name="Play", exact=True).click()
            stop = out.get_by_role("button", name="Pause", exact=True)
        nb.page.wait_for_timeout(warmup * 1000)
        with _browser.CpuMeter(server, pid) as cpu, _browser.PageBusy(nb.page) as busy:
            rec = _browser.record(nb, seconds)
        result.update(_browser.summarize_recording(rec))
        result.update(busy.result)
        # The page's rAF tick times and the rAF tick of each new frame, for diagnosis.
        result["raf_ms"] = [round(t[0] - rec["t0"], 2) for t in rec["ticks"]]
        result["frame_ticks"] = (
            [e[2] - rec["ticks"][0][1] for e in rec["events"]] if rec["ticks"] else []
        )
        result.update(cpu.result)
        # Stop the animation before the notebook goes.
        if stop is not None:
            stop.click()
        else:
            nb.run_cell(2)
        if impl in OURS:
            nb.page.wait_for_timeout(300)
            result["kernel_stats"] = _browser.cell_json(nb, 3)
        errors = list(nb.page_errors)
        if errors:
            result["page_errors"] = errors[:5]
    return result


def wait_for_workers(nb: Any, timeout: float = 60) -> str:
    """Ask the kernel until the player's frames come from its workers (or it says why
    not); the way it ended up."""
    deadline = time.monotonic() + timeout
    while True:
        stats = _browser.cell_json(nb, 3)
        if stats["frames_from"] == "workers" or stats.get("workers_fallback"):
            return str(stats["frames_from"])
        if time.monotonic() > deadline:
            raise TimeoutError(f"the workers did not start in {timeout:g} s: {stats}")
        nb.page.wait_for_timeout(500)


def _anims(rows: list[dict]) -> list[str]:
    """The animations of a run, in their order."""
    return list(dict.fromkeys(r["animation"] for r in rows))


def ratios(rows: list[dict]) -> dict:
    by = {(r["animation"], r["impl"]): r for r in rows}
    out = {}
    for a in _anims(rows):
        ours = by.get((a, "ours"))
        if ours is None:
            continue
        entry = {
            "ours_over_raf": ours["events_per_s"] / ours["raf_per_s"] if ours["raf_per_s"] else 0,
        }
        workers = by.get((a, "ours_workers"))
        if workers is not None:
            entry["workers_over_raf"] = (
                workers["events_per_s"] / workers["raf_per_s"] if workers["raf_per_s"] else 0
            )
        for other in ("ipympl", "seed", "ours_workers", "ours_pure"):
            if (a, other) in by:
                fps = by[(a, other)]["events_per_s"]
                entry[f"ours_over_{other}"] = ours["events_per_s"] / fps if fps else float("inf")
        out[a] = entry
    return out


def table(rows: list[dict]) -> str:
    head = [
        "animation",
        "path",
        "frames/s",
        "painted/s",
        "page rAF/s",
        "ours / this",
        "kernel CPU%",
        "server CPU%",
        "browser CPU%",
    ]
    body = []
    by = {(r["animation"], r["impl"]): r for r in rows}
    labels = {
        "ours": f"ours (%animate --fps {FPS})",
        "ipympl": f"ipympl (interval {1000 / FPS:.1f} ms)",
        "seed": "2013 seed viewer",
        "ours_workers": f"ours (--fps {FPS} --workers {WORKERS})",
        "ours_pure": f"ours (--fps {FPS} --pure)",
    }
    for a in _anims(rows):
        ours = by[(a, "ours")]["events_per_s"] if (a, "ours") in by else None
        first = True
        for impl in IMPLS:
            r = by.get((a, impl))
            if r is None:
                continue
            if ours is None:
                rel = "-"
            else:
                rel = f"{ours / r['events_per_s']:.2f}" if r["events_per_s"] else "inf"
            body.append(
                [
                    _common.ANIMATIONS[a]["label"] if first else "",
                    labels[impl],
                    f"{r['events_per_s']:.1f}",
                    f"{r['painted_per_s']:.1f}",
                    f"{r['raf_per_s']:.1f}",
                    rel,
                    f"{r.get('kernel_cpu_pct', 0):.0f}",
                    f"{r.get('server_cpu_pct', 0):.0f}",
                    f"{r.get('browser_cpu_pct', 0):.0f}",
                ]
            )
            first = False
    return _common.format_table(head, body, "<<>>>>>>>")


def goals(rows: list[dict], rat: dict) -> list[dict]:
    out = []
    for a in rat:
        # (ratio key, goal text, floor): the goals this run has the numbers for
        wanted = [
            ("ours_over_raf", f"ours / page rAF rate >= {GOAL_RAF} at --fps {FPS}", GOAL_RAF),
            (
                "workers_over_raf",
                f"--workers {WORKERS} / page rAF rate >= {GOAL_RAF} (4+ cores)",
                GOAL_RAF,
            ),
            ("ours_over_ours_pure", f"in order / --pure >= {GOAL_IN_ORDER}", GOAL_IN_ORDER),
        ]
        if a in GOAL_IPYMPL:
            wanted.append(
                ("ours_over_ipympl", f"ours / ipympl >= {GOAL_IPYMPL[a]}", GOAL_IPYMPL[a])
            )
        for key, text, floor in wanted:
            if key in rat[a]:
                r = rat[a][key]
                out.append({"animation": a, "goal": text, "ratio": r, "met": r >= floor})
    return out


def plot(rows: list[dict], path: Path, subtitle: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    by = {(r["animation"], r["impl"]): r for r in rows}
    x = np.arange(len(ANIMS))
    width = 0.25
    colors = {"ours": "tab:blue", "ipympl": "tab:orange", "seed": "tab:gray"}
    names = {"ours": f"ipyanimagic --fps {FPS}", "ipympl": "ipympl", "seed": "2013 seed viewer"}
    for k, impl in enumerate(DEFAULT_IMPLS):
        vals = [by[(a, impl)]["events_per_s"] for a in ANIMS]
        bars = ax.bar(x + (k - 1) * width, vals, width, label=names[impl], color=colors[impl])
        _common.label_bars(ax, bars, vals)
    raf = [by[(a, "ours")]["raf_per_s"] for a in ANIMS]
    for k, r in enumerate(raf):
        ax.hlines(r, k - 0.45, k + 0.45, colors="k", linestyles="dotted")
    ax.plot([], [], "k:", label="rAF rate of our page")
    ax.set_xticks(x, [_common.ANIMATIONS[a]["label"] for a in ANIMS])
    ax.set_ylabel("frames shown per second")
    ax.set_ylim(0, max(raf) * 1.3)
    ax.set_title(f"Playback in JupyterLab (headless Chromium)\n{subtitle}", fontsize=9)
    ax.legend(fontsize=8, loc="upper right", ncols=2)
    ax.grid(axis="y", alpha=0.3)
    _common.save_plot(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(
        __doc__, NAME, timeout=900, quick="5 s recorded, 1.5 s warm-up"
    )
    parser.add_argument("--seconds", type=float, default=12, help="recorded seconds per case")
    parser.add_argument("--warmup", type=float, default=3, help="seconds played before")
    parser.add_argument("--anims", nargs="+", choices=ALL_ANIMS, default=list(ANIMS))
    parser.add_argument("--impls", nargs="+", choices=IMPLS, default=list(DEFAULT_IMPLS))
    parser.add_argument("--ratio", type=float, default=1, help="the page's devicePixelRatio")
    args = _common.parse_args(parser, argv, quick={"seconds": 5.0, "warmup": 1.5})
    if args.ratio != 1 and args.output == _common.RESULTS / f"{NAME}.json":
        args.output = _common.RESULTS / f"{NAME}_{args.ratio:g}x.json"
    if args.seconds < 1 or args.warmup < 0:
        parser.error("--seconds >= 1, --warmup >= 0")
    if (args.seconds + args.warmup) * FPS > FRAMES:
        parser.error(f"--seconds + --warmup must stay under {FRAMES / FPS:.0f} s (no repeats)")

    started = time.monotonic()
    rows = []
    with _browser.lab_session(args.timeout) as (server, browser):
        machine = _browser.machine(browser, "ipympl")
        for anim in args.anims:
            for impl in args.impls:
                rows.append(
                    play_case(server, browser, impl, anim, args.warmup, args.seconds, args.ratio)
                )
    elapsed = time.monotonic() - started
    rat = ratios(rows)
    goal_rows = goals(rows, rat)

    print(_common.machine_line(machine))
    print(
        f"page devicePixelRatio {args.ratio:g}; "
        f"{args.seconds:g} s recorded per case after {args.warmup:g} s of playing; frames/s = "
        f"distinct frames drawn into the page per second; ours / this = ours frames/s / "
        f"this frames/s (same run); CPU% of one core over the window"
    )
    print()
    print(table(rows))
    print()
    for r in rows:
        if r["impl"] in OURS:
            s = r["kernel_stats"]
            page = s.get("page", {})
            print(
                f"{r['impl']} {r['animation']}: frames from {s.get('frames_from')}, "
                f"kernel render {s['render_ms_mean'] or 0:.1f} ms + "
                f"encode {s['encode_ms_mean'] or 0:.1f} ms per frame, draws {s['draws']}; "
                f"page rtt {page.get('rtt_ms')} ms, window {page.get('window')}, "
                f"batch {page.get('batch', 1)}, "
                f"player fps readout {page.get('fps')}; page rAF ticks without a new frame "
                f"{r.get('idle_ticks_pct', 0):.0f}%, of which decoded frames were waiting "
                f"{r.get('missed_ready_pct', 0):.0f}% of all ticks"
            )
        if r.get("page_errors"):
            print(f"{r['animation']} {r['impl']}: page errors {r['page_errors']}")
    print()
    for g in goal_rows:
        print(
            f"goal {g['animation']:<10} {g['goal']:<36} {g['ratio']:6.2f}  "
            f"{_common.goal_text(g['met'])}"
        )

    report = {
        "benchmark": NAME,
        "machine": machine,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "fps_asked": FPS,
        "device_pixel_ratio": args.ratio,
        "elapsed_s": round(elapsed, 1),
        "results": rows,
        "ratios": rat,
        "goals": goal_rows,
    }
    subtitle = f"{args.seconds:g} s per case, {machine['nproc']} cores"
    cases = {(r["animation"], r["impl"]) for r in rows}
    complete = args.ratio == 1 and all((a, i) in cases for a in ANIMS for i in DEFAULT_IMPLS)
    return _common.finish(
        args, NAME, report, (lambda png: plot(rows, png, subtitle)) if complete else None
    )


if __name__ == "__main__":
    _browser.run(main, NAME)
