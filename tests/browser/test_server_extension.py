"""The ipyanimagic server extension on a running server, read from the server's own
sockets: TCP_NODELAY is on for the kernel websocket with it, off without it, and
without it everything still works (a hub that does not load it).

The page's kernel websocket is found among the server's connections to the browser
as the one whose sent bytes grow by a large output the kernel prints; its option is
read from a copy of the server's own descriptor (``support.sockets``), not taken from
a log line.
"""

from __future__ import annotations

import time
import urllib.parse

import pytest
from support import sockets
from support.player import PlayerView
from support.seed import SEED_CELL

from ipyanimagic.serverext import nodelay_connection_class

# More than anything else the page exchanges with the server while the output comes.
BULK = 300_000
PRINT_BULK = f"print('x' * {BULK})"
LOADED = "ipyanimagic: TCP_NODELAY on for kernel websockets"

needs_sockets = pytest.mark.skipif(
    sockets.unsupported() is not None, reason=f"{sockets.unsupported()}"
)


def kernel_websocket_connections(server, nb, cell: int) -> list[sockets.Connection]:
    """The server's connections that carry the page's kernel messages.

    Runs ``cell`` (which prints ``BULK`` characters) and returns the server-side
    connections to the page whose acknowledged sent bytes grew by at least that much.
    """
    port = urllib.parse.urlsplit(server.url).port
    before = {c: c.bytes_acked() for c in sockets.connections(server.proc.pid, port)}
    nb.run_cell(cell)
    deadline = time.monotonic() + 10
    while True:
        grown = [c for c, sent in before.items() if _acked(c) - sent >= BULK]
        if grown or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert grown, (
        f"no connection of the server (port {port}) sent the {BULK}-byte output; "
        f"connections: {list(before)}"
    )
    return grown


def _acked(c: sockets.Connection) -> int:
    try:
        return c.bytes_acked()
    except OSError:  # closed meanwhile (an HTTP keep-alive connection)
        return -1


def test_the_test_server_loads_the_extension_as_an_installed_package_does(jupyter_server):
    assert LOADED in jupyter_server.log.read_text()
    assert nodelay_connection_class().__qualname__ in jupyter_server.log.read_text()


@needs_sockets
def test_the_kernel_websocket_socket_has_tcp_nodelay_on(jupyter_server, notebook):
    nb = notebook([PRINT_BULK])
    found = kernel_websocket_connections(jupyter_server, nb, 0)
    assert [c.nodelay() for c in found] == [True] * len(found), found


@needs_sockets
def test_without_the_extension_the_kernel_websocket_socket_has_tcp_nodelay_off(
    jupyter_server_without_extension, notebook_without_extension
):
    server = jupyter_server_without_extension
    assert LOADED not in server.log.read_text()
    nb = notebook_without_extension([PRINT_BULK])
    found = kernel_websocket_connections(server, nb, 0)
    assert [c.nodelay() for c in found] == [False] * len(found), found


def test_without_the_extension_a_player_and_a_jsexec_round_trip_still_work(
    jupyter_server_without_extension, notebook_without_extension
):
    assert LOADED not in jupyter_server_without_extension.log.read_text()
    nb = notebook_without_extension(
        [
            "%load_ext ipyanimagic\n" + SEED_CELL,
            "%%jsexec\nelement.textContent = 'answer: ' + await python.eval('6 * 7');",
            "anim = seed(frames=10)\n%animate anim",
        ]
    )
    nb.run_cell(0)
    nb.run_cell(1)
    nb.wait_for_text(1, "answer: 42")
    nb.run_cell(2)
    player = PlayerView.in_output(nb, 2)
    player.expect_frame(0)
    player.button("Next frame").click()
    player.expect_frame(1)
    player.button("Last frame").click()
    player.expect_frame(9)
    nb.assert_no_page_errors()
