"""ipyanimagic: JavaScript <-> Python calls in Jupyter, and kernel-rendered animations.

``%load_ext ipyanimagic`` registers the magics; everything they do is also available
as plain functions here. The package is also a Jupyter server extension
(``ipyanimagic.serverext``: TCP_NODELAY on the kernel websockets).

The layout (docs/ARCHITECTURE.md has a section for each): ``bridge/`` (page <-> kernel
calls, ``%%jsexec``), ``frames/`` (an animation's frames: drawn, encoded, kept),
``workers/`` (frames drawn in other processes), ``player/`` (``%animate``: the widget,
its frame supply, export and embedding); here at the top only what they all share.

Why the names below are imported lazily: the Jupyter server imports this package to find
its server extension, and must not pay for matplotlib, anywidget and ipywidgets (about
0.6 s) to set one socket option.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .serverext import _jupyter_server_extension_points as _jupyter_server_extension_points

if TYPE_CHECKING:
    from .bridge import registry
    from .bridge.dispatcher import WithBuffers, expose
    from .bridge.jsexec import JsExec, eval_js, jsexec
    from .bridge.pagecalls import Disconnected, JSError, NotExposedError
    from .bridge.transport import BridgeWidget
    from .player.animate import animate
    from .player.live import LivePlayer, live
    from .player.widget import Player

__version__ = "0.1.0"  # the one place the version is written (pyproject reads it)

#: Public name -> the module that defines it (imported on first access).
_PUBLIC = {
    "BridgeWidget": ".bridge.transport",
    "Disconnected": ".bridge.pagecalls",
    "JSError": ".bridge.pagecalls",
    "JsExec": ".bridge.jsexec",
    "LivePlayer": ".player.live",
    "NotExposedError": ".bridge.pagecalls",
    "Player": ".player.widget",
    "WithBuffers": ".bridge.dispatcher",
    "animate": ".player.animate",
    "eval_js": ".bridge.jsexec",
    "expose": ".bridge.dispatcher",
    "jsexec": ".bridge.jsexec",
    "live": ".player.live",
}

__all__ = [
    "BridgeWidget",
    "Disconnected",
    "JSError",
    "JsExec",
    "LivePlayer",
    "NotExposedError",
    "Player",
    "WithBuffers",
    "__version__",
    "animate",
    "eval_js",
    "expose",
    "jsexec",
    "live",
    "load_ipython_extension",
    "registry",
    "unload_ipython_extension",
]


def __getattr__(name: str) -> Any:
    if name == "registry":
        value: Any = importlib.import_module(".bridge.registry", __name__)
    elif name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


_loaded: dict[int, Any] = {}


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext ipyanimagic``: register the magics (once per shell)."""
    from . import magics

    if id(shell) in _loaded:
        return
    _loaded[id(shell)] = magics.load(shell)


def unload_ipython_extension(shell: Any) -> None:
    """``%unload_ext ipyanimagic``: remove the magics and every hook added at load."""
    from . import magics

    registered = _loaded.pop(id(shell), None)
    if registered is not None:
        magics.unload(shell, registered)
