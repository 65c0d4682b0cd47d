"""A remote user: JupyterLab reached through a shaped link (delay, rate, queue).

Starts its own JupyterLab (127.0.0.1 only) and headless Chromium with the browser test
harness (``tests/support/lab.py``); the browser reaches the server only through
``tests/support/shaped.py``, a TCP proxy on 127.0.0.1 that gives each direction half of
the round trip as one-way delay, a token-bucket rate limit and a bounded queue (its own
notes say what it leaves out: loss, TCP's congestion control, TLS). Each notebook's page
loads over the link unshaped (what JupyterLab's own start-up costs remotely is not what
is measured here); the link's profile is set once the kernel is connected, before the
first cell runs, and applies to everything after, the kernel websocket included.

Profiles: ``direct`` (through the proxy, no delay or limit: the control), ``60ms/20M``
(60 ms round trip, 20 Mbit/s each way) and ``100ms/5M`` (100 ms, 5 Mbit/s). Cases, in
a fresh notebook (browser context and kernel) each, one after the other in one run:

- playback: the 2013 post's line animation (640x480, 2,000 frames, ``_common.py``) with
  ``%animate anim --fps 60`` at devicePixelRatio 1 and 2, and ipympl beside it at both
  ratios over every profile (as ``playback_fps.py`` has it: ``%matplotlib widget``,
  interval 1000/60 ms); counted as ``playback_fps.py`` counts (distinct frames drawn
  per second over ``--seconds`` after ``--warmup`` s of playing; the page's
  rAF rate in the same window). Also the link's bytes down per frame shown and the most
  bytes its queue held, and the player's own report (round trip, frames in flight);
- click: a click on Next at rest until the new frame is painted (``interaction.py``'s
  page code, ``--clicks`` clicks ``--pause`` ms apart, the first 2 left out), ours and
  ipympl (a key press that redraws), over ``60ms/20M``;
- first frame: Shift+Enter on a cell that shows one player, or ten (ten animations made
  in an earlier cell, ``display(ipyanimagic.animate(a))`` for each), until every one of
  them has frame 0 on its canvas and the page painted after it; over ``100ms/5M``,
  ``--repeat`` fresh notebooks each, interleaved, medians. With the bytes the link
  carried down for it.

Prints the tables and the goals, writes ``benchmarks/results/remote.json`` (no plot).

    .venv/bin/python benchmarks/remote.py [--seconds 12] [--warmup 3] [--clicks 40]
        [--repeat 3] [--quick] [--only playback click first_frame]
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import _browser  # noqa: E402
import _common  # noqa: E402
import interaction  # noqa: E402
import live as live_bench  # noqa: E402
import playback_fps  # noqa: E402
from playwright.sync_api import expect  # noqa: E402
from support import lab  # noqa: E402
from support.remote import shaped_server  # noqa: E402
from support.shaped import Shape, ShapedLink  # noqa: E402

NAME = "remote"
FPS = playback_fps.FPS
ANIM = "line640"

# name -> (round trip s, rate bits/s per direction)
PROFILES: dict[str, tuple[float, float | None]] = {
    "direct": (0.0, None),
    "60ms/20M": (0.060, 20e6),
    "100ms/5M": (0.100, 5e6),
}
# (profile, devicePixelRatio, impl) of the playback cases, in order
PLAYBACK = [
    ("direct", 1, "ours"),
    ("direct", 1, "ipympl"),
    ("60ms/20M", 1, "ours"),
    ("60ms/20M", 1, "ipympl"),
    ("100ms/5M", 1, "ours"),
    ("100ms/5M", 1, "ipympl"),
    ("direct", 2, "ours"),
    ("direct", 2, "ipympl"),
    ("60ms/20M", 2, "ours"),
    ("60ms/20M", 2, "ipympl"),
    ("100ms/5M", 2, "ours"),
    ("100ms/5M", 2, "ipympl"),
]
# ours / page rAF, by (profile, ratio); the 1x 60/20 goal is implied by the 100/5 one
GOAL_RAF = {
    ("60ms/20M", 1): 0.9,
    ("100ms/5M", 1): 0.9,
    ("60ms/20M", 2): 0.9,
    ("100ms/5M", 2): 0.8,
}
CLICK_PROFILE = "60ms/20M"
GOAL_CLICK_MS = 20.0
FIRST_PROFILE = "100ms/5M"
GOAL_FIRST_S = 1.0
GOAL_TEN_OVER_ONE = 2.0
TEN = 10


def shape_of(profile: str) -> Shape:
    rtt, rate = PROFILES[profile]
    return Shape(delay=rtt / 2, rate=rate)


@contextlib.contextmanager
def remote_session(timeout: float) -> Iterator[tuple[Any, Any, Any, ShapedLink]]:
    """JupyterLab, Chromium and a shaped link to the server (unshaped until told);
    yields (server, the server as the browser reaches it, browser, link)."""
    with (
        _browser.lab_session(timeout) as (server, browser),
        shaped_server(server) as (remote, link),
    ):
        yield server, remote, browser, link


@contextlib.contextmanager
def notebook(
    server: Any, remote: Any, browser: Any, link: ShapedLink, cells: list[str], profile: str,
    ratio: float = 1,
) -> Iterator[Any]:  # fmt: skip
    """A fresh notebook opened over the link unshaped, then the link set to ``profile``;
    closed (and its kernel shut down, past the link) on the way out."""
    shape = Shape()
    link.configure(up=shape, down=shape)
    nb = lab.open_notebook(remote, browser, cells, app="lab", device_scale_factor=ratio)
    try:
        nb.page.evaluate(_browser.INSTRUMENT_JS)
        shape = shape_of(profile)
        link.configure(up=shape, down=shape)
        yield nb
    finally:
        link.configure(up=Shape(), down=Shape())
        lab.close_notebook(server, nb)


def link_delta(before: Any, after: Any) -> dict[str, Any]:
    return {
        "down_bytes": after.down.bytes_out - before.down.bytes_out,
        "up_bytes": after.up.bytes_out - before.up.bytes_out,
        "down_max_held": after.down.max_held,
    }


# --------------------------------------------------------------------------- playback


def play_case(
    server: Any, remote: Any, browser: Any, link: ShapedLink, profile: str, ratio: float,
    impl: str, warmup: float, seconds: float,
) -> dict[str, Any]:  # fmt: skip
    print(f"  playback {impl} {profile} {ratio:g}x ...", file=sys.stderr, flush=True)
    result: dict[str, Any] = {"profile": profile, "impl": impl, "device_pixel_ratio": ratio}
    cells = playback_fps.cells_for(impl, ANIM)
    with notebook(server, remote, browser, link, cells, profile, ratio) as nb:
        pid = _browser.cell_json(nb, 0, timeout=120)["pid"]
        if impl == "ours":
            nb.run_cell(1, timeout=60)
            out = nb.run_cell(2, timeout=60)
            canvas = out.locator("canvas.iam-frame")
            expect(canvas).to_have_attribute("data-frame", "0", timeout=60_000)
            canvas.scroll_into_view_if_needed()
            canvas.evaluate(_browser.OBSERVE_PLAYER_JS)
            nb.page.evaluate("() => window.__bench.mark()")
            out.get_by_role("button", name="Play", exact=True).click()
            stop = out.get_by_role("button", name="Pause", exact=True)
        else:
            out = nb.run_cell(1, timeout=120)
            view = out.locator(".jupyter-matplotlib-canvas-div canvas").first
            view.wait_for(timeout=60_000)
            view.scroll_into_view_if_needed()
            stop = None
        nb.page.wait_for_timeout(warmup * 1000)
        before = link.stats(reset_max=True)
        with _browser.CpuMeter(server, pid) as cpu:
            rec = _browser.record(nb, seconds)
        result.update(link_delta(before, link.stats()))
        result.update(_browser.summarize_recording(rec))
        result.update(cpu.result)
        frames = result["events"]
        result["down_kib_per_frame"] = result["down_bytes"] / 1024 / frames if frames else None
        result["down_mbit_s"] = result["down_bytes"] * 8 / 1e6 / result["seconds"]
        if stop is not None:
            stop.click()
        else:
            nb.run_cell(2, timeout=60)
        if impl == "ours":
            nb.page.wait_for_timeout(300)
            stats = _browser.cell_json(nb, 3, timeout=60)
            result["kernel_stats"] = stats
        errors = list(nb.page_errors)
        if errors:
            result["page_errors"] = errors[:5]
    return result


def playback_table(rows: list[dict[str, Any]]) -> str:
    head = [
        "link",
        "ratio",
        "path",
        "frames/s",
        "page rAF/s",
        "/ rAF",
        "ours / this",
        "KiB/frame",
        "Mbit/s down",
        "queue max KiB",
        "page rtt ms",
        "window",
        "kernel CPU%",
        "browser CPU%",
    ]
    by = {(r["profile"], r["device_pixel_ratio"], r["impl"]): r for r in rows}
    body = []
    for r in rows:
        ours = by.get((r["profile"], r["device_pixel_ratio"], "ours"))
        rel = "-"
        if ours is not None and r["events_per_s"]:
            rel = f"{ours['events_per_s'] / r['events_per_s']:.2f}"
        page = r.get("kernel_stats", {}).get("page", {})
        body.append(
            [
                r["profile"],
                f"{r['device_pixel_ratio']:g}x",
                r["impl"],
                f"{r['events_per_s']:.1f}",
                f"{r['raf_per_s']:.1f}",
                f"{r['events_per_s'] / r['raf_per_s']:.2f}" if r["raf_per_s"] else "-",
                rel,
                f"{r['down_kib_per_frame']:.1f}" if r["down_kib_per_frame"] else "-",
                f"{r['down_mbit_s']:.1f}",
                f"{r['down_max_held'] / 1024:.0f}",
                str(page.get("rtt_ms", "-")),
                str(page.get("window", "-")),
                f"{r.get('kernel_cpu_pct') or 0:.0f}",
                f"{r.get('browser_cpu_pct') or 0:.0f}",
            ]
        )
    return _common.format_table(head, body, "<<<" + ">" * (len(head) - 3))


# --------------------------------------------------------------------------- live

# The live player followed over the link: the page's rule beside one request at a time
# (the rule before it: a frame per round trip), a loop capturing ~40 frames/s.
LIVE_PROFILES = ("60ms/20M", "100ms/5M")
LIVE_VARIANTS = ("rule", "four", "one-at-a-time")
LIVE_STEPS = 200
GOAL_LIVE = 0.9


def live_case(
    server: Any, remote: Any, browser: Any, link: ShapedLink, profile: str, variant: str,
    timeout: float,
) -> dict[str, Any]:  # fmt: skip
    print(f"  live {variant} {profile} ...", file=sys.stderr, flush=True)
    mark = repr(_browser.MARK)
    setup = live_bench._variant_setup(live_bench.PAGE_SETUP.replace("MARK", mark), variant)
    loop = live_bench.LIVE_LOOP.format(steps=LIVE_STEPS, sleep=0.02).replace("MARK", mark)
    with notebook(server, remote, browser, link, [setup, loop], profile) as nb:
        before = link.stats(reset_max=True)
        result = live_bench.follow_measured(nb, timeout)
        result.update(link_delta(before, link.stats()))
    return {"profile": profile, "variant": variant, **result}


def live_table(rows: list[dict[str, Any]]) -> str:
    head = [
        "link",
        "following",
        "captured/s",
        "shown/s",
        "/ min(captures, rAF)",
        "capture -> painted ms",
    ]
    body = [
        [
            r["profile"],
            r["variant"],
            f"{r['capture_per_s']:.0f}",
            f"{r['shown_per_s']:.1f}",
            f"{r['shown_vs_goal']:.2f}",
            f"{r['latency_median_ms']:.0f}" if r.get("latency_median_ms") else "-",
        ]
        for r in rows
    ]
    return _common.format_table(head, body, "<<>>>>")


# --------------------------------------------------------------------------- click


def click_case(
    server: Any, remote: Any, browser: Any, link: ShapedLink, impl: str, clicks: int,
    pause: float,
) -> dict[str, Any]:  # fmt: skip
    print(f"  click {impl} {CLICK_PROFILE} ...", file=sys.stderr, flush=True)
    result: dict[str, Any] = {"profile": CLICK_PROFILE, "impl": impl}
    cells = interaction.cells_for(impl)
    with notebook(server, remote, browser, link, cells, CLICK_PROFILE) as nb:
        _browser.cell_json(nb, 0, timeout=120)
        if impl == "ours":
            nb.run_cell(1, timeout=60)
            out = nb.run_cell(2, timeout=60)
            target = out.locator("canvas.iam-frame")
            expect(target).to_have_attribute("data-frame", "0", timeout=60_000)
            el = out.get_by_role("button", name="Next frame", exact=True)
        else:
            out = nb.run_cell(1, timeout=120)
            el = out.locator(".jupyter-matplotlib-canvas-div").first
            el.wait_for(timeout=60_000)
            target = el
        target.scroll_into_view_if_needed()
        nb.page.wait_for_timeout(1000)  # the first sharp frame, the prefetch at rest
        times = nb.page.evaluate(
            interaction.CLICKS_JS,
            {
                "el": el.element_handle(),
                "target": target.element_handle(),
                "kind": impl,
                "n": clicks,
                "pause": pause,
            },
        )
        times = times[2:]
        result.update(
            click_median_ms=round(statistics.median(times), 2),
            click_p90_ms=round(interaction.percentile(times, 90), 2),
            clicks=len(times),
            click_ms=[round(t, 2) for t in times],
        )
        errors = list(nb.page_errors)
        if errors:
            result["page_errors"] = errors[:5]
    return result


# --------------------------------------------------------------------------- first frame

FIRST_SETUP = """\
%load_ext ipyanimagic
%matplotlib inline
import json
import numpy as np
import matplotlib.pyplot as plt
from matplotlib import animation
from IPython.display import display
import ipyanimagic
_anims = []
for _k in range({n}):
{src}
    _anims.append(anim)
    plt.close(fig)
print("BENCH-JSON " + json.dumps(len(_anims)))
"""

FIRST_CELL = "for _a in _anims:\n    display(ipyanimagic.animate(_a))"

# arm(n): from the next Shift+Enter until n new player canvases have data-frame="0", then
# the next animation frame (painted); also the time of the first one.
FIRST_TIMER_JS = r"""
() => {
  if (window.__ffn) return;
  const T = (window.__ffn = {});
  T.arm = (n) => {
    T.n = n;
    T.armed = true;
    T.start = T.first = T.shown = T.painted = null;
    T.seen = new Set();
    T.old = new WeakSet(document.querySelectorAll("canvas.iam-frame"));
  };
  document.addEventListener(
    "keydown",
    (e) => {
      if (T.armed && e.key === "Enter" && e.shiftKey) {
        T.armed = false;
        T.start = performance.now();
      }
    },
    true
  );
  const check = () => {
    if (T.start === null || T.shown !== null) return;
    for (const el of document.querySelectorAll("canvas.iam-frame")) {
      if (T.old.has(el) || T.seen.has(el) || el.dataset.frame !== "0") continue;
      T.seen.add(el);
      if (T.first === null) T.first = performance.now();
    }
    if (T.seen.size >= T.n) {
      T.shown = performance.now();
      requestAnimationFrame(() => {
        T.painted = performance.now();
      });
    }
  };
  new MutationObserver(check).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["data-frame"],
  });
}
"""


def first_case(
    server: Any, remote: Any, browser: Any, link: ShapedLink, n: int, rep: int, repeat: int
) -> dict[str, Any]:
    print(f"  first frame, {n} player(s) ({rep + 1}/{repeat}) ...", file=sys.stderr, flush=True)
    src = _common.animation_source(ANIM, frames=100, interval=30)
    body = "\n".join("    " + line for line in src.splitlines())
    cells = [FIRST_SETUP.format(n=n, src=body), FIRST_CELL]
    with notebook(server, remote, browser, link, cells, FIRST_PROFILE) as nb:
        assert _browser.cell_json(nb, 0, timeout=120) == n
        nb.page.evaluate(FIRST_TIMER_JS)
        nb.page.evaluate(f"() => window.__ffn.arm({n})")
        before = link.stats(reset_max=True)
        nb.run_cell(1, timeout=120)
        nb.page.wait_for_function("() => window.__ffn.painted !== null", timeout=120_000)
        after = link.stats()
        t = nb.page.evaluate(
            "() => ({start: __ffn.start, first: __ffn.first, shown: __ffn.shown,"
            " painted: __ffn.painted})"
        )
        if t["start"] is None:
            raise RuntimeError("the Shift+Enter that runs the cell was not seen")
        out = {
            "players": n,
            "first_s": (t["first"] - t["start"]) / 1000,
            "all_shown_s": (t["shown"] - t["start"]) / 1000,
            "painted_s": (t["painted"] - t["start"]) / 1000,
        }
        out.update(link_delta(before, after))
        errors = list(nb.page_errors)
        if errors:
            out["page_errors"] = errors[:5]
    return out


def summarize_first(runs: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for n, reps in runs.items():
        row: dict[str, Any] = {"players": n, "runs": reps}
        for field in ("first_s", "all_shown_s", "painted_s", "down_bytes", "up_bytes"):
            row[field] = statistics.median(r[field] for r in reps)
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- main


def goals(
    play: list[dict[str, Any]],
    clicks: list[dict[str, Any]],
    first: list[dict[str, Any]],
    lives: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in lives or []:
        if r["variant"] == "rule":
            out.append(
                {
                    "case": f"{r['profile']} live",
                    "goal": f"followed: shown >= {GOAL_LIVE} of min(captures, rAF)",
                    "ratio": r["shown_vs_goal"],
                    "met": r["shown_vs_goal"] >= GOAL_LIVE,
                }
            )
    by = {(r["profile"], r["device_pixel_ratio"], r["impl"]): r for r in play}
    for (profile, ratio), floor in GOAL_RAF.items():
        r = by.get((profile, ratio, "ours"))
        if r is None or not r["raf_per_s"]:
            continue
        value = r["events_per_s"] / r["raf_per_s"]
        out.append(
            {
                "case": f"{profile} {ratio}x",
                "goal": f"ours / page rAF >= {floor} at --fps {FPS}",
                "ratio": value,
                "met": value >= floor,
            }
        )
    for c in clicks:
        if c["impl"] == "ours":
            out.append(
                {
                    "case": CLICK_PROFILE,
                    "goal": f"click on Next -> painted, median <= {GOAL_CLICK_MS:g} ms",
                    "value": c["click_median_ms"],
                    "met": c["click_median_ms"] <= GOAL_CLICK_MS,
                }
            )
    by_n = {r["players"]: r for r in first}
    if 1 in by_n:
        one = by_n[1]["painted_s"]
        out.append(
            {
                "case": FIRST_PROFILE,
                "goal": f"first frame, one player <= {GOAL_FIRST_S:g} s",
                "value_s": one,
                "met": one <= GOAL_FIRST_S,
            }
        )
        if TEN in by_n:
            ratio = by_n[TEN]["painted_s"] / one
            out.append(
                {
                    "case": FIRST_PROFILE,
                    "goal": f"first frames, ten players <= {GOAL_TEN_OVER_ONE:g}x one",
                    "ratio": ratio,
                    "met": ratio <= GOAL_TEN_OVER_ONE,
                }
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(
        __doc__, NAME, timeout=1500, quick="5 s recorded, 1.5 s warm-up, 15 clicks, 1 repeat"
    )
    parser.add_argument("--seconds", type=float, default=12, help="recorded seconds per case")
    parser.add_argument("--warmup", type=float, default=3, help="seconds played before")
    parser.add_argument("--clicks", type=int, default=40, help="clicks per click case")
    parser.add_argument("--pause", type=float, default=60, help="ms of rest between clicks")
    parser.add_argument("--repeat", type=int, default=3, help="fresh notebooks per first-frame")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("playback", "click", "first_frame", "live"),
        default=["playback", "click", "first_frame", "live"],
    )
    args = _common.parse_args(
        parser, argv, quick={"seconds": 5.0, "warmup": 1.5, "clicks": 15, "repeat": 1}
    )
    if args.seconds < 1 or args.warmup < 0 or args.clicks < 5 or args.repeat < 1:
        parser.error("--seconds >= 1, --warmup >= 0, --clicks >= 5, --repeat >= 1")
    if (args.seconds + args.warmup) * FPS > playback_fps.FRAMES:
        parser.error("--seconds + --warmup too long: frames would repeat")

    started = time.monotonic()
    play: list[dict[str, Any]] = []
    clicks: list[dict[str, Any]] = []
    lives: list[dict[str, Any]] = []
    first_runs: dict[int, list[dict[str, Any]]] = {1: [], TEN: []}
    with remote_session(args.timeout) as (server, remote, browser, link):
        machine = _browser.machine(browser, "ipympl")
        if "playback" in args.only:
            for profile, ratio, impl in PLAYBACK:
                play.append(
                    play_case(
                        server,
                        remote,
                        browser,
                        link,
                        profile,
                        ratio,
                        impl,
                        args.warmup,
                        args.seconds,
                    )
                )
        if "click" in args.only:
            for impl in ("ours", "ipympl"):
                clicks.append(
                    click_case(server, remote, browser, link, impl, args.clicks, args.pause)
                )
        if "live" in args.only:
            for profile in LIVE_PROFILES:
                for variant in LIVE_VARIANTS:
                    lives.append(
                        live_case(server, remote, browser, link, profile, variant, args.timeout)
                    )
        if "first_frame" in args.only:
            for rep in range(args.repeat):
                for n in (1, TEN):
                    first_runs[n].append(
                        first_case(server, remote, browser, link, n, rep, args.repeat)
                    )
    elapsed = time.monotonic() - started
    first = summarize_first({n: r for n, r in first_runs.items() if r})
    goal_rows = goals(play, clicks, first, lives)
    with contextlib.suppress(OSError):
        machine["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    # The package the kernels imported, when not this checkout's (an export of a commit
    # put first on the path, so that work in progress in the tree is not measured).
    machine["pythonpath"] = os.environ.get("PYTHONPATH")

    print(_common.machine_line(machine) + f"; load at end {machine.get('loadavg_at_end')}")
    print(
        "link profiles: round trip / rate per direction (token bucket 16 KiB, queue 64 KiB "
        "per connection); the page loads unshaped, the profile applies from the first cell"
    )
    if play:
        print(
            f"\nplayback, {_common.ANIMATIONS[ANIM]['label']}, --fps {FPS}: {args.seconds:g} s "
            f"recorded after {args.warmup:g} s; KiB/frame = bytes the link carried down in "
            "the window / frames shown; queue max = most bytes one connection's queue and "
            "window held"
        )
        print(playback_table(play))
    if clicks:
        print(f"\nclick on Next at rest -> painted, {CLICK_PROFILE}, {args.pause:g} ms apart")
        print(
            _common.format_table(
                ["path", "median ms", "p90 ms", "clicks"],
                [
                    [
                        c["impl"],
                        f"{c['click_median_ms']:.1f}",
                        f"{c['click_p90_ms']:.1f}",
                        c["clicks"],
                    ]
                    for c in clicks
                ],
            )
        )
    if lives:
        print(
            f"\nlive player followed, a loop capturing every 20 ms ({LIVE_STEPS} steps): "
            "display frames with a new frame per second against min(captures/s, rAF)"
        )
        print(live_table(lives))
    if first:
        print(
            f"\nfirst frame, {FIRST_PROFILE}: Shift+Enter -> every player's frame 0 painted "
            f"(median of {args.repeat}; range), and the bytes the link carried for it"
        )
        rows = []
        for r in first:
            vals = [x["painted_s"] for x in r["runs"]]
            rows.append(
                [
                    str(r["players"]),
                    f"{r['first_s']:.3f}",
                    f"{r['painted_s']:.3f} ({min(vals):.3f}-{max(vals):.3f})",
                    f"{r['down_bytes'] / 1024:.0f}",
                    f"{r['down_bytes'] / 1024 / r['players']:.0f}",
                ]
            )
        print(
            _common.format_table(
                ["players", "first shown s", "all painted s", "KiB down", "KiB / player"], rows
            )
        )
    for r in [*play, *clicks, *(x for f in first for x in f["runs"])]:
        if r.get("page_errors"):
            print(f"page errors: {r['page_errors']}")
    print()
    for g in goal_rows:
        value = g.get("ratio", g.get("value_s", g.get("value")))
        print(f"goal {g['case']:<12} {g['goal']:<44} {value:8.3f}  {_common.goal_text(g['met'])}")

    report = {
        "benchmark": NAME,
        "machine": machine,
        "profiles": {k: {"rtt_s": v[0], "rate_bits_s": v[1]} for k, v in PROFILES.items()},
        "shape_defaults": {"burst": Shape().burst, "queue": Shape().queue},
        "seconds": args.seconds,
        "warmup": args.warmup,
        "fps_asked": FPS,
        "elapsed_s": round(elapsed, 1),
        "playback": play,
        "click": clicks,
        "live": lives,
        "first_frame": first,
        "goals": goal_rows,
    }
    return _common.finish(args, NAME, report, None)


if __name__ == "__main__":
    _browser.run(main, NAME)
