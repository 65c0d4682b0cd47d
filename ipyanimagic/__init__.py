"""ipyanimagic: JavaScript <-> Python calls in Jupyter, and kernel-rendered animations.

``%load_ext ipyanimagic`` registers the magics; everything they do is also available
as plain functions here. The package is also a Jupyter server extension
(``ipyanimagic.serverext``: TCP_NODELAY on the kernel websockets).
"""

from __future__ import annotations

from typing import Any

from . import registry
from .animation import animate
from .dispatcher import WithBuffers, expose
from .jsexec import JsExec, eval_js, jsexec
from .pagecalls import Disconnected, JSError, NotExposedError
from .player import Player
from .serverext import _jupyter_server_extension_points as _jupyter_server_extension_points
from .transport import BridgeWidget

__version__ = "0.1.0"  # the one place the version is written (pyproject reads it)

__all__ = [
    "BridgeWidget",
    "Disconnected",
    "JSError",
    "JsExec",
    "NotExposedError",
    "Player",
    "WithBuffers",
    "__version__",
    "animate",
    "eval_js",
    "expose",
    "jsexec",
    "load_ipython_extension",
    "registry",
    "unload_ipython_extension",
]

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
