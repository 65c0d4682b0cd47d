"""Small round trips through a JupyterHub's proxy vs the same single-user server reached directly.

Starts a real JupyterHub on 127.0.0.1 (``tests/support/hub.py``: configurable-http-proxy
from the repository's ``node_modules``, a shared-password login, the user's server a
local process running JupyterLab from this environment with the ipyanimagic server
extension), logs its user in from a headless Chromium, and measures in the same run,
with the same kernel settings, on the same single-user server:

- ``hub``: the page at ``<proxy>/user/<name>/lab``: browser -> configurable-http-proxy
  -> single-user server -> kernel;
- ``direct``: the page at ``<server's own port>/user/<name>/lab`` (the proxy's route
  target; the login cookie is the host's, so the same session is accepted there too):
  browser -> single-user server -> kernel.

Each path runs ``python.echo(i)`` (bridge + dispatcher, no user code) and JupyterLab's
own ``kernel.requestExecute`` (the baseline) with one call in flight, in ``--rounds``
rounds that alternate the two (hub, direct, hub, direct, ...) so that machine load
falls on both alike. The question: does the proxy's hop bring back Nagle's ~40 ms per
small message that the server extension removes? The goal: through the hub, the
``python.echo`` median within ``GOAL_MS`` of direct.

    .venv/bin/python benchmarks/hub.py [--calls 300] [--warmup 20] [--rounds 2]

Prints a table and writes JSON to ``benchmarks/results/hub.json``.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _browser  # noqa: E402
import _common  # noqa: E402
import roundtrip  # noqa: E402
from _browser import lab  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

sys.path.insert(0, str(HERE.parent / "tests"))
from support import hub as hubs  # noqa: E402

DEFAULT_OUTPUT = HERE / "results" / "hub.json"
GOAL_MS = 2.0
PATHS = ("native", "echo")
ROUTES = ("hub", "direct")


def echo_cell(calls: int, warmup: int) -> str:
    """The measuring %%jsexec cell (benchmarks/roundtrip.py's), one call in flight."""
    config = {"depths": [1], "paths": list(PATHS), "calls": calls, "warmup": warmup}
    js = roundtrip.JS_TEMPLATE.replace("__CONFIG__", json.dumps(config)).strip()
    return "%%jsexec\n" + js + "\n"


def direct_page(hub: hubs.Hub, browser: Any, direct: str) -> Any:
    """A JupyterLab page of the user's server at its own address, in a logged-in
    context (the hub's login cookie is sent to any port of 127.0.0.1)."""
    page = hubs.login(hub, browser)
    page.goto(f"{direct}/user/{hub.user}/lab?reset")
    page.wait_for_function("() => !!(window.jupyterapp && window.jupyterapp.shell)", timeout=60_000)
    page.evaluate(hubs._LAB_RESTORED_JS)
    return page


def measure(
    server: lab.JupyterServer, name: str, calls: int, warmup: int, timeout: float
) -> list[dict]:
    """Write the measuring notebook, open it in the server's warm page, run it, close it."""
    cells = ["%load_ext ipyanimagic", echo_cell(calls, warmup)]
    lab.write_notebook(server, cells, name)
    nb = lab._open_in_warm_page(server, lab._warm_pages[server.url].pop(), name, len(cells))
    if nb is None:
        raise RuntimeError(f"the notebook did not open at {server.url}")
    try:
        nb.run_cell(0)
        nb.run_cell(1)
        raw = roundtrip.wait_for_result(nb, 1, timeout)
        nb.assert_no_page_errors(ignore=())
    finally:
        lab.close_notebook(server, nb)
    if not lab._warm_pages.get(server.url):
        raise RuntimeError(f"the page at {server.url} did not stay usable")
    return roundtrip.summarize(raw)


def run(args: argparse.Namespace) -> dict:
    """Both routes, ``args.rounds`` times; stopped by SIGALRM after ``args.timeout`` s
    (the hub, its processes and the browser stopped on the way out, as on SIGTERM)."""
    started = time.monotonic()
    signal.signal(signal.SIGTERM, _browser._on_term)
    signal.signal(signal.SIGALRM, _browser._on_alarm)
    signal.alarm(max(1, int(args.timeout)))
    try:
        return _run(args, started)
    finally:
        signal.alarm(0)


def _run(args: argparse.Namespace, started: float) -> dict:
    with (
        tempfile.TemporaryDirectory(prefix="ipyanimagic-bench-hub-") as tmp,
        hubs.running_hub(tmp, server_extension=not args.without_server_extension) as hub,
        sync_playwright() as pw,
    ):
        browser = lab.launch_browser(pw)
        try:
            machine = _browser.machine(browser)
            through = hub.user_server()
            page = hubs.login(hub, browser)
            lab._warm_pages[through.url] = [(page.context, page)]
            direct_base = hub.direct_url()
            direct = lab.JupyterServer(
                f"{direct_base}/user/{hub.user}", hub.token, hub.home, hub.proc, hub.log
            )
            page = direct_page(hub, browser, direct_base)
            lab._warm_pages[direct.url] = [(page.context, page)]
            servers = {"hub": through, "direct": direct}
            samples: dict[str, list[dict]] = {r: [] for r in ROUTES}
            for rnd in range(args.rounds):
                for route in ROUTES if rnd % 2 == 0 else ROUTES[::-1]:
                    left = args.timeout - (time.monotonic() - started)
                    print(f"round {rnd + 1}: {route} ...", file=sys.stderr, flush=True)
                    rows = measure(
                        servers[route], f"bench-{route}-{rnd}.ipynb", args.calls,
                        args.warmup, left,
                    )  # fmt: skip
                    for r in rows:
                        r["round"] = rnd
                    samples[route] += rows
            extension = hubs.EXTENSION_LINE in hub.log.read_text()
        finally:
            browser.close()
    return {"machine": machine, "samples": samples, "server_extension": extension}


def combined(rows: list[dict], path: str) -> dict:
    """Median and p90 over every round's latencies of ``path``."""
    lat = [x for r in rows if r["path"] == path for x in r["latencies_ms"]]
    return {
        "calls": len(lat),
        "median_ms": statistics.median(lat),
        "p90_ms": statistics.quantiles(lat, n=10, method="inclusive")[8],
        "round_medians_ms": [round(r["median_ms"], 2) for r in rows if r["path"] == path],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="measured calls per path and run")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up calls before each one")
    parser.add_argument("--rounds", type=int, default=2, help="hub/direct alternations")
    parser.add_argument("--timeout", type=float, default=900, help="give up after this many s")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON file to write")
    parser.add_argument(
        "--without-server-extension",
        action="store_true",
        help="the single-user server without the ipyanimagic server extension (TCP_NODELAY)",
    )
    args = parser.parse_args(argv)
    if args.calls < 2 or args.warmup < 0 or args.rounds < 1:
        parser.error("--calls must be >= 2, --warmup >= 0, --rounds >= 1")
    result = run(args)
    summary = {
        route: {path: combined(result["samples"][route], path) for path in PATHS}
        for route in ROUTES
    }
    hub_echo = summary["hub"]["echo"]["median_ms"]
    direct_echo = summary["direct"]["echo"]["median_ms"]
    goal = {
        "goal": f"python.echo median through the hub within {GOAL_MS:g} ms of direct",
        "value": round(hub_echo - direct_echo, 2),
        "met": hub_echo - direct_echo <= GOAL_MS,
    }
    print(_common.machine_line(result["machine"]))
    print(f"server extension loaded by the single-user server: {result['server_extension']}")
    print(f"{args.calls} calls per path and round, {args.rounds} rounds, one call in flight")
    print()
    head = f"{'route':<8} {'path':<20} {'median ms':>10} {'p90 ms':>8}  round medians"
    print(head)
    print("-" * len(head))
    labels = dict(roundtrip.PATHS)
    for route in ROUTES:
        for path in PATHS:
            s = summary[route][path]
            print(
                f"{route:<8} {labels[path]:<20} {s['median_ms']:>10.2f} {s['p90_ms']:>8.2f}  "
                f"{s['round_medians_ms']}"
            )
    print()
    print(f"goal {goal['goal']:<60} {goal['value']:8.2f}  {_common.goal_text(goal['met'])}")
    _common.write_json(
        args.output,
        {
            "benchmark": "hub",
            "machine": result["machine"],
            "calls": args.calls,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "server_extension": result["server_extension"],
            "summary": summary,
            "samples": result["samples"],
            "goals": [goal],
        },
    )
    return 0


if __name__ == "__main__":
    _browser.run(main, "hub")
