"""The transport: an anywidget whose custom comm messages carry bridge requests.

Why a widget and not a raw comm: the widget model is what JupyterLab 4, Notebook 7
and VS Code all know how to open, render and close, and anywidget lets the page side
be a plain ES module. Every displayed ipyanimagic object derives from
:class:`BridgeWidget`; it registers itself, hands each incoming custom message to the
dispatcher and sends the reply back on the same comm.
"""

from __future__ import annotations

import collections
import logging
import threading
import uuid
from concurrent.futures import Future
from typing import Any

import anywidget
import traitlets

from .. import esm, futures, mainthread
from ..shell import get_shell
from . import cellruns, dispatcher, registry, replywait
from .capture import capture_outputs
from .dispatcher import Call, Reply, WithBuffers, expose

__all__ = ["BridgeWidget", "page_code_requests"]

log = logging.getLogger("ipyanimagic")

_requests_lock = threading.Lock()
_page_code_requests: collections.Counter[str] = collections.Counter()


def page_code_requests() -> dict[str, int]:
    """How many times this kernel sent each page code (by hash): once per page that
    showed widgets of it, if the pages keep to the protocol (tests read it)."""
    with _requests_lock:
        return dict(_page_code_requests)


def _is_thread_safe_request(content: Any) -> bool:
    call = dispatcher.prepare(content)
    return isinstance(call, Call) and call.thread_safe


def _with_outputs(outcome: Future[Reply], printed: list[dict[str, Any]]) -> Future[Reply]:
    def add(reply: Reply) -> Reply:
        reply.content.setdefault("outputs", []).extend(printed)
        return reply

    return futures.then(outcome, add)


class BridgeWidget(anywidget.AnyWidget):
    """Base class of everything ipyanimagic puts on the page.

    ``key`` is the object's registry key; the page sends it with every request.
    """

    key = traitlets.Unicode(read_only=True).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        # The key must be in the state that opens the comm, so set it before.
        self.set_trait("key", registry.register(self))
        # The page asks for its code (``page_code``) the moment the comm_open reaches
        # it, often while the cell that made the widget still runs. So the comm's id is
        # chosen here and its requests are served off the main thread *before* the comm
        # opens: a request that came in between would be routed to the busy main thread
        # and wait there for the end of the cell (a cell that waits on the page, like
        # ``eval_js``, would then wait for nothing until its timeout).
        # Replies to requests served before ``self.comm`` is set wait for it here.
        self._opening_lock = threading.Lock()
        self._held_replies: list[Reply] | None = []
        kwargs.setdefault("model_id", uuid.uuid4().hex)
        self.on_msg(self._on_custom_msg)
        self._serve(kwargs["model_id"])
        try:
            super().__init__(**kwargs)
        except BaseException:
            self._unserve()
            registry.unregister(self.key)
            raise
        finally:
            with self._opening_lock:
                held, self._held_replies = self._held_replies or [], None
        for reply in held:
            self._send_reply(reply)
        # DOMWidget makes a Layout widget (a comm of its own) for every instance, and
        # closing a widget does not close it: remember ours to close it with us.
        self._own_layout = None if "layout" in kwargs else self.layout
        self._quiet_comm()

    # -- transport ----------------------------------------------------------------

    def _quiet_comm(self) -> None:
        """Deliver this widget's comm messages without the shell's execute events.

        Why: ``comm.BaseComm.handle_msg`` triggers ``pre_execute`` and ``post_execute``
        around every incoming message, on whatever thread received it. With comms over
        subshells that is a subshell thread while a cell runs, and matplotlib-inline's
        ``flush_figures`` (a post_execute hook) then shows and closes the running cell's
        figures from that thread: the cell's plot vanishes or is drawn half-made.
        Nothing this widget does needs those events (frames are drawn on figures pyplot
        no longer manages; ``kernel.execute`` runs the events itself, on the main thread).
        """
        comm = getattr(self, "comm", None)
        if comm is None or not hasattr(comm, "handle_msg"):
            return

        def handle_msg(msg: dict[str, Any]) -> None:
            callback = getattr(comm, "_msg_callback", None)
            if callback is not None:
                callback(msg)

        comm.handle_msg = handle_msg

    def _on_custom_msg(self, _widget: Any, content: Any, buffers: Any) -> None:
        """Entry point of every custom message, on whatever thread the kernel uses."""
        try:
            if replywait.is_page_reply(content):
                # The page answering a call this kernel made (``ui.call``), not a request.
                # Usually taken off the shell channel before it gets here (replywait);
                # this path serves a reply the kernel delivered the ordinary way.
                self._on_page_reply(content, [bytes(b) for b in buffers or []])
                return
            call = dispatcher.prepare(content, buffers or [])
            if isinstance(call, Reply):
                self._send_reply(call)
            elif call.thread_safe:
                self._deliver(call.run())
            else:
                mainthread.call_on_main(lambda: self._run_on_main(call))
        except Exception:  # pragma: no cover - prepare and run never raise
            log.exception("ipyanimagic: unexpected failure while dispatching")

    def serve_while_busy(self) -> bool:
        """Whether this widget's thread-safe requests are answered where the kernel
        reads its shell socket (replywait.py), that is while a cell runs, whatever
        thread the kernel would route them to (the main thread, busy): from the moment
        its comm opened, in a kernel; False outside one (plain IPython, a script).
        """
        return getattr(self, "_served_comm", None) is not None

    def _serve(self, comm_id: str) -> None:
        self._served_comm: str | None = None
        try:
            replywait.install()
        except RuntimeError:
            return  # not in a kernel: nothing to read
        replywait.serve(comm_id, _is_thread_safe_request, self._on_request_taken)
        self._served_comm = comm_id

    def _unserve(self) -> None:
        served, self._served_comm = getattr(self, "_served_comm", None), None
        if served is not None:
            replywait.unserve(served)

    def _on_request_taken(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        self._on_custom_msg(self, content, buffers)

    def _on_page_reply(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        """A reply to a call made to the page; widgets that make such calls override it."""

    def _run_on_main(self, call: Call) -> None:
        with capture_outputs(get_shell()) as outputs:
            outcome = call.run()
        if outputs:
            printed = [dict(o) for o in outputs]
            if isinstance(outcome, Future):
                outcome = _with_outputs(outcome, printed)
            else:
                outcome.content.setdefault("outputs", []).extend(printed)
        self._deliver(outcome)

    def _deliver(self, outcome: Reply | Future[Reply]) -> None:
        if isinstance(outcome, Future):
            # Sent from the thread that finishes the work: the kernel's iopub is thread-safe.
            outcome.add_done_callback(lambda f: self._send_reply(f.result()))
        else:
            self._send_reply(outcome)

    def _send_reply(self, reply: Reply) -> None:
        if self.comm is None:
            with self._opening_lock:
                if self._held_replies is not None:  # the comm is still opening
                    self._held_replies.append(reply)
                    return
        if self.comm is None:
            return  # closed meanwhile: the page side has rejected its promises already
        try:
            self.send(reply.content, reply.buffers or None)
        except Exception as exc:
            # The reply itself could not be serialized or sent: answer with that instead,
            # and if even the id cannot be encoded (a lone surrogate, say), with a null id.
            for rid in (reply.content.get("id"), None):
                fallback = dispatcher.error_reply(
                    rid, "ReplyError", f"the reply could not be sent: {exc}"
                )
                try:
                    self.send(fallback.content)
                    return
                except Exception:
                    continue
            log.error("ipyanimagic: could not send a reply")

    # -- life cycle ---------------------------------------------------------------

    def close(self) -> None:
        """Close the widget and forget its key: later requests get ``UnknownKey``."""
        registry.unregister(self.key)
        cellruns.forget(self)
        self._unserve()
        layout = getattr(self, "_own_layout", None)
        if layout is not None and self.layout is layout:
            layout.close()
        super().close()

    # -- exposed ------------------------------------------------------------------

    @expose(thread_safe=True)
    def page_code(self, hash: str, encoding: str = "identity") -> WithBuffers:
        """The page code ``hash`` names (the widget's ``_esm`` is a loader of it), as
        one buffer, gzip-compressed if ``encoding`` is ``"gzip"``: once per page.
        Thread-safe: it reads a text made at import."""
        if not isinstance(hash, str) or not isinstance(encoding, str):
            raise TypeError("hash and encoding must be strings")
        data = esm.page_code(hash, encoding)
        with _requests_lock:
            _page_code_requests[hash] += 1
        return WithBuffers({"hash": hash, "encoding": encoding, "size": len(data)}, [data])

    @expose
    def echo(self, value: Any = None) -> Any:
        """Return ``value``: a round trip through the whole bridge, for tests and benchmarks."""
        return value
