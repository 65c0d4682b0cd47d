"""The comm traffic of a page's kernel websocket, as the browser sent and received it.

``CommTraffic(page)``: attach before the kernel websocket opens (the ``on_page`` hook of
``open_notebook``); ``events`` lists ``("sent" | "received", custom content)``,
``updates`` the widget state updates both ways;
``in_flight()`` gives, per player key, the most frame requests in flight at once, the
most frames asked for in one request, and the requests sent and answered.
"""

from __future__ import annotations

import json
import struct
from collections import defaultdict
from typing import Any


def _parts(payload: bytes) -> list[bytes]:
    """Jupyter's binary websocket framing (v1.kernel.websocket.jupyter.org):
    n, n offsets (little-endian uint64), then channel, header, parent, metadata,
    content, buffers..."""
    (n,) = struct.unpack_from("<Q", payload, 0)
    offsets = struct.unpack_from(f"<{n}Q", payload, 8)
    return [payload[offsets[k] : offsets[k + 1]] for k in range(n - 1)]


def _decode(payload: Any) -> tuple[str, dict, dict] | None:
    """(channel, header, content) of one websocket frame, or None if not a message."""
    if isinstance(payload, str):  # the legacy JSON protocol
        msg = json.loads(payload)
        return msg.get("channel", ""), msg.get("header", {}), msg.get("content", {})
    parts = _parts(payload)
    if len(parts) < 5:
        return None
    channel = parts[0].decode()
    return channel, json.loads(parts[1]), json.loads(parts[4])


class CommTraffic:
    """Bridge requests the page sent and replies it received, per player key, in the
    order the browser saw them. Attach before the kernel websocket opens (the
    ``on_page`` hook of ``open_notebook``)."""

    def __init__(self, page: Any) -> None:
        self.events: list[tuple[str, dict]] = []  # ("sent" | "received", custom content)
        # ("sent" | "received", widget state) of every state update (ipywidgets' "update"
        # and "echo_update"), in order.
        self.updates: list[tuple[str, dict]] = []
        page.on("websocket", self._on_socket)

    def _on_socket(self, ws: Any) -> None:
        if "/api/kernels/" not in ws.url:
            return
        ws.on("framesent", lambda p: self._on_frame("sent", p))
        ws.on("framereceived", lambda p: self._on_frame("received", p))

    def _on_frame(self, direction: str, payload: Any) -> None:
        try:
            decoded = _decode(payload)
        except (ValueError, struct.error, UnicodeDecodeError):
            return
        if decoded is None:
            return
        _channel, header, content = decoded
        if header.get("msg_type") != "comm_msg":
            return
        data = content.get("data") or {}
        if data.get("method") == "custom" and isinstance(data.get("content"), dict):
            self.events.append((direction, data["content"]))
        elif data.get("method") in ("update", "echo_update") and isinstance(
            data.get("state"), dict
        ):
            self.updates.append((direction, data["state"]))

    def sent_states(self, name: str) -> list[Any]:
        """The values of widget state ``name`` the page has sent to the kernel, in order."""
        return [
            state[name]
            for direction, state in self.updates
            if direction == "sent" and name in state
        ]

    def in_flight(self, methods: tuple[str, ...] = ("frame", "frames")) -> dict[str, dict]:
        """Per key: the most requests in flight at once, the most frames asked in one
        request, requests sent and answered."""
        key_of: dict[Any, str] = {}
        open_now: dict[str, int] = defaultdict(int)
        stats: dict[str, dict] = defaultdict(
            lambda: {"max_in_flight": 0, "max_batch": 0, "requests": 0, "answered": 0}
        )
        for direction, msg in self.events:
            if direction == "sent" and msg.get("method") in methods:
                key = msg["key"]
                key_of[msg["id"]] = key
                open_now[key] += 1
                s = stats[key]
                s["requests"] += 1
                s["max_in_flight"] = max(s["max_in_flight"], open_now[key])
                args = msg.get("args") or {}
                s["max_batch"] = max(s["max_batch"], len(args.get("indices") or [0]))
            elif direction == "received" and msg.get("id") in key_of:
                key = key_of.pop(msg["id"])
                open_now[key] -= 1
                stats[key]["answered"] += 1
        return dict(stats)
