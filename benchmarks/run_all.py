"""Run every benchmark in sequence and summarize their goals.

    .venv/bin/pip install -e ".[bench]"        # once: ipympl, JupyterLab, Playwright ...
    .venv/bin/python benchmarks/run_all.py      # everything (about 20 min on 2 cores)
    .venv/bin/python benchmarks/run_all.py --quick   # a short run of each (about 5 min)
    .venv/bin/python benchmarks/run_all.py --only kernel_frame_cost first_frame

Each benchmark is its own script (run one alone the same way), started here with this
Python, one after the other (they would disturb each other's timings side by side), each
with a time limit. Each prints its table, writes ``benchmarks/results/<name>.json`` and
(except roundtrip, interaction, remote, playback_fps_2x and playback_fps_workers, and
quick runs, which plot into ``benchmarks/results/``) a plot to ``docs/img/<name>.png``. The browser
benchmarks need Debian's ``chromium`` on PATH.
At the end: every goal, met or not, with its number, and each script's exit status.
A failing benchmark does not stop the others; the exit status is 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402

WORKERS_CASES = ["--anims", "imshow640", "--impls", "ours", "ours_workers"]
WORKERS_CASES += ["--output", str(_common.RESULTS / "playback_fps_workers.json")]

# name -> (arguments of a full run, of a quick run, time limit in s for full / quick)
BENCHMARKS: dict[str, tuple[list[str], list[str], tuple[int, int]]] = {
    "kernel_frame_cost": ([], ["--quick"], (600, 200)),
    "playback_fps": ([], ["--quick"], (600, 300)),
    "first_frame": ([], ["--quick"], (600, 240)),
    "memory": ([], ["--quick"], (720, 300)),
    "roundtrip": ([], ["--calls", "60", "--warmup", "5"], (900, 300)),
    # Worker processes and a Dask LocalCluster vs the kernel (kernel side, no browser).
    "parallel": ([], ["--quick"], (1800, 600)),
    "interaction": ([], ["--quick"], (900, 480)),
    # An animation that remembers under 500 seeks and steps (kernel side, no browser).
    "trail_seeks": ([], ["--quick"], (900, 300)),
    # The seed line at devicePixelRatio 2: ours and ipympl (both draw at 2x).
    "playback_fps_2x": (
        ["--ratio", "2", "--anims", "line640", "--impls", "ours", "ipympl"],
        ["--ratio", "2", "--anims", "line640", "--impls", "ours", "ipympl", "--quick"],
        (400, 200),
    ),
    # The imshow animation with --workers 2 vs without, in JupyterLab at --fps 60.
    "playback_fps_workers": (
        [*WORKERS_CASES],
        [*WORKERS_CASES, "--quick"],
        (400, 200),
    ),
    # A remote user: JupyterLab through a shaped link (60 ms / 20 Mbit/s, 100 ms / 5 Mbit/s).
    "remote": ([], ["--quick"], (1500, 600)),
    # python.echo through a real JupyterHub's proxy vs the same server reached directly.
    "hub": ([], ["--calls", "100", "--rounds", "2"], (900, 300)),
    # The page's flow rule beside fixed ones and a per-message-cost rule, interleaved.
    "playback_flow": ([], ["--quick"], (1200, 400)),
    # What live.frame() costs a loop, beside display(fig) (kernel side, no browser).
    "live": ([], ["--quick"], (900, 300)),
}


# Runs of a script with other options, by the name of their results file.
SCRIPTS = {"playback_fps_2x": "playback_fps", "playback_fps_workers": "playback_fps"}


def check_setup(names: list[str]) -> list[str]:
    problems = []
    kernel_only = ("kernel_frame_cost", "parallel", "trail_seeks", "live")
    browser = [n for n in names if n not in kernel_only]
    if browser and shutil.which("chromium") is None:
        problems.append("chromium is not on PATH (apt-get install -y chromium)")
    mods = {"playwright": browser, "jupyterlab": browser, "nbformat": browser}
    needs_ipympl = [
        n for n in ("playback_fps", "playback_fps_2x", "interaction", "remote") if n in names
    ]
    if needs_ipympl:
        mods["ipympl"] = needs_ipympl
    for mod, users in mods.items():
        if not users:
            continue
        try:
            __import__(mod)
        except ImportError:
            problems.append(f"{mod} is not installed (pip install -e '.[bench]')")
    return problems


def goals_of(name: str) -> list[str]:
    path = _common.RESULTS / f"{name}.json"
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    lines = []
    for g in report.get("goals", []):
        subject = g.get("animation") or g.get("case") or ""
        value = g.get("ratio", g.get("value_s", g.get("value_mb", g.get("value"))))
        if isinstance(value, float):
            value = f"{value:.3g}"
        met = g.get("met")
        state = "n/a" if met is None else ("met" if met else "NOT met")
        lines.append(f"  {name:<18} {subject:<13} {g['goal']:<58} {value!s:>10}  {state}")
    return lines


def run(cmd: list[str], backstop: float) -> int:
    """Run a benchmark; past ``backstop`` s, SIGTERM it (it stops its server and browser)."""
    proc = subprocess.Popen(cmd)
    try:
        return proc.wait(timeout=backstop)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return -1
    except BaseException:
        proc.terminate()
        proc.wait(timeout=60)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run of each benchmark")
    parser.add_argument(
        "--only", nargs="+", choices=list(BENCHMARKS), help="run only these (in this order)"
    )
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    problems = check_setup(names)
    if problems:
        for p in problems:
            print(f"run_all: {p}", file=sys.stderr)
        return 2

    started = time.monotonic()
    status: dict[str, str] = {}
    for name in names:
        full, quick, (limit_full, limit_quick) = BENCHMARKS[name]
        extra = quick if args.quick else full
        limit = limit_quick if args.quick else limit_full
        extra = [*extra, "--timeout", str(limit)]
        script = SCRIPTS.get(name, name)
        cmd = [sys.executable, str(HERE / f"{script}.py"), *extra]
        shown = " ".join(["benchmarks/" + f"{script}.py", *extra])
        print(f"\n=== {shown}", flush=True)
        t0 = time.monotonic()
        code = run(cmd, limit + 90)
        took = time.monotonic() - t0
        status[name] = f"{'ok' if code == 0 else f'FAILED ({code})'} in {took:.0f} s"
        print(f"=== {name}: {status[name]}", flush=True)

    print(f"\n=== summary ({time.monotonic() - started:.0f} s in all)")
    for name in names:
        print(f"  {name:<18} {status[name]}")
    print("\ngoals:")
    for name in names:
        if status[name].startswith("ok"):
            for line in goals_of(name):
                print(line)
    return 0 if all(s.startswith("ok") for s in status.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
