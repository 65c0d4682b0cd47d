"""A player on a page, driven and read the way a user (and a screen reader) finds it.

``PlayerView(root)``: ``root`` is the player's ``.iam-player`` element, or any locator
holding exactly one player; ``PlayerView.in_output(nb, i)`` is the player in the output
of cell ``i``. Controls by their accessible names: ``button(name)``, ``slider``,
``loop_mode``, ``speed``; readouts: ``canvas`` (its ``data-frame`` is the frame shown),
``counter``, ``fps``, ``buffered``, ``status``, ``details``.

What was shown, recorded in the page from ``record()`` on (every time ``data-frame`` or
``data-scale`` changes, the canvas pixels are hashed at once, before the next frame is
drawn, and its backing-store size, CSS size and scale noted):
``frames_shown()`` (the frames, in order), ``drawn()`` (frame and SHA-256 of each),
``recorded_count()``; waits: ``expect_frame(i)``, ``wait_for_recorded(n)``,
``wait_for_shown(condition)``; ``expect_still(i, for_ms)`` watches a stopped player.
``check_against_reference(drawn, hashes)``: every frame drawn is pixel for pixel the
reference (``support.seed.reference_hashes``). ``size()``: the canvas' backing store and
CSS box now; ``expect_scale(s)`` waits for a frame drawn at ``s`` pixels per CSS pixel.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, expect

FRAME_TIMEOUT_MS = 20_000

# On every frame the canvas shows, copy its pixels at once (the next frame is drawn on
# a later animation frame) and hash them. The entry of the frame shown when recording
# starts is marked ``initial``.
_RECORD_JS = """
(canvas) => {
  if (canvas.__record) return;
  canvas.__record = [];
  const ctx = canvas.getContext("2d");
  const hex = (buf) =>
    [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const take = (initial) => {
    const frame = Number(canvas.dataset.frame);
    if (frame < 0 || !canvas.width) return;
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const box = canvas.getBoundingClientRect();
    const entry = {
      frame, hash: null, at: performance.now(), initial,
      width: canvas.width, height: canvas.height, scale: Number(canvas.dataset.scale),
      cssWidth: box.width, cssHeight: box.height,
    };
    canvas.__record.push(entry);
    crypto.subtle.digest("SHA-256", data).then((h) => { entry.hash = hex(h); });
  };
  take(true);
  new MutationObserver(() => take(false))
    .observe(canvas, {attributes: true, attributeFilter: ["data-frame", "data-scale"]});
}
"""

# ``frames``: the frames shown since recording started, a frame written twice in a row
# counted once (what ``frames_shown`` returns), the one shown when recording started
# written again too (the exact frame replacing the poster's preview, frames/encode.py).
_FRAMES_JS = """
  const all = (c.__record || []).map((e) => e.frame);
  const initial = c.__record && c.__record.length && c.__record[0].initial ? 1 : 0;
  const frames = all.filter((f, k) => k === 0 || all[k - 1] !== f).slice(initial);
"""


class PlayerView:
    """One player's controls and readouts (see the module docstring)."""

    def __init__(self, root: Locator) -> None:
        self.root = root
        self.canvas = root.locator("canvas.iam-frame")
        self.counter = root.locator(".iam-counter")
        self.fps = root.locator(".iam-fps")
        self.buffered = root.locator("canvas.iam-buffered")
        self.status = root.get_by_role("status")
        self.details = root.locator("details.iam-details")
        self.slider = root.get_by_role("slider", name="Frame")
        self.loop_mode = root.get_by_role("combobox", name="Loop mode")
        self.speed = root.get_by_role("spinbutton", name="Frames per second")

    @classmethod
    def in_output(cls, nb: Any, cell: int) -> PlayerView:
        """The player in the output of cell ``cell`` of a ``NotebookPage``."""
        return cls(nb.output(cell).locator(".iam-player"))

    @property
    def page(self) -> Any:
        return self.root.page

    def button(self, name: str) -> Locator:
        return self.root.get_by_role("button", name=name, exact=True)

    def set_speed(self, fps: float) -> None:
        """Type a speed into the fps field and confirm it (Enter)."""
        self.speed.fill(str(fps))
        self.speed.press("Enter")

    # -- the frame shown --------------------------------------------------------------

    def shown(self) -> int:
        """The frame the canvas shows now (-1 before the first)."""
        return int(self.canvas.get_attribute("data-frame") or -1)

    def expect_frame(self, index: int, timeout: float = FRAME_TIMEOUT_MS) -> None:
        """Wait until the canvas shows frame ``index`` (``timeout`` in ms)."""
        expect(self.canvas).to_have_attribute("data-frame", str(index), timeout=timeout)

    def expect_exact(self, index: int, timeout: float = FRAME_TIMEOUT_MS) -> None:
        """Wait until the canvas shows frame ``index`` with its exact pixels (not a JPEG
        or the poster's 256-colour preview)."""
        self.expect_frame(index, timeout)
        expect(self.canvas).to_have_attribute("data-exact", "true", timeout=timeout)

    def expect_still(self, index: int, for_ms: float = 400) -> None:
        """The player shows ``index`` and no other frame for ``for_ms`` ms.

        What "stopped" means can only be watched for a while: this window is the
        assertion, not a wait for something to happen.
        """
        self.expect_frame(index)
        self.record()
        before = self.recorded_count()
        self.page.wait_for_timeout(for_ms)
        later = self.canvas.evaluate("(c, n) => c.__record.slice(n).map((e) => e.frame)", before)
        assert self.shown() == index and set(later) <= {index}, (index, later)

    def expect_scale(self, scale: float, timeout: float = FRAME_TIMEOUT_MS) -> None:
        """Wait until the canvas shows a frame drawn at ``scale`` pixels per CSS pixel."""
        expect(self.canvas).to_have_attribute("data-scale", f"{scale:g}", timeout=timeout)

    def size(self) -> dict[str, float]:
        """``{width, height}`` of the canvas' backing store and ``{cssWidth, cssHeight}``
        of its box on the page."""
        return self.canvas.evaluate(
            """(c) => {
              const box = c.getBoundingClientRect();
              return {width: c.width, height: c.height,
                      cssWidth: box.width, cssHeight: box.height};
            }"""
        )

    # -- what was shown ---------------------------------------------------------------

    def record(self) -> None:
        """Start recording every frame shown (once; later calls keep the record)."""
        self.canvas.evaluate(_RECORD_JS)

    def recorded_count(self) -> int:
        """Frames recorded so far, the one shown when recording started included."""
        return self.canvas.evaluate("(c) => c.__record.length")

    def frames_shown(self) -> list[int]:
        """The frames shown since ``record()``, in order (not the one shown then)."""
        return self.canvas.evaluate(f"(c) => {{ {_FRAMES_JS} return frames; }}")

    def drawn(self, timeout: float = FRAME_TIMEOUT_MS) -> list[dict[str, Any]]:
        """``{frame, hash, at}`` of every frame recorded, the one shown when recording
        started included; waits until each one's hash is computed."""
        self.page.wait_for_function(
            "(c) => c.__record.every((e) => e.hash !== null)",
            arg=self.canvas.element_handle(),
            timeout=timeout,
        )
        return self.canvas.evaluate("(c) => c.__record")

    def wait_for_recorded(self, count: int, timeout: float = 30_000) -> None:
        """Wait until ``count`` frames are recorded (``timeout`` in ms)."""
        self.page.wait_for_function(
            "([c, n]) => c.__record && c.__record.length >= n",
            arg=[self.canvas.element_handle(), count],
            timeout=timeout,
        )

    def play_recording(self, frames: int) -> None:
        """Record, press Play, and wait until ``frames`` frames are recorded."""
        self.record()
        self.button("Play").click()
        self.wait_for_recorded(frames)

    def wait_for_shown(self, condition: str, timeout: float = 10_000) -> None:
        """Wait until ``condition``, a JavaScript expression over ``frames`` (what
        ``frames_shown()`` would return), holds; e.g. ``"frames.includes(10)"``."""
        self.page.wait_for_function(
            f"(c) => {{ {_FRAMES_JS} return {condition}; }}",
            arg=self.canvas.element_handle(),
            timeout=timeout,
        )


def check_against_reference(drawn: list[dict], reference: list[str]) -> set[int]:
    """Every frame drawn is pixel for pixel the reference (SHA-256 per frame); the set
    of frames seen."""
    wrong = [(r["frame"], r["hash"][:12]) for r in drawn if r["hash"] != reference[r["frame"]]]
    assert not wrong, f"{len(wrong)} of {len(drawn)} frames drawn differ: {wrong[:10]}"
    return {r["frame"] for r in drawn}
