"""A real JupyterHub on 127.0.0.1 for the browser tests and the benchmarks.

The hub (pip ``jupyterhub``, in the environment the tests run from) starts
configurable-http-proxy from the repository's ``node_modules`` (package.json's
devDependencies, installed by ``scripts/setup``), logs users in with a shared password
(``SharedPasswordAuthenticator``, JupyterHub's dummy authenticator since 5.3) and spawns
each user's single-user server as a local process of the same (root or not) user,
without system users (``SimpleLocalProcessSpawner``): JupyterLab from the same
environment, which loads the ``ipyanimagic`` server extension as any installed server
does. Everything lives under one throw-away directory: the hub's database and cookie
secret, the user's home (the notebooks), Jupyter's and IPython's directories, and one
log (the hub, the proxy and the single-user server all write to it).

Public API
----------
``start_hub(base_dir, python=sys.executable, proxy_env=None, server_extension=True) -> Hub``
    Start the hub and its proxy on free ports; wait until the hub logs that it runs
    (``HarnessError`` with the log's tail if it does not within ``HUB_START_TIMEOUT``).
    ``proxy_env``: variables added to the proxy's environment (a ``NODE_OPTIONS``).
    ``server_extension=False``: the single-user server does not load the ipyanimagic
    server extension (a hub whose user environment lacks the package's).
``stop_hub(hub)``
    SIGTERM (the hub stops the single-user servers and the proxy), then SIGKILL to
    whatever of its processes is left; bounded in time.
``running_hub(base_dir, **kw)``
    ``start_hub`` / ``stop_hub`` as a context manager.
``login(hub, browser) -> Page``
    Log the hub's user in from a fresh browser context (the login form, as a user
    does); the hub spawns the single-user server and the page ends in its JupyterLab.
``open_notebook(hub, browser, cells) -> lab.NotebookPage``
    Write a notebook into the user's home and open it in a logged-in JupyterLab page
    (a warm one left by ``lab.close_notebook``, else a fresh login); wait for an idle,
    connected kernel. Close it with ``lab.close_notebook(hub.user_server(), nb)``.

``Hub`` has ``url`` (the proxy's public URL), ``user``, ``password``, ``log``,
``api()`` (the hub's REST API with a service token), ``user_server()`` (the user's
server reached through the proxy, as a ``lab.JupyterServer``: ``api()``, ``root``),
``direct_url()`` (the same server's own address, the proxy's route target),
``server_pid()`` and ``proxy_pid()``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from . import lab

__all__ = [
    "PROXY_COMMAND",
    "Hub",
    "login",
    "open_notebook",
    "running_hub",
    "start_hub",
    "stop_hub",
]

REPO = Path(__file__).resolve().parents[2]
# package.json's devDependency; scripts/setup installs it (npm ci).
PROXY_COMMAND = REPO / "node_modules" / ".bin" / "configurable-http-proxy"

HUB_START_TIMEOUT = 60.0
HUB_STOP_TIMEOUT = 30.0
SPAWN_TIMEOUT = 90.0
USER = "ada"
SERVICE = "ipyanimagic-tests"
# What the hub logs once the proxy routes to it and it serves.
READY_LINE = "JupyterHub is now running at"
# What the single-user server logs when the server extension is installed.
EXTENSION_LINE = "ipyanimagic: TCP_NODELAY on for kernel websockets"


class Hub:
    """A running hub (see the module docstring)."""

    def __init__(
        self,
        url: str,
        token: str,
        password: str,
        base: Path,
        home: Path,
        proc: subprocess.Popen,
        log: Path,
        reader: threading.Thread,
    ) -> None:
        self.url = url
        self.token = token
        self.user = USER
        self.password = password
        self.base = base
        self.home = home
        self.proc = proc
        self.log = log
        self._reader = reader

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """The hub's REST API (``path`` after ``/hub/api``), through the proxy, with the
        tests' service token; the decoded JSON answer (None if empty)."""
        data = None
        headers = {"Authorization": f"token {self.token}"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(
            f"{self.url}/hub/api{path}", data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            raise lab.HarnessError(f"hub API {method} {path}: {e.code} {detail}") from None
        return json.loads(text) if text.strip() else None

    def user_server(self) -> lab.JupyterServer:
        """The user's single-user server through the proxy, as the browser harness
        addresses a server (its REST API with the service token, which has
        ``access:servers``; notebooks in the user's home)."""
        return lab.JupyterServer(
            f"{self.url}/user/{self.user}", self.token, self.home, self.proc, self.log
        )

    def direct_url(self) -> str:
        """The single-user server's own address (``http://127.0.0.1:<port>``): where the
        proxy sends ``/user/<name>/``. Raises ``HarnessError`` if it has no route."""
        routes = self.api("GET", "/proxy")
        route = routes.get(f"/user/{self.user}/")
        if not route:
            raise lab.HarnessError(f"no proxy route to {self.user}'s server: {routes}")
        return str(route["target"]).rstrip("/")

    def server_pid(self) -> int:
        """The user's single-user server process's id (the spawner's state in the hub)."""
        model = self.api("GET", f"/users/{self.user}")
        server = (model.get("servers") or {}).get("")
        if not server or "pid" not in (server.get("state") or {}):
            raise lab.HarnessError(f"{self.user} has no running server: {model}")
        return int(server["state"]["pid"])

    def proxy_pid(self) -> int:
        """The configurable-http-proxy process's id (the hub writes it to a file)."""
        return int((self.base / "hub" / "proxy.pid").read_text().strip())

    def log_tail(self, lines: int = 80) -> str:
        return f"--- tail of {self.log.name} ---\n{lab.tail(self.log, lines)}"


def _config(
    base: Path,
    home: Path,
    python: str,
    ports: tuple[int, int, int],
    token: str,
    password: str,
    server_extension: bool,
) -> str:
    """The hub's ``jupyterhub_config.py``."""
    public, hub_port, proxy_api = ports
    user_env = lab.throwaway_env(base / "user", python)
    keep = ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR")
    environment = {k: user_env[k] for k in keep}
    settings = {
        "c.JupyterHub.bind_url": f"http://127.0.0.1:{public}",
        "c.JupyterHub.hub_bind_url": f"http://127.0.0.1:{hub_port}",
        "c.JupyterHub.db_url": f"sqlite:///{base / 'hub' / 'jupyterhub.sqlite'}",
        "c.JupyterHub.cookie_secret_file": str(base / "hub" / "jupyterhub_cookie_secret"),
        "c.JupyterHub.pid_file": str(base / "hub" / "jupyterhub.pid"),
        "c.JupyterHub.cleanup_servers": True,
        "c.JupyterHub.cleanup_proxy": True,
        "c.ConfigurableHTTPProxy.command": [str(PROXY_COMMAND)],
        "c.ConfigurableHTTPProxy.api_url": f"http://127.0.0.1:{proxy_api}",
        "c.ConfigurableHTTPProxy.auth_token": secrets.token_hex(32),
        "c.ConfigurableHTTPProxy.pid_file": str(base / "hub" / "proxy.pid"),
        "c.JupyterHub.authenticator_class": "shared-password",
        "c.SharedPasswordAuthenticator.user_password": password,
        "c.Authenticator.allowed_users": {USER},
        "c.JupyterHub.spawner_class": "jupyterhub.spawner.SimpleLocalProcessSpawner",
        "c.SimpleLocalProcessSpawner.home_dir_template": str(home),
        "c.Spawner.ip": "127.0.0.1",
        "c.Spawner.cmd": [str(Path(python).parent / "jupyterhub-singleuser")],
        "c.Spawner.args": [
            "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={home}",
            "--LabApp.expose_app_in_browser=True",
            # Beats the environment's jupyter_server_config.d (as lab.start_server's).
            *([] if server_extension else ["--ServerApp.jpserver_extensions=ipyanimagic=False"]),
        ],
        "c.Spawner.default_url": "/lab",
        "c.Spawner.environment": environment,
        "c.Spawner.start_timeout": int(SPAWN_TIMEOUT),
        "c.Spawner.http_timeout": int(SPAWN_TIMEOUT),
        "c.JupyterHub.services": [{"name": SERVICE, "api_token": token}],
        "c.JupyterHub.load_roles": [
            {
                "name": SERVICE,
                "services": [SERVICE],
                "scopes": [
                    "admin:users",
                    "admin:servers",
                    "admin:server_state",
                    "access:servers",
                    "proxy",
                ],
            }
        ],
    }
    return "".join(f"{key} = {value!r}\n" for key, value in settings.items())


def _user_settings(base: Path) -> None:
    """No news or update toast over the user's JupyterLab (as ``lab.start_server``)."""
    notif = (
        base
        / "user"
        / "config"
        / "lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    )
    notif.parent.mkdir(parents=True, exist_ok=True)
    notif.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def _copy_output(stream: Any, log: Path, ready: threading.Event) -> None:
    """Write the hub's output (its children's too) to ``log``; set ``ready`` at the
    hub's "now running" line. Ends when every writer has closed the pipe."""
    with open(log, "ab") as out:
        for line in iter(stream.readline, b""):
            out.write(line)
            out.flush()
            if READY_LINE.encode() in line:
                ready.set()
    stream.close()


def start_hub(
    base_dir: Path | str,
    python: str = sys.executable,
    proxy_env: dict[str, str] | None = None,
    server_extension: bool = True,
) -> Hub:
    """Start a hub under ``base_dir`` (see the module docstring)."""
    if not os.access(PROXY_COMMAND, os.X_OK):
        raise lab.HarnessError(
            f"no configurable-http-proxy at {PROXY_COMMAND.relative_to(REPO)}: "
            "run scripts/setup (npm ci installs package.json's devDependencies)"
        )
    base = Path(base_dir)
    (base / "hub").mkdir(parents=True, exist_ok=True)
    home = base / "home" / USER
    home.mkdir(parents=True, exist_ok=True)
    _user_settings(base)
    log = base / "hub.log"
    env = lab.throwaway_env(base / "hub", python)
    env.update(proxy_env or {})
    last = ""
    for _attempt in range(3):  # a port can be taken between probe and bind
        ports = (lab._free_port(), lab._free_port(), lab._free_port())
        token, password = secrets.token_hex(16), secrets.token_hex(8)
        config = base / "hub" / "jupyterhub_config.py"
        config.write_text(_config(base, home, python, ports, token, password, server_extension))
        cmd = [str(Path(python).parent / "jupyterhub"), "-f", str(config)]
        with open(log, "ab") as f:
            f.write(f"\n=== {' '.join(cmd)}\n".encode())
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=base / "hub", start_new_session=True,
        )  # fmt: skip
        ready = threading.Event()
        reader = threading.Thread(target=_copy_output, args=(proc.stdout, log, ready), daemon=True)
        reader.start()
        hub = Hub(f"http://127.0.0.1:{ports[0]}", token, password, base, home, proc, log, reader)
        try:
            deadline = time.monotonic() + HUB_START_TIMEOUT
            while not ready.wait(0.5):  # the line, or the hub's exit, whichever first
                if proc.poll() is not None:
                    last = f"the hub exited with code {proc.returncode}"
                    break
                if time.monotonic() > deadline:
                    last = f"no {READY_LINE!r} within {HUB_START_TIMEOUT:.0f} s"
                    break
            else:
                return hub
        except BaseException:
            stop_hub(hub)
            raise
        stop_hub(hub)
        if "EADDRINUSE" not in lab.tail(log) and "already in use" not in lab.tail(log):
            break
    raise lab.HarnessError(f"JupyterHub did not start: {last}\n{hub.log_tail()}")


def stop_hub(hub: Hub) -> None:
    """Stop the hub: SIGTERM (it stops the single-user servers and the proxy), then
    SIGKILL to each of its processes still running. Bounded in time."""
    server = hub.user_server()
    lab.forget_warm_pages(server)
    for closing in lab._closing.pop(server.url, []):  # close_notebook(wait=False)
        closing.join(timeout=HUB_STOP_TIMEOUT)
    try:
        family = psutil.Process(hub.proc.pid).children(recursive=True)
    except psutil.Error:
        family = []
    with contextlib.suppress(OSError, ValueError, psutil.Error):
        proxy = psutil.Process(hub.proxy_pid())  # not a child if the hub died before
        if proxy not in family and any("configurable-http-proxy" in a for a in proxy.cmdline()):
            family.append(proxy)
    if hub.proc.poll() is None:
        hub.proc.send_signal(signal.SIGTERM)
        try:
            hub.proc.wait(timeout=HUB_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            hub.proc.kill()
            hub.proc.wait(timeout=10)
    _gone, alive = psutil.wait_procs(family, timeout=5)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=5)
    hub._reader.join(timeout=5)


@contextlib.contextmanager
def running_hub(base_dir: Path | str, **kwargs: Any) -> Iterator[Hub]:
    """``start_hub(base_dir, **kwargs)``, stopped on the way out."""
    hub = start_hub(base_dir, **kwargs)
    try:
        yield hub
    finally:
        stop_hub(hub)


# --------------------------------------------------------------------------- browser

# JupyterLab has started and restored its layout (then commands such as
# docmanager:open work).
_LAB_RESTORED_JS = "async () => { await window.jupyterapp.restored; return true; }"


def login(hub: Hub, browser: Browser) -> Page:
    """Log the user in through the hub's login form in a fresh browser context; wait
    until the spawned single-user server's JupyterLab has started in the page."""
    context = browser.new_context(viewport=lab.VIEWPORT)
    try:
        page = context.new_page()
        page.goto(f"{hub.url}/hub/login")
        page.locator("#username_input").fill(hub.user)
        page.locator("#password_input").fill(hub.password)
        page.locator("#login_submit").click()
        # The hub spawns the server (its "pending" page follows the progress events),
        # then sends the page to the server's default URL, /lab.
        page.wait_for_url(f"**/user/{hub.user}/lab**", timeout=SPAWN_TIMEOUT * 1000)
        page.wait_for_function(
            "() => !!(window.jupyterapp && window.jupyterapp.shell)",
            timeout=lab.KERNEL_READY_TIMEOUT * 1000,
        )
        page.evaluate(_LAB_RESTORED_JS)
    except (PlaywrightError, PlaywrightTimeoutError) as e:
        with contextlib.suppress(PlaywrightError):
            context.close()
        raise AssertionError(f"logging in through the hub failed: {e}\n{hub.log_tail()}") from None
    return page


def open_notebook(hub: Hub, browser: Browser, cells: list[str]) -> lab.NotebookPage:
    """Write a notebook of ``cells`` into the user's home and open it in a logged-in
    JupyterLab page; wait for a connected, idle kernel (``AssertionError`` with the
    hub's log if none comes)."""
    server = hub.user_server()
    name = lab.write_notebook(server, cells)
    warm = lab._warm_pages.get(server.url, [])
    while warm:
        nbp = lab._open_in_warm_page(server, warm.pop(), name, len(cells))
        if nbp is not None:
            return nbp
    page = login(hub, browser)
    nbp = lab._open_in_warm_page(server, (page.context, page), name, len(cells))
    if nbp is None:
        raise AssertionError(f"{name} did not open in the hub's JupyterLab\n{hub.log_tail()}")
    return nbp
