"""Just enough of a Jupyter front end, through jupyter_client, to drive a real kernel.

One loop reads the kernel's iopub channel (``KernelDriver._read_iopub``) and files every
message it reads: a widget's custom comm message goes to the custom messages not yet
taken, a message of an execute request this driver sent goes to that request's
``Execution``, anything else to ``stray``. Every wait has a deadline and raises
``TimeoutError`` saying what it was waiting for.

``KernelDriver(km, kc)``
    ``run(code, ...) -> Execution`` sends an execute request and waits until the kernel
    is idle for it; ``start(code, ...) -> Execution`` only sends it, ``wait(execution,
    until=None)`` waits for it (or for ``until(execution)``), ``wait_for_output(execution,
    text)`` until the cell has printed ``text`` (a sentinel: the cell is running).
    Options of a request: ``cell_id`` (JupyterLab's ``cellId`` metadata), ``subshell_id``
    (run on that subshell's thread), ``timeout`` (seconds).
    Widgets: ``open_widget``, ``create_subshell``, ``send_custom``, ``custom_messages``,
    ``next_custom``, ``replies``, ``request``; ``buffers_of[id(content)]``: the buffers
    of a custom message that had some.
``Execution``
    One request and what it brought: ``status``, ``printed`` (every stream, in order),
    ``stdout``, ``errors``, ``displays``, ``messages`` (all its iopub messages).
"""

from __future__ import annotations

import itertools
import queue
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

DISPLAY_TYPES = ("display_data", "update_display_data", "execute_result")


@dataclass
class Execution:
    """One execute request: its iopub messages as they arrive, then its reply."""

    msg_id: str
    code: str
    messages: list[dict] = field(default_factory=list)  # iopub, without status messages
    idle: bool = False  # the kernel published "idle" for this request
    reply: dict | None = None  # the execute_reply's content

    @property
    def done(self) -> bool:
        return self.idle and self.reply is not None

    @property
    def status(self) -> str | None:
        """ "ok", "error" or "aborted" once the reply came, else None."""
        return None if self.reply is None else self.reply["status"]

    def _streams(self, *names: str) -> str:
        return "".join(
            m["content"]["text"]
            for m in self.messages
            if m["msg_type"] == "stream" and (not names or m["content"]["name"] in names)
        )

    @property
    def printed(self) -> str:
        """Everything the request printed (stdout and stderr), in order."""
        return self._streams()

    @property
    def stdout(self) -> str:
        return self._streams("stdout")

    @property
    def errors(self) -> list[dict]:
        """The ``error`` outputs' content (``ename``, ``evalue``, ``traceback``)."""
        return [m["content"] for m in self.messages if m["msg_type"] == "error"]

    @property
    def displays(self) -> list[dict]:
        """The content of its display_data / update_display_data / execute_result outputs."""
        return [m["content"] for m in self.messages if m["msg_type"] in DISPLAY_TYPES]

    def __repr__(self) -> str:
        errors = [f"{e['ename']}: {e['evalue']}" for e in self.errors]
        return (
            f"Execution(status={self.status!r}, idle={self.idle}, printed={self.printed!r}, "
            f"errors={errors}, code={self.code[:80]!r})"
        )


class KernelDriver:
    """Runs cells in a real kernel and talks to its widgets' comms."""

    _ids = itertools.count(1)

    def __init__(self, km: Any, kc: Any) -> None:
        self.km, self.kc = km, kc
        self.stray: list[dict] = []  # iopub messages nobody here waits for
        self._running: dict[str, Execution] = {}  # sent, not yet idle and replied
        self._custom: deque[tuple[str, Any]] = deque()  # (comm_id, content) not yet taken
        # The binary buffers of custom messages that had some, by id() of their content.
        self.buffers_of: dict[int, list[bytes]] = {}

    # -- the iopub loop ---------------------------------------------------------------

    def _read_iopub(self, deadline: float) -> bool:
        """Read one iopub message (waiting until ``deadline`` at most) and file it;
        False if none came in time."""
        try:
            msg = self.kc.get_iopub_msg(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return False
        content = msg["content"]
        data = content.get("data") if msg["msg_type"] == "comm_msg" else None
        execution = self._running.get(msg["parent_header"].get("msg_id"))
        if isinstance(data, dict) and data.get("method") == "custom":
            self._custom.append((content.get("comm_id"), data.get("content")))
            if msg.get("buffers"):
                self.buffers_of[id(data.get("content"))] = [bytes(b) for b in msg["buffers"]]
        elif execution is None:
            self.stray.append(msg)
        elif msg["msg_type"] == "status":
            execution.idle = content["execution_state"] == "idle"
        else:
            execution.messages.append(msg)
        return True

    def _read_reply(self, execution: Execution, deadline: float) -> None:
        """Read shell replies until ``execution``'s has come (others are filed too)."""
        while execution.reply is None:
            try:
                msg = self.kc.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            owner = self._running.get(msg["parent_header"].get("msg_id"))
            if owner is not None:
                owner.reply = msg["content"]

    # -- execute requests ---------------------------------------------------------------

    def start(
        self,
        code: str,
        *,
        cell_id: str | None = None,
        subshell_id: str | None = None,
        store_history: bool = True,
        stop_on_error: bool = False,
    ) -> Execution:
        """Send an execute request (as JupyterLab does: with ``cell_id`` in its metadata,
        on ``subshell_id`` if given); return its ``Execution`` without waiting.

        ``stop_on_error`` is off unless asked for: the tests send each cell after the one
        before has ended, and after an error ipykernel 7 unsets its "abort the queue" flag
        through a message its shell channel thread posts later, so under load the next
        cell, sent at once, could come back "aborted" without having run."""
        msg = self.kc.session.msg(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": store_history,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": stop_on_error,
            },
        )
        if cell_id is not None:
            msg["metadata"] = {"cellId": cell_id}
        if subshell_id is not None:
            msg["header"]["subshell_id"] = subshell_id
        execution = Execution(msg["header"]["msg_id"], code)
        self._running[execution.msg_id] = execution
        self.kc.shell_channel.send(msg)
        return execution

    def wait(
        self,
        execution: Execution,
        until: Callable[[Execution], bool] | None = None,
        timeout: float = 30,
        waiting_for: str = "the kernel to be idle for it",
    ) -> Execution:
        """Read the kernel until ``until(execution)`` holds (by default: the request is
        done, its reply read); ``TimeoutError`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        done = until or (lambda e: e.idle)
        while not done(execution):
            if not self._read_iopub(deadline):
                raise TimeoutError(f"waited {timeout} s for {waiting_for}: {execution!r}")
        if until is None:
            self._read_reply(execution, deadline)
            if execution.reply is None:
                raise TimeoutError(f"no execute_reply within {timeout} s: {execution!r}")
            del self._running[execution.msg_id]
        return execution

    def wait_for_output(self, execution: Execution, text: str, timeout: float = 30) -> Execution:
        """Wait until the request has printed ``text``: a sentinel the cell prints (with
        ``flush=True``) to say it is running. ``AssertionError`` if the cell ends first."""
        self.wait(execution, lambda e: text in e.printed or e.idle, timeout, f"the output {text!r}")
        assert text in execution.printed, f"the cell ended without printing {text!r}: {execution!r}"
        return execution

    def run(
        self,
        code: str,
        *,
        cell_id: str | None = None,
        subshell_id: str | None = None,
        timeout: float = 30,
    ) -> Execution:
        """Run a cell and wait until the kernel is idle for it; its ``Execution``."""
        return self.wait(
            self.start(code, cell_id=cell_id, subshell_id=subshell_id), timeout=timeout
        )

    def run_ok(self, code: str, **kwargs: Any) -> Execution:
        """``run``, asserting the cell succeeded without an error output."""
        execution = self.run(code, **kwargs)
        assert execution.status == "ok" and not execution.errors, execution
        return execution

    # -- widgets ------------------------------------------------------------------------

    def open_widget(self, setup: str, subshell_id: str | None = None) -> tuple[str, str]:
        """Run ``setup`` (which must bind ``w``); return (comm_id, key).

        ipykernel >= 7.4 routes a comm's incoming messages to the subshell it last
        published from; opening the widget from a subshell puts its comm there, as
        JupyterLab's ``commsOverSubshells`` does.
        """
        res = self.run_ok(setup + "\nprint(w.comm.comm_id, w.key)", subshell_id=subshell_id)
        comm_id, key = res.stdout.split()
        return comm_id, key

    def create_subshell(self, timeout: float = 10) -> str:
        msg = self.kc.session.msg("create_subshell_request", {})
        self.kc.control_channel.send(msg)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.control_channel.get_msg(timeout=max(0.0, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                return reply["content"]["subshell_id"]

    def send_custom(
        self,
        comm_id: str,
        content: Any,
        subshell_id: str | None = None,
        buffers: list[bytes] | None = None,
    ) -> None:
        msg = self.kc.session.msg(
            "comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": content}}
        )
        if subshell_id is not None:
            msg["header"]["subshell_id"] = subshell_id
        if buffers:
            self.kc.session.send(self.kc.shell_channel.socket, msg, buffers=buffers)
        else:
            self.kc.shell_channel.send(msg)

    def custom_messages(self, comm_ids: set[str], timeout: float = 30) -> Iterator[Any]:
        """The custom messages these comms send, as they arrive (those of other comms
        wait for whoever asks for them); ``TimeoutError`` when none comes before
        ``timeout`` s in all."""
        deadline = time.monotonic() + timeout
        while True:
            for entry in self._custom:
                if entry[0] in comm_ids:
                    self._custom.remove(entry)
                    yield entry[1]
                    break
            else:
                if not self._read_iopub(deadline):
                    raise TimeoutError(f"no more custom messages within {timeout} s")

    def next_custom(
        self, accept: Callable[[Any], bool], timeout: float = 30
    ) -> tuple[str, Any]:
        """The first custom message of any comm that ``accept(content)`` takes, as
        (comm_id, content); ``TimeoutError`` if none comes within ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            for entry in self._custom:
                if accept(entry[1]):
                    self._custom.remove(entry)
                    return entry
            if not self._read_iopub(deadline):
                raise TimeoutError(f"no such custom message within {timeout} s")

    def replies(self, comm_id: str, count: int, timeout: float = 30) -> list[dict]:
        """The next ``count`` custom messages the widget sends, in arrival order."""
        got: list[dict] = []
        try:
            for reply in self.custom_messages({comm_id}, timeout):
                got.append(reply)
                if len(got) == count:
                    return got
        except TimeoutError:
            raise TimeoutError(f"got {len(got)} of {count} replies: {got}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def request(self, comm_id, key, method, args=None, subshell_id=None, timeout=30):
        """Send one bridge request over the widget's comm; its reply."""
        rid = next(self._ids)
        self.send_custom(
            comm_id, {"id": rid, "key": key, "method": method, "args": args or {}}, subshell_id
        )
        (reply,) = self.replies(comm_id, 1, timeout)
        assert reply["id"] == rid
        return reply
