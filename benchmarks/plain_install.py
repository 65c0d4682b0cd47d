"""A plain ``pip install`` (the wheel and JupyterLab, no extras): the slider's jump to the
last frame of the 2013 animation (2,000 frames), painted.

Starts JupyterLab and its kernels from ``.venv-plain`` (``scripts/setup-plain``, which the
benchmark runs first) and headless Chromium with the browser test harness
(``tests/support/lab.py``). Each case runs in a fresh notebook: ``%animate anim`` on
``seed(frames=2000)`` (``tests/support/seed.py``), then, once the purity verdict is in
(the status line's tooltip), the slider is set to 1999 in the page and the time to the
canvas showing frame 1999 is taken there (a MutationObserver on ``data-frame``).

- ``measured``: ``%animate anim``, as a plain install plays it now (the verdict is
  measured on a copy: pure, so the jump draws that one frame);
- ``in_order``: ``%animate anim --sequential``, what a plain install did before
  cloudpickle was a dependency (no copy: every animation drawn in order from the start,
  so a jump to frame 1999 draws 2,000 frames).

Medians of ``--repeat`` runs (``in_order`` once: it takes seconds). Prints a table with
the ratio, writes ``benchmarks/results/plain_install.json``.

    .venv/bin/python benchmarks/plain_install.py [--repeat 5] [--quick]
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _browser  # noqa: E402
import _common  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

sys.path.insert(0, str(_common.ROOT / "tests"))
from support.plain import plain_python  # noqa: E402
from support.seed import SEED_CELL  # noqa: E402

NAME = "plain_install"
LAST = 1999
GOAL_MS = 200  # the jump painted, on a plain install
CASES = {"measured": "%animate anim", "in_order": "%animate anim --sequential"}
VERDICT = re.compile(r"^(pure|remembers) ")

JUMP_JS = """(slider) => new Promise((resolve) => {
  const canvas = slider.closest(".iam-player").querySelector("canvas.iam-frame");
  const t0 = performance.now();
  new MutationObserver((_, observer) => {
    if (canvas.dataset.frame === "LAST") {
      observer.disconnect();
      resolve(performance.now() - t0);
    }
  }).observe(canvas, {attributes: true, attributeFilter: ["data-frame"]});
  slider.value = "LAST";
  slider.dispatchEvent(new Event("input", {bubbles: true}));
  slider.dispatchEvent(new Event("change", {bubbles: true}));
})""".replace("LAST", str(LAST))


def jump(server: Any, browser: Any, case: str) -> tuple[float, str]:
    cells = [
        "%load_ext ipyanimagic\n" + SEED_CELL,
        f"anim = seed(frames={LAST + 1})\n{CASES[case]}",
    ]
    with _browser.notebook(server, browser, cells) as nb:
        nb.run_cell(0)
        out = nb.run_cell(1)
        expect(out.locator("canvas.iam-frame")).to_have_attribute("data-frame", "0", timeout=30_000)
        status = out.locator(".iam-status")
        expect(status).to_have_attribute("title", VERDICT, timeout=30_000)
        verdict = status.get_attribute("title") or ""
        slider = out.get_by_role("slider", name="Frame")
        return float(slider.evaluate(JUMP_JS)), verdict


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(__doc__, NAME, timeout=900, quick="2 runs of measured")
    parser.add_argument("--repeat", type=int, default=5, help="runs of the measured case")
    args = _common.parse_args(parser, argv, quick={"repeat": 2})
    python = plain_python()  # scripts/setup-plain: the wheel of this checkout
    rows: dict[str, dict[str, Any]] = {}
    with _browser.lab_session(args.timeout, python=python) as (server, browser):
        machine = _browser.machine(browser)
        for case, runs in (("measured", args.repeat), ("in_order", 1)):
            times, verdicts = [], []
            for _ in range(runs):
                ms, verdict = jump(server, browser, case)
                times.append(ms)
                verdicts.append(verdict)
                print(f"  {case}: {ms:.0f} ms ({verdict[:40]})", file=sys.stderr, flush=True)
            rows[case] = {
                "ms": times,
                "median_ms": statistics.median(times),
                "verdict": verdicts[0],
            }
    ratio = rows["in_order"]["median_ms"] / rows["measured"]["median_ms"]
    met = rows["measured"]["median_ms"] <= GOAL_MS
    print(_common.machine_line(machine))
    print(f"slider to frame {LAST} of {LAST + 1}, painted (page time); medians")
    print()
    print(
        _common.format_table(
            ["case", "verdict", "runs", "ms (median)", "in order / this"],
            [
                [
                    case,
                    r["verdict"].split(":")[0],
                    len(r["ms"]),
                    f"{r['median_ms']:.0f}",
                    f"{rows['in_order']['median_ms'] / r['median_ms']:.0f}",
                ]
                for case, r in rows.items()
            ],
            "<<>>>",
        )
    )
    print()
    print(
        f"goal plain install: jump painted <= {GOAL_MS} ms  "
        f"{rows['measured']['median_ms']:.0f} ms  {_common.goal_text(met)}"
    )
    report = {
        "benchmark": NAME,
        "machine": machine,
        "cases": rows,
        "in_order_over_measured": ratio,
        "goals": [
            {
                "goal": f"jump painted <= {GOAL_MS} ms",
                "ms": rows["measured"]["median_ms"],
                "met": met,
            }
        ],
    }
    return _common.finish(args, NAME, report, None)


if __name__ == "__main__":
    _browser.run(main, NAME)
