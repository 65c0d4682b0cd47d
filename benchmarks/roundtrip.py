"""Round-trip latency and calls/s from JavaScript through the ipyanimagic bridge.

Starts its own JupyterLab server (127.0.0.1 only) and headless Chromium with the browser
test harness (``tests/support/lab.py``), opens a notebook with ``%load_ext ipyanimagic``
and a ``%%jsexec`` cell whose JavaScript does the measuring, and reads the numbers back
from the page. Measured paths, each at 1, 2 and 4 requests in flight:

- ``lab requestExecute``: JupyterLab's own kernel round trip,
  ``kernel.requestExecute({code: "0", silent: true, store_history: false}).done``
  (the baseline; reached through ``window.jupyterapp``, which only the harness exposes);
- ``python.echo(i)``: bridge + dispatcher, no user code (runs on the kernel's main thread);
- ``python.eval("0")``: evaluates Python in the user namespace on the main thread;
- ``ui.call("echo", i)``: the other way, Python -> page -> Python: a cell calls a
  function the page exposed and waits for its answer (depth > 1: that many threads).

The whole measurement runs twice: with Lab's ``commsOverSubshells`` at its default and
with it "disabled". Prints a table and writes JSON to ``benchmarks/results/roundtrip.json``.
The server loads the ipyanimagic server extension (TCP_NODELAY on the kernel websockets)
as installed; then, in the same run, a second server that does not load it is measured at
Lab's default setting (the "as installed vs without" comparison and the goal: ``python.echo``
median <= 10 ms with one call in flight). ``--without-server-extension`` measures only a
server without it; ``--no-comparison`` skips the second server.

    .venv/bin/python benchmarks/roundtrip.py [--calls 300] [--warmup 20]
        [--without-server-extension | --no-comparison]

Absolute numbers move a lot with machine load; compare the ratios to the baseline.
"""

from __future__ import annotations

import argparse
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
from _browser import lab  # noqa: E402

# Versions worth recording with a round-trip number (the server and the kernel set it).
DEPTHS = (1, 2, 4)
# (key, label): the order in which they run at each depth.
PATHS = (
    ("native", "lab requestExecute"),
    ("echo", "python.echo(i)"),
    ("eval", 'python.eval("0")'),
    ("pycall", 'ui.call("echo", i)'),
)
# Measured by the page's JavaScript; "pycall" by a Python cell.
JS_PATHS = ("native", "echo", "eval")

# The page side of "pycall": a %%jsexec cell that exposes echo ...
PAGE_ECHO = '%%jsexec --name bench_ui\npython.expose("echo", (x) => x);\n'
# ... and the cell that calls it, __N__ / __WARMUP__ / __DEPTHS__ replaced.
PY_CALLS = """import json, time
from concurrent.futures import ThreadPoolExecutor

def _bench_pycall(n, warmup, depth):
    for i in range(warmup):
        bench_ui.call("echo", i)
    latencies = [0.0] * n
    def one(i):
        t = time.perf_counter()
        value = bench_ui.call("echo", i)
        latencies[i] = (time.perf_counter() - t) * 1000
        assert value == i, (value, i)
    t0 = time.perf_counter()
    if depth == 1:
        for i in range(n):
            one(i)
    else:
        with ThreadPoolExecutor(depth) as pool:
            list(pool.map(one, range(n)))
    wall = (time.perf_counter() - t0) * 1000
    return {"path": "pycall", "depth": depth, "wall_ms": wall, "latencies_ms": latencies}

print("PYCALL" + json.dumps([_bench_pycall(__N__, __WARMUP__, d) for d in __DEPTHS__]))
"""
# (label, value written to the kernels-settings plugin; None = remove = Lab's default)
MODES = (("default", None), ("disabled", "disabled"))

DEFAULT_OUTPUT = HERE / "results" / "roundtrip.json"
GOAL_ECHO_MS = 10.0

# The body of the %%jsexec cell (an async function with `element` and `python` in
# scope). __CONFIG__ is replaced by a JSON object. It writes progress into
# pre.bench-progress and, at the end, the raw latencies into pre.bench-result.
JS_TEMPLATE = r"""
const CONFIG = __CONFIG__;
const progress = document.createElement("pre");
progress.className = "bench-progress";
element.appendChild(progress);

const labKernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
const calls = {
  native: async () => {
    const reply = await labKernel.requestExecute(
      { code: "0", silent: true, store_history: false }
    ).done;
    if (reply.content.status !== "ok") throw new Error(`execute: ${reply.content.status}`);
  },
  echo: async (i) => {
    const v = await python.echo(i);
    if (v !== i) throw new Error(`echo(${i}) returned ${JSON.stringify(v)}`);
  },
  eval: async () => {
    const v = await python.eval("0");
    if (v !== 0) throw new Error(`eval("0") returned ${JSON.stringify(v)}`);
  },
};

// Keep exactly `depth` calls in flight (fewer only at the very end) until n are done.
async function drive(call, depth, n, latencies) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const start = performance.now();
      await call(i);
      if (latencies) latencies[i] = performance.now() - start;
    }
  };
  await Promise.all(Array.from({ length: Math.min(depth, n) }, worker));
}

const results = [];
for (const depth of CONFIG.depths) {
  for (const path of CONFIG.paths) {
    progress.textContent = `${path} depth ${depth}`;
    await drive(calls[path], depth, CONFIG.warmup, null);
    const latencies = new Array(CONFIG.calls);
    const t0 = performance.now();
    await drive(calls[path], depth, CONFIG.calls, latencies);
    const wall = performance.now() - t0;
    results.push({ path, depth, wall_ms: wall, latencies_ms: latencies });
  }
}
progress.textContent = "done";
const out = document.createElement("pre");
out.className = "bench-result";
out.textContent = JSON.stringify(results);
element.appendChild(out);
"""


# --------------------------------------------------------------------------- measuring


def jsexec_cell(calls: int, warmup: int) -> str:
    config = {
        "depths": list(DEPTHS),
        "paths": list(JS_PATHS),
        "calls": calls,
        "warmup": warmup,
    }
    return "%%jsexec\n" + JS_TEMPLATE.replace("__CONFIG__", json.dumps(config)).strip() + "\n"


def wait_for_result(nb: lab.NotebookPage, cell: int, timeout: float) -> list[dict]:
    """Poll the cell's output until the JSON result (or an error) appears."""
    out = nb.output(cell)
    result = out.locator("pre.bench-result")
    error = out.locator(".ipyanimagic-error")
    progress = out.locator("pre.bench-progress")
    deadline = time.monotonic() + timeout
    shown = None
    while time.monotonic() < deadline:
        if result.count():
            return json.loads(result.text_content() or "null")
        if error.count():
            raise RuntimeError(f"the benchmark's JavaScript failed: {error.first.text_content()}")
        if nb.page_errors:
            raise RuntimeError(f"page errors: {nb.page_errors}")
        now = progress.text_content() if progress.count() else None
        if now and now != shown:
            print(f"  {now} ...", file=sys.stderr, flush=True)
            shown = now
        nb.page.wait_for_timeout(500)
    raise TimeoutError(f"no benchmark result within {timeout:.0f} s (last: {shown})")


def summarize(raw: list[dict]) -> list[dict]:
    rows = []
    for r in raw:
        lat = [float(x) for x in r["latencies_ms"]]
        rows.append(
            {
                "path": r["path"],
                "depth": r["depth"],
                "calls": len(lat),
                "median_ms": statistics.median(lat),
                "p90_ms": statistics.quantiles(lat, n=10, method="inclusive")[8],
                "calls_per_s": len(lat) / (r["wall_ms"] / 1000.0),
                "wall_s": r["wall_ms"] / 1000.0,
                "latencies_ms": [round(x, 3) for x in lat],
            }
        )
    native = {r["depth"]: r["calls_per_s"] for r in rows if r["path"] == "native"}
    for r in rows:
        base = native.get(r["depth"])
        r["ratio_vs_native"] = r["calls_per_s"] / base if base else None
    return rows


def measure_mode(
    server: lab.JupyterServer,
    browser: Any,
    mode: str,
    setting: str | None,
    calls: int,
    warmup: int,
    timeout: float,
) -> dict:
    server.set_lab_setting(lab.KERNELS_SETTINGS_PLUGIN, {"commsOverSubshells": setting})
    py_calls = (
        PY_CALLS.replace("__N__", str(calls))
        .replace("__WARMUP__", str(warmup))
        .replace("__DEPTHS__", repr(list(DEPTHS)))
    )
    nb = lab.open_notebook(
        server,
        browser,
        ["%load_ext ipyanimagic", jsexec_cell(calls, warmup), PAGE_ECHO, py_calls],
        app="lab",
    )
    try:
        if setting is not None:
            nb.wait_for_comms_over_subshells(setting)
        else:
            nb.page.wait_for_timeout(1000)  # let Lab apply its settings, if any
        used = nb.kernel_comms_over_subshells()
        print(f"commsOverSubshells {mode}: page uses {used!r}", file=sys.stderr, flush=True)
        nb.run_cell(0)
        nb.run_cell(1)
        raw = wait_for_result(nb, 1, timeout)
        nb.run_cell(2)
        printed = nb.run_cell(3, timeout=timeout).inner_text()
        if "PYCALL" not in printed:
            raise RuntimeError(f"the Python -> page measurement failed: {printed[-2000:]}")
        raw += json.loads(printed.split("PYCALL", 1)[1].strip().splitlines()[0])
        used_after = nb.kernel_comms_over_subshells()
        if used_after != used:
            raise RuntimeError(f"commsOverSubshells changed during the run: {used} -> {used_after}")
        nb.assert_no_page_errors(ignore=())
    finally:
        lab.close_notebook(server, nb)
    return {"setting": mode, "comms_over_subshells": used, "results": summarize(raw)}


# --------------------------------------------------------------------------- reporting


def table(runs: list[dict]) -> str:
    labels = dict(PATHS)
    head = (
        f"{'commsOverSubshells':<28} {'path':<20} {'depth':>5} {'median ms':>10} "
        f"{'p90 ms':>8} {'calls/s':>8} {'vs native':>10}"
    )
    lines = [head, "-" * len(head)]
    for run in runs:
        mode = f"{run['setting']} ({run['comms_over_subshells']})"
        for depth in DEPTHS:
            for key, _label in PATHS:
                for r in run["results"]:
                    if r["path"] != key or r["depth"] != depth:
                        continue
                    ratio = r["ratio_vs_native"]
                    lines.append(
                        f"{mode:<28} {labels[key]:<20} {depth:>5} {r['median_ms']:>10.1f} "
                        f"{r['p90_ms']:>8.1f} {r['calls_per_s']:>8.1f} "
                        f"{'' if ratio is None else f'{ratio:.2f}':>10}"
                    )
            lines.append("")
    return "\n".join(lines).rstrip()


def echo_median(run: dict) -> float:
    """``python.echo``'s median ms with one call in flight, in one measured run."""
    return next(r["median_ms"] for r in run["results"] if r["path"] == "echo" and r["depth"] == 1)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="measured calls per path and depth")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up calls before each one")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="give up after this many seconds in all"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="JSON file to write (default: benchmarks/results/roundtrip.json)",
    )
    parser.add_argument(
        "--without-server-extension",
        action="store_true",
        help="run the server without the ipyanimagic server extension (TCP_NODELAY off)",
    )
    parser.add_argument(
        "--no-comparison",
        action="store_true",
        help="do not measure a second server without the extension",
    )
    args = parser.parse_args(argv)
    if args.calls < 2 or args.warmup < 0:
        parser.error("--calls must be >= 2 and --warmup >= 0")

    started = time.monotonic()
    server_extension = not args.without_server_extension
    with _browser.lab_session(args.timeout, server_extension) as (server, browser):
        machine = _browser.machine(browser)
        runs = []
        for mode, setting in MODES:
            left = args.timeout - (time.monotonic() - started)
            runs.append(measure_mode(server, browser, mode, setting, args.calls, args.warmup, left))
    without: dict | None = None
    if server_extension and not args.no_comparison:
        left = args.timeout - (time.monotonic() - started)
        with _browser.lab_session(left, server_extension=False) as (server, browser):
            mode, setting = MODES[0]
            without = measure_mode(server, browser, mode, setting, args.calls, args.warmup, left)
            without["setting"] = f"{mode}, no extension"

    print(_common.machine_line(machine))
    print(f"server extension (TCP_NODELAY): {'on' if server_extension else 'off'}")
    print(
        f"{args.calls} calls per row after {args.warmup} warm-up calls; depth = requests "
        f"in flight; vs native = calls/s / lab requestExecute calls/s at the same depth"
    )
    print()
    print(table(runs if without is None else [*runs, without]))
    goals = []
    if server_extension:
        echo = echo_median(runs[0])
        goals.append(
            {
                "goal": f"python.echo median <= {GOAL_ECHO_MS:g} ms (extension, 1 in flight)",
                "value": round(echo, 1),
                "met": echo <= GOAL_ECHO_MS,
            }
        )
        if without is not None:
            goals.append(
                {
                    "goal": "python.echo median without / with the extension",
                    "value": round(echo_median(without) / echo, 2),
                    "met": None,
                }
            )
    print()
    for g in goals:
        print(f"goal {g['goal']:<60} {g['value']:8.2f}  {_common.goal_text(g['met'])}")

    report = {
        "benchmark": "roundtrip",
        "machine": machine,
        "calls": args.calls,
        "warmup": args.warmup,
        "server_extension": server_extension,
        "depths": list(DEPTHS),
        "paths": dict(PATHS),
        "runs": runs,
        "without_extension": without,
        "goals": goals,
    }
    _common.write_json(args.output, report)
    return 0


if __name__ == "__main__":
    _browser.run(main, "roundtrip")
