"""Memory while playing 10,000 frames: the kernel's RSS, and the page's decoded frames.

Starts its own JupyterLab (127.0.0.1 only) and headless Chromium with the browser test
harness (``tests/support/lab.py``), opens a fresh notebook, makes the 2013 post's line
animation (640x480, see ``_common.py``) with ``--frames`` frames (default 10,000), shows
it with ``%animate anim --fps 240 --loop once`` (default ``--cache-mb``) and presses
Play; it plays every frame once, to the end, as fast as the kernel, the server and the
page allow.

Sampled every second while it plays:

- kernel: VmRSS of the kernel process (``/proc/<pid>/status``, read by this script; the
  pid comes from the kernel);
- page: decoded frames alive (``createImageBitmap`` results not yet ``close()``d, from
  wrappers installed before the player exists: the player decodes every frame with
  ``createImageBitmap`` and closes what it evicts), and ``performance.memory``'s JS heap
  (Chromium);
- frames shown (distinct ``data-frame`` values of the player's canvas).

Baseline: after frame 0 is shown, before Play. At the end (after the last frame shown),
a cell collects garbage and reports the kernel's RSS and ``player.stats()`` (frame cache
bytes). Growth = end - baseline. Prints a table, writes
``benchmarks/results/memory.json`` and a plot to ``docs/img/memory.png``.

    .venv/bin/python benchmarks/memory.py [--frames 10000] [--cache-mb MB] [--quick]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _browser  # noqa: E402
import _common  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

NAME = "memory"
GOAL_MB = 30.0
# Decoded frames alive count as bounded when the second half of the run never holds more
# than the first half did, give or take this many (a leak grows with every frame played).
SLACK = 8
FPS = 240

SETUP = """\
%load_ext ipyanimagic
%matplotlib inline
import gc, json, os
import numpy as np
import matplotlib.pyplot as plt
from matplotlib import animation
print("BENCH-JSON " + json.dumps({"pid": os.getpid()}))
"""

# Run at rest before Play and after the end: RSS after gc, Python's allocated blocks and
# objects tracked by gc (growth there is Python objects; the rest is buffers / arenas).
PROBE_CELL = """\
import ipyanimagic, sys
from ipyanimagic.player.widget import Player
gc.collect()
_rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:"))
_players = [ipyanimagic.bridge.registry.get(k) for k in ipyanimagic.bridge.registry.keys()]
_players = [p for p in _players if isinstance(p, Player)]
print("BENCH-JSON " + json.dumps({
    "rss_kib": _rss,
    "blocks": sys.getallocatedblocks(),
    "gc_objects": len(gc.get_objects()),
    "stats": _players[-1].stats(),
}))
"""

# Installed before the player exists: count decoded frames alive, and frames shown.
PAGE_JS = r"""
() => {
  const M = (window.__mem = { created: 0, closed: 0, shown: 0, last: null });
  const create = window.createImageBitmap;
  window.createImageBitmap = function (...args) {
    return create.apply(this, args).then((bitmap) => {
      M.created += 1;
      return bitmap;
    });
  };
  const close = ImageBitmap.prototype.close;
  ImageBitmap.prototype.close = function () {
    if (!this.__closed) {
      this.__closed = true;
      M.closed += 1;
    }
    return close.call(this);
  };
  M.observe = (canvas) => {
    M.canvas = canvas;
    M.last = canvas.dataset.frame;
    M.shown = 1;
    new MutationObserver(() => {
      const v = canvas.dataset.frame;
      if (v !== M.last) {
        M.last = v;
        M.shown += 1;
      }
    }).observe(canvas, { attributes: true, attributeFilter: ["data-frame"] });
  };
  M.sample = () => ({
    t: performance.now(),
    live: M.created - M.closed,
    created: M.created,
    shown: M.shown,
    frame: M.last,
    heap: performance.memory ? performance.memory.usedJSHeapSize : null,
    pixels: M.canvas ? M.canvas.width * M.canvas.height : 0,
  });
}
"""


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def run(server: Any, browser: Any, frames: int, timeout: float, cache_mb: float | None) -> dict:
    cache = "" if cache_mb is None else f" --cache-mb {cache_mb:g}"
    cells = [
        SETUP,
        _common.animation_source("line640", frames=frames, interval=30),
        f"%animate anim --fps {FPS} --loop once{cache}",
        PROBE_CELL,
        PROBE_CELL,
    ]
    samples: list[dict] = []
    with _browser.notebook(server, browser, cells) as nb:
        nb.page.evaluate(PAGE_JS)
        pid = _browser.cell_json(nb, 0)["pid"]
        nb.run_cell(1)
        out = nb.run_cell(2)
        canvas = out.locator("canvas.iam-frame")
        expect(canvas).to_have_attribute("data-frame", "0", timeout=30_000)
        canvas.scroll_into_view_if_needed()
        canvas.evaluate("(c) => window.__mem.observe(c)")
        nb.page.wait_for_timeout(1500)  # let the at-rest PNG and the first reports settle
        before = _browser.cell_json(nb, 3)
        base_rss = rss_kib(pid)
        base_page = nb.page.evaluate("() => window.__mem.sample()")
        t0 = time.monotonic()
        out.get_by_role("button", name="Play", exact=True).click()
        last = str(frames - 1)
        finished = False
        while time.monotonic() - t0 < timeout:
            nb.page.wait_for_timeout(1000)
            s = nb.page.evaluate("() => window.__mem.sample()")
            s["rss_kib"] = rss_kib(pid)
            s["wall_s"] = time.monotonic() - t0
            samples.append(s)
            if s["frame"] == last:
                finished = True
                break
            if nb.page_errors:
                raise RuntimeError(f"page errors: {nb.page_errors}")
        elapsed = time.monotonic() - t0
        if not finished:
            out.get_by_role("button", name="Pause", exact=True).click()
        nb.page.wait_for_timeout(1500)  # at rest: the last frame again, as PNG
        end = _browser.cell_json(nb, 4)
        end_page = nb.page.evaluate("() => window.__mem.sample()")
        fps_shown = samples[-1]["shown"] / elapsed if samples else 0.0
    rss = [s["rss_kib"] for s in samples if s["rss_kib"] is not None]
    half = len(samples) // 2
    live_first = max((s["live"] for s in samples[:half]), default=0)
    live_second = max((s["live"] for s in samples[half:]), default=0)
    pixels = max((s["pixels"] for s in samples), default=0)
    return {
        "frames": frames,
        "finished": finished,
        "play_s": round(elapsed, 1),
        "shown": samples[-1]["shown"] if samples else 0,
        "shown_per_s": fps_shown,
        "kernel_pid_rss_base_kib": base_rss,
        "kernel_rss_peak_kib": max(rss) if rss else None,
        "kernel_rss_end_kib": end["rss_kib"],
        "kernel_growth_mb": (end["rss_kib"] - base_rss) / 1024 if base_rss else None,
        "kernel_peak_growth_mb": (max(rss) - base_rss) / 1024 if rss and base_rss else None,
        "kernel_stats": end["stats"],
        "kernel_probe_before": before,
        "kernel_probe_end": end,
        "kernel_blocks_growth": end["blocks"] - before["blocks"],
        "kernel_gc_objects_growth": end["gc_objects"] - before["gc_objects"],
        "page_base": base_page,
        "page_end": end_page,
        "page_live_max": max((s["live"] for s in samples), default=0),
        "page_live_max_first_half": live_first,
        "page_live_max_second_half": live_second,
        # Decoded RGBA pixels held by those bitmaps at their most (4 bytes a pixel).
        "page_bitmaps_max_mb": max(live_first, live_second) * pixels * 4 / 2**20,
        "page_bounded": live_second <= live_first + SLACK,
        "page_heap_base_mb": (base_page["heap"] or 0) / 2**20,
        "page_heap_max_mb": max((s["heap"] or 0) for s in samples) / 2**20 if samples else None,
        "samples": samples,
    }


def table(r: dict) -> str:
    stats = r["kernel_stats"]
    cache_mb = stats["cache_bytes"] / 2**20
    rows = [
        ["frames shown", f"{r['shown']} of {r['frames']}, {r['play_s']} s from Play"],
        ["frames shown per s", f"{r['shown_per_s']:.1f}"],
        ["kernel frames rendered", str(stats["frames_rendered"])],
        ["kernel RSS before Play", f"{r['kernel_pid_rss_base_kib'] / 1024:.1f} MB"],
        ["kernel RSS peak while playing", f"{r['kernel_rss_peak_kib'] / 1024:.1f} MB"],
        ["kernel RSS at the end (after gc)", f"{r['kernel_rss_end_kib'] / 1024:.1f} MB"],
        ["kernel growth (end - before)", f"{r['kernel_growth_mb']:.1f} MB"],
        ["kernel growth at peak", f"{r['kernel_peak_growth_mb']:.1f} MB"],
        ["  of which frame cache at the end", f"{cache_mb:.1f} MB, {stats['cache_frames']} frames"],
        ["  the rest", f"{r['kernel_growth_mb'] - cache_mb:.1f} MB"],
        [
            "kernel Python blocks / gc objects growth",
            f"{r['kernel_blocks_growth']:+d} / {r['kernel_gc_objects_growth']:+d}",
        ],
        [
            "page: decoded frames alive, max (1st / 2nd half)",
            f"{r['page_live_max_first_half']} / {r['page_live_max_second_half']} "
            f"(= {r['page_bitmaps_max_mb']:.0f} MB of RGBA pixels)",
        ],
        ["page: decoded frames alive, end", str(r["page_end"]["live"])],
        ["page: decoded frames created", str(r["page_end"]["created"])],
        [
            "page: JS heap before / max",
            f"{r['page_heap_base_mb']:.1f} / {r['page_heap_max_mb']:.1f} MB",
        ],
    ]
    return _common.format_table(["measure", "value"], rows, "<<")


def plot(r: dict, path: Path, subtitle: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = r["samples"]
    shown = [x["shown"] for x in s]
    base = r["kernel_pid_rss_base_kib"]
    growth = [((x["rss_kib"] or base) - base) / 1024 for x in s]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 5.5), dpi=100, sharex=True)
    ax1.plot(shown, growth, color="tab:blue", label="kernel RSS growth")
    ax1.axhline(GOAL_MB, color="k", linestyle="dotted", label=f"goal < {GOAL_MB:g} MB")
    cache_mb = r["kernel_stats"]["cache_bytes"] / 2**20
    ax1.axhline(cache_mb, color="tab:gray", linestyle="--", label="frame cache at the end")
    ax1.set_ylabel("MB over baseline")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    ax2.plot(shown, [x["live"] for x in s], color="tab:orange", label="decoded frames alive")
    ax2.set_ylabel("page: ImageBitmaps alive")
    ax2.set_xlabel("frames shown")
    ax2.grid(alpha=0.3)
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=8)
    ax1.set_title(f"Memory while playing {r['frames']:,} frames\n{subtitle}", fontsize=9)
    _common.save_plot(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(__doc__, NAME, timeout=600, quick="2,000 frames")
    parser.add_argument("--frames", type=int, default=10_000, help="frames in the animation")
    parser.add_argument(
        "--cache-mb", type=float, default=None, help="passed to %%animate (default: its own)"
    )
    parser.add_argument("--play-timeout", type=float, default=420, help="stop playing after (s)")
    args = _common.parse_args(parser, argv, quick={"frames": 2000})
    if args.frames < 10:
        parser.error("--frames >= 10")

    started = time.monotonic()
    with _browser.lab_session(args.timeout) as (server, browser):
        machine = _browser.machine(browser)
        print(f"  playing {args.frames} frames ...", file=sys.stderr, flush=True)
        r = run(server, browser, args.frames, args.play_timeout, args.cache_mb)
    elapsed = time.monotonic() - started
    met = r["kernel_growth_mb"] < GOAL_MB and r["finished"]
    cache_text = "(default cache)" if args.cache_mb is None else f"--cache-mb {args.cache_mb:g}"

    print(_common.machine_line(machine))
    print(
        f"{_common.ANIMATIONS['line640']['label']}, {args.frames} frames, "
        f"%animate --fps {FPS} --loop once "
        f"{cache_text}; growth = kernel VmRSS at the end (after gc) - before Play"
    )
    print()
    print(table(r))
    print()
    if not r["finished"]:
        print(f"NOT finished: {r['shown']} of {r['frames']} frames within {args.play_timeout} s")
    print(
        f"goal kernel growth over {r['shown']} frames < {GOAL_MB:g} MB: "
        f"{r['kernel_growth_mb']:.1f} MB  {_common.goal_text(met)}"
    )
    print(
        f"page decoded frames alive stay bounded (2nd half max <= 1st half max + {SLACK}): "
        f"{r['page_live_max_first_half']} -> {r['page_live_max_second_half']}  "
        f"{_common.goal_text(r['page_bounded'])}"
    )

    report = {
        "benchmark": NAME,
        "machine": machine,
        "elapsed_s": round(elapsed, 1),
        "fps_asked": FPS,
        "result": r,
        "goals": [
            {
                "goal": f"kernel growth < {GOAL_MB:g} MB",
                "value_mb": r["kernel_growth_mb"],
                "met": met,
            },
            {
                "goal": f"page decoded frames alive bounded (2nd half max <= 1st + {SLACK})",
                "value": [r["page_live_max_first_half"], r["page_live_max_second_half"]],
                "met": r["page_bounded"],
            },
        ],
    }
    subtitle = f"{machine['nproc']} cores, {r['shown_per_s']:.0f} frames/s shown"
    return _common.finish(args, NAME, report, lambda png: plot(r, png, subtitle))


if __name__ == "__main__":
    _browser.run(main, NAME)
