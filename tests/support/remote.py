"""A Jupyter server as a remote user's browser reaches it: through a shaped link
(``shaped.py``), for browser tests and ``benchmarks/remote.py``.

``through(server, link)``: the same server (token, root, process, log) at the link's
address; open notebooks on it and the browser's HTTP and kernel websocket go over the
link. ``shaped_server(server)``: a link to ``server`` (unshaped until ``link.set``) and the
server through it, closed on the way out.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Iterator
from typing import Any

from . import lab
from .shaped import ShapedLink

__all__ = ["shaped_server", "through"]


def through(server: Any, link: ShapedLink) -> lab.JupyterServer:
    """``server`` at ``link``'s address."""
    return lab.JupyterServer(link.url, server.token, server.root, server.proc, server.log)


@contextlib.contextmanager
def shaped_server(server: Any, **link: Any) -> Iterator[tuple[lab.JupyterServer, ShapedLink]]:
    """A shaped link to ``server`` (``ShapedLink``'s keywords) and the server through it."""
    port = urllib.parse.urlsplit(server.url).port
    assert port is not None, server.url
    with ShapedLink(port, **link) as shaped:
        yield through(server, shaped), shaped
