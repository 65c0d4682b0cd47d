"""Python calls the page: ``ui.call("name", *args)``, ``ui.eval_js(expr)``, ``eval_js``.

The mirror of ``python.*``. A call is a custom message on the widget's own comm,

    kernel -> page   {"call": <int>, "op": "call", "name": str, "args": [<JSON>]}
                     {"call": <int>, "op": "eval", "expr": str}
                     {"abort": <int>}               (timeout, interrupt: the page aborts it)
    page -> kernel   {"reply": <int>, "ok": true, "result": <JSON>}
                     {"reply": <int>, "ok": false, "error": {"name", "message", "stack"}}

each with binary buffers: ``bytes`` and numpy arrays (kernel -> page), ArrayBuffers and
typed arrays (page -> kernel) travel as widget message buffers, not base64; in the JSON
they are ``{"__ipyanimagic_buffer__": <index>, "type": <JS type>, "shape": [...]}``.

Replies are matched by integer id (ipykernel >= 7.4 keeps a routing entry for every
*string* id a comm publishes). They are taken off the shell channel by
:mod:`ipyanimagic.bridge.replywait`, on a thread that never waits for the main thread, and
resolve a ``concurrent.futures.Future``; the caller (a cell, any thread, async code)
waits on it. Every way out (reply, timeout, interrupt, the widget closing) removes the
call from ``pending``; the ways that leave the page running it send an abort.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from . import replywait

__all__ = ["Disconnected", "JSError", "NotExposedError", "PageCalls", "decode", "encode"]

BUFFER_MARK = "__ipyanimagic_buffer__"
DEFAULT_TIMEOUT = 30.0
_MAX_DEPTH = 200

# numpy dtype <-> JS typed array, both ways; "ArrayBuffer" (and DataView) is bytes.
_TYPED = {
    "int8": "Int8Array",
    "uint8": "Uint8Array",
    "int16": "Int16Array",
    "uint16": "Uint16Array",
    "int32": "Int32Array",
    "uint32": "Uint32Array",
    "float32": "Float32Array",
    "float64": "Float64Array",
    "int64": "BigInt64Array",
    "uint64": "BigUint64Array",
    "bool": "Uint8Array",
}
_DTYPES = {js: dt for dt, js in _TYPED.items() if dt != "bool"}
_DTYPES["Uint8ClampedArray"] = "uint8"


class JSError(Exception):
    """The page's code threw: ``name``, ``message`` and ``stack`` are JavaScript's."""

    def __init__(self, name: str, message: str, stack: str = "") -> None:
        super().__init__(f"{name}: {message}" if message else name)
        self.name = name
        self.message = message
        self.stack = stack

    def __str__(self) -> str:
        head = f"{self.name}: {self.message}" if self.message else self.name
        return f"{head}\n{self.stack}" if self.stack and self.stack not in head else head


class NotExposedError(JSError):
    """The page has no function by that name; ``exposed`` lists the names it has."""

    def __init__(self, name: str, message: str, stack: str = "", exposed: Sequence[str] = ()):
        super().__init__(name, message, stack)
        self.exposed = list(exposed)


class Disconnected(ConnectionError):
    """No page can answer any more: the widget closed, its output was cleared or removed,
    or the page went away."""


def encode(value: Any, buffers: list[bytes | memoryview], _depth: int = 0) -> Any:
    """A JSON value for the page, with ``bytes`` and numpy arrays moved to ``buffers``.

    Otherwise as :func:`ipyanimagic.bridge.jsonvalue.to_json`: tuples and sets become arrays,
    NaN and infinities ``null``.
    """
    if _depth > _MAX_DEPTH:
        raise ValueError("value is nested too deeply (or contains itself)")
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bytes, bytearray, memoryview)):
        buffers.append(memoryview(value).cast("B"))
        return {BUFFER_MARK: len(buffers) - 1, "type": "ArrayBuffer"}
    np = _numpy()
    if np is not None:
        if isinstance(value, np.ndarray):
            kind = _TYPED.get(value.dtype.name)
            if kind is None:
                raise TypeError(f"a numpy array of {value.dtype} has no JS typed array")
            data = np.ascontiguousarray(value)
            if data.dtype.byteorder == ">":
                data = data.astype(data.dtype.newbyteorder("<"))
            buffers.append(memoryview(data.view(np.uint8).reshape(-1)))
            return {BUFFER_MARK: len(buffers) - 1, "type": kind, "shape": list(value.shape)}
        if isinstance(value, np.generic):
            return encode(value.item(), buffers, _depth + 1)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, (str, int, float, bool)) or k is None:
                raise TypeError(f"dict key {k!r} cannot be a JSON object key")
            out[k if isinstance(k, str) else str(k)] = encode(v, buffers, _depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [encode(v, buffers, _depth + 1) for v in value]
    raise TypeError(
        f"a {type(value).__name__} cannot be sent to the page "
        "(None, bool, int, float, str, bytes, numpy arrays, lists, tuples and dicts can)"
    )


def decode(value: Any, buffers: Sequence[bytes], _depth: int = 0) -> Any:
    """The Python value of a page's JSON result: buffer marks become ``bytes`` (an
    ArrayBuffer, a typed array) or numpy arrays (what the page marked with
    ``python.array(typed, shape)``)."""
    if _depth > _MAX_DEPTH:
        raise ValueError("value is nested too deeply")
    if isinstance(value, list):
        return [decode(v, buffers, _depth + 1) for v in value]
    if not isinstance(value, dict):
        return value
    index = value.get(BUFFER_MARK)
    if isinstance(index, int) and 0 <= index < len(buffers):
        data = buffers[index]
        dtype = _DTYPES.get(value.get("type", ""))
        if not value.get("array") or dtype is None:
            return bytes(data)
        import numpy as np

        array = np.frombuffer(bytes(data), dtype=np.dtype(dtype).newbyteorder("<"))
        shape = value.get("shape")
        if isinstance(shape, list) and all(isinstance(n, int) for n in shape):
            array = array.reshape(shape)
        return array.astype(np.dtype(dtype)) if array.dtype.byteorder == ">" else array
    return {k: decode(v, buffers, _depth + 1) for k, v in value.items()}


def _numpy() -> Any:
    import sys

    return sys.modules.get("numpy")


def _error(error: Any) -> Exception:
    if not isinstance(error, dict):
        return JSError("Error", "the page sent an unreadable error")
    name = str(error.get("name") or "Error")
    message = str(error.get("message") or "")
    stack = str(error.get("stack") or "")
    if name == "Disconnected":
        return Disconnected(message or "the page went away")
    if name == "NotExposed":
        exposed = error.get("exposed")
        names = [str(n) for n in exposed] if isinstance(exposed, list) else []
        return NotExposedError(name, message, stack, names)
    return JSError(name, message, stack)


class PageCalls:
    """The calls one widget has made to its page and not yet seen answered.

    ``send(content, buffers)`` puts a message on the widget's comm (any thread).
    """

    _ids = itertools.count(1)  # process-wide: ints, unique across widgets

    def __init__(self, send: Any, comm_id: str, label: str = "the page") -> None:
        self._send = send
        self._comm_id = comm_id
        self._label = label
        self._lock = threading.Lock()
        self._pending: dict[int, Future[Any]] = {}
        self._closed: str | None = None
        replywait.install()
        replywait.watch(comm_id, self.on_reply)

    @property
    def pending(self) -> int:
        """How many calls wait for their reply."""
        with self._lock:
            return len(self._pending)

    def start(
        self, message: dict[str, Any], args: Sequence[Any] = (), ids: list[int] | None = None
    ) -> tuple[int, Future[Any]]:
        """Send one call; its id and the future its reply resolves. ``ids`` gets the id
        before the call is sent: an interrupt landing between the send and the caller's
        ``try`` must still abort it on the page."""
        buffers: list[bytes | memoryview] = []
        payload = dict(message)
        if args or payload.get("op") == "call":
            payload["args"] = [encode(a, buffers) for a in args]
        future: Future[Any] = Future()
        with self._lock:
            if self._closed is not None:
                raise Disconnected(self._closed)
            call_id = next(self._ids)
            self._pending[call_id] = future
        if ids is not None:
            ids.append(call_id)
        payload["call"] = call_id
        try:
            self._send(payload, buffers or None)
        except BaseException:
            self.abort(call_id)  # interrupted after the bytes went out: the page stops too
            raise
        return call_id, future

    def _forget(self, call_id: int) -> Future[Any] | None:
        with self._lock:
            return self._pending.pop(call_id, None)

    def abort(self, call_id: int) -> None:
        """Stop waiting for ``call_id`` and tell the page to abort it (its AbortSignal)."""
        if self._forget(call_id) is None:
            return
        with contextlib.suppress(Exception):  # the comm is gone: nothing runs there now
            self._send({"abort": call_id}, None)

    @contextlib.contextmanager
    def _waiting(self, message: dict[str, Any], args: Sequence[Any]) -> Iterator[Future[Any]]:
        """A started call's future, for as long as Python waits on it.

        However the wait ends (timeout, KeyboardInterrupt from the stop button,
        anything), the page is told to stop too (an abort of a call the page never got
        is ignored there), and the id is forgotten.
        """
        sent: list[int] = []
        try:
            yield self.start(message, args, sent)[1]
        except BaseException:
            for call_id in sent:
                self.abort(call_id)
            raise
        finally:
            for call_id in sent:
                self._forget(call_id)

    def call(self, message: dict[str, Any], args: Sequence[Any], timeout: float) -> Any:
        """Send a call and wait for its result (any thread)."""
        timeout = _check_timeout(timeout)
        with self._waiting(message, args) as future:
            return replywait.wait(future, timeout)

    async def call_async(self, message: dict[str, Any], args: Sequence[Any], timeout: float) -> Any:
        """:meth:`call` for async code."""
        timeout = _check_timeout(timeout)
        with self._waiting(message, args) as future:
            return await replywait.wait_async(future, timeout)

    def on_reply(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        """A page reply (from :mod:`replywait` or the transport): resolve its call."""
        call_id = content.get("reply")
        if not isinstance(call_id, int):
            return
        future = self._forget(call_id)
        if future is None or future.done():
            return  # timed out, aborted, or answered by another view already
        try:
            if content.get("ok") is True:
                future.set_result(decode(content.get("result"), buffers))
            else:
                future.set_exception(_error(content.get("error")))
        except Exception as exc:  # a reply we cannot read is still an answer
            with contextlib.suppress(Exception):  # cancelled meanwhile (call_async)
                future.set_exception(JSError("ProtocolError", f"unreadable reply: {exc}"))

    def close(self, reason: str) -> None:
        """Fail every pending call with ``Disconnected(reason)``; later calls too."""
        with self._lock:
            self._closed = reason
            pending, self._pending = list(self._pending.values()), {}
        replywait.unwatch(self._comm_id)
        for future in pending:
            if not future.done():
                future.set_exception(Disconnected(reason))


def _check_timeout(timeout: float) -> float:
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
        raise TypeError(f"timeout must be a number of seconds, not {type(timeout).__name__}")
    if not timeout > 0 or not math.isfinite(timeout):
        raise ValueError(f"timeout must be a positive, finite number of seconds, not {timeout}")
    return float(timeout)
