"""Fuzzing every exposed method with its own oracle.

``JsExec``: echo / set / get / call / eval / exec / execute; ``Player``: frame /
frames / buffered / stats / report. Arguments are right, wrong-typed, huge, negative,
NaN, strings for numbers, hostile text, 5 MB, deeply nested. Each call gets one reply
that is exactly what the method promises (values checked against an independent
expectation, frames against a reference rendering by a separate figure), and the
objects keep working afterwards.
"""

from __future__ import annotations

import builtins
import math
import types
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ipyanimagic
from ipyanimagic.bridge.dispatcher import dispatch
from ipyanimagic.limits import MAX_BATCH

from .helpers import (
    BIG,
    HOSTILE_STRINGS,
    RAISING_CODE,
    Counter,
    SandboxShell,
    anything,
    check_reply,
    code_values,
    decode,
    frame_lists,
    frame_numbers,
    fuzz,
    identifier_like,
    is_strict_json,
    json_values,
    make_animation,
    materialize,
    reference_rgba,
    weighted,
)

FRAMES = 6


def depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (list, dict)):
            d += 1
            deepest = max(deepest, d)
            stack.extend((x, d) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def call(key: str, method: str, **args: Any) -> dict[str, Any]:
    try:
        reply = dispatch({"id": 1, "key": key, "method": method, "args": args})
    except BaseException as exc:
        raise AssertionError(f"{method}() raised {type(exc).__name__}: {exc}") from exc
    return check_reply(reply.content, 1)


# -- JsExec ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jsx(ip_session):
    shell = SandboxShell(ip_session)
    w = ipyanimagic.JsExec("", shell=shell)
    ns = shell.user_ns
    ns["fz_obj"] = types.SimpleNamespace()
    ns["fz_received"] = []

    def fz_identity(*args):
        ns["fz_received"] = list(args)
        return list(args)

    def fz_raise(*args):
        raise LookupError(f"{len(args)} args")

    ns["fz_identity"] = fz_identity
    ns["fz_raise"] = fz_raise
    yield w, ns
    w.close()


names = weighted(
    (identifier_like.map(lambda s: f"fz_v_{s}"), 4),
    (identifier_like.map(lambda s: f"fz_obj.{s}"), 2),
    (st.sampled_from(HOSTILE_STRINGS), 2),
    (st.text(max_size=20), 2),
    (json_values, 2),
    (st.sampled_from(BIG), 1),
)


def test_jsexec_methods_do_exactly_what_they_promise(jsx, figures):
    w, ns = jsx
    seen = Counter()
    reserved = {k: ns[k] for k in ("__builtins__", "fz_obj", "fz_identity", "fz_raise")}

    @fuzz(1200)
    @given(
        method=st.sampled_from(["echo", "set", "get", "call", "eval", "exec", "execute"]),
        name=names,
        value=anything,
        code=code_values,
        a=st.integers(),
        b=st.integers(),
    )
    def run(method, name, value, code, a, b):
        name, value, code = materialize(name), materialize(value), materialize(code)
        ns.update(reserved)  # whatever an earlier example bound over them
        ns.pop("fz_pwned", None)
        before = set(ns)
        if method == "echo":
            content = call(w.key, "echo", value=value)
            if is_strict_json(value):
                assert content["ok"] and content["result"] == value
            else:
                assert content["error"]["type"] == "TypeError"
        elif method == "set":
            content = call(w.key, "set", name=name, value=value)
            parts = name.split(".") if isinstance(name, str) else []
            valid = len(parts) == 1 and parts[0].isidentifier()
            attr = len(parts) == 2 and parts[0] == "fz_obj" and parts[1].isidentifier()
            if valid or attr:
                assert content["ok"], content
                if valid:
                    assert ns[name] is value, "set() did not bind the value itself"
                    before.add(name)
                else:
                    assert getattr(ns["fz_obj"], parts[1]) is value
                if is_strict_json(value) and depth(value) <= 200:
                    got = call(w.key, "get", name=name)
                    assert got["ok"] and got["result"] == value
            else:
                assert not content["ok"]
                assert content["error"]["type"] in ("TypeError", "ValueError", "NameError")
        elif method == "get":
            content = call(w.key, "get", name=name)
            head = name.split(".")[0] if isinstance(name, str) else None
            if head is None or (head not in ns and not hasattr(builtins, head)):
                assert not content["ok"]
        elif method == "call":
            target = "fz_identity" if a % 3 else "fz_raise"
            args = value if a % 5 else [value, name]
            content = call(w.key, "call", name=target, args=args)
            if target == "fz_raise" and (isinstance(args, list) or not args):
                assert content["error"]["type"] == "LookupError"
            elif isinstance(args, list):
                received = ns["fz_received"]
                assert len(received) == len(args)
                assert all(x is y for x, y in zip(received, args, strict=True)), "not as data"
                if is_strict_json(args) and depth(args) <= 200:
                    assert content["ok"] and content["result"] == args
            elif args:
                assert content["error"]["type"] == "TypeError"
        elif method == "eval":
            content = call(w.key, "eval", expr=f"{a} + {b}")
            assert content["ok"] and content["result"] == a + b
            call(w.key, "eval", expr=code)
            before |= set(ns)  # eval runs code too (``globals().update(...)``)
        elif method == "exec":
            # Code that rebuilds the value (small ones: IPython's input transformer needs
            # about a minute for a 10 MB literal of quotes, see RELIABILITY.md).
            if is_strict_json(value) and len(repr(value)) < 10_000:
                content = call(w.key, "exec", code=f"fz_v = {value!r}")
                if content["ok"]:
                    assert ns["fz_v"] == value
                before.add("fz_v")
            content = call(w.key, "exec", code=code)
            if code in RAISING_CODE:
                assert not content["ok"]
            before |= set(ns)  # exec runs code: it may bind names
        else:
            content = call(w.key, "execute", code=code)
            assert content["ok"], "execute reports errors as outputs, never as a failed call"
            outputs = content["result"]
            assert isinstance(outputs, list)
            if not isinstance(code, str) or code in RAISING_CODE:
                assert outputs and outputs[-1]["output_type"] == "error", outputs
            before |= set(ns)
        if method in ("echo", "set", "get", "call"):
            assert "fz_pwned" not in ns, f"{method} ran a value as code"
            assert set(ns) <= before, f"{method} bound {set(ns) - before}"
        assert call(w.key, "echo", value=[a, "still here"])["result"] == [a, "still here"]
        seen.add(method)

    run()
    figures.record("fuzz: JsExec methods", examples=seen.n, **seen.kinds)


def test_json_values_keep_their_shape_through_echo_set_and_get(jsx, figures):
    w, _ = jsx
    seen = Counter()

    @fuzz(1000)
    @given(value=json_values)
    def run(value):
        value = materialize(value)
        seen.add()
        if not is_strict_json(value):
            return
        assert call(w.key, "echo", value=value)["result"] == value
        assert call(w.key, "set", name="fz_shape", value=value)["ok"]
        assert call(w.key, "get", name="fz_shape")["result"] == value
        seen.kinds["strict JSON, round-tripped"] = (
            seen.kinds.get("strict JSON, round-tripped", 0) + 1
        )

    run()
    figures.record("fuzz: JSON values through echo/set/get", examples=seen.n, **seen.kinds)


# -- the player ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def player():
    p = ipyanimagic.animate(make_animation(1, FRAMES))
    refs = [reference_rgba(1, i, FRAMES) for i in range(FRAMES)]
    yield p, refs
    p.close()


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def good_format(fmt: Any, quality: Any) -> bool:
    return (
        isinstance(fmt, str)
        and fmt in ("png", "jpeg")
        and (quality is None or (is_int(quality) and 1 <= quality <= 100))
    )


def good_index(index: Any) -> bool:
    return is_int(index) and 0 <= index < FRAMES


def nearest(img: np.ndarray, refs: list[np.ndarray]) -> int:
    diffs = [np.abs(img[..., :3].astype(int) - r[..., :3].astype(int)).mean() for r in refs]
    return int(np.argmin(diffs))


def check_pixels(refs: list[np.ndarray], meta: dict, data: Any, index: int, fmt: str) -> None:
    assert meta["index"] == index and meta["count"] == FRAMES
    assert meta["mime"] == f"image/{fmt}"
    img = decode(data)
    assert img.shape == refs[index].shape
    assert (meta["height"], meta["width"]) == img.shape[:2]
    if fmt == "png":
        assert (img == refs[index]).all(), f"frame {index} differs from the reference"
    else:
        assert nearest(img, refs) == index, f"jpeg frame {index} looks like another frame"


def check_frame(p: Any, refs: list[np.ndarray], index: int, fmt: str, quality: Any) -> None:
    args: dict[str, Any] = {"index": index, "format": fmt}
    if quality is not None:
        args["quality"] = quality
    reply = dispatch({"id": 2, "key": p.key, "method": "frame", "args": args})
    content = check_reply(reply.content, 2)
    assert content["ok"], content
    (data,) = reply.buffers
    check_pixels(refs, content["result"], data, index, fmt)


def check_frames(p: Any, refs: list[np.ndarray], indices: Any, fmt: Any, quality: Any) -> str:
    """One batch request; returns what kind of answer it was."""
    args = {"indices": indices, "format": fmt, "quality": quality}
    reply = dispatch({"id": 3, "key": p.key, "method": "frames", "args": args})
    content = check_reply(reply.content, 3)
    batch_ok = isinstance(indices, list) and 1 <= len(indices) <= MAX_BATCH
    if not (batch_ok and good_format(fmt, quality)):
        assert not content["ok"], (args, content)
        assert content["error"]["type"] in ("TypeError", "ValueError"), content["error"]
        return "refused"
    assert content["ok"], content
    result = content["result"]
    # The frames before the first bad index, in order, then the error naming that index.
    good = []
    for index in indices:
        if not good_index(index):
            break
        good.append(index)
    assert [m["index"] for m in result["frames"]] == good
    assert len(reply.buffers) == len(good)
    for meta, data, index in zip(result["frames"], reply.buffers, good, strict=True):
        check_pixels(refs, meta, data, index, fmt)
    if len(good) == len(indices):
        assert result["error"] is None
        return "whole batch"
    error = result["error"]
    bad = indices[len(good)]
    # The error names the bad index, or says null (it must, when the index cannot travel
    # as JSON: NaN, inf).
    assert error["index"] is None or (is_strict_json(bad) and error["index"] == bad), error
    assert error["type"] in ("TypeError", "FrameOutOfRange"), error
    return "partial batch"


reports = st.one_of(
    st.dictionaries(
        st.sampled_from(["displayed", "requested", "received", "dropped", "rtt_ms", "fps"])
        | st.text(max_size=6),
        st.one_of(
            st.integers(),
            st.floats(allow_nan=True, allow_infinity=True),
            st.sampled_from([math.nan, math.inf, -math.inf, 10**400, True, None, "1", [1]]),
        ),
        max_size=4,
    ),
    anything,
)

# Mostly good formats and qualities, so that most calls reach the frames; the bad ones
# echo themselves in the error message (a 5 MB format costs 10 MB of reply).
formats = weighted((st.sampled_from(["png", "jpeg"]), 8), (json_values, 1), (anything, 1))
qualities = weighted(
    (st.none(), 4), (st.integers(1, 100), 4), (st.integers(-2, 102), 1), (frame_numbers, 1)
)


def test_player_methods_do_exactly_what_they_promise(player, figures):
    p, refs = player
    seen, examples = Counter(), Counter()

    @fuzz(1000)
    @given(
        calls=st.lists(
            st.one_of(
                st.tuples(st.just("frame"), frame_numbers, formats, qualities),
                st.tuples(st.just("frames"), frame_lists, formats, qualities),
                st.tuples(st.just("report"), reports),
                st.tuples(st.sampled_from(["buffered", "stats"])),
            ),
            min_size=1,
            max_size=4,
        )
    )
    def run(calls):
        examples.add()
        # The page reports every 2 s while playing; start each example from a clean report.
        assert call(p.key, "report", stats={})["ok"]
        for spec in materialize(calls):
            method = spec[0]
            kind = method
            if method == "frame":
                _, index, fmt, quality = spec
                content = call(p.key, "frame", index=index, format=fmt, quality=quality)
                if good_index(index) and good_format(fmt, quality):
                    check_frame(p, refs, index, fmt, quality)
                else:
                    assert not content["ok"], (spec, content)
                    assert content["error"]["type"] in (
                        "TypeError",
                        "ValueError",
                        "FrameOutOfRange",
                    ), content["error"]
            elif method == "frames":
                kind = f"frames: {check_frames(p, refs, *spec[1:])}"
            elif method == "report":
                content = call(p.key, "report", stats=spec[1])
                assert content["ok"] == isinstance(spec[1], dict), content
            elif method == "buffered":
                ranges = call(p.key, "buffered")["result"]
                flat = [i for a, b in ranges for i in (a, b)]
                assert flat == sorted(flat) and all(0 <= i < FRAMES for i in flat)
                assert all(a <= b for a, b in ranges)
            seen.add(kind)
            # Whatever came before, the player still answers correctly.
            stats = call(p.key, "stats")
            assert stats["ok"], f"stats() fails after {spec!r}: {stats['error']}"
        i = len(calls) % FRAMES
        check_frame(p, refs, i, "png", None)

    run()
    figures.record("fuzz: Player methods", examples=examples.n, calls=seen.n, **seen.kinds)


def test_player_frame_numbers_of_every_kind(player):
    """The classic bad frame numbers, one by one, then a good one."""
    p, refs = player
    for index in (-1, FRAMES, 2**63, 10**100, -(10**100), math.nan, math.inf, "0", "1", 1.0):
        content = call(p.key, "frame", index=index)
        assert not content["ok"]
        assert content["error"]["type"] in ("TypeError", "FrameOutOfRange"), content
    for index in (True, None, [0], {"i": 0}):
        assert call(p.key, "frame", index=index)["error"]["type"] == "TypeError"
    check_frame(p, refs, FRAMES - 1, "png", None)
