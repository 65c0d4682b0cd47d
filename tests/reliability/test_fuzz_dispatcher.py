"""Fuzzing the dispatcher: whatever arrives, exactly one well-formed reply, nothing raised.

Hypothesis builds requests out of valid and invalid parts (ids, keys, method names,
argument objects, buffers; huge, negative, NaN and string numbers, 5 MB strings,
200- to 5000-deep nesting, hostile text) and sends them to three live targets: a probe
that records its calls, a ``JsExec`` (with a private namespace) and a ``Player``. An
independent oracle lists the faults a request has; a request with faults must be
refused with one of them and must not reach the method; one without faults must run.
After every example the registry and the targets still answer a valid request.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipyanimagic import registry
from ipyanimagic.bridge.dispatcher import Reply, dispatch, exposed_methods, prepare

from .fuzzing import NOT_EXPOSED, build_targets, close_targets, faults, judge, requests
from .fuzzing import still_working as still_working_after
from .helpers import Counter, check_reply, expected_id, fuzz, materialize


@pytest.fixture(scope="module")
def targets(ip_session):
    t = build_targets(ip_session)
    yield t
    close_targets(t)


def still_working(t, n):
    still_working_after(t, n, dispatch)


def test_every_request_gets_exactly_one_well_formed_reply(targets, figures):
    keys = {name: targets[name][1] for name in ("probe", "jsexec", "player", "closed")}
    registered = set(registry.keys())
    seen = Counter()

    @fuzz(3000)
    @given(data=st.data())
    def run(data):
        drawn, buffers = data.draw(requests(keys), label="request")
        message = materialize(drawn)
        probe = targets["probe"][0]
        expected_faults = faults(message, buffers)
        calls_before = len(probe.calls)
        try:
            reply = dispatch(message, buffers)
        except BaseException as exc:
            raise AssertionError(f"dispatch raised {type(exc).__name__}: {exc}") from exc
        assert isinstance(reply, Reply)
        content = check_reply(reply.content, expected_id(message))
        verdict = judge(content, expected_faults)
        ran = len(probe.calls) - calls_before
        if verdict == "refused":
            assert ran == 0, "a refused request reached the method"
        elif message.get("key") == keys["probe"]:
            assert ran == 1, "an accepted request did not run"
        seen.add(verdict)
        still_working(targets, seen.n)

    run()
    assert set(registry.keys()) == registered
    figures.record(
        "fuzz: dispatch",
        examples=seen.n,
        refused=seen.kinds.get("refused", 0),
        ran=seen.kinds.get("ran", 0),
    )


def test_prepare_never_routes_to_a_method_outside_the_allow_list(targets, figures):
    seen = Counter()

    @fuzz(1500)
    @given(method=st.one_of(st.sampled_from(NOT_EXPOSED), st.text(max_size=20)))
    def run(method):
        for name in ("probe", "jsexec", "player"):
            target, key = targets[name]
            allowed = exposed_methods(type(target))
            call = prepare({"id": 1, "key": key, "method": method, "args": {}})
            if method in allowed and not method.startswith("_"):
                assert call.info.name == method
                continue
            assert isinstance(call, Reply)
            assert call.content["error"]["type"] == "UnknownMethod"
        seen.add()

    run()
    figures.record("fuzz: method names against the allow-list", examples=seen.n)
