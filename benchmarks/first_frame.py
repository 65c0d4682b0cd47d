"""Time to the first frame: ``%animate`` with 100 and 10,000 frames, beside ``to_jshtml()``.

Starts its own JupyterLab (127.0.0.1 only) and headless Chromium with the browser test
harness (``tests/support/lab.py``). Each case runs in a fresh notebook (browser context
and kernel): a first cell makes the 2013 post's line animation (640x480, see
``_common.py``) with N frames, then the timed cell runs. Timed in the page, from the
Shift+Enter that runs the cell (a capturing keydown listener) to:

- ``%animate anim`` (N = 100 and 10,000): the player's ``canvas.iam-frame`` getting
  ``data-frame="0"`` (a MutationObserver), and the next animation frame after it (when
  it is painted). "cold" is the first ``%animate`` of the kernel and the page (imports,
  the widget's module, the figure's first draw); "warm" is a second animation shown by
  a second ``%animate`` cell in the same notebook;
- ``HTML(anim.to_jshtml())`` (N = 100): matplotlib's own JavaScript player, which renders
  every frame to PNG before anything is shown. Kernel time of ``to_jshtml()`` (printed by
  the cell) and the page time to the ``load`` of its first frame's ``<img>``.

Each case runs ``--repeat`` times (fresh notebooks), interleaved; medians are reported.
Prints a table, writes ``benchmarks/results/first_frame.json`` and a plot to
``docs/img/first_frame.png``.

    .venv/bin/python benchmarks/first_frame.py [--repeat 3] [--quick]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _browser  # noqa: E402
import _common  # noqa: E402

NAME = "first_frame"
GOAL_S = 0.2

SETUP = """\
%load_ext ipyanimagic
%matplotlib inline
import json, time
import numpy as np
import matplotlib.pyplot as plt
from matplotlib import animation
from IPython.display import HTML

# Kernel time of every cell from here on (pre_run_cell -> post_run_cell).
_bench_cells, _bench_t0 = [], time.perf_counter()
def _bench_pre(info=None):
    global _bench_t0
    _bench_t0 = time.perf_counter()
def _bench_post(result=None):
    _bench_cells.append(time.perf_counter() - _bench_t0)
get_ipython().events.register("pre_run_cell", _bench_pre)
get_ipython().events.register("post_run_cell", _bench_post)
"""

KERNEL_TIMES_CELL = 'print("BENCH-JSON " + json.dumps(_bench_cells))'

JSHTML_CELL = """\
_t0 = time.perf_counter()
_html = anim.to_jshtml()
print("BENCH-JSON " + json.dumps({"kernel_s": time.perf_counter() - _t0, "bytes": len(_html)}))
HTML(_html)
"""

# Page-side timer: arm() before Shift+Enter; the first keydown Shift+Enter starts it; the
# first player canvas (not there at arm time) set to data-frame="0", or the first load of
# a to_jshtml <img>, stops it; the next animation frame marks it painted.
TIMER_JS = r"""
() => {
  if (window.__ff) return;
  const T = (window.__ff = { armed: false, start: null, view: null, shown: null, painted: null });
  T.old = new WeakSet();
  T.arm = () => {
    T.armed = true;
    T.start = T.view = T.shown = T.painted = null;
    T.old = new WeakSet(document.querySelectorAll(".iam-player, canvas.iam-frame, img"));
  };
  const hit = () => {
    if (T.start === null || T.shown !== null) return;
    T.shown = performance.now();
    requestAnimationFrame(() => {
      T.painted = performance.now();
    });
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
  new MutationObserver((records) => {
    if (T.start !== null && T.view === null) {
      for (const el of document.querySelectorAll(".iam-player")) {
        if (!T.old.has(el)) T.view = performance.now();
      }
    }
    for (const r of records) {
      const el = r.target;
      const isPlayer = el.matches && el.matches("canvas.iam-frame");
      if (isPlayer && el.dataset.frame === "0" && !T.old.has(el)) hit();
    }
  }).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["data-frame"],
  });
  document.addEventListener(
    "load",
    (e) => {
      const el = e.target;
      if (el.tagName === "IMG" && (el.id || "").startsWith("_anim_img") && !T.old.has(el)) hit();
    },
    true
  );
}
"""


def run_timed(nb: Any, cell: int, timeout: float = 120) -> dict:
    """Run ``cell`` with the page timer armed; wait until its first frame is painted."""
    nb.page.evaluate("() => window.__ff.arm()")
    out = nb.run_cell(cell, timeout=timeout)
    nb.page.wait_for_function("() => window.__ff.painted !== null", timeout=timeout * 1000)
    t = nb.page.evaluate(
        "() => ({start: __ff.start, view: __ff.view, shown: __ff.shown, painted: __ff.painted})"
    )
    if t["start"] is None:
        raise RuntimeError("the Shift+Enter that runs the cell was not seen")
    return {
        "view_s": (t["view"] - t["start"]) / 1000 if t.get("view") is not None else None,
        "shown_s": (t["shown"] - t["start"]) / 1000,
        "painted_s": (t["painted"] - t["start"]) / 1000,
        "output": out,
    }


def case_ours(server: Any, browser: Any, frames: int) -> dict:
    cells = [
        SETUP + _common.animation_source("line640", frames=frames, interval=30),
        "%animate anim",
        _common.animation_source("line640", frames=frames, interval=30).replace(
            "anim =", "anim2 ="
        ),
        "%animate anim2",
        KERNEL_TIMES_CELL,
    ]
    with _browser.notebook(server, browser, cells) as nb:
        nb.page.evaluate(TIMER_JS)
        nb.run_cell(0)
        cold = run_timed(nb, 1)
        nb.run_cell(2)
        warm = run_timed(nb, 3)
        kernel = _browser.cell_json(nb, 4)  # setup, %animate, anim2, %animate
    return {
        "cold_kernel_s": kernel[1],
        "cold_view_s": cold["view_s"],
        "cold_shown_s": cold["shown_s"],
        "cold_painted_s": cold["painted_s"],
        "warm_kernel_s": kernel[3],
        "warm_view_s": warm["view_s"],
        "warm_shown_s": warm["shown_s"],
        "warm_painted_s": warm["painted_s"],
    }


def case_jshtml(server: Any, browser: Any, frames: int) -> dict:
    cells = [SETUP + _common.animation_source("line640", frames=frames, interval=30), JSHTML_CELL]
    with _browser.notebook(server, browser, cells) as nb:
        nb.page.evaluate(TIMER_JS)
        nb.run_cell(0)
        t = run_timed(nb, 1, timeout=300)
        text = t["output"].text_content() or ""
        info = None
        for line in text.splitlines():
            if _browser.MARK in line:
                info = json.loads(line.split(_browser.MARK, 1)[1])
        if info is None:
            raise RuntimeError(f"to_jshtml cell printed no timing: {text[-500:]!r}")
    return {
        "kernel_s": info["kernel_s"],
        "html_mb": info["bytes"] / 1e6,
        "cold_shown_s": t["shown_s"],
        "cold_painted_s": t["painted_s"],
    }


CASES = (
    ("ours100", "%animate, 100 frames", lambda s, b: case_ours(s, b, 100)),
    ("ours10000", "%animate, 10,000 frames", lambda s, b: case_ours(s, b, 10_000)),
    ("jshtml100", "to_jshtml(), 100 frames", lambda s, b: case_jshtml(s, b, 100)),
)


def summarize(runs: dict[str, list[dict]]) -> list[dict]:
    rows = []
    for key, label, _ in CASES:
        reps = runs[key]
        row: dict[str, Any] = {"case": key, "label": label, "runs": reps}
        for field in reps[0]:
            row[field] = statistics.median(r[field] for r in reps)
        rows.append(row)
    return rows


def fmt(v: Any, unit: str = "s") -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if unit == "s" else f"{v:.1f}"


def spread(row: dict, field: str) -> str:
    """The median, and the range over the runs when there were several."""
    vals = [run[field] for run in row["runs"]]
    text = fmt(row[field])
    if len(vals) > 1:
        text += f" ({min(vals):.3f}-{max(vals):.3f})"
    return text


def table(rows: list[dict]) -> str:
    head = ["case", "run", "kernel cell s", "player view s", "frame 0 set s", "painted s"]
    body = []
    for r in rows:
        if r["case"].startswith("ours"):
            for kind in ("cold", "warm"):
                body.append(
                    [
                        r["label"] if kind == "cold" else "",
                        kind,
                        fmt(r[f"{kind}_kernel_s"]),
                        fmt(r[f"{kind}_view_s"]),
                        fmt(r[f"{kind}_shown_s"]),
                        spread(r, f"{kind}_painted_s"),
                    ]
                )
        else:
            body.append(
                [
                    r["label"],
                    "cold",
                    f"{fmt(r['kernel_s'])} (to_jshtml)",
                    "-",
                    f"{fmt(r['cold_shown_s'])} (<img> load)",
                    spread(r, "cold_painted_s"),
                ]
            )
    return _common.format_table(head, body, "<<>>>>")


def jshtml_mb(rows: list[dict]) -> float:
    return next(r for r in rows if r["case"] == "jshtml100")["html_mb"]


def goals(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        if not r["case"].startswith("ours"):
            continue
        for kind in ("cold", "warm"):
            v = r[f"{kind}_painted_s"]
            out.append(
                {
                    "case": r["case"],
                    "goal": f"{r['label']} ({kind}): first frame painted < {GOAL_S} s",
                    "value_s": v,
                    "met": v < GOAL_S,
                }
            )
    return out


def plot(rows: list[dict], path: Path, subtitle: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, vals, colors = [], [], []
    for r in rows:
        if r["case"].startswith("ours"):
            for kind in ("cold", "warm"):
                labels.append(f"{r['label']}\n({kind})")
                vals.append(r[f"{kind}_painted_s"])
                colors.append("tab:blue")
        else:
            labels.append(f"{r['label']}\n(kernel only)")
            vals.append(r["kernel_s"])
            colors.append("tab:gray")
            labels.append(f"{r['label']}\n(to first frame)")
            vals.append(r["cold_painted_s"])
            colors.append("tab:gray")
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    bars = ax.barh(range(len(vals)), vals, color=colors)
    for b, v in zip(bars, vals, strict=True):
        ax.annotate(
            f"{v:.2f} s",
            (v, b.get_y() + b.get_height() / 2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
        )
    ax.axvline(GOAL_S, color="k", linestyle="dotted", label=f"goal {GOAL_S} s")
    ax.set_yticks(range(len(vals)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ticks = [t for t in (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if t <= max(vals) * 3]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlim(0.05, max(vals) * 3)
    ax.set_xlabel("seconds from Shift+Enter to the first frame painted (log scale)")
    ax.set_title(f"Time to first frame, 2013 post's animation 640x480\n{subtitle}", fontsize=9)
    ax.legend(fontsize=8, loc="center right")
    _common.save_plot(fig, path)


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(__doc__, NAME, timeout=900, quick="one run per case")
    parser.add_argument("--repeat", type=int, default=3, help="fresh notebooks per case")
    args = _common.parse_args(parser, argv, quick={"repeat": 1})
    if args.repeat < 1:
        parser.error("--repeat >= 1")

    started = time.monotonic()
    runs: dict[str, list[dict]] = {key: [] for key, _, _ in CASES}
    with _browser.lab_session(args.timeout) as (server, browser):
        machine = _browser.machine(browser)
        for rep in range(args.repeat):
            for key, label, fn in CASES:
                print(f"  {label} ({rep + 1}/{args.repeat}) ...", file=sys.stderr, flush=True)
                runs[key].append(fn(server, browser))
    elapsed = time.monotonic() - started
    rows = summarize(runs)
    goal_rows = goals(rows)

    print(_common.machine_line(machine))
    print(
        f"median of {args.repeat} fresh notebook(s) per case; seconds from Shift+Enter on the "
        "cell to: the player element in the page (view), canvas data-frame=0 (frame 0 set), "
        "the next animation frame (painted; median and range); kernel cell s = pre_run_cell -> "
        "post_run_cell "
        f"in the kernel. {_common.ANIMATIONS['line640']['label']}"
    )
    print(f"jshtml HTML size: {jshtml_mb(rows):.1f} MB")
    print()
    print(table(rows))
    print()
    jshtml = next(r for r in rows if r["case"] == "jshtml100")
    ours = next(r for r in rows if r["case"] == "ours100")
    print(
        f"to_jshtml (100 frames) to first frame / %animate (100 frames, cold): "
        f"{jshtml['cold_painted_s'] / ours['cold_painted_s']:.1f}x"
    )
    for g in goal_rows:
        print(f"goal {g['goal']:<58} {g['value_s']:.3f} s  {_common.goal_text(g['met'])}")

    report = {
        "benchmark": NAME,
        "machine": machine,
        "repeat": args.repeat,
        "elapsed_s": round(elapsed, 1),
        "results": rows,
        "goals": goal_rows,
    }
    subtitle = f"median of {args.repeat} run(s), {machine['nproc']} cores"
    return _common.finish(args, NAME, report, lambda png: plot(rows, png, subtitle))


if __name__ == "__main__":
    _browser.run(main, NAME)
