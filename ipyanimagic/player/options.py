"""Validation of everything a player is asked to do: by ``animate()``, the magic, the
page and the export.

Why one module: the same value (a JPEG quality, a format, a batch of indices) arrives
from Python, from ``%animate``'s command line and from the page; checked in one place,
it is refused the same way wherever it comes from, with a message that says what is
expected. The limits themselves live in :mod:`ipyanimagic.limits`.
"""

from __future__ import annotations

import math
from typing import Any

from ..limits import (
    CACHE_MB_MAX,
    DPI_MAX,
    DPI_MIN,
    FORMATS,
    FPS_MAX,
    FPS_MIN,
    LOOP_MODES,
    MAX_BATCH,
    PLAYER_FORMATS,
    QUALITY_MAX,
    QUALITY_MIN,
    SCALE_MAX,
    SCALE_MIN,
)

__all__ = [
    "PlayerOptionError",
    "check_batch",
    "check_format",
    "check_player_options",
    "check_quality",
    "check_scale",
    "default_fps",
    "page_report",
]


class PlayerOptionError(ValueError):
    """An option the player cannot take; the message names what is expected."""


def _is_number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float))


def _is_int(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int)


def check_quality(quality: Any, error: type[ValueError] = ValueError) -> int:
    """A JPEG quality (an integer from 1 to 100), or ``error``."""
    if not _is_int(quality) or not QUALITY_MIN <= quality <= QUALITY_MAX:
        raise error(
            f"quality must be an integer from {QUALITY_MIN} to {QUALITY_MAX}, not {quality!r}"
        )
    return int(quality)


def check_format(format: Any, error: type[ValueError] = ValueError) -> str:
    """An encoding a frame can be sent in ("png" or "jpeg"), or ``error``."""
    if format not in FORMATS:
        raise error(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    return str(format)


def check_scale(scale: Any, error: type[ValueError] = ValueError) -> float:
    """A resolution factor (the page's devicePixelRatio), rounded to hundredths, or ``error``.

    Rounded: browser zoom gives ratios like 1.100000023841858, and each distinct value
    is its own set of cached frames.
    """
    if not _is_number(scale) or not math.isfinite(scale) or not SCALE_MIN <= scale <= SCALE_MAX:
        raise error(f"scale must be a number from {SCALE_MIN:g} to {SCALE_MAX:g}, not {scale!r}")
    return round(float(scale), 2)


def check_batch(indices: Any) -> list[int]:
    """The frame indices of one ``frames`` request (each index is checked when drawn)."""
    if not isinstance(indices, list) or not 1 <= len(indices) <= MAX_BATCH:
        raise ValueError(f"indices must be a list of 1 to {MAX_BATCH} frame indices")
    return indices


def check_player_options(
    fps: Any, loop: Any, start: Any, format: Any, quality: Any, dpi: Any, cache_mb: Any, /
) -> None:
    """Refuse, with :class:`PlayerOptionError`, any option ``animate()`` cannot take."""
    if fps is not None and (not _is_number(fps) or not 0 < fps <= FPS_MAX):
        raise PlayerOptionError(
            f"fps must be a number above 0 and at most {FPS_MAX:g}, not {fps!r}"
        )
    if loop is not None and loop not in LOOP_MODES:
        raise PlayerOptionError(f"loop must be one of {', '.join(LOOP_MODES)}, not {loop!r}")
    if not _is_int(start) or start < 0:
        raise PlayerOptionError(f"start must be a frame index (0 or more), not {start!r}")
    if format not in PLAYER_FORMATS:
        raise PlayerOptionError(
            f"format must be {', '.join(PLAYER_FORMATS[:-1])} or {PLAYER_FORMATS[-1]}, "
            f"not {format!r}"
        )
    check_quality(quality, PlayerOptionError)
    if dpi is not None and (not _is_number(dpi) or not DPI_MIN <= dpi <= DPI_MAX):
        raise PlayerOptionError(
            f"dpi must be a number from {DPI_MIN:g} to {DPI_MAX:g}, not {dpi!r}"
        )
    if not _is_number(cache_mb) or not 0 <= cache_mb <= CACHE_MB_MAX:
        raise PlayerOptionError(
            f"cache_mb must be a number of megabytes from 0 to {CACHE_MB_MAX:g}, not {cache_mb!r}"
        )


def default_fps(interval_ms: float) -> float:
    """The speed of an animation that gives only its interval (1000 / interval)."""
    if interval_ms <= 0:
        return 30.0
    return min(FPS_MAX, max(FPS_MIN, 1000.0 / interval_ms))


# What the page reports (``report``). Only finite numbers are kept: a NaN from a hostile
# client would make every later stats() reply unsendable.
PAGE_STATS = frozenset(
    {
        "displayed",
        "requested",
        "received",
        "dropped",
        "rtt_ms",
        "net_rtt_ms",
        "decoded",
        "fps",
        "window",
        "batch",
        "quality",
        "resolution",
        "goodput_kib_s",
        "in_flight_max",
    }
)


def _is_page_number(v: Any) -> bool:
    if _is_int(v):
        return bool(abs(v) <= 2**53)  # what a JS number holds exactly
    return isinstance(v, float) and math.isfinite(v)


def page_report(stats: Any) -> dict[str, float | int]:
    """The known, finite counters of a page's report; ``TypeError`` if not an object."""
    if not isinstance(stats, dict):
        raise TypeError("stats must be an object")
    return {k: v for k, v in stats.items() if k in PAGE_STATS and _is_page_number(v)}
