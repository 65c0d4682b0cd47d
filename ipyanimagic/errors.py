"""The errors every part reports the same way: what the user sees of a failure.

Why a module of its own: the bridge's replies, the frame machinery and the workers all
turn exceptions into the same ``{type, message, traceback}`` a page or a cell shows;
the frame machinery must not import the bridge to do so (the import direction in
docs/ARCHITECTURE.md), so the shared part lives here, below both.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Sequence
from typing import Any

__all__ = ["ReportedError", "describe", "user_traceback"]

#: The package's root folder: frames under it (any subpackage) are machinery, not user code.
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_traceback(exc: BaseException) -> list[str]:
    """The traceback of ``exc`` from the first frame outside ipyanimagic.

    Why: for an error in user code the useful traceback starts in the user's code, not
    in the machinery that called it. An error raised by ipyanimagic itself keeps all.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        tb = tb.tb_next
    return traceback.format_exception(type(exc), exc, tb or exc.__traceback__)


def describe(exc: BaseException) -> str:
    """The message of ``exc``, never raising.

    Why: user code can define an exception whose ``__str__`` fails; reporting that
    error must not itself become a second, unreported one.
    """
    try:
        message = str(exc)
    except BaseException:  # whatever __str__ raises, the error is still reported
        return f"<{type(exc).__name__}: str() failed>"
    return message or type(exc).__name__


class ReportedError(Exception):
    """An error whose type, message and traceback are already what the caller should see."""

    def __init__(
        self,
        kind: str,
        message: str,
        tb: Sequence[str] = (),
        outputs: Sequence[dict[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.traceback = list(tb)
        self.outputs = list(outputs)
        #: The animation frame whose drawing raised it, when that is not the one asked
        #: for (a run in order stopped at an earlier frame).
        self.frame: int | None = None

    @classmethod
    def from_exception(
        cls, exc: BaseException, outputs: Sequence[dict[str, Any]] = ()
    ) -> ReportedError:
        """Wrap ``exc`` with its :func:`user_traceback`."""
        return cls(type(exc).__name__, describe(exc), user_traceback(exc), outputs)
