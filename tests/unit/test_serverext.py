"""The Jupyter server extension: TCP_NODELAY on the kernel websockets, through the
server's own connection-class setting, and someone else's class left alone.

A real ``ServerApp`` (the ``serverapp`` fixture) loads the extension the way
``jupyter server`` does; ``tests/browser/test_server_extension.py`` reads the socket
option on a running server.
"""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from jupyter_server.gateway.connections import GatewayWebSocketConnection
from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from jupyter_server.services.kernels.websocket import KernelWebsocketHandler
from traitlets.config import Config

import ipyanimagic
from ipyanimagic import serverext

NODELAY = serverext.nodelay_connection_class()


class UsersOwnConnection(ZMQChannelsWebsocketConnection):
    """A connection class a user (or another extension) configured."""


def connection_class_in_use(app) -> type:
    """The class ``KernelWebsocketHandler`` instantiates for a new kernel websocket."""
    return app.web_app.settings[serverext.SETTING]


def ipyanimagic_records(caplog, level: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == level and r.getMessage().startswith("ipyanimagic:")
    ]


def test_the_package_names_the_extension_module_for_jupyter_server():
    assert ipyanimagic._jupyter_server_extension_points() == [{"module": "ipyanimagic.serverext"}]


def test_the_package_imports_without_jupyter_server():
    probe = (
        "import sys\n"
        "sys.modules['jupyter_server'] = None  # any import of it now fails\n"
        "import ipyanimagic, ipyanimagic.serverext\n"
        "print(ipyanimagic._jupyter_server_extension_points())\n"
    )
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "ipyanimagic.serverext" in res.stdout


def test_the_nodelay_class_is_the_default_class_with_only_connect_changed():
    assert issubclass(NODELAY, ZMQChannelsWebsocketConnection)
    assert sorted(NODELAY.class_trait_names()) == sorted(
        ZMQChannelsWebsocketConnection.class_trait_names()
    )
    own_methods = [name for name, v in vars(NODELAY).items() if callable(v)]
    assert own_methods == ["connect"]
    assert f"{NODELAY.__module__}.{NODELAY.__qualname__}" == (
        "ipyanimagic.serverext.NoDelayWebsocketConnection"
    )
    assert serverext.NoDelayWebsocketConnection is NODELAY  # an importable name


def test_the_default_classs_configuration_applies_to_the_nodelay_class():
    config = Config({"ZMQChannelsWebsocketConnection": {"iopub_msg_rate_limit": 5.0}})
    assert NODELAY(config=config).iopub_msg_rate_limit == 5.0


def test_connect_turns_nodelay_on_before_connecting(monkeypatch):
    calls: list[object] = []
    monkeypatch.setattr(
        ZMQChannelsWebsocketConnection, "connect", lambda self: calls.append("connect")
    )
    handler = KernelWebsocketHandler.__new__(KernelWebsocketHandler)  # no request needed
    handler.set_nodelay = lambda on: calls.append(("set_nodelay", on))
    NODELAY(websocket_handler=handler).connect()
    assert calls == [("set_nodelay", True), "connect"]


def test_the_server_uses_the_nodelay_class_when_the_default_is_configured(serverapp, caplog):
    app = serverapp()
    assert connection_class_in_use(app) is NODELAY
    assert app.kernel_websocket_connection_class is NODELAY  # what shutdown's close_all uses
    (info,) = ipyanimagic_records(caplog, logging.INFO)
    assert "TCP_NODELAY on" in info and "NoDelayWebsocketConnection" in info
    assert not ipyanimagic_records(caplog, logging.WARNING)


@pytest.mark.parametrize("other", [GatewayWebSocketConnection, UsersOwnConnection])
def test_a_connection_class_configured_by_someone_else_is_left_alone_with_a_warning(
    serverapp, caplog, other
):
    app = serverapp(kernel_websocket_connection_class=other)
    assert connection_class_in_use(app) is other
    assert app.kernel_websocket_connection_class is other
    (warning,) = ipyanimagic_records(caplog, logging.WARNING)
    assert other.__name__ in warning and "leaving it alone" in warning
    assert not ipyanimagic_records(caplog, logging.INFO)


def test_loading_the_extension_twice_changes_nothing_more(serverapp, caplog):
    app = serverapp()
    serverext._load_jupyter_server_extension(app)
    assert connection_class_in_use(app) is NODELAY
    assert len(ipyanimagic_records(caplog, logging.INFO)) == 1
    assert not ipyanimagic_records(caplog, logging.WARNING)
