"""How fast the player answers a hand: a click on Next at rest, and a slider dragged.

Starts its own JupyterLab servers (127.0.0.1 only; one with ipyanimagic's server
extension, TCP_NODELAY, and one without) and headless Chromium with the browser test
harness (``tests/support/lab.py``). The 2013 post's line animation, 640x480 (``_common.py``),
in a fresh notebook per case, one after the other in the same run:

- ``ours`` / ``ours, no extension``: ``%animate anim``; a click on Next at rest. The
  frame is drawn by the kernel on demand (PNG at rest).
- ``ipympl``: ``%matplotlib widget``, a ``key_press_event`` handler that sets the next
  frame's data and calls ``draw_idle()``; a key press on ipympl's canvas.
- ``to_jshtml``: ``HTML(anim.to_jshtml())``, every frame already in the page (the floor:
  no kernel at all); a click on its Next button.

Click to paint: in the page, from the click (or key press) to the first animation frame
after the new frame is on the canvas (ours: ``data-frame`` changed; ipympl: its image
drawn onto the visible canvas; to_jshtml: the ``<img>``'s new ``src`` decoded), each
click after the previous one painted and ``--pause`` ms of rest; median and p90.

Drag: Playwright's mouse presses the slider's thumb and sweeps it across the slider and
back for ``--drag`` s (a move every ~16 ms); counted: distinct frames painted per second
(the page's animation frames after which a new frame had been drawn), ours vs to_jshtml.

Prints the tables and the goals (click-to-paint median <= 35 ms with the extension;
drag >= 0.8x to_jshtml), writes ``benchmarks/results/interaction.json``.

    .venv/bin/python benchmarks/interaction.py [--clicks 40] [--drag 3] [--quick]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _browser  # noqa: E402
import _common  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

NAME = "interaction"
FRAMES = 200  # ours / ipympl: more than any run clicks through
JSHTML_FRAMES = 100  # to_jshtml renders every frame before it shows one
GOAL_CLICK_MS = 35.0
GOAL_DRAG = 0.8

SETUP = (
    "{backend}\nimport json, os\nimport numpy as np\nimport matplotlib.pyplot as plt\n"
    "from matplotlib import animation\n"
    "print(MARK + json.dumps({{'pid': os.getpid()}}))"
).replace("MARK", repr(_browser.MARK))

IPYMPL_KEYS = """\
_state = {"i": 0}
def _on_key(event):
    _state["i"] += 1
    animate(_state["i"] % 200)
    fig.canvas.draw_idle()
fig.canvas.mpl_connect("key_press_event", _on_key)
anim.pause()
fig.canvas
"""

# Click (or press a key) `n` times; after each, wait until the new frame is drawn, then
# for the next animation frame: ms from the click to then. `changed()` resolves on the
# next new frame (per kind).
CLICKS_JS = r"""
async ({ el, target, kind, n, pause }) => {
  const B = window.__bench;
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const changed = () =>
    new Promise((resolve) => {
      if (kind === "ipympl") {
        const before = B.count;
        const poll = () => (B.count > before ? resolve() : setTimeout(poll, 0));
        poll();
        return;
      }
      const attr = kind === "ours" ? "data-frame" : "src";
      const obs = new MutationObserver(() => {
        obs.disconnect();
        resolve();
      });
      obs.observe(target, { attributes: true, attributeFilter: [attr] });
    });
  const times = [];
  for (let k = 0; k < n; k++) {
    const done = changed();
    const t0 = performance.now();
    if (kind === "ipympl") {
      el.dispatchEvent(new KeyboardEvent("keydown", { key: "n", bubbles: true }));
      el.dispatchEvent(new KeyboardEvent("keyup", { key: "n", bubbles: true }));
    } else {
      el.click();
    }
    await done;
    if (kind === "jshtml") await target.decode();
    await frame();
    times.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, pause));
  }
  return times;
}
"""

# to_jshtml: each new src of its <img> is a new frame.
OBSERVE_SRC_JS = r"""
(img) => {
  let n = 0;
  new MutationObserver(() => window.__bench.push(++n))
    .observe(img, { attributes: true, attributeFilter: ["src"] });
}
"""


def cells_for(impl: str) -> list[str]:
    line = _common.animation_source("line640", frames=FRAMES, interval=30)
    if impl.startswith("ours"):
        return [
            SETUP.format(backend="%load_ext ipyanimagic\n%matplotlib inline"),
            line,
            "%animate anim",
        ]
    if impl == "ipympl":
        return [SETUP.format(backend="%matplotlib widget"), line + "\n" + IPYMPL_KEYS]
    jshtml = _common.animation_source("line640", frames=JSHTML_FRAMES, interval=30)
    return [
        SETUP.format(backend="%matplotlib inline"),
        jshtml + "\nfrom IPython.display import HTML\nplt.close(fig)\nHTML(anim.to_jshtml())",
    ]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def drag(nb: Any, slider: Any, seconds: float) -> dict:
    """Sweep the slider's thumb across and back for ``seconds``; frames painted / s.

    Each move waits for the page to take it (Playwright's mouse.move), so a page busy
    with other work gets fewer moves in the same time: "moves" says how many it took,
    and painted / move how many of them it answered with a new frame."""
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    x0, x1 = box["x"] + 4, box["x"] + box["width"] - 4
    mouse = nb.page.mouse
    mouse.move(x0, y)
    mouse.down()
    nb.page.evaluate("() => window.__bench.start()")
    started = time.monotonic()
    k = 0
    while time.monotonic() - started < seconds:
        phase = (k % 120) / 60  # across in ~60 moves, back in ~60
        x = x0 + (x1 - x0) * (phase if phase <= 1 else 2 - phase)
        mouse.move(x, y)
        nb.page.wait_for_timeout(16)
        k += 1
    rec = nb.page.evaluate("() => window.__bench.stop()")
    mouse.up()
    summary = _browser.summarize_recording(rec)
    return {
        "moves": k,
        "drag_frames_per_s": summary.get("events_per_s"),
        "drag_painted_per_s": summary.get("painted_per_s"),
        "drag_raf_per_s": summary.get("raf_per_s"),
    }


def case(server: Any, browser: Any, impl: str, clicks: int, pause: float, seconds: float):
    print(f"  {impl} ...", file=sys.stderr, flush=True)
    result: dict[str, Any] = {"impl": impl}
    with _browser.notebook(server, browser, cells_for(impl)) as nb:
        _browser.cell_json(nb, 0)
        if impl.startswith("ours"):
            nb.run_cell(1)
            out = nb.run_cell(2)
            target = out.locator("canvas.iam-frame")
            expect(target).to_have_attribute("data-frame", "0", timeout=30_000)
            el = out.get_by_role("button", name="Next frame", exact=True)
            slider = out.locator("input.iam-slider")
            kind = "ours"
        elif impl == "ipympl":
            out = nb.run_cell(1, timeout=60)
            el = out.locator(".jupyter-matplotlib-canvas-div").first
            el.wait_for(timeout=30_000)
            target = el
            slider = None
            kind = "ipympl"
        else:
            out = nb.run_cell(1, timeout=120)
            target = out.locator("img[id^='_anim_img']")
            target.wait_for(timeout=30_000)
            el = out.locator("button[title='Next frame']")
            slider = out.locator("input[type='range']").first
            kind = "jshtml"
        target.scroll_into_view_if_needed()
        times = nb.page.evaluate(
            CLICKS_JS,
            {
                "el": el.element_handle(),
                "target": target.element_handle(),
                "kind": kind,
                "n": clicks,
                "pause": pause,
            },
        )
        times = times[2:]  # the first clicks warm up the path
        result.update(
            click_median_ms=round(statistics.median(times), 2),
            click_p90_ms=round(percentile(times, 90), 2),
            clicks=len(times),
            click_ms=[round(t, 2) for t in times],
        )
        if slider is not None:
            if kind == "ours":
                target.evaluate(_browser.OBSERVE_PLAYER_JS)
            else:
                target.evaluate(OBSERVE_SRC_JS)
            result.update(drag(nb, slider, seconds))
        errors = list(nb.page_errors)
        if errors:
            result["page_errors"] = errors[:5]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(__doc__, NAME, timeout=900, quick="15 clicks, 2 s drag")
    parser.add_argument("--clicks", type=int, default=40, help="clicks per case")
    parser.add_argument("--pause", type=float, default=60, help="ms of rest between clicks")
    parser.add_argument("--drag", type=float, default=3, help="seconds of slider drag")
    args = _common.parse_args(parser, argv, quick={"clicks": 15, "drag": 2.0})
    if args.clicks < 5 or args.drag <= 0:
        parser.error("--clicks >= 5, --drag > 0")
    if args.clicks >= FRAMES:
        parser.error(f"--clicks must stay under {FRAMES} (each click a new frame)")

    started = time.monotonic()
    rows = []
    with _browser.lab_session(args.timeout) as (server, browser):
        machine = _browser.machine(browser, "ipympl")
        for impl in ("ours", "ipympl", "to_jshtml"):
            rows.append(case(server, browser, impl, args.clicks, args.pause, args.drag))
    with _browser.lab_session(args.timeout, server_extension=False) as (server, browser):
        rows.insert(
            1, case(server, browser, "ours, no extension", args.clicks, args.pause, args.drag)
        )
    elapsed = time.monotonic() - started
    by = {r["impl"]: r for r in rows}

    print(_common.machine_line(machine))
    print(
        f"click -> new frame painted, ms ({rows[0]['clicks']} clicks per case after 2 "
        f"warm-up clicks, {args.pause:g} ms apart); drag: {args.drag:g} s of mouse moves "
        "across the slider, distinct frames painted per second"
    )
    print()
    print(
        _common.format_table(
            [
                "path",
                "click median ms",
                "click p90 ms",
                "drag frames painted/s",
                "drag moves/s",
                "painted / move",
            ],
            [
                [
                    r["impl"],
                    f"{r['click_median_ms']:.1f}",
                    f"{r['click_p90_ms']:.1f}",
                    f"{r['drag_painted_per_s']:.1f}" if "drag_painted_per_s" in r else "-",
                    f"{r['moves'] / args.drag:.1f}" if "moves" in r else "-",
                    f"{r['drag_painted_per_s'] * args.drag / r['moves']:.2f}"
                    if "moves" in r
                    else "-",
                ]
                for r in rows
            ],
        )
    )
    for r in rows:
        if r.get("page_errors"):
            print(f"{r['impl']}: page errors {r['page_errors']}")
    drag_ratio = by["ours"]["drag_painted_per_s"] / max(1e-9, by["to_jshtml"]["drag_painted_per_s"])
    goal_rows = [
        {
            "goal": f"ours click median <= {GOAL_CLICK_MS:g} ms",
            "value": by["ours"]["click_median_ms"],
            "met": by["ours"]["click_median_ms"] <= GOAL_CLICK_MS,
        },
        {
            "goal": f"ours drag >= {GOAL_DRAG:g}x to_jshtml",
            "value": round(drag_ratio, 2),
            "met": drag_ratio >= GOAL_DRAG,
        },
    ]
    print()
    for g in goal_rows:
        print(f"goal {g['goal']:<36} {g['value']:8.2f}  {_common.goal_text(g['met'])}")
    report = {
        "benchmark": NAME,
        "machine": machine,
        "clicks": args.clicks,
        "pause_ms": args.pause,
        "drag_s": args.drag,
        "elapsed_s": round(elapsed, 1),
        "results": rows,
        "goals": goal_rows,
    }
    return _common.finish(args, NAME, report, None)


if __name__ == "__main__":
    _browser.run(main, NAME)
