"""Widgets restored by a page that (re)loads while a cell runs.

Why: a reloaded page, or the notebook opened in a second tab, gets its widgets from the
kernel: ipywidgets' manager opens a ``jupyter.widget.control`` comm and asks it for
every widget's state (``request_states``). Both messages go to the kernel's main thread,
which the running cell holds, so until the cell ends the page shows "Loading widget..."
and a live player (``ipyanimagic.live``) cannot come back while its loop runs, which is
when it matters.

So, while :func:`restoring` says so (a live player is capturing), those two messages,
and the ``kernel_info_request`` a connecting page sends first, are taken off the shell
stream where the kernel reads it (replywait.py: ipykernel 7's shell channel thread;
under ipykernel 6 the main thread, at a live player's capture) and handed to
ipywidgets' own handlers: the page gets the same states it would get after the cell.
The comm's callback is called without the shell's execute events (see
``BridgeWidget._quiet_comm``: a post_execute hook off the main thread closes the running
cell's figures). Reading widget states does not touch matplotlib or the user's code.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from . import replywait

__all__ = ["CONTROL_TARGET", "restore_while"]

log = logging.getLogger("ipyanimagic")

#: ipywidgets' comm target for the manager's "all states at once" request.
CONTROL_TARGET = "jupyter.widget.control"

_lock = threading.Lock()
_conditions: list[Callable[[], bool]] = []
_control_comms: set[str] = set()
_installed = False


def restore_while(condition: Callable[[], bool]) -> None:
    """Answer widget restores off the main thread whenever ``condition()`` is true."""
    global _installed
    with _lock:
        if condition not in _conditions:
            _conditions.append(condition)
        if _installed:
            return
        _installed = True
    replywait.take_messages(_accepts, _handle)


def restoring() -> bool:
    return any(condition() for condition in list(_conditions))


def _accepts(msg_type: str, content: Any) -> bool:
    if not isinstance(content, dict):
        return False
    if msg_type == "kernel_info_request":
        # A page (re)connecting asks this first and holds its other messages until the
        # reply (or its own timeout, seconds later).
        return restoring()
    if msg_type == "comm_open":
        return content.get("target_name") == CONTROL_TARGET and restoring()
    if msg_type in ("comm_msg", "comm_close"):
        return content.get("comm_id") in _control_comms
    return False


def _handle(msg: dict[str, Any], reply: replywait.Reply) -> None:
    from comm import get_comm_manager

    msg_type = msg["header"]["msg_type"]
    if msg_type == "kernel_info_request":
        kernel = replywait.kernel()
        if kernel is not None:
            # What the kernel's own handler answers: fixed facts about the kernel.
            reply("kernel_info_reply", {"status": "ok", **kernel.kernel_info})
        return
    manager: Any = get_comm_manager()  # its handlers take (stream, ident, msg); unused
    comm_id = msg["content"].get("comm_id")
    if msg_type == "comm_open":
        manager.comm_open(None, None, msg)
        _control_comms.add(comm_id)
    elif msg_type == "comm_msg":
        comm = manager.get_comm(comm_id)
        callback = getattr(comm, "_msg_callback", None) if comm is not None else None
        if callback is not None:
            callback(msg)
    else:
        _control_comms.discard(comm_id)
        manager.comm_close(None, None, msg)
