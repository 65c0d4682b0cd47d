"""The transport: an anywidget whose custom comm messages carry bridge requests.

Why a widget and not a raw comm: the widget model is what JupyterLab 4, Notebook 7
and VS Code all know how to open, render and close, and anywidget lets the page side
be a plain ES module. Every displayed ipyanimagic object derives from
:class:`BridgeWidget`; it registers itself, hands each incoming custom message to the
dispatcher and sends the reply back on the same comm.
"""

from __future__ import annotations

import logging
from typing import Any

import anywidget
import traitlets

from . import dispatcher, mainthread, registry
from .capture import capture_outputs
from .dispatcher import Call, Reply, expose

__all__ = ["BridgeWidget"]

log = logging.getLogger("ipyanimagic")


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return None
    return get_ipython()


class BridgeWidget(anywidget.AnyWidget):
    """Base class of everything ipyanimagic puts on the page.

    ``key`` is the object's registry key; the page sends it with every request.
    """

    key = traitlets.Unicode(read_only=True).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        # The key must be in the state that opens the comm, so set it before.
        self.set_trait("key", registry.register(self))
        try:
            super().__init__(**kwargs)
        except BaseException:
            registry.unregister(self.key)
            raise
        self.on_msg(self._on_custom_msg)

    # -- transport ----------------------------------------------------------------

    def _on_custom_msg(self, _widget: Any, content: Any, buffers: Any) -> None:
        """Entry point of every custom message, on whatever thread the kernel uses."""
        try:
            call = dispatcher.prepare(content, buffers or [])
            if isinstance(call, Reply):
                self._send_reply(call)
            elif call.thread_safe:
                self._send_reply(call.run())
            else:
                mainthread.call_on_main(lambda: self._run_on_main(call))
        except Exception:  # pragma: no cover - prepare and run never raise
            log.exception("ipyanimagic: unexpected failure while dispatching")

    def _run_on_main(self, call: Call) -> None:
        shell = _shell()
        with capture_outputs(shell) as outputs:
            reply = call.run()
        if outputs:
            reply.content.setdefault("outputs", []).extend(dict(o) for o in outputs)
        self._send_reply(reply)

    def _send_reply(self, reply: Reply) -> None:
        if self.comm is None:
            return  # closed meanwhile: the page side has rejected its promises already
        try:
            self.send(reply.content, reply.buffers or None)
        except Exception as exc:
            # The reply itself could not be serialized or sent: answer with that instead.
            fallback = dispatcher.error_reply(
                reply.content.get("id"), "ReplyError", f"the reply could not be sent: {exc}"
            )
            try:
                self.send(fallback.content)
            except Exception:
                log.exception("ipyanimagic: could not send a reply")

    # -- life cycle ---------------------------------------------------------------

    def close(self) -> None:
        """Close the widget and forget its key: later requests get ``UnknownKey``."""
        registry.unregister(self.key)
        super().close()

    # -- exposed ------------------------------------------------------------------

    @expose
    def echo(self, value: Any = None) -> Any:
        """Return ``value``: a round trip through the whole bridge, for tests and benchmarks."""
        return value
