"""How a page's reply reaches a cell that is waiting for it.

Why this module: a cell that calls the page (``ui.call(...)``) blocks the kernel's main
thread until the page answers, and the answer is a ``comm_msg`` on the shell channel.
Where the kernel would deliver it decides whether the wait can ever end:

- ipykernel 7 reads the shell socket on its *shell channel thread* and forwards each
  message to the main thread or to a subshell thread; a reply forwarded to the main
  thread (JupyterLab with ``commsOverSubshells: disabled``, Notebook 7, any front end
  without subshells) sits in the queue behind the waiting cell: a deadlock.
- ipykernel 6 reads the shell socket on the main thread's event loop, which does not
  run while a cell runs: the reply is not even read.

So replies to our calls are taken *before* the kernel routes anything: :func:`install`
wraps the callback the kernel registered on its shell ``ZMQStream``. The wrapper looks
at each message's header; a ``comm_msg`` that is a reply to one of our calls (see
:func:`watch`) is handed to its handler at once, on the thread that read it; every other
message goes to the kernel's own callback, unchanged and in its order.

- ipykernel 7: the wrapper runs on the shell channel thread, which never runs user
  code; the waiting cell just waits on a ``concurrent.futures.Future``.
- ipykernel 6: the wrapper runs on the main thread, so a wait *on the main thread*
  pumps the shell stream itself (:func:`wait`): ``ZMQStream.flush`` reads what is
  pending and passes each message through the same wrapper. Replies are taken; any
  other request (the next queued cell, a page request) goes to the kernel's own
  callback, which queues it (``schedule_dispatch``) behind the running cell: it runs
  afterwards, once, in its order, never inside the waiting cell.

A wait on another thread never touches the stream (ZMQStream is not thread-safe). The
kernel still publishes ``busy`` / ``idle`` for each reply taken (front ends dispose of
the message's handlers on ``idle``).

Why one module (~375 lines): its one job is the single wrapper on the kernel's shell
stream: what it takes (replies, a live player's thread-safe requests, whole messages a
taker accepts), on which thread, and the waits and pumps that depend on that thread.
Split, each part would need the wrapper's private state (what is installed where, the
lock, the tables it reads on every message); restore.py, which decides *what* a reloaded
page needs, is kept apart.

The same wrapper serves the *requests* of a live player (:func:`serve`): a running loop's
frames are kept encoded, so the page's requests for them need neither the main thread
nor matplotlib, and taken here they are answered while the cell runs in every mode of
ipykernel 7. Under ipykernel 6 the loop's own captures read the stream (:func:`pump`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from .. import interrupts

__all__ = [
    "ReplyHandler",
    "install",
    "kernel",
    "mechanism",
    "pump",
    "serve",
    "take_messages",
    "unserve",
    "unwatch",
    "wait",
    "wait_async",
    "watch",
]

log = logging.getLogger("ipyanimagic")

T = TypeVar("T")

#: ``handler(content, buffers)`` gets the custom message's content and its buffers.
ReplyHandler = Callable[[dict[str, Any], list[bytes]], None]

_lock = threading.Lock()
_watched: dict[str, ReplyHandler] = {}  # comm_id -> handler of its page replies
#: comm_id -> (whether to take a request, its handler): requests answered off the stream
_served: dict[str, tuple[Callable[[Any], bool], ReplyHandler]] = {}
#: ``reply(msg_type, content)``: answer a taken request on the shell channel.
Reply = Callable[[str, dict[str, Any]], None]
#: Messages a taker may take (a comm's, and the kernel_info a reloaded page asks first).
TAKEABLE = ("comm_msg", "comm_open", "comm_close", "kernel_info_request")
#: (whether to take a message: msg_type, content -> bool; its handler(msg, reply))
_takers: list[tuple[Callable[[str, Any], bool], Callable[[dict[str, Any], Reply], None]]] = []
_installed: dict[int, str] = {}  # id(kernel) -> "shell channel thread" | "main thread"

#: How long one slice of a wait is: an interrupt lands at once anyway (lock waits and
#: zmq polls are interruptible); the slice bounds how late a pump sees a reply.
_SLICE = 0.05


def is_page_reply(content: Any) -> bool:
    """Whether a custom message's content is the page's reply to a kernel call.

    Requests from the page are ``{"id", "key", "method", "args"}``; replies to the
    kernel's calls are ``{"reply": <int>, "ok": ...}`` and have no ``method``.
    """
    return (
        isinstance(content, dict)
        and "method" not in content
        and isinstance(content.get("reply"), int)
        and not isinstance(content.get("reply"), bool)
    )


def watch(comm_id: str, handler: ReplyHandler) -> None:
    """Take the page replies arriving on ``comm_id`` and pass them to ``handler``."""
    with _lock:
        _watched[comm_id] = handler


def unwatch(comm_id: str) -> None:
    """Stop taking replies on ``comm_id`` (its widget closed)."""
    with _lock:
        _watched.pop(comm_id, None)


def serve(comm_id: str, accepts: Callable[[Any], bool], handler: ReplyHandler) -> None:
    """Take the page requests on ``comm_id`` that ``accepts(content)`` and pass them to
    ``handler`` on the thread that read them. Only for requests that need neither the
    main thread nor matplotlib (thread-safe methods): nothing else may run there."""
    with _lock:
        _served[comm_id] = (accepts, handler)


def take_messages(
    accepts: Callable[[str, Any], bool], handler: Callable[[dict[str, Any], Reply], None]
) -> None:
    """Take whole messages (of TAKEABLE) that ``accepts(msg_type, content)``, handled
    as ``handler(msg, reply)`` on the thread that read them (restore.py: widgets
    restored while a cell runs). Same rule as :func:`serve`: nothing there may touch
    matplotlib or user code."""
    with _lock:
        _takers.append((accepts, handler))


def unserve(comm_id: str) -> None:
    with _lock:
        _served.pop(comm_id, None)


def kernel() -> Any | None:
    """The running ipykernel, or None (plain IPython, a script)."""
    return _kernel()


def _kernel() -> Any | None:
    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:  # pragma: no cover - IPython without ipykernel
        return None
    return Kernel.instance() if Kernel.initialized() else None


def mechanism() -> str | None:
    """Where replies are taken in this kernel: ``"shell channel thread"`` (ipykernel 7),
    ``"main thread"`` (ipykernel 6: sync waits on the main thread pump), or None
    (not installed: no kernel, or not yet)."""
    kernel = _kernel()
    return None if kernel is None else _installed.get(id(kernel))


def install(timeout: float = 10.0) -> str:
    """Wrap the kernel's shell stream callback (once); returns :func:`mechanism`.

    ``RuntimeError`` outside a kernel, or when the kernel has no shell stream to wrap.
    """
    kernel = _kernel()
    if kernel is None:
        raise RuntimeError("calls to the page need a running Jupyter kernel")
    done = _installed.get(id(kernel))
    if done is not None:
        return done
    stream = getattr(kernel, "shell_stream", None)
    if stream is None:
        raise RuntimeError("this kernel has no shell stream: calls to the page cannot work")
    channel_thread = getattr(kernel, "shell_channel_thread", None)
    if channel_thread is not None:
        where, loop, owner = "shell channel thread", channel_thread.io_loop, channel_thread
    else:
        where, loop, owner = "main thread", kernel.io_loop, threading.main_thread()

    ready = threading.Event()
    failure: list[BaseException] = []

    def wrap() -> None:
        try:
            with _lock:
                if id(kernel) not in _installed:
                    _wrap_stream(kernel, stream)
                    _installed[id(kernel)] = where
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
        finally:
            ready.set()

    if threading.current_thread() is owner:
        wrap()
    else:
        loop.add_callback(wrap)  # tornado's thread-safe way in
        if owner is threading.main_thread():
            # ipykernel 6 and a background thread: the main loop reads the shell socket,
            # so nothing can be missed before it runs ``wrap``; no need to wait for it.
            return where
        if not ready.wait(timeout):
            raise RuntimeError(f"the kernel's {where} did not answer within {timeout} s")
    if failure:
        raise RuntimeError(f"cannot take page replies in this kernel: {failure[0]}")
    return where


def _wrap_stream(kernel: Any, stream: Any) -> None:
    # pyzmq keeps the callback in ``_recv_callback``; re-registering with ``on_recv``
    # (on the stream's own thread) is its public way to change it.
    original = getattr(stream, "_recv_callback", None)
    if original is None:
        raise RuntimeError("the shell stream has no receive callback")

    def take_replies(frames: list[Any]) -> Any:
        try:
            if _take(kernel, frames):
                return None
        except Exception:  # a bad message must still reach the kernel, which logs it
            log.exception("ipyanimagic: could not inspect a shell message")
        return original(frames)

    take_replies.__wrapped__ = original  # type: ignore[attr-defined]
    stream.on_recv(take_replies, copy=False)


def _take(kernel: Any, frames: list[Any]) -> bool:
    """Handle ``frames`` if it is a reply to one of our calls; True if it was."""
    session = kernel.session
    if session is None or not (_watched or _served or _takers):
        return False
    _idents, parts = session.feed_identities(frames, copy=False)
    # Header only (``content=False`` does not record the signature, so the kernel can
    # still read the message if it is not ours).
    peek = session.deserialize(parts, content=False, copy=False)
    msg_type = peek["header"].get("msg_type")
    if msg_type not in TAKEABLE:
        return False
    content = session.unpack(peek["content"])
    for accepts, take in list(_takers):
        if accepts(msg_type, content):
            return _handle_taken(kernel, frames, take)
    if msg_type != "comm_msg":
        return False
    comm_id = content.get("comm_id") if isinstance(content, dict) else None
    if not isinstance(comm_id, str):
        return False
    data = content.get("data")
    if not (isinstance(data, dict) and data.get("method") == "custom"):
        return False
    handler = _watched.get(comm_id) if is_page_reply(data.get("content")) else None
    if handler is None:
        served = _served.get(comm_id)
        if served is None or not served[0](data.get("content")):
            return False
        handler = served[1]
    assert handler is not None
    chosen = handler
    return _handle_taken(
        kernel,
        frames,
        lambda msg, _reply: chosen(
            data["content"],
            [b.bytes if hasattr(b, "bytes") else bytes(b) for b in msg.get("buffers") or []],
        ),
    )


def _handle_taken(
    kernel: Any, frames: list[Any], handle: Callable[[dict[str, Any], Reply], None]
) -> bool:
    """Read the whole message (its signature checked), handle it between ``busy`` and
    ``idle`` (front ends dispose of a message's handlers on ``idle``); True."""
    session = kernel.session
    idents, parts = session.feed_identities(frames, copy=False)
    msg = session.deserialize(parts, content=True, copy=False)  # checks the signature

    def reply(msg_type: str, content: dict[str, Any]) -> None:
        # On the thread that reads the shell stream, which is the one that may send on it.
        stream = kernel.shell_stream
        session.send(stream, msg_type, content, parent=msg, ident=idents)
        if _installed.get(id(kernel)) == "main thread":
            import zmq

            # ipykernel 6: the stream's queue is sent by the main loop, which the running
            # cell holds; send it now, as the kernel does after its own replies.
            stream.flush(zmq.POLLOUT)

    publish = getattr(kernel, "_publish_status", None)
    if publish is not None:
        publish("busy", "shell", parent=msg)
    try:
        handle(msg, reply)
    except Exception:
        log.exception("ipyanimagic: a message taken off the shell stream failed")
    finally:
        if publish is not None:
            publish("idle", "shell", parent=msg)
    return True


def pump() -> None:
    """Read what waits on the shell socket, now, without waiting, where this thread must
    (ipykernel 6, main thread; elsewhere nothing): a live player's captures call it, so
    its page's requests are answered while the loop runs."""
    kernel = _kernel()
    read = _pump(kernel) if kernel is not None else None
    if read is not None:
        read(0)


def _pump(kernel: Any) -> Callable[[float], None] | None:
    """A function that reads the shell socket for up to ``seconds``, if this thread
    must (ipykernel 6, main thread), else None."""
    if _installed.get(id(kernel)) != "main thread":
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    stream = kernel.shell_stream

    def pump(seconds: float) -> None:
        import zmq

        # The wait is interruptible; the reading is not: an interrupt landing in a
        # request's handler would become that request's error reply (interrupts.py).
        if stream.socket.poll(max(0, int(seconds * 1000)), zmq.POLLIN):
            with interrupts.deferred():
                stream.flush(zmq.POLLIN)

    return pump


def wait(future: Future[T], timeout: float) -> T:
    """The future's result, waiting at most ``timeout`` seconds (``TimeoutError``).

    Waits in slices; KeyboardInterrupt (the stop button) lands at once. On the main
    thread of an ipykernel 6 kernel it reads the shell channel meanwhile (see above).
    """
    kernel = _kernel()
    pump = _pump(kernel) if kernel is not None else None
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if future.done() or remaining <= 0:
            try:
                return future.result(timeout=0)
            except FutureTimeout:
                raise TimeoutError(f"no reply from the page within {timeout:g} s") from None
        if pump is not None:
            pump(min(remaining, _SLICE))
        else:
            try:
                return future.result(timeout=min(remaining, _SLICE))
            except FutureTimeout:
                continue


async def wait_async(future: Future[T], timeout: float) -> T:
    """:func:`wait` for async code: the event loop runs meanwhile (and with it, under
    ipykernel 6, the shell stream and its wrapper)."""
    try:
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
    except asyncio.TimeoutError:
        raise TimeoutError(f"no reply from the page within {timeout:g} s") from None
