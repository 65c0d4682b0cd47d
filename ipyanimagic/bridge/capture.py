"""Capture what Python code prints or displays, in order, as Jupyter output dicts.

Why our own and not ``IPython.utils.capture``: that one keeps stdout, stderr and
displays apart, and the order matters to a JavaScript caller rebuilding the seed's
``callbacks.output`` sequence.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.displaypub import DisplayPublisher

__all__ = ["Outputs", "capture_outputs"]


class Outputs(list[dict[str, Any]]):
    """Jupyter-style output dicts (``stream``, ``display_data``) in arrival order."""

    def add_stream(self, name: str, text: str) -> None:
        if not text:
            return
        if self and self[-1].get("output_type") == "stream" and self[-1]["name"] == name:
            self[-1]["text"] += text
        else:
            self.append({"output_type": "stream", "name": name, "text": text})

    def add_display(self, data: dict[str, Any], metadata: dict[str, Any] | None) -> None:
        self.append({"output_type": "display_data", "data": data, "metadata": metadata or {}})

    def text(self, name: str) -> str:
        return "".join(
            o["text"] for o in self if o.get("output_type") == "stream" and o["name"] == name
        )


class _Stream:
    """A text stream that files what is written into an :class:`Outputs`."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, outputs: Outputs, name: str) -> None:
        self._outputs = outputs
        self.name = name

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._outputs.add_stream(self.name, text)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


def _display_publisher(outputs: Outputs, inner: Any) -> DisplayPublisher:
    from IPython.core.displaypub import DisplayPublisher

    class _Publisher(DisplayPublisher):
        """Files displays into ``outputs``; everything else goes to the real publisher.

        The kernel calls methods of its own (``set_parent`` when a message arrives on
        another thread, for one) on whatever ``shell.display_pub`` is at that moment.
        """

        def publish(
            self,
            data: dict[str, Any],
            metadata: dict[str, Any] | None = None,
            source: str | None = None,
            *,
            transient: dict[str, Any] | None = None,
            update: bool = False,
            **kw: Any,
        ) -> None:
            outputs.add_display(data, metadata)

        def clear_output(self, wait: bool = False) -> None:
            outputs.clear()

        def __getattr__(self, name: str) -> Any:
            return getattr(inner, name)

    # DisplayPublisher.__init__ is unannotated, and mypy counts it as our class's own.
    return _Publisher()  # type: ignore[no-untyped-call]


@contextmanager
def capture_outputs(shell: Any = None) -> Iterator[Outputs]:
    """Redirect stdout, stderr and IPython's display publisher into an :class:`Outputs`.

    The redirection is process-wide, so it is only used on the main thread (see
    :mod:`ipyanimagic.mainthread`), where no cell can be running beside it.
    """
    outputs = Outputs()
    saved_out, saved_err = sys.stdout, sys.stderr
    saved_pub = None
    if shell is not None:
        saved_pub = shell.display_pub
        shell.display_pub = _display_publisher(outputs, saved_pub)
    sys.stdout, sys.stderr = _Stream(outputs, "stdout"), _Stream(outputs, "stderr")
    try:
        yield outputs
    finally:
        sys.stdout, sys.stderr = saved_out, saved_err
        if shell is not None:
            shell.display_pub = saved_pub
