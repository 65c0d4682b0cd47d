"""Every limit and enum the player's two sides share, written once.

Why one module: the kernel validates what the page sends, the page sizes what it asks
for, and the HTML offers the choices; when each side wrote its own copy they drifted
(a batch of 16 here, 8 there). The page reads these values from ``templates/limits.js``,
which is generated from this module (``python tools/generated.py``) and checked against
it by a unit test; the HTML templates get them as Jinja context.
"""

from __future__ import annotations

import json
from typing import Any, Final

__all__ = ["FORMATS", "LIMITS", "LOOP_MODES", "MIME", "js_module"]

#: What a player does at either end of its frames.
LOOP_MODES: Final = ("once", "loop", "reflect")
#: Frame encodings, with the MIME type the page decodes them as.
MIME: Final = {"png": "image/png", "jpeg": "image/jpeg"}
FORMATS: Final = tuple(MIME)
#: ``format`` of a player: "auto" is JPEG while playing, PNG at rest.
PLAYER_FORMATS: Final = ("auto", *FORMATS)

FPS_MIN: Final = 0.1  # the lowest speed the page offers (animate() takes anything above 0)
FPS_MAX: Final = 240.0
QUALITY_MIN: Final = 1
QUALITY_MAX: Final = 100
QUALITY_DEFAULT: Final = 85
DPI_MIN: Final = 10.0
DPI_MAX: Final = 1000.0
#: The page's devicePixelRatio a frame may be asked at (frames render at dpi x scale;
#: past DPI_MAX the kernel renders at DPI_MAX and says so in the frame's ``scale``).
SCALE_MIN: Final = 0.25
SCALE_MAX: Final = 4.0
#: The resolution ``save_html`` renders at: sharp on a laptop's (or a phone's) screen.
EXPORT_SCALE_DEFAULT: Final = 2.0
CACHE_MB_MAX: Final = 65536.0
CACHE_MB_DEFAULT: Final = 16.0

#: Frames one ``frames`` request may carry (the page asks for at most this many).
MAX_BATCH: Final = 8
#: Requests the page keeps in flight while playing: enough to cover a round trip.
MIN_WINDOW: Final = 2
MAX_WINDOW: Final = 4
#: Margin on the frames kept on their way (round trip x fps x SPARE).
SPARE: Final = 1.5
#: ms a page -> kernel -> page round trip is taken to cost until one is measured (the
#: first measurement replaces it): ~10 ms through a server with ipyanimagic's
#: extension (TCP_NODELAY), ~50 ms without.
ASSUMED_RTT_MS: Final = 20
#: Decoded frames one page-side player keeps.
MAX_KEEP: Final = 32
#: ms a frame request may take: a long cell can hold the kernel's main thread.
FRAME_TIMEOUT_MS: Final = 120_000
#: ms before the status line says "waiting for the kernel".
SLOW_MS: Final = 1000

#: ms a live player's follow request waits for a newer frame before it is answered
#: with the state alone (the page then asks again).
LIVE_POLL_MS: Final = 10_000

#: What a playing player gives up, rung by rung, when the link cannot carry its frames
#: (templates/player/adapt.js): (JPEG quality, resolution as a share of the page's
#: devicePixelRatio). Quality first, down to 55, then resolution, then quality again:
#: JPEG's bytes follow the pixels far more than the quality. Measured on the seed line
#: at 640x480 (an imshow in brackets): 85 -> 55 saves 18% of a frame (34%), 55 -> 30
#: another 11% (17%), while 0.75 of the resolution at 55 saves 36% (34%) and 0.5 63%
#: (62%). The user's ``quality`` caps every rung's quality and is the top rung's.
PLAY_LADDER: Final = (
    (85, 1.0),
    (70, 1.0),
    (55, 1.0),
    (55, 0.75),
    (55, 0.5),
    (40, 0.5),
    (30, 0.5),
)
#: The rules of adapt.js, by the names the page uses (ms, ratios, bytes/s):
ADAPT: Final = {
    # the window over which bytes received per second (goodput) are measured ...
    "goodputWindowMs": 2000,
    # ... and frames shown per second
    "shownWindowMs": 1000,
    # no decision before this much of either has been measured since Play
    "warmupMs": 1000,
    # behind: frames shown per second below this share of the asked fps ...
    "behind": 0.9,
    # ... for this long (and this long since the last change): step down
    "downMs": 750,
    # keeping up this long (and this long since the last change): step up, if ...
    "upMs": 2500,
    # ... the next rung's bytes at the asked fps, times this margin, fit in the goodput
    # measured when the player was last behind (its "ceiling") ...
    "upMargin": 1.25,
    # ... which is forgotten after this long (the link may have changed: probe)
    "ceilingMs": 6000,
    # stepping down, the rung chosen is the best whose bytes fit this share of goodput
    "fit": 0.9,
    # the kernel is the limit (quality does not help) when drawing takes this share of
    # the frame period
    "kernelBusy": 0.8,
    # an unmeasured rung's JPEG bytes, from a measured one's: x (q / q0) ** this ...
    "sizeExponent": 0.7,
    # ... x (resolution / resolution0) ** this (0.75 of it: 0.63 of the bytes, measured)
    "scaleExponent": 1.6,
    # bytes in flight <= goodput x (the fastest recent round trip + this) ...
    "inflightMarginMs": 100,
    # ... but never fewer frames than this
    "minInflightFrames": 2,
    # the window over which the fastest round trip is taken
    "rttFloorWindowMs": 5000,
}

#: What the page sees, by the names it uses.
LIMITS: Final[dict[str, Any]] = {
    "loopModes": list(LOOP_MODES),
    "formats": list(FORMATS),
    "playerFormats": list(PLAYER_FORMATS),
    "mime": dict(MIME),
    "fpsMin": FPS_MIN,
    "fpsMax": FPS_MAX,
    "scaleMin": SCALE_MIN,
    "scaleMax": SCALE_MAX,
    "maxBatch": MAX_BATCH,
    "minWindow": MIN_WINDOW,
    "maxWindow": MAX_WINDOW,
    "spare": SPARE,
    "assumedRttMs": ASSUMED_RTT_MS,
    "maxKeep": MAX_KEEP,
    "frameTimeoutMs": FRAME_TIMEOUT_MS,
    "slowMs": SLOW_MS,
    "livePollMs": LIVE_POLL_MS,
    "playLadder": [list(rung) for rung in PLAY_LADDER],
    "qualityMin": QUALITY_MIN,
    "qualityMax": QUALITY_MAX,
    "adapt": dict(ADAPT),
}


def js_module() -> str:
    """The text of ``templates/limits.js``."""
    body = json.dumps(LIMITS, indent=2, sort_keys=True)
    return (
        "// Generated from ipyanimagic/limits.py by tools/generated.py.\n"
        "// Do not edit: the Python module is the one source of these values.\n"
        f"export const LIMITS = Object.freeze({body});\n"
    )


if __name__ == "__main__":  # tools/generated.py writes the file; this prints it
    print(js_module(), end="")
