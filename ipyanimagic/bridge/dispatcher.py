"""The one entry point for JavaScript -> Python requests.

A request is a JSON object ``{"id", "key", "method", "args"}`` plus optional binary
buffers. It is answered by exactly one reply, ``{"id", "ok": true, "result"}`` or
``{"id", "ok": false, "error": {"type", "message", "traceback"}}``, whatever the
request looks like: a page must never be left waiting on a promise because the
kernel choked on its message, and nothing may escape into the comm machinery, where
it would only reach the kernel log.

Only methods marked with :func:`expose` can be called. The request's method name is
looked up in that allow-list; it is never fed to ``getattr``, and names starting with
``_`` are refused outright.

The work is split in two so that the transport can choose the thread it runs on
(see :mod:`ipyanimagic.mainthread`): :func:`prepare` checks the message and finds the
method (cheap, any thread), :meth:`Call.run` calls it and builds the reply.

Why this module is kept whole (~370 lines): the allow-list, the request checks and the
reply building are one contract, "exactly one well-formed reply per request, whatever
arrives"; the fuzz tests (tests/reliability) hold it against this one module.
"""

from __future__ import annotations

import inspect
import json
import keyword
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from .. import futures
from ..errors import ReportedError, describe, user_traceback
from . import registry

__all__ = [
    "Call",
    "Reply",
    "WithBuffers",
    "dispatch",
    "error_reply",
    "expose",
    "exposed_methods",
    "prepare",
]

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "__ipyanimagic_exposed__"


@dataclass(frozen=True)
class Exposed:
    """How an exposed method may be called."""

    #: The name the page calls it by.
    name: str
    #: Safe to run on whatever thread received the message (no matplotlib, no user code).
    thread_safe: bool = False
    #: The method takes the request's binary buffers as a ``buffers`` keyword argument.
    buffers: bool = False
    #: The Python attribute that implements it (``name`` unless exposed under another).
    attr: str = ""


@overload
def expose(
    func: F, *, thread_safe: bool = False, buffers: bool = False, name: str | None = None
) -> F: ...


@overload
def expose(
    func: None = None,
    *,
    thread_safe: bool = False,
    buffers: bool = False,
    name: str | None = None,
) -> Callable[[F], F]: ...


def expose(
    func: F | None = None,
    *,
    thread_safe: bool = False,
    buffers: bool = False,
    name: str | None = None,
) -> F | Callable[[F], F]:
    """Mark a method as callable from JavaScript.

    ``thread_safe=True`` lets the dispatcher run it on the thread that received the
    message (a kernel subshell thread, under JupyterLab >= 4.4) instead of the main
    thread; only use it for methods that touch neither matplotlib nor user code.
    ``buffers=True`` hands the request's binary buffers to the method. ``name``: the
    name the page calls it by, when the Python name means something else in Python
    (``JsExec.call`` calls the page; the page's ``python.call`` is ``JsExec.py_call``).
    """

    def mark(f: F) -> F:
        wire = name if name is not None else f.__name__
        for n in (f.__name__, wire):
            if n.startswith("_"):
                raise ValueError(f"cannot expose {n!r}: names starting with '_' stay private")
        info = Exposed(wire, thread_safe=thread_safe, buffers=buffers, attr=f.__name__)
        setattr(f, _MARK, info)
        return f

    return mark(func) if func is not None else mark


# Weak: anywidget gives every instance a class of its own (``add_traits``), so a plain
# dict would keep one class per widget ever made.
_exposed_cache: weakref.WeakKeyDictionary[type, dict[str, Exposed]] = weakref.WeakKeyDictionary()


def exposed_methods(cls: type) -> dict[str, Exposed]:
    """The allow-list of a class: exposed method name -> how to call it."""
    try:
        return _exposed_cache[cls]
    except KeyError:
        pass
    table: dict[str, Exposed] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            info = getattr(value, _MARK, None)
            if isinstance(info, Exposed) and attr == info.attr:
                for wire in [w for w, i in table.items() if i.attr == attr]:
                    del table[wire]
                table[info.name] = info
            else:
                # Overridden without @expose: the subclass withdrew it.
                for wire in [w for w, i in table.items() if i.attr == attr]:
                    del table[wire]
    _exposed_cache[cls] = table
    return table


@dataclass
class WithBuffers:
    """Return this from an exposed method to send binary buffers with the result."""

    result: Any
    buffers: Sequence[bytes | memoryview] = ()


@dataclass
class Reply:
    """A reply ready to go on the wire."""

    content: dict[str, Any]
    buffers: list[bytes | memoryview] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.content.get("ok"))


class RequestError(Exception):
    """A request the dispatcher refuses; ``kind`` becomes the error's ``type``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def error_reply(request_id: Any, kind: str, message: str, tb: Sequence[str] = ()) -> Reply:
    """A structured error reply. ``request_id`` must already be a valid id or None."""
    return Reply(
        {
            "id": request_id,
            "ok": False,
            "error": {"type": kind, "message": message, "traceback": list(tb)},
        }
    )


def _exception_reply(request_id: Any, exc: BaseException) -> Reply:
    if isinstance(exc, ReportedError):
        reply = error_reply(request_id, exc.kind, exc.message, exc.traceback)
        if exc.outputs:
            reply.content["outputs"] = exc.outputs
        if exc.frame is not None:  # the page names the frame that failed, not the one asked
            reply.content["error"]["frame"] = exc.frame
        return reply
    return error_reply(request_id, type(exc).__name__, describe(exc), user_traceback(exc))


def _valid_id(value: Any) -> bool:
    # bool is an int in Python but not an id anyone meant to send.
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, str)


@dataclass
class Call:
    """A checked request: the bound method and its arguments, ready to run."""

    id: int | str
    key: str
    method: str
    target: Any
    info: Exposed
    args: dict[str, Any]
    buffers: list[Any]

    @property
    def thread_safe(self) -> bool:
        return self.info.thread_safe

    def run(self) -> Reply | Future[Reply]:
        """Call the method and build the reply. Never raises.

        A method may return a ``concurrent.futures.Future`` (work finishing on another
        thread, e.g. encoding while the main thread draws the next frame); then this
        returns a future of the reply, which never fails either.
        """
        try:
            bound = getattr(self.target, self.info.attr or self.info.name)
            kwargs = dict(self.args)
            if self.info.buffers:
                kwargs["buffers"] = list(self.buffers)
            try:
                inspect.signature(bound).bind(**kwargs)
            except TypeError as exc:
                return error_reply(self.id, "BadArguments", f"{self.method}(): {exc}")
            result = bound(**kwargs)
        except BaseException as exc:  # SystemExit from user code too: the kernel lives on
            return _exception_reply(self.id, exc)
        if isinstance(result, Future):
            return _reply_when_done(self.id, result)
        return result_reply(self.id, result)


def _reply_when_done(request_id: Any, pending: Future[Any]) -> Future[Reply]:
    return futures.then(
        pending,
        lambda result: result_reply(request_id, result),
        on_error=lambda exc: _exception_reply(request_id, exc),
    )


def result_reply(request_id: Any, result: Any) -> Reply:
    """A success reply, or an error reply if ``result`` cannot travel as JSON."""
    buffers: list[Any] = []
    if isinstance(result, WithBuffers):
        buffers = [memoryview(b) for b in result.buffers]
        result = result.result
    try:
        # Strict JSON: NaN and Infinity would make the kernel's serializer fail and the
        # reply would never leave; better to say so now, to the caller.
        json.dumps(result, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        return error_reply(request_id, "TypeError", f"the result cannot be sent as JSON: {exc}")
    return Reply({"id": request_id, "ok": True, "result": result}, buffers)


def prepare(message: Any, buffers: Sequence[Any] = ()) -> Call | Reply:
    """Check a request and find its target: a :class:`Call`, or the error :class:`Reply`.

    Never raises, whatever ``message`` is.
    """
    try:
        return _prepare(message, buffers)
    except RequestError as exc:
        rid = message.get("id") if isinstance(message, dict) else None
        return error_reply(rid if _valid_id(rid) else None, exc.kind, str(exc))
    except Exception as exc:  # pragma: no cover - a bug here must still answer
        return _exception_reply(None, exc)


def _prepare(message: Any, buffers: Sequence[Any]) -> Call:
    if not isinstance(message, dict):
        raise RequestError(
            "ProtocolError", f"a request must be a JSON object, not {type(message).__name__}"
        )
    if "id" not in message:
        raise RequestError("ProtocolError", "the request has no 'id'")
    rid = message["id"]
    if not _valid_id(rid):
        raise RequestError("ProtocolError", "the request 'id' must be an integer or a string")
    key = message.get("key")
    if not isinstance(key, str):
        raise RequestError("ProtocolError", "the request 'key' must be a string")
    method = message.get("method")
    if not isinstance(method, str):
        raise RequestError("ProtocolError", "the request 'method' must be a string")
    args = message.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
        raise RequestError("BadArguments", "the request 'args' must be a JSON object")
    bad = [k for k in args if not k.isidentifier() or keyword.iskeyword(k) or k == "buffers"]
    if bad:
        raise RequestError("BadArguments", f"invalid argument name {bad[0][:80]!r}")
    if not isinstance(buffers, (list, tuple)):
        raise RequestError("ProtocolError", "buffers must be a list")
    try:
        target = registry.get(key)
    except KeyError:
        raise RequestError(
            "UnknownKey", "no object is registered under this key (was it closed?)"
        ) from None
    if method.startswith("_"):
        raise RequestError("UnknownMethod", f"{method[:80]!r} is private")
    info = exposed_methods(type(target)).get(method)
    if info is None:
        raise RequestError(
            "UnknownMethod",
            f"{type(target).__name__} exposes no method {method[:80]!r}",
        )
    if buffers and not info.buffers:
        raise RequestError("BadArguments", f"{method}() takes no binary buffers")
    return Call(rid, key, method, target, info, args, list(buffers))


def dispatch(message: Any, buffers: Sequence[Any] = ()) -> Reply:
    """Check, route and run a request on the calling thread, waiting for deferred
    results. Never raises."""
    call = prepare(message, buffers)
    if isinstance(call, Reply):
        return call
    outcome = call.run()
    return outcome.result() if isinstance(outcome, Future) else outcome
