"""The shaped link (tests/support/shaped.py) on its own: no browser, no Jupyter.

Time is only ever checked from the safe side: a delay is at least what was asked (nothing
can make bytes early), a rate bounds what arrives from above (a busy machine only makes
it slower); the one upper bound on time (a restored rate) has a margin of about 100x.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from support.shaped import SOCKET_BUFFER, Shape, ShapedLink

pytestmark = pytest.mark.timeout(30)


@contextmanager
def tcp_server(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A one-connection-at-a-time server on 127.0.0.1 running ``handle(conn)`` in a
    thread per connection; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    threads: list[threading.Thread] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return

            def run(c: socket.socket = conn) -> None:
                with c, contextlib.suppress(OSError):
                    handle(c)

            t = threading.Thread(target=run, daemon=True)
            t.start()
            threads.append(t)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone does not)
        listener.close()
        acceptor.join(5)
        for t in threads:
            t.join(5)


def echo(conn: socket.socket) -> None:
    """Echo until the client's end of stream, then end ours."""
    while data := conn.recv(65536):
        conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)


def read_all(sock: socket.socket) -> bytes:
    parts = []
    while data := sock.recv(65536):
        parts.append(data)
    return b"".join(parts)


def connect(port: int, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(20)
    sock.connect(("127.0.0.1", port))
    return sock


def test_bytes_arrive_intact_and_in_order_both_ways() -> None:
    """1 MB of random bytes to an echo server and back, through small queues, a small
    bucket and windows (every piece split and queued), and both ends of stream."""
    payload = os.urandom(1024 * 1024)
    shape = Shape(delay=0.002, rate=None, burst=3000, queue=20_000, window=7000)
    with tcp_server(echo) as port, ShapedLink(port, up=shape, down=shape) as link:
        sock = connect(link.port)
        with sock:

            def send() -> None:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)

            sender = threading.Thread(target=send)
            sender.start()
            got = read_all(sock)  # ends only if the echo server's end of stream came back
            sender.join(10)
        stats = link.stats()
    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(payload).hexdigest()
    assert stats.up.bytes_in == stats.up.bytes_out == len(payload)
    assert stats.down.bytes_in == stats.down.bytes_out == len(payload)
    assert stats.connections == 1


def test_a_half_closed_client_still_gets_the_reply() -> None:
    """The client ends its side (HTTP/1.0 style); the server reads to the end, then
    answers and closes: the answer and the end of stream reach the client."""

    def answer(conn: socket.socket) -> None:
        request = read_all(conn)
        conn.sendall(b"got " + str(len(request)).encode())

    with (
        tcp_server(answer) as port,
        ShapedLink.symmetric(port, rtt=0.01) as link,
        connect(link.port) as sock,
    ):
        sock.sendall(b"x" * 100_000)
        sock.shutdown(socket.SHUT_WR)
        assert read_all(sock) == b"got 100000"


def test_http_goes_through_unchanged() -> None:
    body = os.urandom(300_000)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        with ShapedLink.symmetric(server.server_address[1], rtt=0.02, rate=50e6) as link:
            for _ in range(2):
                with urllib.request.urlopen(f"{link.url}/x", timeout=20) as resp:
                    assert resp.read() == body
    finally:
        server.shutdown()
        server.server_close()


def test_the_delay_is_at_least_what_was_asked_each_way() -> None:
    """Up 40 ms, down 20 ms: a message reaches the server >= 40 ms after it was sent, the
    echo comes back >= 60 ms after; a new connection's first byte pays the handshake's
    round trip too (>= 60 + 40 ms)."""
    arrived: list[float] = []

    def stamp_and_echo(conn: socket.socket) -> None:
        while data := conn.recv(100):
            arrived.append(time.monotonic())
            conn.sendall(data)

    up, down = Shape(delay=0.04), Shape(delay=0.02)
    with tcp_server(stamp_and_echo) as port, ShapedLink(port, up=up, down=down) as link:
        t0 = time.monotonic()
        with connect(link.port) as sock:
            for k in range(4):
                sent = time.monotonic()
                sock.sendall(b"x")
                assert sock.recv(100) == b"x"
                back = time.monotonic()
                assert back - sent >= 0.06
                assert arrived[k] - sent >= 0.04
                if k == 0:
                    assert arrived[0] - t0 >= 0.06 + 0.04  # handshake, then the byte


def slow_sender(
    total: int, sent: list[int], done: threading.Event
) -> Callable[[socket.socket], None]:
    """A server that sends ``total`` bytes (a known pattern) and counts what it sent."""

    def handle(conn: socket.socket) -> None:
        block = bytes(range(256)) * 256  # 64 KiB
        try:
            while sent[0] < total:
                n = min(len(block), total - sent[0])
                conn.sendall(block[:n])
                sent[0] += n
        finally:
            done.set()

    return handle


def pattern_ok(data: bytes) -> bool:
    block = bytes(range(256)) * 256
    whole, rest = divmod(len(data), len(block))
    return data == block * whole + block[:rest]


def test_the_rate_bounds_throughput_from_above() -> None:
    """Down 4 Mbit/s (500 kB/s), 16 KiB bucket: 300 kB cannot arrive before
    (300 kB - bucket) / rate after the connection was made, plus the delay."""
    total, rate, burst, delay = 300_000, 4e6, 16 * 1024, 0.01
    sent, done = [0], threading.Event()
    down = Shape(delay=delay, rate=rate, burst=burst)
    with (
        tcp_server(slow_sender(total, sent, done)) as port,
        ShapedLink(port, down=down, handshake=False) as link,
    ):
        t0 = time.monotonic()
        with connect(link.port) as sock:
            got = 0
            while got < total:
                got += len(sock.recv(65536))
            elapsed = time.monotonic() - t0
    assert got == total
    assert elapsed >= (total - burst) / (rate / 8) + delay


def test_a_slow_reader_holds_the_proxy_to_its_queue_and_window() -> None:
    """A client that does not read: the proxy stops reading from the server once its
    queue and window are full, so the server's sends block (its socket fills) instead
    of the proxy's memory; then every byte arrives, intact."""
    total = 48 * 1024 * 1024  # far more than the socket buffers on the way can hold
    queue, window = 32 * 1024, 48 * 1024
    sent, done = [0], threading.Event()
    down = Shape(queue=queue, window=window)
    with tcp_server(slow_sender(total, sent, done)) as port, ShapedLink(port, down=down) as link:
        with connect(link.port, rcvbuf=32 * 1024) as sock:
            deadline = time.monotonic() + 10
            while link.stats().down.held < queue + window:  # fills, then stays full
                assert time.monotonic() < deadline, link.stats()
                time.sleep(0.01)
            first = link.stats()
            time.sleep(0.2)  # nothing is read meanwhile: nothing more may come in
            second = link.stats()
            assert second.down.bytes_in == first.down.bytes_in
            assert second.down.held <= queue + window
            assert not done.is_set()  # the server is blocked in sendall
            assert sent[0] < total
            data = bytearray()
            while len(data) < total:
                data += sock.recv(1 << 20)
        end = link.stats()
    assert pattern_ok(bytes(data))
    assert end.down.max_held <= queue + window
    # what the server got rid of while the reader slept: the proxy's share, bounded
    assert first.down.bytes_in - first.down.bytes_out <= queue + window


def test_the_rate_can_be_cut_and_restored_mid_run() -> None:
    """A transfer at full speed; the down rate cut to 8 Mbit/s (1 MB/s) for 0.3 s: what
    arrives meanwhile is bounded by what was already past the limit (held in the proxy,
    or written to the client's socket) + a bucket + rate x time; restored, the rest
    (tens of MB, a minute at the cut rate) arrives in well under half of that."""
    total, cut, burst = 48 * 1024 * 1024, 8e6, 16 * 1024
    sent, done = [0], threading.Event()
    down = Shape(burst=burst)
    with (
        tcp_server(slow_sender(total, sent, done)) as port,
        ShapedLink(port, down=down) as link,
        connect(link.port, rcvbuf=SOCKET_BUFFER) as sock,
    ):
        got = 0
        while got < 2 * 1024 * 1024:
            got += len(sock.recv(1 << 20))
        t_cut = time.monotonic()
        at_cut = link.set(direction="down", rate=cut).down
        before = got
        while time.monotonic() < t_cut + 0.3:
            got += len(sock.recv(1 << 20))
        t_end = time.monotonic()
        during = got - before
        written_unread = at_cut.bytes_out - before  # in the sockets, not in the proxy
        bound = written_unread + at_cut.held + burst + (cut / 8) * (t_end - t_cut)
        assert during <= bound, (during, bound)

        link.set(direction="down", rate=None)
        t_restore = time.monotonic()
        rest = total - got
        while got < total:
            got += len(sock.recv(1 << 20))
        assert time.monotonic() - t_restore < 0.5 * rest / (cut / 8)
    assert got == total
    assert link.shape("down").rate is None


def test_shapes_are_checked() -> None:
    with pytest.raises(ValueError):
        Shape(delay=-1)
    with pytest.raises(ValueError):
        Shape(rate=0)
    with pytest.raises(ValueError):
        Shape(queue=0)
    link = ShapedLink(1)
    with pytest.raises(RuntimeError):
        link.stats()
    link.close()  # never started: nothing to do
