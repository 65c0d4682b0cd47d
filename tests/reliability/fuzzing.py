"""The request fuzzer shared by the dispatcher and transport tests: a probe target,
strategies that build requests (a valid one, then 0 to 3 mutations), and an independent
oracle that lists the faults a request has."""

from __future__ import annotations

import builtins
import inspect
import keyword
import math
from concurrent.futures import Future
from typing import Any

import matplotlib.pyplot as plt
from hypothesis import strategies as st

import ipyanimagic
from ipyanimagic import registry
from ipyanimagic.bridge.dispatcher import expose, exposed_methods

from .helpers import (
    BIG,
    HOSTILE_STRINGS,
    SandboxShell,
    anything,
    check_reply,
    code_values,
    decode,
    frame_lists,
    frame_numbers,
    json_values,
    make_animation,
    reference_rgba,
    usable_id,
)

REFUSALS = {"ProtocolError", "UnknownKey", "UnknownMethod", "BadArguments"}


class Probe:
    """A registered object whose exposed methods record every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @expose
    def add(self, a: int, b: int = 0) -> Any:
        self.calls.append(("add", {"a": a, "b": b}))
        return a + b if _numbers(a, b) else None

    @expose(thread_safe=True)
    def value(self, value: Any = None) -> Any:
        self.calls.append(("value", {"value": value}))
        return value

    @expose
    def boom(self, message: str = "boom") -> None:
        self.calls.append(("boom", {"message": message}))
        raise ValueError(message)

    @expose(buffers=True)
    def size(self, buffers: list[Any]) -> int:
        self.calls.append(("size", {"buffers": buffers}))
        return sum(len(memoryview(b)) for b in buffers)

    @expose
    def later(self, value: Any = None) -> Future:
        self.calls.append(("later", {"value": value}))
        f: Future = Future()
        f.set_result(value)
        return f

    def secret(self) -> str:  # not exposed
        self.calls.append(("secret", {}))
        return "secret"

    def _private(self) -> str:
        self.calls.append(("_private", {}))
        return "private"


def _numbers(*values: Any) -> bool:
    return all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values
    )


# -- the oracle ----------------------------------------------------------------------------


def judge(content: dict[str, Any], expected: set[str], also: frozenset[str] = frozenset()) -> str:
    """Check a reply against the oracle's ``expected`` faults; "refused" or "ran".

    A faulty request must be refused with one of its faults (or one of ``also``, such as
    ``ReplyError`` where the reply itself may fail to encode); a clean one must never get
    a refusal (it may still fail in the method: that is the method's answer).
    """
    if expected:
        assert content["ok"] is False, f"accepted a request with faults {expected}"
        assert content["error"]["type"] in expected | also, (content["error"], expected)
        return "refused"
    if content["ok"] is False:
        assert content["error"]["type"] not in REFUSALS, content["error"]
    return "ran"


def utf8_encodable(value: Any) -> bool:
    """False only for a string that no UTF-8 message can carry (a lone surrogate)."""
    if not isinstance(value, str):
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _registered_class(key: str) -> type | None:
    try:
        return type(registry.get(key))
    except KeyError:
        return None


def faults(message: Any, buffers: Any, resolve: Any = _registered_class) -> set[str]:
    """Every reason the protocol gives to refuse ``message`` (empty: it must run).

    ``resolve(key)`` is the class of the object registered under ``key`` (None: none);
    by default this process's registry, for a kernel a mirror of its keys.
    """
    if not isinstance(message, dict):
        return {"ProtocolError"}
    found: set[str] = set()
    if not usable_id(message.get("id")) or "id" not in message:
        found.add("ProtocolError")
    key, method = message.get("key"), message.get("method")
    if not isinstance(key, str) or not isinstance(method, str):
        found.add("ProtocolError")
    args = message.get("args", {})
    args = {} if args is None else args
    args_ok = isinstance(args, dict) and all(isinstance(k, str) for k in args)
    if not args_ok or any(
        not k.isidentifier() or keyword.iskeyword(k) or k == "buffers" for k in args
    ):
        found.add("BadArguments")
        args_ok = False
    if not isinstance(buffers, (list, tuple)):
        found.add("ProtocolError")
    target = None
    if isinstance(key, str):
        target = resolve(key)
        if target is None:
            found.add("UnknownKey")
    info = None
    if isinstance(method, str):
        if method.startswith("_"):
            found.add("UnknownMethod")
        elif target is not None:
            info = exposed_methods(target).get(method)
            if info is None:
                found.add("UnknownMethod")
    if info is not None:
        if isinstance(buffers, (list, tuple)) and buffers and not info.buffers:
            found.add("BadArguments")
        if args_ok:
            kwargs = dict(args)
            if info.buffers:
                kwargs["buffers"] = []
            try:
                inspect.signature(getattr(target, info.attr or method)).bind(None, **kwargs)
            except TypeError:
                found.add("BadArguments")
    return found


# -- strategies ----------------------------------------------------------------------------

NOT_EXPOSED = [
    "secret",
    "_private",
    "__init__",
    "__class__",
    "__dict__",
    "__reduce__",
    "calls",
    "close",
    "send",
    "open",
    "keys",
    "set_trait",
    "on_msg",
    "hold_sync",
    "add_traits",
    "_on_custom_msg",
    "_send_reply",
    "_runner",
    "_draw",
    "_source",
    "_cache",
    "_repr_mimebundle_",
    "save_html",
    "save",
    "figure",
    "comm",
    "key",
    "code",
    "label",
    "_trait_values",
    "eval.__globals__",
    "frame.__func__",
    "echo ",
    "Echo",
    "ECHO",
    "",
]
EXPOSED = sorted(
    set(exposed_methods(Probe))
    | set(exposed_methods(ipyanimagic.JsExec))
    | set(exposed_methods(ipyanimagic.Player))
)
ARG_NAMES = [
    "a",
    "b",
    "value",
    "message",
    "code",
    "expr",
    "name",
    "args",
    "index",
    "indices",
    "format",
    "quality",
    "stats",
    "buffers",
    "self",
    "class",
    "lambda",
    "__init__",
    "kwargs",
    "1x",
    "a b",
    "",
]


def arg_value(name: str):
    """Values for an argument: right or wrong types, the extremes, hostile text."""
    if name == "index":
        return frame_numbers
    if name in ("code", "expr"):
        return code_values
    if name == "indices":
        return frame_lists
    if name == "format":
        return st.one_of(st.sampled_from(["png", "jpeg", "PNG", "gif", "", "png\x00"]), anything)
    if name == "quality":
        return st.one_of(st.none(), st.integers(-5, 105), anything)
    if name == "stats":
        return st.one_of(
            st.dictionaries(
                st.sampled_from(["displayed", "fps", "rtt_ms", "window", "other"]), json_values
            ),
            anything,
        )
    return anything


# The arguments each exposed method takes: (required, optional).
SIGNATURES = {
    "probe": {
        "add": (["a"], ["b"]),
        "value": ([], ["value"]),
        "boom": ([], ["message"]),
        "size": ([], []),
        "later": ([], ["value"]),
    },
    "jsexec": {
        "echo": ([], ["value"]),
        "execute": (["code"], []),
        "exec": (["code"], []),
        "eval": (["expr"], []),
        "get": (["name"], []),
        "set": (["name"], ["value"]),
        "call": (["name"], ["args"]),
    },
    "player": {
        "echo": ([], ["value"]),
        "frame": (["index"], ["format", "quality"]),
        "frames": (["indices"], ["format", "quality"]),
        "buffered": ([], []),
        "stats": ([], []),
        "report": (["stats"], []),
    },
}

MUTATIONS = [
    "no id",
    "bad id",
    "no key",
    "bad key type",
    "wrong key",
    "closed key",
    "no method",
    "bad method type",
    "other method",
    "args not an object",
    "null args",
    "missing argument",
    "extra argument",
    "bad argument name",
    "buffers",
    "bad buffers",
    "extra fields",
    "not an object",
]


def scalars_not_dict():
    return st.one_of(st.none(), st.integers(), st.text(max_size=8), st.floats(), st.booleans())


@st.composite
def requests(draw, keys: dict[str, str]):
    """(message, buffers): a valid request for a live target, then 0 to 3 mutations."""
    target = draw(st.sampled_from(sorted(SIGNATURES)), label="target")
    method = draw(st.sampled_from(sorted(SIGNATURES[target])), label="method")
    required, optional = SIGNATURES[target][method]
    names = required + [n for n in optional if draw(st.booleans())]
    args = {n: draw(arg_value(n), label=n) for n in names}
    message: dict[str, Any] = {
        "id": draw(IDS, label="id"),
        "key": keys[target],
        "method": method,
        "args": args,
    }
    buffers: Any = []
    if method == "size":
        buffers = draw(st.lists(st.binary(max_size=16), max_size=3))
    mutations = draw(
        st.one_of(st.just([]), st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)),
        label="mutations",
    )
    for m in mutations:
        if m == "no id":
            message.pop("id", None)
        elif m == "bad id":
            message["id"] = draw(BAD_IDS)
        elif m == "no key":
            message.pop("key", None)
        elif m == "bad key type":
            message["key"] = draw(st.one_of(scalars_not_dict(), st.lists(st.text(max_size=3))))
        elif m == "wrong key":
            k = keys[target]
            message["key"] = draw(
                st.one_of(
                    st.sampled_from([k[:-1], k + "x", k.upper(), f" {k}", f"{k}\n", k[1:], ""]),
                    st.text(max_size=30),
                    st.sampled_from((*HOSTILE_STRINGS, BIG[0])),
                )
            )
        elif m == "closed key":
            message["key"] = keys["closed"]
        elif m == "no method":
            message.pop("method", None)
        elif m == "bad method type":
            message["method"] = draw(st.one_of(scalars_not_dict(), json_values))
        elif m == "other method":
            message["method"] = draw(
                st.one_of(st.sampled_from(NOT_EXPOSED + EXPOSED), st.text(max_size=12))
            )
        elif m == "args not an object":
            message["args"] = draw(st.one_of(st.lists(json_values, max_size=3), scalars_not_dict()))
        elif m == "null args":
            message["args"] = None
        elif isinstance(message.get("args"), dict) and m == "missing argument" and args:
            message["args"].pop(draw(st.sampled_from(sorted(message["args"]))), None)
        elif isinstance(message.get("args"), dict) and m in ("extra argument", "bad argument name"):
            name = draw(
                st.sampled_from(ARG_NAMES) if m == "extra argument" else st.text(max_size=8)
            )
            message["args"][name] = draw(arg_value(name))
        elif m == "buffers":
            buffers = draw(
                st.lists(
                    st.one_of(st.binary(max_size=16), st.just(memoryview(b"xyz"))),
                    min_size=1,
                    max_size=3,
                )
            )
        elif m == "bad buffers":
            buffers = draw(
                st.one_of(
                    st.lists(st.one_of(st.text(max_size=3), st.integers(), st.none()), max_size=2),
                    st.text(min_size=1, max_size=3),
                    st.integers(1, 3),
                    st.just({"a": b"x"}),
                )
            )
        elif m == "extra fields":
            extra = draw(st.dictionaries(st.text(max_size=6), json_values, max_size=2))
            for k, v in extra.items():
                message.setdefault(k, v)
        elif m == "not an object":
            return draw(anything), buffers
    return defang(message), buffers


IDS = st.one_of(
    st.integers(),
    st.integers(),
    st.text(max_size=12),
    st.sampled_from(HOSTILE_STRINGS),
)

BAD_IDS = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)


def defang(message: dict[str, Any]) -> dict[str, Any]:
    """Keep ``call`` away from Python's own builtins (``input``, ``open``, ``exit``...): the
    fuzzer is here to hit the bridge, not to run arbitrary builtins with random args."""
    args = message.get("args")
    if isinstance(args, dict) and isinstance(args.get("name"), str):
        head = args["name"].split(".")[0]
        if hasattr(builtins, head):
            args["name"] = "fz_" + args["name"]
    return message


# -- live targets ------------------------------------------------------------------------


def build_targets(shell: Any) -> dict[str, Any]:
    """A probe, a JsExec (private namespace), a Player, and the key of a closed widget."""
    probe = Probe()
    probe_key = registry.register(probe)
    jsx = ipyanimagic.JsExec("", shell=SandboxShell(shell))
    player = ipyanimagic.animate(make_animation(0))
    gone = ipyanimagic.JsExec("", shell=SandboxShell(shell))
    gone_key = gone.key
    gone.close()
    return {
        "probe": (probe, probe_key),
        "jsexec": (jsx, jsx.key),
        "player": (player, player.key),
        "closed": (None, gone_key),
        "reference": {i: reference_rgba(0, i) for i in range(6)},
    }


def close_targets(t: dict[str, Any]) -> None:
    registry.unregister(t["probe"][1])
    t["jsexec"][0].close()
    t["player"][0].close()
    plt.close("all")


def still_working(t: dict[str, Any], n: int, send: Any) -> None:
    """Every target answers a valid request correctly. ``send(message)`` returns the
    Reply (through the dispatcher, or a transport)."""
    probe, probe_key = t["probe"]
    reply = send({"id": -n, "key": probe_key, "method": "add", "args": {"a": n, "b": 1}})
    assert check_reply(reply.content, -n)["result"] == n + 1
    probe.calls.pop()
    _, jsx_key = t["jsexec"]
    reply = send({"id": n, "key": jsx_key, "method": "echo", "args": {"value": [n, "ok"]}})
    assert check_reply(reply.content, n)["result"] == [n, "ok"]
    _, player_key = t["player"]
    i = n % 6
    reply = send({"id": n, "key": player_key, "method": "frame", "args": {"index": i}})
    meta = check_reply(reply.content, n)["result"]
    assert meta["index"] == i and meta["mime"] == "image/png"
    assert (decode(reply.buffers[0]) == t["reference"][i]).all(), f"frame {i} is wrong"
