"""A plain ``pip install`` (the wheel, JupyterLab, no extras), in a real kernel of its own.

What most users get: without the copy cloudpickle makes, nothing could be measured and
every animation was drawn in order, so a jump to frame 1990 of the 2013 animation drew
1990 frames. These tests run the installed wheel (``support/plain.py``) and count the
frames drawn, not the time.
"""

from __future__ import annotations

import json

import pytest
from support.plain import plain_python, start_kernel, stop_kernel
from support.seed import SEED_CELL

LAST = 1999  # the 2013 post's animation has 2,000 frames


@pytest.fixture(scope="module")
def plain_kernel(tmp_path_factory):
    driver = start_kernel(plain_python(), tmp_path_factory.mktemp("plain-kernel"))
    try:
        driver.run_ok(SEED_CELL)
        driver.run_ok("import io, json\nfrom PIL import Image\nimport ipyanimagic")
        yield driver
    finally:
        stop_kernel(driver)


def printed_json(driver, code: str) -> dict:
    return json.loads(driver.run_ok(code, timeout=120).stdout.strip().splitlines()[-1])


def test_the_kernel_runs_the_installed_wheel_without_extras(plain_kernel):
    seen = printed_json(
        plain_kernel,
        "import importlib.util, sysconfig\n"
        "print(json.dumps({'file': ipyanimagic.__file__,\n"
        "  'site': sysconfig.get_paths()['purelib'],\n"
        "  'extras': [m for m in ('dask', 'simplejpeg', 'ipympl')\n"
        "             if importlib.util.find_spec(m)]}))",
    )
    assert seen["file"].startswith(seen["site"]), seen
    assert seen["extras"] == []


def test_the_seed_animation_is_measured_pure_and_a_jump_to_its_end_draws_one_frame(
    plain_kernel,
):
    verdict = printed_json(
        plain_kernel,
        f"fig, anim = seed_animation({LAST + 1})\n"
        "p = ipyanimagic.animate(anim)\n"
        "p.supply.settle()\n"
        "print(json.dumps(p.stats()['purity']))",
    )
    assert verdict["pure"] is True and verdict["how"] == "measured", verdict
    jump = printed_json(
        plain_kernel,
        "before = p.stats()['frames_rendered']\n"
        f"frame = p.supply.frame({LAST}, 'png', 0).result(timeout=60)\n"
        "rgba = np.asarray(Image.open(io.BytesIO(frame.data)).convert('RGBA'))\n"
        f"same = bool(np.array_equal(rgba, reference_rgba({LAST}, frames={LAST + 1})))\n"
        "print(json.dumps({'drawn': p.stats()['frames_rendered'] - before, 'same': same,\n"
        "  'from': p.stats()['frames_from']}))",
    )
    assert jump == {"drawn": 1, "same": True, "from": "kernel"}


def test_past_a_failing_frame_a_pure_animation_goes_on(plain_kernel):
    seen = printed_json(
        plain_kernel,
        "fig5, anim5 = seed_animation(10, fail_at=5)\n"
        "q = ipyanimagic.animate(anim5)\n"
        "q.supply.settle()\n"
        "def outcome(i):\n"
        "    try:\n"
        "        q.supply.frame(i, 'png', 0).result(timeout=60)\n"
        "        return 'ok'\n"
        "    except Exception as e:\n"
        "        return type(e).__name__\n"
        "print(json.dumps({'pure': q.stats()['purity']['pure'],\n"
        "  'frames': [outcome(i) for i in (4, 5, 6)]}))",
    )
    assert seen == {"pure": True, "frames": ["ok", "ReportedError", "ok"]}
