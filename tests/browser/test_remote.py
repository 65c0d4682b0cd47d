"""A remote user (issue 21): JupyterLab reached through a shaped link (tests/support/shaped.py).

While playing, the page asks for its frames at the rung (JPEG quality, then resolution)
the link allows: the rate cut, what it asks for goes down, to fewer pixels drawn at the
player's size; the rate restored, it comes back up. At rest the frame is lossless (PNG)
at full resolution. Seen in the requests the page sends (the kernel websocket's comm
traffic, tests/support/traffic.py), the status line's ``data-quality`` and
``data-resolution`` and the canvas; waits on conditions, never on the clock.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect
from support import lab
from support.player import PlayerView
from support.remote import shaped_server
from support.traffic import CommTraffic

# Noise (JPEG's worst case: its bytes fall steeply with the quality), 160 x 120 pixels.
NOISE = """\
%load_ext ipyanimagic
import numpy as np, matplotlib.pyplot as plt
from matplotlib import animation
fig = plt.figure(figsize=(4, 3), dpi=40)
ax = fig.add_axes([0, 0, 1, 1]); ax.set_axis_off()
im = ax.imshow(np.random.default_rng(0).random((45, 60)), interpolation="nearest")
def draw(i):
    im.set_data(np.random.default_rng(i).random((45, 60)))
    return [im]
anim = animation.FuncAnimation(fig, draw, frames=400, interval=50)
plt.close(fig)
"""
PLAY = "%animate anim --fps 10 --loop loop"
DELAY = 0.02  # s each way: a 40 ms round trip
CUT = 0.2e6  # bits/s: not the frames of a full-resolution rung at 10 fps
TIMEOUT = 30.0


def rungs(traffic: CommTraffic, since: int = 0) -> list[tuple[int, float]]:
    """The (JPEG quality, scale) of the frame requests the page sent after event
    ``since`` (the page's ratio is 1 here: the scale is the share of the resolution)."""
    out = []
    for direction, msg in traffic.events[since:]:
        args = msg.get("args") or {}
        request = direction == "sent" and msg.get("method") in ("frame", "frames")
        if request and args.get("format") == "jpeg" and "quality" in args:
            out.append((args["quality"], args["scale"]))
    return out


def wait_for(
    page: Any,
    what: str,
    condition: Callable[[], bool],
    detail: Callable[[], Any] = lambda: "",
    timeout: float = TIMEOUT,
) -> None:
    """Until ``condition()``, letting the page's events in (Playwright's sync API
    delivers them while it waits); ``detail()`` goes in the failure's message."""
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}: {detail()}"
        page.wait_for_timeout(100)


def test_the_quality_and_resolution_follow_the_link_and_the_frame_at_rest_is_lossless(
    jupyter_server, browser
):
    with shaped_server(jupyter_server) as (remote, link):
        traffic: list[CommTraffic] = []
        nb = lab.open_notebook(
            remote, browser, [NOISE, PLAY], on_page=lambda page: traffic.append(CommTraffic(page))
        )
        try:
            (seen,) = traffic
            nb.run_cell(0, timeout=60)
            nb.run_cell(1, timeout=60)
            p = PlayerView.in_output(nb, 1)
            p.expect_frame(0)
            width = p.canvas.evaluate("(c) => c.getBoundingClientRect().width")
            link.set(delay=DELAY)
            status = p.status
            p.button("Play").click()
            wait_for(nb.page, "frames asked at quality 85", lambda: (85, 1) in rungs(seen))

            # The rate cut: the page asks for less: quality, then half the resolution,
            # drawn at the player's size.
            cut = len(seen.events)
            link.set(rate=CUT)
            wait_for(
                nb.page,
                "half the resolution",
                lambda: any(scale == 0.5 for _, scale in rungs(seen, cut)),
                lambda: (rungs(seen, cut)[-20:], status.get_attribute("title")),
            )
            assert max(q for q, scale in rungs(seen, cut) if scale == 0.5) <= 55
            expect(status).to_have_attribute("data-resolution", "0.5", timeout=TIMEOUT * 1000)
            title = status.get_attribute("title") or ""
            assert "playing: JPEG quality" in title and "at 0.5 of the resolution" in title, title
            expect(p.canvas).to_have_attribute("data-scale", "0.5", timeout=TIMEOUT * 1000)
            assert p.canvas.evaluate("(c) => c.getBoundingClientRect().width") == width

            # Restored: back up, a rung at a time, to full resolution.
            restored = len(seen.events)
            link.set(rate=None)
            wait_for(
                nb.page,
                "the quality to come back up at full resolution",
                lambda: any(q >= 70 and scale == 1 for q, scale in rungs(seen, restored)),
                lambda: (rungs(seen, restored)[-20:], status.get_attribute("title")),
            )
            assert rungs(seen, restored)[0][1] < 1  # from where it was, not at once

            # At rest: the frame shown is asked for again, as PNG, and that is what shows.
            paused = len(seen.events)
            p.button("Pause").click()
            shown = p.shown()
            wait_for(
                nb.page, "a PNG of the frame at rest", lambda: png_answered(seen, paused, shown)
            )
            p.expect_still(shown, for_ms=300)
            expect(p.canvas).to_have_attribute("data-scale", "1")
            expect(p.canvas).to_have_attribute("data-exact", "true")
            expect(status).to_have_attribute("data-quality", "")
            expect(status).to_have_attribute("data-resolution", "")
            assert "at rest: lossless (PNG)" in (status.get_attribute("title") or "")
            nb.assert_no_page_errors()
        finally:
            link.set(rate=None, delay=0)
            lab.close_notebook(jupyter_server, nb)


def png_answered(traffic: CommTraffic, since: int, index: int) -> bool:
    """The page asked for frame ``index`` as PNG after event ``since``, and it came."""
    asked = {
        msg["id"]
        for direction, msg in traffic.events[since:]
        if direction == "sent"
        and msg.get("method") == "frame"
        and (msg.get("args") or {}).get("index") == index
        and (msg.get("args") or {}).get("format") == "png"
    }
    return any(
        direction == "received"
        and msg.get("id") in asked
        and msg.get("ok")
        and msg["result"].get("mime") == "image/png"
        for direction, msg in traffic.events[since:]
    )


# A live loop of noise, ~20 captures/s, longer than the test (the stop button ends it).
LIVE_LOOP = """\
import re
import time
import ipyanimagic
for k in ipyanimagic.live(range(100_000), fig):
    im.set_data(np.random.default_rng(k).random((45, 60)))
    time.sleep(0.05)"""


def follow_rungs(traffic: CommTraffic, since: int = 0) -> list[tuple[int | None, float]]:
    """(JPEG quality, share of the page's ratio the frame travels at) of the follow
    requests the page sent after event ``since`` (the page's ratio is 1 here)."""
    out = []
    for direction, msg in traffic.events[since:]:
        args = msg.get("args") or {}
        if direction == "sent" and msg.get("method") == "newest" and not args.get("peek"):
            out.append((args.get("quality"), args.get("send_scale", args.get("scale", 1))))
    return out


def test_a_live_loop_followed_over_a_slow_link_is_sent_smaller_frames_and_ends_lossless(
    jupyter_server, browser
):
    with shaped_server(jupyter_server) as (remote, link):
        traffic: list[CommTraffic] = []
        nb = lab.open_notebook(
            remote,
            browser,
            [NOISE, LIVE_LOOP],
            on_page=lambda page: traffic.append(CommTraffic(page)),
        )
        try:
            (seen,) = traffic
            nb.run_cell(0, timeout=60)
            link.set(delay=0.05)  # a 100 ms round trip: a remote link
            since = len(seen.events)
            nb.start_cell(1)
            p = PlayerView.in_output(nb, 1)
            status = p.status
            expect(p.canvas).to_have_attribute("data-frame", re.compile(r"^[1-9]"), timeout=60_000)
            width = p.canvas.evaluate("(c) => c.getBoundingClientRect().width")
            link.set(rate=CUT)
            wait_for(
                nb.page,
                "follow requests at a share of the resolution",
                lambda: any(scale <= 0.75 for _, scale in follow_rungs(seen, since)),
                lambda: (follow_rungs(seen, since)[-20:], status.get_attribute("title")),
            )
            assert max(q for q, s in follow_rungs(seen, since) if s <= 0.75) <= 55
            title = status.get_attribute("title") or ""
            assert "following over a remote link: JPEG quality" in title, title
            expect(p.canvas).to_have_attribute(
                "data-scale", re.compile(r"^0\.(5|75)$"), timeout=TIMEOUT * 1000
            )
            assert p.canvas.evaluate("(c) => c.getBoundingClientRect().width") == width

            # The stop button: an ordinary player, its frame at rest lossless and whole.
            link.set(rate=None)
            lab.interrupt_kernel(jupyter_server, nb)
            expect(nb.error_output(1)).to_contain_text("KeyboardInterrupt", timeout=30_000)
            expect(p.button("Live")).to_be_hidden(timeout=30_000)
            expect(p.canvas).to_have_attribute("data-exact", "true", timeout=TIMEOUT * 1000)
            expect(p.canvas).to_have_attribute("data-scale", "1")
            expect(status).to_have_attribute("data-resolution", "")
            nb.assert_no_page_errors()
        finally:
            link.set(rate=None, delay=0)
            lab.close_notebook(jupyter_server, nb)
