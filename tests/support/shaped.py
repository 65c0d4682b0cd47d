"""A shaped link for tests and benchmarks: a TCP proxy on 127.0.0.1 that delays, rate-limits
and queues what it carries, as a remote user's network would.

No root and no netem: a plain byte pipe both ways (HTTP, websockets, anything over TCP),
written with asyncio, in a thread of its own with its own event loop, so sync test code
can use it::

    with ShapedLink(server_port, up=Shape(delay=0.03, rate=20e6),
                    down=Shape(delay=0.03, rate=20e6)) as link:
        url = f"http://127.0.0.1:{link.port}/"    # what the browser opens
        ...
        link.set(rate=5e6)                         # cut the rate (both directions) ...
        link.set(rate=20e6, direction="down")      # ... and restore it, mid-run

Each direction ("up": client -> target, "down": target -> client) of the link has a
``Shape``:

- ``delay``: one-way delay in seconds (a round trip is ``up.delay + down.delay``);
- ``rate``: bits per second through a token bucket of ``burst`` bytes (``None``: no limit).
  The bucket is the link's: every connection in that direction shares it, as flows share
  a bottleneck (waiting connections take turns, first come first served);
- ``queue``: bytes read from the source and waiting for the rate limit (the bottleneck's
  buffer), per connection. While it is full the proxy stops reading from the source, so
  the sender's socket fills and back-pressure reaches it (TCP flow control);
- ``window``: bytes past the rate limit that the receiver has not taken yet (on the wire,
  or stuck behind a slow reader), per connection; at most this many, like a TCP
  receive window. A reader that stops reading thus holds at most ``queue + window``
  bytes in the proxy (plus the socket buffers, ``SOCKET_BUFFER`` on the proxy's side).

A new connection pays one round trip before its first byte moves (the TCP handshake).
Bytes arrive intact and in order; an end of stream (half-close) is passed on after the
bytes before it; a reset or error on one side aborts both.

Not modelled: loss, reordering, jitter, TCP's slow start and congestion control (the
proxy ends TCP on both sides, so the sender never sees the path's round trip), TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, TypeVar

__all__ = ["DirectionStats", "LinkStats", "Shape", "ShapedLink"]

# The most bytes read from a socket at once.
CHUNK = 64 * 1024
# SO_RCVBUF / SO_SNDBUF of the proxy's own sockets: small, so that the kernel does not hide
# megabytes between the sender and the proxy's queue (loopback autotunes to several MB).
SOCKET_BUFFER = 64 * 1024

Direction = Literal["up", "down", "both"]
T = TypeVar("T")


@dataclass(frozen=True)
class Shape:
    """One direction of the link (see the module's docstring)."""

    delay: float = 0.0  # one-way, seconds
    rate: float | None = None  # bits per second; None: unlimited
    burst: int = 16 * 1024  # token bucket, bytes
    queue: int = 64 * 1024  # bytes waiting for the rate limit, per connection
    window: int = 1024 * 1024  # bytes past the rate limit not yet taken, per connection

    def __post_init__(self) -> None:
        if self.delay < 0:
            raise ValueError(f"delay must be >= 0, not {self.delay!r}")
        if self.rate is not None and self.rate <= 0:
            raise ValueError(f"rate must be > 0 bits/s or None, not {self.rate!r}")
        for name in ("burst", "queue", "window"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1 byte, not {getattr(self, name)!r}")


@dataclass(frozen=True)
class DirectionStats:
    """Bytes of one direction since the link started (``held``: right now)."""

    bytes_in: int  # read from the sources
    bytes_out: int  # written to the destinations
    held: int  # in the proxy: queued + past the rate limit, not yet written
    max_held: int  # the most held at once by one connection (since the last reset)
    shape: Shape


@dataclass(frozen=True)
class LinkStats:
    up: DirectionStats
    down: DirectionStats
    connections: int  # accepted so far

    def direction(self, name: Literal["up", "down"]) -> DirectionStats:
        return self.up if name == "up" else self.down


class _Link:
    """One direction of the link, shared by its connections: the shape, the token
    bucket, the counters. Lives on the link's loop."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.tokens = float(shape.burst)
        self.stamp = time.monotonic()
        self.turn = asyncio.Lock()  # FIFO: connections take the bucket in turn
        self.changed = asyncio.Event()
        self.pipes: set[_Pipe] = set()
        self.bytes_in = 0
        self.bytes_out = 0
        self.max_held = 0

    def _refill(self) -> None:
        now = time.monotonic()
        if self.shape.rate is None:
            self.tokens = float(self.shape.burst)
        else:
            grown = self.tokens + (now - self.stamp) * self.shape.rate / 8
            self.tokens = min(float(self.shape.burst), grown)
        self.stamp = now

    def configure(self, shape: Shape) -> None:
        self._refill()  # the time so far at the old rate
        self.shape = shape
        self.tokens = min(self.tokens, float(shape.burst))
        self.changed.set()
        self.changed = asyncio.Event()
        for pipe in list(self.pipes):
            pipe.poke()

    async def take(self, want: int) -> int:
        """Wait for tokens for up to ``want`` bytes (at most a bucket); spend them and
        return how many."""
        async with self.turn:
            while True:
                self._refill()
                n = min(want, self.shape.burst)
                rate = self.shape.rate
                if rate is None:
                    return n
                if self.tokens >= n:
                    self.tokens -= n
                    return n
                changed = self.changed
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(changed.wait(), (n - self.tokens) * 8 / rate)

    @property
    def held(self) -> int:
        return sum(p.held for p in self.pipes)

    def stats(self) -> DirectionStats:
        return DirectionStats(self.bytes_in, self.bytes_out, self.held, self.max_held, self.shape)


class _Pipe:
    """One direction of one connection: reader -> queue -> rate limit -> delay -> writer."""

    def __init__(self, link: _Link, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        self.link = link
        self.src = src
        self.dst = dst
        self.cond = asyncio.Condition()
        self.queue: deque[bytes | None] = deque()  # None: end of stream
        self.queued = 0
        self.flight: deque[tuple[float, bytes | None]] = deque()  # (deliver at, bytes)
        self.in_flight = 0

    @property
    def held(self) -> int:
        return self.queued + self.in_flight

    def poke(self) -> None:
        """The shape changed: let waiters look again."""

        async def notify() -> None:
            async with self.cond:
                self.cond.notify_all()

        asyncio.get_running_loop().create_task(notify())

    def tasks(self) -> list[Coroutine[Any, Any, None]]:
        return [self._read(), self._shape(), self._deliver()]

    def _note_held(self) -> None:
        self.link.max_held = max(self.link.max_held, self.held)

    async def _read(self) -> None:
        while True:
            async with self.cond:
                await self.cond.wait_for(lambda: self.queued < self.link.shape.queue)
                room = self.link.shape.queue - self.queued
            data = await self.src.read(min(CHUNK, room))
            async with self.cond:
                self.queue.append(data or None)
                self.queued += len(data)
                self.link.bytes_in += len(data)
                self._note_held()
                self.cond.notify_all()
            if not data:
                return

    async def _shape(self) -> None:
        while True:
            async with self.cond:
                await self.cond.wait_for(
                    lambda: bool(self.queue) and self.in_flight < self.link.shape.window
                )
                item = self.queue[0]
                room = self.link.shape.window - self.in_flight
            if item is None:
                async with self.cond:
                    self.queue.popleft()
                    self.flight.append((time.monotonic() + self.link.shape.delay, None))
                    self.cond.notify_all()
                return
            n = await self.link.take(min(len(item), room))
            async with self.cond:
                piece, rest = item[:n], item[n:]
                if rest:
                    self.queue[0] = rest
                else:
                    self.queue.popleft()
                self.queued -= n
                self.in_flight += n
                self.flight.append((time.monotonic() + self.link.shape.delay, piece))
                self.cond.notify_all()

    async def _deliver(self) -> None:
        while True:
            async with self.cond:
                await self.cond.wait_for(lambda: bool(self.flight))
                at, piece = self.flight[0]
            wait = at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if piece is None:
                if self.dst.can_write_eof():
                    self.dst.write_eof()
                async with self.cond:
                    self.flight.popleft()
                return
            self.dst.write(piece)
            await self.dst.drain()
            async with self.cond:
                self.flight.popleft()
                self.in_flight -= len(piece)
                self.link.bytes_out += len(piece)
                self.cond.notify_all()


def _small_buffers(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class ShapedLink:
    """A shaped TCP link to ``target_host:target_port``, listening on 127.0.0.1.

    ``start()`` (or ``with``) returns once it listens; ``port`` / ``url`` say where.
    ``set(...)`` and ``configure(...)`` change it at runtime, from any thread; ``stats()``
    reads its counters. ``close()`` aborts its connections and stops its thread.
    ``handshake=False``: no round trip before a new connection's first byte.
    """

    def __init__(
        self,
        target_port: int,
        target_host: str = "127.0.0.1",
        *,
        up: Shape | None = None,
        down: Shape | None = None,
        handshake: bool = True,
    ) -> None:
        self.target = (target_host, target_port)
        self._shapes = {"up": up or Shape(), "down": down or Shape()}
        self.handshake = handshake
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._links: dict[str, _Link] = {}
        self._handlers: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._connections = 0
        self._error: BaseException | None = None

    @classmethod
    def symmetric(
        cls, target_port: int, rtt: float = 0.0, rate: float | None = None, **shape: Any
    ) -> ShapedLink:
        """Both directions alike: half the round trip ``rtt`` (s) each way, ``rate`` bits/s."""
        s = Shape(delay=rtt / 2, rate=rate, **shape)
        return cls(target_port, up=s, down=s)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ life cycle

    def start(self) -> int:
        """Listen on a free port of 127.0.0.1 (in a thread of its own); return the port."""
        if self._thread is not None:
            raise RuntimeError("the link is already started")
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="shaped-link", daemon=True
        )
        self._thread.start()
        if not ready.wait(10) or self._error is not None:
            self.close()
            raise RuntimeError(f"the shaped link did not start: {self._error!r}")
        return self.port

    def close(self) -> None:
        """Abort every connection, stop listening, end the thread. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive() and not loop.is_closed():
            with contextlib.suppress(RuntimeError, TimeoutError, asyncio.TimeoutError):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> ShapedLink:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _run(self, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._open())
        except BaseException as exc:  # reported by start()
            self._error = exc
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _open(self) -> None:
        self._links = {name: _Link(shape) for name, shape in self._shapes.items()}
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)

    # ------------------------------------------------------------------ control

    def _call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the link's loop, wait for its result."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the link is not started")

        async def call() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(10)

    def configure(self, up: Shape | None = None, down: Shape | None = None) -> LinkStats:
        """Replace a direction's shape (or both); return the counters as of the change.
        Bytes already past the rate limit keep the delay they were given."""

        def apply() -> LinkStats:
            for name, shape in (("up", up), ("down", down)):
                if shape is not None:
                    self._shapes[name] = shape
                    self._links[name].configure(shape)
            return self._stats()

        return self._call(apply)

    def set(self, direction: Direction = "both", **changes: Any) -> LinkStats:
        """Change fields of the shape (``delay``, ``rate``, ``burst``, ``queue``,
        ``window``) of ``direction`` ("up", "down" or "both"); return the counters as of
        the change. ``rate=None`` lifts the limit."""
        names = ("up", "down") if direction == "both" else (direction,)
        new = {name: dataclasses.replace(self._shapes[name], **changes) for name in names}
        return self.configure(up=new.get("up"), down=new.get("down"))

    def shape(self, direction: Literal["up", "down"]) -> Shape:
        return self._shapes[direction]

    def stats(self, reset_max: bool = False) -> LinkStats:
        """The counters now; ``reset_max``: start ``max_held`` again from what is held."""

        def read() -> LinkStats:
            out = self._stats()
            if reset_max:
                for link in self._links.values():
                    link.max_held = max((p.held for p in link.pipes), default=0)
            return out

        return self._call(read)

    def _stats(self) -> LinkStats:
        return LinkStats(self._links["up"].stats(), self._links["down"].stats(), self._connections)

    # ------------------------------------------------------------------ connections

    async def _serve(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(cwriter)
        self._connections += 1
        swriter: asyncio.StreamWriter | None = None
        pipes: list[_Pipe] = []
        tasks: list[asyncio.Task[None]] = []
        clean = False
        try:
            _small_buffers(cwriter)
            started = time.monotonic()
            sreader, swriter = await asyncio.open_connection(*self.target)
            self._writers.add(swriter)
            _small_buffers(swriter)
            if self.handshake:
                rtt = self._links["up"].shape.delay + self._links["down"].shape.delay
                await asyncio.sleep(max(0.0, started + rtt - time.monotonic()))
            pipes = [
                _Pipe(self._links["up"], creader, swriter),
                _Pipe(self._links["down"], sreader, cwriter),
            ]
            for pipe in pipes:
                pipe.link.pipes.add(pipe)
                tasks += [asyncio.ensure_future(c) for c in pipe.tasks()]
            await asyncio.gather(*tasks)
            clean = True
        except (OSError, asyncio.IncompleteReadError):
            pass  # a reset or refused connection: abort both sides below
        finally:
            for t in tasks:
                t.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            for pipe in pipes:
                pipe.link.pipes.discard(pipe)
            for writer in (cwriter, swriter):
                if writer is None:
                    continue
                self._writers.discard(writer)
                if clean:
                    writer.close()
                else:
                    writer.transport.abort()
            self._handlers.discard(task)
