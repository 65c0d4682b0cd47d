"""Flow rules side by side: how many frames per request the player should ask for.

The player keeps ``window`` requests of ``batch`` frames on their way while playing
(``flow`` in ``templates/player/clock.js``, from the measured round trip and the speed).
At a short round trip that is one frame per request, so the page handles a reply and the
kernel's busy and idle status messages for every frame. This benchmark plays the same
animation with other rules given to the page and compares, in the same run:

- ``rule``: the page's own ``flow``, unchanged (whatever clock.js says today: at a
  short round trip 4 requests of 1 frame, from ~30 ms of network round trip at 60 fps
  4 of 2);
- ``w4b1``, ``w2b2``, ``w4b2``: fixed, whatever the round trip: 4 requests of 1 frame,
  2 of 2 (the same 4 frames on their way in half the requests), 4 of 2 (8 on their
  way): whether the message count or the depth is what matters;
- ``r30`` (and ``r20``, not in the default run): at most 30 (20) requests a second:
  ``batch >= ceil(fps / rate)`` (at 60 fps 2 (3) frames per request), the same frames
  on their way as ``rule`` (``window`` shrinks to match) unless the batch needs more.

A rule other than ``rule`` reaches the page as a changed copy of the player's joined
module (the code ``Player._esm``'s loader asks for, in the case's kernel, before
``%animate``): ``flow`` is renamed ``baseFlow`` and the variant's ``flow`` put before
it; the page code in the repository is not touched. Cases run in rounds (each variant
once per round, the order rotating), every round a fresh notebook per case, so that
the machine's load falls on all alike; reported per variant: each run's frames/s,
fraction of the page's rAF rate, the page's main-thread time (Chromium's task and
script time, % of the window), and the window, batch and round trip the page reported;
and the mean ratio of each variant to ``rule``.

    .venv/bin/python benchmarks/playback_flow.py [--runs 5] [--seconds 5] [--warmup 1.5]
        [--anims line640 trail640] [--variants rule w4b1 w2b2 w4b2 r30 r20] [--ratio 1]

(the default window, 5 s from 1.5 s after Play, is the README's goal measurement.)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _browser  # noqa: E402
import _common  # noqa: E402
import playback_fps  # noqa: E402

NAME = "playback_flow"
HEAD = "function flow(netRtt, fps) {"

# Each variant's flow, in terms of the page's own (baseFlow) and LIMITS.
MIN_BATCH_JS = """\
function flow(netRtt, fps) {
  const { ahead } = baseFlow(netRtt, fps);
  const least = Math.max(1, Math.ceil(fps / %(rate)s));
  const window = Math.max(LIMITS.minWindow, Math.min(LIMITS.maxWindow, Math.ceil(ahead / least)));
  const batch = Math.max(least, Math.min(LIMITS.maxBatch, Math.ceil(ahead / window)));
  return { ahead, window, batch: Math.min(batch, LIMITS.maxBatch) };
}
"""
FIXED_JS = """\
function flow(netRtt, fps) {
  const { ahead } = baseFlow(netRtt, fps);
  return { ahead, window: %(window)d, batch: %(batch)d };
}
"""
VARIANTS: dict[str, str | None] = {
    "rule": None,
    "w4b1": FIXED_JS % {"window": 4, "batch": 1},
    "w2b2": FIXED_JS % {"window": 2, "batch": 2},
    "w4b2": FIXED_JS % {"window": 4, "batch": 2},
    "r30": MIN_BATCH_JS % {"rate": 30},
    "r20": MIN_BATCH_JS % {"rate": 20},
}
DEFAULT_VARIANTS = ("rule", "w4b1", "w2b2", "w4b2", "r30")

PRELUDE = """
from ipyanimagic import esm as _bench_esm
from ipyanimagic.player.widget import Player as _BenchPlayer
_head = {head!r}
_code = _bench_esm.player_esm()
assert _code.count(_head) == 1, "flow() not found in the joined module"
_code = _code.replace(_head, {js!r} + "\\nfunction baseFlow(netRtt, fps) {{")
# The widget's _esm is a loader of the code it names by hash: serve the variant's.
_BenchPlayer._esm = _bench_esm.player_loader_for(_code)
"""


def prelude(variant: str) -> str:
    js = VARIANTS[variant]
    return "" if js is None else PRELUDE.format(head=HEAD, js=js)


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def summary(rows: list[dict], variants: list[str]) -> dict:
    """Per (animation, variant): the runs' fractions of rAF and frames/s, their median,
    and the mean of each round's ratio to the round's ``rule`` run."""
    out: dict[str, dict] = {}
    for anim in dict.fromkeys(r["animation"] for r in rows):
        mine = [r for r in rows if r["animation"] == anim]
        base = {r["round"]: r for r in mine if r["variant"] == "rule"}
        out[anim] = {}
        for v in variants:
            runs = [r for r in mine if r["variant"] == v]
            if not runs:
                continue
            frac = [r["events_per_s"] / r["raf_per_s"] if r["raf_per_s"] else 0 for r in runs]
            rel = [
                r["events_per_s"] / base[r["round"]]["events_per_s"]
                for r in runs
                if r["round"] in base and base[r["round"]]["events_per_s"]
            ]
            page = [r["kernel_stats"].get("page", {}) for r in runs]
            out[anim][v] = {
                "over_raf": [round(f, 3) for f in frac],
                "over_raf_median": round(statistics.median(frac), 3),
                "runs_at_goal": sum(f >= playback_fps.GOAL_RAF for f in frac),
                "fps": [round(r["events_per_s"], 1) for r in runs],
                "page_task_pct": [r.get("page_task_pct") for r in runs],
                "page_script_pct": [r.get("page_script_pct") for r in runs],
                "over_rule_mean": round(statistics.fmean(rel), 3) if rel else None,
                "window_batch": sorted({f"{p.get('window')}x{p.get('batch')}" for p in page}),
                "net_rtt_ms": [p.get("net_rtt_ms") for p in page],
            }
    return out


def table(summ: dict) -> str:
    head = [
        "animation",
        "variant",
        "window x batch",
        "of rAF, each run",
        "median",
        f">= {playback_fps.GOAL_RAF}",
        "frames/s, each run",
        "/ rule",
        "page task %",
        "page net rtt ms",
    ]
    body = []
    for anim, per in summ.items():
        for k, (v, s) in enumerate(per.items()):
            tasks = [t for t in s["page_task_pct"] if t is not None]
            rtts = [t for t in s["net_rtt_ms"] if t is not None]
            body.append(
                [
                    _common.ANIMATIONS[anim]["label"] if k == 0 else "",
                    v,
                    " ".join(s["window_batch"]),
                    " ".join(f"{f:.2f}" for f in s["over_raf"]),
                    f"{s['over_raf_median']:.2f}",
                    f"{s['runs_at_goal']}/{len(s['over_raf'])}",
                    " ".join(f"{f:.1f}" for f in s["fps"]),
                    "-" if s["over_rule_mean"] is None else f"{s['over_rule_mean']:.3f}",
                    f"{statistics.median(tasks):.0f}" if tasks else "-",
                    f"{statistics.median(rtts):.1f}" if rtts else "-",
                ]
            )
    return _common.format_table(head, body, "<<<<>>>>>>")


def main(argv: list[str] | None = None) -> int:
    parser = _common.argument_parser(__doc__, NAME, timeout=1800, quick="2 runs")
    parser.add_argument("--runs", type=int, default=5, help="rounds (each variant once)")
    parser.add_argument("--seconds", type=float, default=5, help="recorded seconds per case")
    parser.add_argument("--warmup", type=float, default=1.5, help="seconds played before")
    parser.add_argument("--anims", nargs="+", choices=playback_fps.ALL_ANIMS, default=["line640"])
    parser.add_argument(
        "--variants", nargs="+", choices=list(VARIANTS), default=list(DEFAULT_VARIANTS)
    )
    parser.add_argument("--ratio", type=float, default=1, help="the page's devicePixelRatio")
    args = _common.parse_args(parser, argv, quick={"runs": 2})
    if args.ratio != 1 and args.output == _common.RESULTS / f"{NAME}.json":
        args.output = _common.RESULTS / f"{NAME}_{args.ratio:g}x.json"
    if args.runs < 1 or args.seconds < 1 or args.warmup < 0:
        parser.error("--runs >= 1, --seconds >= 1, --warmup >= 0")

    started = time.monotonic()
    rows = []
    loads = [load_avg()]
    with _browser.lab_session(args.timeout) as (server, browser):
        machine = _browser.machine(browser)
        for rnd in range(args.runs):
            # The order rotates each round: no variant always runs first or last.
            k = rnd % len(args.variants)
            order = args.variants[k:] + args.variants[:k]
            for anim in args.anims:
                for v in order:
                    row = playback_fps.play_case(
                        server,
                        browser,
                        "ours",
                        anim,
                        args.warmup,
                        args.seconds,
                        args.ratio,
                        prelude=prelude(v),
                        label=v,
                    )
                    row.pop("raf_ms", None)
                    row.pop("frame_ticks", None)
                    row.update(variant=v, round=rnd)
                    rows.append(row)
            loads.append(load_avg())
    elapsed = time.monotonic() - started
    summ = summary(rows, args.variants)

    print(_common.machine_line(machine))
    print(
        f"page devicePixelRatio {args.ratio:g}; --fps {playback_fps.FPS}; {args.runs} rounds, "
        f"{args.seconds:g} s recorded per case after {args.warmup:g} s of playing; load "
        f"average (1 min) per round: {' '.join(str(x[0]) for x in loads)}"
    )
    print()
    print(table(summ))
    for r in rows:
        if r.get("page_errors"):
            print(f"{r['animation']} {r['variant']}: page errors {r['page_errors']}")
    report = {
        "benchmark": NAME,
        "machine": machine,
        "variants": {k: v for k, v in VARIANTS.items() if k in args.variants},
        "runs": args.runs,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "fps_asked": playback_fps.FPS,
        "device_pixel_ratio": args.ratio,
        "load_avg_per_round": loads,
        "elapsed_s": round(elapsed, 1),
        "results": rows,
        "summary": summ,
    }
    return _common.finish(args, NAME, report, None)


if __name__ == "__main__":
    _browser.run(main, NAME)
