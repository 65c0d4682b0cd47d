"""Shared pieces of the browser benchmarks: server + Chromium, page instrumentation, CPU.

Built on the browser test harness (``tests/support/lab.py``): JupyterLab on 127.0.0.1
with throw-away directories, headless Debian Chromium, one fresh notebook (browser
context and kernel) per case.

Page instrumentation (``INSTRUMENT_JS``, installed after the page loaded and before any
cell runs) keeps, in ``window.__bench``:

- ``ticks``: the page's own requestAnimationFrame ticks while recording (the rate at
  which the page can paint at all), each with the counts of frames decoded
  (``createImageBitmap``) and of events so far;
- ``events``: ``[time, value, rAF tick]`` of each new frame drawn, pushed by the
  per-case recorders below:
  - ours: a MutationObserver on ``canvas.iam-frame``'s ``data-frame`` (value = index),
  - ipympl: ``CanvasRenderingContext2D.prototype.drawImage`` wrapped; a draw of
    ipympl's offscreen canvas onto the canvas in ``.jupyter-matplotlib-canvas-div``
    (what ipympl 0.9/0.10 does in ``update_canvas`` once a new image has loaded),
  - the seed viewer: ``load`` events of its ``<img>`` (value = a running count).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "browser"))

import _common  # noqa: E402
import lab  # noqa: E402

try:
    import psutil
except ImportError:  # pragma: no cover - IPython brings it
    psutil = None

MARK = "BENCH-JSON "

INSTRUMENT_JS = r"""
() => {
  if (window.__bench) return;
  const B = (window.__bench = { recording: false, ticks: [], events: [], frameNo: 0 });
  B.decoded = 0; // createImageBitmap results so far (how our player decodes frames)
  B.count = 0; // events so far, recording or not
  const loop = (t) => {
    B.frameNo += 1;
    if (B.recording) B.ticks.push([t, B.frameNo, B.decoded, B.count]);
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  B.push = (v) => {
    B.count += 1;
    if (B.recording) B.events.push([performance.now(), v, B.frameNo]);
  };
  B.mark = () => {
    B.marked = { decoded: B.decoded, count: B.count };
  };
  B.start = () => {
    B.ticks = [];
    B.events = [];
    B.t0 = performance.now();
    B.recording = true;
  };
  B.stop = () => {
    B.recording = false;
    B.t1 = performance.now();
    return { t0: B.t0, t1: B.t1, ticks: B.ticks, events: B.events, marked: B.marked || null };
  };
  const create = window.createImageBitmap;
  window.createImageBitmap = function (...args) {
    return create.apply(this, args).then((bitmap) => {
      B.decoded += 1;
      return bitmap;
    });
  };
  // ipympl: its view's update_canvas() draws the model's offscreen canvas onto the
  // visible canvas, once per image that arrived (and on resize / rubberband).
  const drawImage = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (src, ...rest) {
    const parent = this.canvas && this.canvas.parentElement;
    if (
      src instanceof HTMLCanvasElement &&
      parent &&
      parent.classList.contains("jupyter-matplotlib-canvas-div")
    ) {
      B.push(1);
    }
    return drawImage.call(this, src, ...rest);
  };
}
"""

# Ours: every write of data-frame on the player's canvas (the frame drawn on that tick).
OBSERVE_PLAYER_JS = r"""
(canvas) => {
  let last = canvas.dataset.frame;
  new MutationObserver(() => {
    if (canvas.dataset.frame === last) return; // the same frame written again
    last = canvas.dataset.frame;
    window.__bench.push(Number(last));
  }).observe(canvas, { attributes: true, attributeFilter: ["data-frame"] });
}
"""

# The seed viewer: each load of its <img> is a new frame (the src is a new data URL).
OBSERVE_IMG_JS = r"""
(img) => {
  let n = 0;
  img.addEventListener("load", () => window.__bench.push(++n));
}
"""


class BenchmarkTimeout(Exception):
    pass


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise BenchmarkTimeout("the benchmark ran out of time (--timeout)")


def _on_term(_signum: int, _frame: Any) -> None:
    raise SystemExit(143)  # unwinds through the finally blocks that stop server and browser


@contextlib.contextmanager
def lab_session(
    timeout: float, server_extension: bool = True, python: str = sys.executable
) -> Iterator[tuple[lab.JupyterServer, Any]]:
    """A JupyterLab server and a headless Chromium, both stopped on the way out.

    Raises ``BenchmarkTimeout`` (SIGALRM) after ``timeout`` seconds; SIGTERM unwinds too.
    ``server_extension=False``: the server runs without the ipyanimagic server
    extension (TCP_NODELAY), as one that does not load it. ``python``: the environment
    the server and its kernels run from (the plain install's: ``plain_install.py``).
    """
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(max(1, int(timeout)))
    try:
        with tempfile.TemporaryDirectory(prefix="ipyanimagic-bench-") as tmp:
            server = lab.start_server(tmp, server_extension=server_extension, python=python)
            try:
                with sync_playwright() as pw:
                    browser = lab.launch_browser(pw)
                    try:
                        yield server, browser
                    finally:
                        browser.close()
            finally:
                lab.stop_server(server)
    finally:
        signal.alarm(0)


@contextlib.contextmanager
def notebook(
    server: lab.JupyterServer, browser: Any, cells: list[str], device_scale_factor: float = 1
) -> Iterator[Any]:
    """A fresh notebook (context + kernel), instrumented; closed on the way out.
    ``device_scale_factor``: the page's devicePixelRatio (2: a laptop's or a Mac's)."""
    nb = lab.open_notebook(
        server, browser, cells, app="lab", device_scale_factor=device_scale_factor
    )
    try:
        nb.page.evaluate(INSTRUMENT_JS)
        yield nb
    finally:
        lab.close_notebook(server, nb)


def cell_json(nb: Any, cell: int, timeout: float = 60) -> Any:
    """Run ``cell`` (which prints ``MARK + json``) and return the decoded value."""
    out = nb.run_cell(cell, timeout=timeout)
    text = out.text_content() or ""
    for line in text.splitlines():
        if MARK in line:
            return json.loads(line.split(MARK, 1)[1])
    raise RuntimeError(f"cell {cell} printed no result: {text[-2000:]!r}")


def record(nb: Any, seconds: float) -> dict:
    """Record rAF ticks and events for ``seconds`` (page clock); return them."""
    nb.page.evaluate("() => window.__bench.start()")
    nb.page.wait_for_timeout(seconds * 1000)
    return nb.page.evaluate("() => window.__bench.stop()")


def summarize_recording(rec: dict) -> dict:
    """Rates over the recording window.

    ``events_per_s``: new frames drawn into the page per second. ``painted_per_s``: the
    page's animation frames (rAF ticks) after which at least one new frame had been
    drawn, per second: what the screen can have shown. ``raf_per_s``: the page's rAF
    rate. For our player also (``marked`` at Play): ``missed_ready_pct``, the share of
    rAF ticks that showed no new frame although decoded frames were waiting (decoded
    since Play - shown since Play >= 1): frames the clock, not the data, held back.
    """
    t0, t1 = rec["t0"], rec["t1"]
    span = (t1 - t0) / 1000.0
    ticks = rec["ticks"]
    events = rec["events"]
    # ticks: [t, frameNo, decoded, count]; count = events so far when the tick began.
    new_after = [ticks[j + 1][3] > ticks[j][3] for j in range(len(ticks) - 1)]
    out = {
        "seconds": round(span, 3),
        "events": len(events),
        "events_per_s": len(events) / span if span else 0.0,
        "painted_per_s": sum(new_after) / span if span else 0.0,
        "raf_per_s": len(ticks) / span if span else 0.0,
    }
    marked = rec.get("marked")
    if marked and ticks:
        idle = ready = 0
        for j, shown in enumerate(new_after):
            if shown:
                continue
            idle += 1
            ahead = (ticks[j][2] - marked["decoded"]) - (ticks[j][3] - marked["count"])
            ready += ahead >= 1
        out["idle_ticks_pct"] = 100 * idle / len(new_after) if new_after else 0.0
        out["missed_ready_pct"] = 100 * ready / len(new_after) if new_after else 0.0
    return out


class CpuMeter:
    """CPU seconds used by the kernel, the Jupyter server and Chromium over a window."""

    def __init__(self, server: lab.JupyterServer, kernel_pid: int | None) -> None:
        self.server_pid = server.proc.pid
        self.kernel_pid = kernel_pid
        self.start: dict[str, float] = {}
        self.t0 = 0.0

    def _sample(self) -> dict[str, float]:
        out = {"kernel": 0.0, "server": 0.0, "browser": 0.0}
        if psutil is None:
            return out
        me = psutil.Process(os.getpid())
        with contextlib.suppress(psutil.Error):
            for p in me.children(recursive=True):
                try:
                    cpu = p.cpu_times()
                    name = p.name()
                except psutil.Error:
                    continue
                total = cpu.user + cpu.system
                if p.pid == self.kernel_pid:
                    out["kernel"] += total
                elif p.pid == self.server_pid:
                    out["server"] += total
                elif "chrom" in name.lower():
                    out["browser"] += total
        return out

    def __enter__(self) -> CpuMeter:
        self.start = self._sample()
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc: Any) -> None:
        end = self._sample()
        wall = time.monotonic() - self.t0
        self.result = {
            f"{k}_cpu_pct": round(100 * (end[k] - self.start[k]) / wall, 1) if wall else None
            for k in end
        }


class PageBusy:
    """The page's main-thread time over a window, from Chromium's own counters (CDP
    ``Performance.getMetrics``): ``page_task_pct`` (all tasks) and ``page_script_pct``
    (JavaScript), in % of the window's wall time."""

    def __init__(self, page: Any) -> None:
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")
        self.start: dict[str, float] = {}
        self.t0 = 0.0

    def _sample(self) -> dict[str, float]:
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return {m["name"]: m["value"] for m in metrics}

    def __enter__(self) -> PageBusy:
        self.start = self._sample()
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc: Any) -> None:
        end = self._sample()
        wall = time.monotonic() - self.t0
        self.result = {
            f"page_{key.removesuffix('Duration').lower()}_pct": (
                round(100 * (end[key] - self.start[key]) / wall, 1) if wall else None
            )
            for key in ("TaskDuration", "ScriptDuration")
            if key in end and key in self.start
        }
        with contextlib.suppress(Exception):
            self.cdp.detach()


def run(main: Any, name: str) -> None:
    """The ``__main__`` of a benchmark: exit with main()'s status; a timeout or a harness
    failure is one line on stderr and status 1."""
    try:
        sys.exit(main())
    except (BenchmarkTimeout, lab.HarnessError) as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        sys.exit(1)


def machine(browser: Any, *packages: str) -> dict:
    """The machine, Chromium's version and these packages' (JupyterLab's, the kernel's
    and each of ``packages``): what every browser benchmark reports."""
    names = ("jupyterlab", "jupyter_server", "ipykernel", "anywidget", *packages)
    return _common.machine_info(
        chromium=browser.version, **{name: _common.version(name) for name in names}
    )
