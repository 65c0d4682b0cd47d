"""Life cycle in a real kernel: nothing piles up.

A front end's cells (with their cell id, as JupyterLab sends it) re-run ``%animate``
200 times, make and close players, re-run ``%%jsexec``, load and unload the extension.
Open figures, registry entries, comms, widgets, live objects and the kernel's memory
must stay bounded: what is left after the last run is what one run leaves.
"""

from __future__ import annotations

import linecache

import pytest

import ipyanimagic
from ipyanimagic.bridge.dispatcher import dispatch

from .helpers import SandboxShell
from .kernel_cells import CENSUS, Cells

RERUNS = 200
TRACED_FROM = 150


@pytest.fixture(scope="module")
def cells(kernel):
    c = Cells(kernel)
    c.ok("%load_ext ipyanimagic\n" + CENSUS, "setup")
    return c


def test_rerunning_an_animate_cell_200_times_leaves_what_one_run_leaves(cells, figures):
    cell = "anim = make()\n%animate anim"
    baseline = cells.census()
    counts = {}
    for run in range(1, RERUNS + 1):
        out = cells.ok(cell, "the-animate-cell")
        assert any("application/vnd.jupyter.widget-view+json" in d["data"] for d in out.displays)
        if run in (1, 20, TRACED_FROM, RERUNS):
            counts[run] = cells.census()
        if run == TRACED_FROM:  # tracemalloc from here on (its own tables raise RSS)
            cells.ok("tracemalloc.start(); gc.collect()", "trace")
            counts["traced"] = cells.census()
    cells.ok("tracemalloc.stop()", "trace")
    first, warm, last = counts[1], counts[20], counts[RERUNS]
    traced_growth = last.pop("traced_mb") - counts["traced"]["traced_mb"]
    rss_growth = counts[TRACED_FROM]["rss_mb"] - warm["rss_mb"]
    before_after = {
        f"{k} (before, after 1, after {RERUNS})": (baseline[k], first[k], last[k]) for k in last
    }
    before_after.pop(f"rss_mb (before, after 1, after {RERUNS})")
    figures.record(
        f"life cycle: {RERUNS} re-runs of a %animate cell",
        **before_after,
        **{f"rss_growth_mb_runs_20_to_{TRACED_FROM}": round(rss_growth, 1)},
        **{f"python_heap_growth_mb_runs_{TRACED_FROM}_to_{RERUNS}": round(traced_growth, 2)},
    )
    assert last["open_figures"] == 0
    assert last["registry"] == first["registry"] == baseline["registry"] + 1
    assert last["player_objects"] <= baseline["player_objects"] + 1
    assert last["figure_objects"] <= baseline["figure_objects"] + 1
    assert last["comms"] == first["comms"], "comms pile up: one more per re-run"
    assert last["widgets"] == first["widgets"], "widgets pile up: one more per re-run"
    # Python's own heap grows ~10 kB a run (IPython's history, the kernel's bookkeeping);
    # a figure or a frame cache kept per run would be ~100 kB each. RSS also moves with
    # the allocator (a few MB here without any Python-level growth).
    assert traced_growth < 2
    assert rss_growth < 15


def test_closed_players_release_figure_registry_comms_and_widgets(cells, figures):
    make_and_close = (
        "for _ in range({n}):\n"
        "    p = ipyanimagic.animate(make())\n"
        "    p.frame(3)\n"  # a frame rendered: the cache holds something
        "    p.close()\n"
        "del p\n"
        "gc.collect()"
    )
    # The first players load what every later one shares (encoder thread, fonts). Ten a
    # cell, then a collection: a closed player's figure is freed by the cycle collector,
    # and waiting for it would only raise the allocator's high-water mark, not leak.
    cells.ok(make_and_close.format(n=10), "closing")
    baseline = cells.census()
    for _ in range(10):
        cells.ok(make_and_close.format(n=10), "closing")
    after = cells.census()
    figures.record(
        "life cycle: 100 players made, played a frame, closed (after 10 to warm up)",
        **{f"{k} (before, after)": (baseline[k], after[k]) for k in after},
    )
    for k in ("open_figures", "registry", "player_objects", "figure_objects"):
        assert after[k] == baseline[k], k
    assert after["comms"] == baseline["comms"], "a closed player leaves a comm behind"
    assert after["widgets"] == baseline["widgets"], "a closed player leaves a widget behind"
    # The object counts above are exact; RSS only catches what they cannot see (a
    # figure is ~100 kB here, so a leak of one per player would add ~10 MB).
    assert after["rss_mb"] - baseline["rss_mb"] < 10


def test_rerunning_a_jsexec_cell_does_not_pile_up_registered_widgets(cells, figures):
    cell = "%%jsexec\nelement.textContent = await python.eval('1 + 1');"
    cells.ok(cell, "the-jsexec-cell")
    first = cells.census()
    for _ in range(50):
        cells.ok(cell, "the-jsexec-cell")
    last = cells.census()
    figures.record(
        "life cycle: 51 runs of one %%jsexec cell",
        **{f"{k} (after 1, after 51)": (first[k], last[k]) for k in ("registry", "comms")},
    )
    # Re-running a cell replaces its output; the old widget can never be used again.
    assert last["registry"] == first["registry"], "one registered JsExec more per re-run"


def test_load_and_unload_the_extension_50_times(cells, figures):
    probe = (
        "mm = get_ipython().magics_manager\n"
        "print(json.dumps([len(mm.registry), 'animate' in mm.magics['line'],"
        " 'jsexec' in mm.magics['cell'], len(ipyanimagic._loaded)]))"
    )
    before = cells.ok(probe, "probe").stdout
    for _ in range(50):
        cells.ok("%unload_ext ipyanimagic", "unload")
        gone = cells.run("anim = make()\n%animate anim", "gone")
        assert gone.status == "error" and "`%animate` not found" in gone.printed, gone
        cells.ok("plt.close('all')", "tidy")
        cells.ok("%load_ext ipyanimagic", "load")
    after = cells.ok(probe, "probe").stdout
    figures.record(
        "life cycle: %unload_ext / %load_ext x50",
        magics_registry_loaded=f"{before.strip()} -> {after.strip()}",
    )
    assert after == before
    cells.ok("anim = make()\n%animate anim", "works-again")


def test_distinct_python_calls_from_the_page_do_not_grow_memory(ip_session, figures):
    """Every distinct ``python.eval`` / ``exec`` source is kept in ``linecache`` (for
    tracebacks). A page that calls with changing code (``python.eval('f(' + x + ')')``,
    the 2013 post's ``kernel.execute(name + " = '" + value + "'")``) must not grow the
    kernel without bound."""
    w = ipyanimagic.JsExec("", shell=SandboxShell(ip_session))
    ours = [k for k in linecache.cache if str(k).startswith("<js-python-")]
    padding = "#" + "x" * 10_000
    try:
        for i in range(3000):
            reply = dispatch(
                {"id": i, "key": w.key, "method": "eval", "args": {"expr": f"{i}  {padding}"}}
            )
            assert reply.content["result"] == i
    finally:
        w.close()
    kept = [k for k in linecache.cache if str(k).startswith("<js-python-") and k not in ours]
    held_mb = sum(sum(len(line) for line in linecache.cache[k][2]) for k in kept) / 1e6
    figures.record(
        "life cycle: 3000 distinct 10 kB python.eval sources",
        linecache_entries_added=len(kept),
        source_held_mb=round(held_mb, 1),
    )
    assert held_mb < 16, f"{held_mb:.0f} MB of JS-sent source kept in linecache"
