"""Browser-side instruments for the reliability suite: what each player really drew
(a SHA-256 of the canvas pixels per frame shown), the player's controls, and the comm
traffic of the page's kernel websocket."""

from __future__ import annotations

import base64
import io
import json
import re
import struct
from collections import defaultdict
from typing import Any

import numpy as np
from PIL import Image
from playwright.sync_api import Locator, expect

# Python side, defined in the kernel: SHA-256 of the RGBA pixels of every frame of an
# animation, each drawn in full by a fresh figure of its own (never the player's).
REFERENCE_HASHES = r"""
import hashlib

def reference_hashes(make, count, *args):
    out = []
    for i in range(count):
        anim = make(*args)
        fig = anim._fig
        anim._func(i)
        fig.canvas.draw()
        out.append(hashlib.sha256(bytes(fig.canvas.buffer_rgba())).hexdigest())
        anim._draw_was_started = True
        plt.close(fig)
    return out
"""

# Page side: on every frame the canvas shows, copy its pixels at once (the next frame is
# drawn on a later animation frame) and hash them.
_RECORD_JS = """
(canvas) => {
  if (canvas.__record) return;
  canvas.__record = [];
  const ctx = canvas.getContext("2d");
  const hex = (buf) =>
    [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const take = () => {
    const frame = Number(canvas.dataset.frame);
    if (frame < 0 || !canvas.width) return;
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const entry = {frame, hash: null, at: performance.now()};
    canvas.__record.push(entry);
    crypto.subtle.digest("SHA-256", data).then((h) => { entry.hash = hex(h); });
  };
  take();
  new MutationObserver(take).observe(canvas, {attributes: true, attributeFilter: ["data-frame"]});
}
"""


class PlayerView:
    """One player in an output, found by its controls' accessible names."""

    def __init__(self, root: Locator) -> None:
        self.root = root
        self.canvas = root.locator("canvas.iam-frame")
        self.status = root.get_by_role("status")

    def button(self, name: str) -> Locator:
        return self.root.get_by_role("button", name=name, exact=True)

    def expect_frame(self, index: int, timeout: float = 20_000) -> None:
        expect(self.canvas).to_have_attribute("data-frame", str(index), timeout=timeout)

    def record(self) -> None:
        self.canvas.evaluate(_RECORD_JS)

    def recorded(self) -> list[dict[str, Any]]:
        return self.canvas.evaluate("(c) => c.__record.filter((e) => e.hash !== null)")

    def recorded_count(self) -> int:
        return self.canvas.evaluate("(c) => c.__record.length")


def wait_for_recorded(page: Any, view: PlayerView, count: int, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "([c, n]) => c.__record && c.__record.length >= n",
        arg=[view.canvas.element_handle(), count],
        timeout=timeout,
    )


def check_against_reference(records: list[dict], reference: list[str]) -> set[int]:
    """Every frame the player drew is pixel for pixel the reference; the frames seen."""
    wrong = [(r["frame"], r["hash"][:12]) for r in records if r["hash"] != reference[r["frame"]]]
    assert not wrong, f"{len(wrong)} of {len(records)} frames drawn differ: {wrong[:10]}"
    return {r["frame"] for r in records}


def start_cell(nb: Any, i: int) -> None:
    """Run cell i without waiting for it to finish."""
    nb.cell(i).locator(".jp-InputArea-editor").first.click()
    nb.page.keyboard.press("Shift+Enter")


def output_png(nb: Any, i: int) -> np.ndarray:
    """The pixels of the (single) PNG image in the output of cell i."""
    img = nb.output(i).locator("img").first
    expect(img).to_have_attribute("src", _PNG_SRC, timeout=20_000)
    src = img.get_attribute("src")
    data = base64.b64decode(src.split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGBA"))


_PNG_SRC = re.compile(r"^data:image/png;base64,")


# -- the kernel websocket -------------------------------------------------------------------


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
