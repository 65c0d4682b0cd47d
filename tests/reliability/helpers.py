"""Shared pieces of the reliability suite: Hypothesis strategies, reply checks, a
sandboxed shell, recorded transports and reference renderings."""

from __future__ import annotations

import builtins
import io
import json
import math
import os
import threading
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from matplotlib import animation
from PIL import Image

# -- Hypothesis settings ---------------------------------------------------------------

PROFILE = os.environ.get("IPYANIMAGIC_FUZZ_PROFILE", "reliability")
SCALE = float(os.environ.get("IPYANIMAGIC_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """Settings for a fuzz test: the suite's profile, ``examples`` x IPYANIMAGIC_FUZZ_SCALE."""
    return settings(settings.get_profile(PROFILE), max_examples=max(1, int(examples * SCALE)))


class Counter:
    """Counts the examples a Hypothesis test really ran (for docs/RELIABILITY.md)."""

    def __init__(self) -> None:
        self.n = 0
        self.kinds: dict[str, int] = {}

    def add(self, kind: str = "") -> None:
        self.n += 1
        if kind:
            self.kinds[kind] = self.kinds.get(kind, 0) + 1


# -- values a page (or anything that can write to the comm) may send ---------------------

FIVE_MB = 5 * 1024 * 1024

# Built once: generating 5 MB strings per example would dominate the run time.
BIG_CHARS = ("x", "\u00e9", "<", "'", "\x00", "\u2028", "\ud800")
BIG_STRINGS = tuple(c * FIVE_MB for c in BIG_CHARS)


def nest(depth: int, leaf: Any = 0, kind: str = "list") -> Any:
    """``depth`` levels of lists (or dicts) around ``leaf``, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


# Around ipyanimagic's own limit (200 levels, jsonvalue.py). Deeper values (1000, 5000:
# past Python's recursion limit) are tested one by one in test_robustness.py; Hypothesis
# could not even print them in a failure report.
DEEP_SHAPES = tuple((d, k) for d in (199, 200, 201, 300) for k in ("list", "dict"))
DEEP = {shape: nest(*shape[:1], kind=shape[1]) for shape in DEEP_SHAPES}


class Big:
    """Stands for a 5 MB string in what Hypothesis draws, prints and shrinks; the test
    swaps in the string itself (``materialize``) before sending."""

    def __init__(self, i: int) -> None:
        self.i = i

    def __repr__(self) -> str:
        return f"Big({BIG_CHARS[self.i]!r} * 5 MB)"


class Deep:
    """Stands for a value nested ``depth`` levels deep, the same way."""

    def __init__(self, depth: int, kind: str) -> None:
        self.depth, self.kind = depth, kind

    def __repr__(self) -> str:
        return f"Deep({self.depth}, {self.kind!r})"


BIG = tuple(Big(i) for i in range(len(BIG_CHARS)))
DEEP_MARKERS = tuple(Deep(d, k) for d, k in DEEP_SHAPES)


def materialize(value: Any) -> Any:
    """``value`` with every ``Big`` / ``Deep`` marker replaced by what it stands for."""
    if isinstance(value, Big):
        return BIG_STRINGS[value.i]
    if isinstance(value, Deep):
        return DEEP[(value.depth, value.kind)]
    if isinstance(value, list):
        return [materialize(v) for v in value]
    if isinstance(value, tuple):
        return tuple(materialize(v) for v in value)
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    return value


# Strings that would do something if they were ever treated as source text, markup or a
# template: Python, JavaScript, HTML, Jinja, shell, format strings; plus the characters
# that break naive encoders.
HOSTILE_STRINGS = (
    "x'); import os; os.getpid() #",
    "__import__('os').getpid()",
    "fz_pwned = 1",
    "'); fz_pwned = 1 #",
    '"; fz_pwned = 1 #',
    "\nfz_pwned = 1\n",
    "1; fz_pwned = 1",
    "globals().update(fz_pwned=1)",
    "{{ 7 * 7 }}",
    "{% for x in range(3) %}{{ x }}{% endfor %}",
    "${globalThis.__fz_pwned = 1}",
    "`${1+1}`",
    "</script><script>globalThis.__fz_pwned = 1</script>",
    '<img src=x onerror="globalThis.__fz_pwned = 1">',
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    "%(x)s %s {0} {x!r}",
    "$(touch /tmp/fz) `touch /tmp/fz`",
    "\x00\x01\x1b[31m",
    "\u202etxt.exe",
    "\ufeff",
    "\ud800",
    "\udfff\ud800",
    "a\u0000b",
    "\U0001f600" * 3,
    "__class__.__mro__[1].__subclasses__()",
    "raise SystemExit(3)",
    "raise KeyboardInterrupt",
    "class E(Exception):\n    def __str__(self):\n        raise RuntimeError\nraise E()",
    "True",
    "None",
    "-1",
    "",
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**100, -1, 0, 2**53 + 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(HOSTILE_STRINGS),
)


def weighted(*choices: tuple[Any, int]) -> Any:
    """Like ``st.one_of`` with weights (``one_of`` does not draw its branches evenly, so
    repeating a branch does not weigh it). Shrinks towards the first choice."""
    table = [strategy for strategy, weight in choices for _ in range(weight)]
    return st.integers(0, len(table) - 1).flatmap(lambda k: table[k])


json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(HOSTILE_STRINGS), children, max_size=4
        )
    ),
    max_leaves=12,
)

# What may arrive anywhere a value is expected: JSON, plus the extremes.
anything = weighted(
    (json_values, 10), (st.sampled_from(BIG), 1), (st.sampled_from(DEEP_MARKERS), 1)
)

# Code whose exception is not an ``Exception``, or cannot say what it is.
RAISING_CODE = (
    "raise SystemExit(3)",
    "import sys; sys.exit()",
    "raise GeneratorExit",
    "raise KeyboardInterrupt",
    "raise BaseException('base')",
    "(_ for _ in ()).throw(SystemExit)",
    "class E(Exception):\n    def __str__(self):\n        raise RuntimeError\nraise E()",
)

# Code for exec / eval. Huge code costs what a cell of that size costs IPython: its input
# transformer needs 10 s to minutes for 5 MB of some characters (see RELIABILITY.md), so
# the 5 MB source here is one that compiles fast, and it is drawn rarely.
# One draw in 40 is the 5 MB source.
code_values = weighted(
    (json_values, 24),
    (st.sampled_from(HOSTILE_STRINGS), 10),
    (st.sampled_from(RAISING_CODE), 5),
    (st.just(BIG[0]), 1),
)

# A frame number as a page, a bug or an attacker may send it.
frame_numbers = st.one_of(
    st.integers(min_value=-3, max_value=10),
    st.integers(),
    st.sampled_from([2**31, 2**63, 10**100, -(10**100), math.nan, math.inf, -math.inf]),
    st.floats(),
    st.sampled_from(["0", "1", "1e3", "NaN", "", "-1", " 2"]),
    st.booleans(),
    st.none(),
    st.lists(st.integers(0, 5), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(0, 5), max_size=2),
)

# The ``indices`` of a batch request: mostly good frame numbers, sometimes not, sometimes
# too many (the kernel takes 1 to 16), sometimes not a list at all.
frame_lists = weighted(
    (st.lists(st.integers(0, 5), min_size=1, max_size=8), 6),
    (st.lists(frame_numbers, max_size=6), 2),
    (st.lists(st.integers(0, 5), min_size=15, max_size=40), 1),
    (frame_numbers, 1),
)

identifier_like = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)


def is_strict_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


# -- replies ---------------------------------------------------------------------------

ERROR_KEYS = {"type", "message", "traceback"}


def check_reply(content: Any, rid: Any = ...) -> dict[str, Any]:
    """A reply as the protocol describes it (strict JSON, the documented fields only);
    with ``rid``, answering that id."""
    assert isinstance(content, dict), f"a reply must be a dict, not {type(content).__name__}"
    json.dumps(content, allow_nan=False)
    if rid is not ...:
        assert content["id"] == rid and type(content["id"]) is type(rid), (content["id"], rid)
    assert content["id"] is None or isinstance(content["id"], (int, str))
    assert content["ok"] in (True, False)
    if content["ok"]:
        assert set(content) <= {"id", "ok", "result", "outputs"}, set(content)
        assert "result" in content
    else:
        assert set(content) <= {"id", "ok", "error", "outputs"}, set(content)
        err = content["error"]
        assert ERROR_KEYS <= set(err) <= ERROR_KEYS | {"frame"}, err
        assert "frame" not in err or type(err["frame"]) is int, err
        assert isinstance(err["type"], str) and err["type"], err
        assert isinstance(err["message"], str), err
        assert isinstance(err["traceback"], list), err
        assert all(isinstance(line, str) for line in err["traceback"]), err
    if "outputs" in content:
        assert isinstance(content["outputs"], list)
        for out in content["outputs"]:
            assert out["output_type"] in ("stream", "display_data"), out
    return content


def usable_id(rid: Any) -> bool:
    return (isinstance(rid, int) and not isinstance(rid, bool)) or isinstance(rid, str)


def expected_id(message: Any) -> Any:
    """The id a reply to ``message`` must carry (None when the request's is unusable)."""
    if isinstance(message, dict) and usable_id(message.get("id")):
        return message["id"]
    return None


# -- a shell of our own ------------------------------------------------------------------


class SandboxShell:
    """Just what ipyanimagic's ``PythonRunner`` and ``capture_outputs`` use of a shell,
    with a private namespace: fuzzed names cannot overwrite the test session's shell."""

    def __init__(self, real_shell: Any) -> None:
        self.user_ns: dict[str, Any] = {"__builtins__": builtins}
        self.display_pub = real_shell.display_pub
        self.display_formatter = real_shell.display_formatter
        self._real = real_shell

    def transform_cell(self, code: str) -> str:
        return self._real.transform_cell(code)


# -- transports with ``send`` recorded -----------------------------------------------------


class SentLog:
    """Replies a widget sent, serialized exactly as the kernel's session would."""

    def __init__(self) -> None:
        self.items: list[tuple[dict[str, Any], list[bytes]]] = []
        self.cond = threading.Condition()

    def wait_for(self, count: int, timeout: float = 30) -> None:
        with self.cond:
            ok = self.cond.wait_for(lambda: len(self.items) >= count, timeout)
        assert ok, f"{len(self.items)} replies after {timeout} s, expected {count}"


def record_sends(widget: Any) -> SentLog:
    """Replace ``widget.send`` by one that packs the message as ipykernel does (the same
    JSON packer, buffers through the buffer protocol) and records it; it raises where
    the real one would."""
    from jupyter_client.session import json_packer

    log = SentLog()

    def send(content: Any, buffers: Any = None) -> None:
        packed = json_packer({"method": "custom", "content": content})
        blobs = [bytes(memoryview(b)) for b in (buffers or [])]
        with log.cond:
            log.items.append((json.loads(packed)["content"], blobs))
            log.cond.notify_all()

    widget.send = send
    return log


def drain_encoder() -> None:
    """Wait until the player's encoder thread has finished everything queued so far."""
    from ipyanimagic.frames.pipeline import encoder_pool as _encoder

    _encoder().submit(lambda: None).result(timeout=60)


# -- animations and their reference renderings ------------------------------------------------

COLORS = ("#d62728", "#2ca02c", "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def make_animation(tag: int = 0, frames: int = 6, size=(1.6, 1.2), dpi: int = 40):
    """A small FuncAnimation whose every frame differs, and differs between tags."""
    fig = plt.figure(figsize=size, dpi=dpi, facecolor=COLORS[tag % len(COLORS)])
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8), xlim=(0, 1), ylim=(-1.5, 1.5))
    (line,) = ax.plot([], [], lw=2, color="k")
    x = np.linspace(0, 1, 50)

    def step(i):
        line.set_data(x, np.sin(2 * np.pi * (x + i / frames)) * (1 + tag / 10))
        ax.set_title(f"{tag}:{i}", fontsize=8)
        return (line,)

    return animation.FuncAnimation(fig, step, frames=frames, interval=50)


def reference_rgba(tag: int, index: int, frames: int = 6, **kw: Any) -> np.ndarray:
    """Frame ``index`` drawn in full by a fresh figure of its own (never the player's)."""
    anim = make_animation(tag, frames, **kw)
    fig = anim._fig
    anim._func(index)
    fig.canvas.draw()
    rgba = np.asarray(fig.canvas.buffer_rgba()).copy()
    anim._draw_was_started = True  # it is never run: no "deleted without rendering" warning
    plt.close(fig)
    return rgba


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(bytes(data))) as img:
        return np.asarray(img.convert("RGBA"))
