"""The one way this package finds the running IPython shell and its kernel.

Why one place: the shell is looked up from magics, widgets, comm handlers on subshell
threads and export code; three different lookups had grown, each with its own idea of
"no shell" (plain Python, a terminal IPython, a kernel).
"""

from __future__ import annotations

from typing import Any

__all__ = ["get_shell", "in_kernel"]


def get_shell() -> Any | None:
    """The running InteractiveShell, or None in plain Python."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def in_kernel() -> bool:
    """Whether the shell is a notebook kernel's (it has a kernel to talk to a page)."""
    return getattr(get_shell(), "kernel", None) is not None
