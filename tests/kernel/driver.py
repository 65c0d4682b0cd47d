"""Just enough of a Jupyter front end, through jupyter_client, to drive a real kernel."""

from __future__ import annotations

import itertools
import queue
import time
from collections.abc import Iterator
from typing import Any


class KernelDriver:
    """Just enough of a front end to run cells and talk to a widget's comm."""

    _ids = itertools.count(1)

    def __init__(self, km, kc):
        self.km, self.kc = km, kc
        self.stray: list[dict] = []  # iopub messages seen while waiting for something else

    def run(self, code: str, timeout: float = 30) -> dict[str, Any]:
        """Run a cell; return its stdout and the error, if any."""
        out: list[str] = []
        err: list[dict] = []

        def hook(msg):
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                err.append(msg["content"])
            else:
                self.stray.append(msg)

        reply = self.kc.execute_interactive(code, output_hook=hook, timeout=timeout)
        return {"stdout": "".join(out), "errors": err, "status": reply["content"]["status"]}

    def run_on_subshell(self, code: str, subshell_id: str, timeout: float = 30) -> str:
        """Run a cell on a subshell (its own thread); return its stdout."""
        msg = self.kc.session.msg(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": False,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
        )
        msg["header"]["subshell_id"] = subshell_id
        self.kc.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] == "ok", reply["content"]
        # Outputs may trail the reply on iopub: wait for this request's idle status.
        while True:
            m = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if m["parent_header"].get("msg_id") != msg_id:
                self.stray.append(m)
            elif m["msg_type"] == "stream":
                out.append(m["content"]["text"])
            elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return "".join(out)

    def open_widget(self, setup: str, subshell_id: str | None = None) -> tuple[str, str]:
        """Run ``setup`` (which must bind ``w``); return (comm_id, key).

        ipykernel >= 7.4 routes a comm's incoming messages to the subshell it last
        published from; opening the widget from a subshell puts its comm there, as
        JupyterLab's ``commsOverSubshells`` does.
        """
        code = setup + "\nprint(w.comm.comm_id, w.key)"
        if subshell_id is None:
            res = self.run(code)
            assert res["status"] == "ok", res
            stdout = res["stdout"]
        else:
            stdout = self.run_on_subshell(code, subshell_id)
        comm_id, key = stdout.split()
        return comm_id, key

    def create_subshell(self) -> str:
        msg = self.kc.session.msg("create_subshell_request", {})
        self.kc.control_channel.send(msg)
        while True:
            reply = self.kc.control_channel.get_msg(timeout=10)
            if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                return reply["content"]["subshell_id"]

    def send_custom(self, comm_id: str, content: Any, subshell_id: str | None = None) -> None:
        msg = self.kc.session.msg(
            "comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": content}}
        )
        if subshell_id is not None:
            msg["header"]["subshell_id"] = subshell_id
        self.kc.shell_channel.send(msg)

    def custom_messages(self, comm_ids: set[str], timeout: float = 30) -> Iterator[Any]:
        """The custom messages these comms send, as they arrive (anything else is kept in
        ``stray``); ``TimeoutError`` when none comes before ``timeout`` s in all."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no more custom messages within {timeout} s")
            try:
                msg = self.kc.iopub_channel.get_msg(timeout=remaining)
            except queue.Empty:
                continue
            content = msg["content"]
            if (
                msg["msg_type"] == "comm_msg"
                and content.get("comm_id") in comm_ids
                and content["data"].get("method") == "custom"
            ):
                yield content["data"]["content"]
            else:
                self.stray.append(msg)

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
        rid = next(self._ids)
        self.send_custom(
            comm_id, {"id": rid, "key": key, "method": method, "args": args or {}}, subshell_id
        )
        (reply,) = self.replies(comm_id, 1, timeout)
        assert reply["id"] == rid
        return reply
