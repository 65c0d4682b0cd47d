"""Jupyter server extension: TCP_NODELAY on the kernel websocket connections.

Why: tornado's ``WebSocketHandler`` leaves TCP_NODELAY off unless ``set_nodelay(True)``
is called, and jupyter_server never calls it. Nagle's algorithm then holds back every
small message the server writes to the page until the previous one is acknowledged,
and the page's delayed ACK answers only after ~40 ms: every small page <-> kernel round
trip (a ``python.*`` call, a frame request at rest, JupyterLab's own kernel_info) costs
~45 ms more than the kernel needs (issue 12: with nodelay, JupyterLab's kernel_info
from the page went from ~48 ms to 4-5 ms). Tornado writes each websocket message in one
call, so Nagle's coalescing saves at most a few packets in a burst of small messages.

How: through jupyter_server's supported extension point for this, the
``ServerApp.kernel_websocket_connection_class`` configurable. The extension swaps
jupyter_server's default ``ZMQChannelsWebsocketConnection`` for a subclass whose
``connect()`` (called from ``KernelWebsocketHandler.open``, once the websocket is
established) first calls ``websocket_handler.set_nodelay(True)``. Everything else is
the default class's: its configuration (``ZMQChannelsWebsocketConnection.*`` config
applies to subclasses), its class-level registry of open sockets (``close_all`` at
shutdown).

When: a server extension's ``_load_jupyter_server_extension`` runs after
``ServerApp.init_webapp`` has copied the class into the tornado settings, and the
handler reads ``settings["kernel_websocket_connection_class"]`` for every new
connection. So the loader sets both: the settings entry (what the handler uses) and the
ServerApp trait (what shutdown's ``close_all`` uses). No connection exists before the
loader runs (the HTTP server is not listening yet).

Someone else's class (a gateway's ``GatewayWebSocketConnection``, or any class
configured by the user or another extension) is left alone, with a warning in the
server log: only the server's owner can know whether wrapping it is right.

Enabled on install by ``etc/jupyter/jupyter_server_config.d/ipyanimagic.json`` (the
wheel's data files); ``jupyter server extension disable ipyanimagic`` turns it off.
Without it everything works as before, only each small round trip is slower.

jupyter_server is not a dependency of the package: it is imported only inside the
functions the server calls.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp
    from jupyter_server.services.kernels.connection.channels import (
        ZMQChannelsWebsocketConnection,
    )

__all__ = ["SETTING", "nodelay_connection_class"]

# The key of the tornado settings (and the ServerApp trait) holding the connection class.
SETTING = "kernel_websocket_connection_class"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Where jupyter_server finds the extension (``ipyanimagic`` re-exports this)."""
    return [{"module": "ipyanimagic.serverext"}]


@functools.cache
def nodelay_connection_class() -> type[ZMQChannelsWebsocketConnection]:
    """The default kernel websocket connection class, with TCP_NODELAY turned on.

    Made on first use (and then always the same class) so that importing this module
    does not import jupyter_server.
    """
    from jupyter_server.services.kernels.connection.channels import (
        ZMQChannelsWebsocketConnection,
    )

    class NoDelayWebsocketConnection(ZMQChannelsWebsocketConnection):
        """``ZMQChannelsWebsocketConnection`` whose socket sends small messages at once.

        ``connect`` is called from ``KernelWebsocketHandler.open``, when the websocket
        (and so its TCP stream) exists; before that ``set_nodelay`` has nothing to act on.
        """

        def connect(self) -> Any:
            """Turn off Nagle's algorithm on this websocket, then connect as the default."""
            self.websocket_handler.set_nodelay(True)
            return super().connect()

    NoDelayWebsocketConnection.__module__ = __name__
    NoDelayWebsocketConnection.__qualname__ = "NoDelayWebsocketConnection"
    return NoDelayWebsocketConnection


def __getattr__(name: str) -> Any:
    """``ipyanimagic.serverext.NoDelayWebsocketConnection``, made on first access.

    So the class also has an importable name, for a server that sets
    ``ServerApp.kernel_websocket_connection_class`` itself instead of loading the
    extension.
    """
    if name == "NoDelayWebsocketConnection":
        return nodelay_connection_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _name(cls: object) -> str:
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', repr(cls))}"


def _load_jupyter_server_extension(serverapp: ServerApp) -> None:
    """Install the nodelay connection class if the server uses jupyter_server's default.

    Called by jupyter_server after ``init_webapp``: see the module docstring for why
    both the tornado settings and the ServerApp trait are set.
    """
    from jupyter_server.services.kernels.connection.channels import (
        ZMQChannelsWebsocketConnection,
    )

    nodelay = nodelay_connection_class()
    settings: dict[str, Any] = serverapp.web_app.settings
    configured = serverapp.kernel_websocket_connection_class
    in_use = settings.get(SETTING, configured)
    if configured is nodelay and in_use is nodelay:  # loaded twice
        return
    default = ZMQChannelsWebsocketConnection
    if configured is not default or in_use is not default:
        other = in_use if in_use is not default else configured
        serverapp.log.warning(
            "ipyanimagic: the kernel websocket connection class is %s, not jupyter_server's "
            "default %s (configured by someone else, e.g. a gateway); leaving it alone. "
            "TCP_NODELAY stays as that class leaves it: if it is off, small page<->kernel "
            "round trips wait ~40 ms each (Nagle's algorithm).",
            _name(other),
            _name(default),
        )
        return
    settings[SETTING] = nodelay
    serverapp.kernel_websocket_connection_class = nodelay
    serverapp.log.info(
        "ipyanimagic: TCP_NODELAY on for kernel websockets "
        "(ServerApp.kernel_websocket_connection_class = %s)",
        _name(nodelay),
    )
