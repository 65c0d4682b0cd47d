"""Security: what the page can reach, and what it can make the kernel run.

The trust model is in docs/RELIABILITY.md. In short: the page can call only the
methods a class exposes, on objects whose unguessable key it was given; the values it
sends arrive as data; markup from Python (titles, labels, template values) is shown as
text; ``%%jsexec`` runs only what the cell's author wrote.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib import animation
from playwright.sync_api import expect

import ipyanimagic
from ipyanimagic import registry
from ipyanimagic.bridge.dispatcher import dispatch, exposed_methods
from ipyanimagic.bridge.jsexec import render_code_template

from .helpers import SandboxShell

HOSTILE = "</script><script>window.__pwned = 1</script><img src=x onerror='window.__pwned = 2'>"

# The whole surface a page can call. Adding a method here is a decision, not a detail.
# page_code: the package's own page code, by the hash its loader names (no user data: a
# hash the package does not serve is a LookupError).
SURFACE = {
    ipyanimagic.JsExec: {"echo", "execute", "exec", "eval", "get", "set", "call", "page_code"},
    ipyanimagic.Player: {"echo", "frame", "frames", "buffered", "stats", "report", "page_code"},
}


def tiny_animation() -> animation.FuncAnimation:
    fig, _ax = plt.subplots(figsize=(1, 1), dpi=20)
    return animation.FuncAnimation(fig, lambda i: [], frames=2)


@pytest.fixture
def objects(ip_session):
    made = [
        ipyanimagic.JsExec("", shell=SandboxShell(ip_session)),
        ipyanimagic.animate(tiny_animation()),
    ]
    yield made
    for obj in made:
        obj.close()


def test_the_page_can_call_exactly_the_exposed_methods(objects):
    for obj in objects:
        # anywidget gives each instance a subclass of its own: look up by isinstance.
        (surface,) = [names for cls, names in SURFACE.items() if isinstance(obj, cls)]
        assert set(exposed_methods(type(obj))) == surface
        reachable = set()
        for name in dir(obj):
            content = dispatch({"id": 1, "key": obj.key, "method": name, "args": {}}).content
            if content.get("error", {}).get("type") != "UnknownMethod":
                reachable.add(name)
        # Everything else (close, send, set_trait, _runner, __class__, ...) is refused
        # before any argument is looked at.
        assert reachable <= surface, reachable - surface


def test_keys_are_128_random_bits_and_never_reused(objects):
    assert registry.KEY_BYTES * 8 == 128
    key = objects[0].key
    objects[0].close()
    again = [ipyanimagic.JsExec("", shell=objects[0]._runner.shell) for _ in range(200)]
    try:
        assert key not in {w.key for w in again}
        assert len({w.key for w in again}) == 200
        assert all(str(id(w)) not in w.key for w in again)
    finally:
        for w in again:
            w.close()


def test_a_template_value_stays_data_in_html_and_in_script():
    code = render_code_template(
        "<p>{{ v }}</p><script>element.dataset.v = {{ v|tojson }};</script>", {"v": HOSTILE}
    )
    assert "<script>window.__pwned" not in code and "<img" not in code
    assert code.count("</script>") == 1  # the author's own closing tag, nothing more


def test_every_html_template_is_autoescaped():
    from ipyanimagic.templates import environment, template_dir

    env = environment()
    root = template_dir()
    pages = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html"))
    assert pages  # player/player.html, player/export.html, player/embed.html
    for name in pages:
        assert env.autoescape(name), name
    assert env.from_string("{{ v }}").render(v="<script>") == "&lt;script&gt;"


def test_markup_in_labels_titles_and_template_values_shows_as_text(notebook, figures):
    setup = (
        "%load_ext ipyanimagic\n"
        "import matplotlib.pyplot as plt\nfrom matplotlib import animation\nimport ipyanimagic\n"
        f"HOSTILE = {HOSTILE!r}\n"
        "fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)\n"
        "fig.suptitle(HOSTILE)\n"
        "anim = animation.FuncAnimation(fig, lambda i: [], frames=3)"
    )
    nb = notebook(
        [
            setup,
            "%animate anim",  # the label comes from the figure's title
            "ipyanimagic.animate(animation.FuncAnimation(fig, lambda i: [], frames=3),"
            " label=HOSTILE)",
            "%%jsexec --html --template\n<p class='shown'>{{ HOSTILE }}</p>\n"
            "<script>element.querySelector('.shown').dataset.v = {{ HOSTILE|tojson }};</script>",
        ]
    )
    for i in range(4):
        nb.run_cell(i)
    for i in (1, 2):
        player = nb.output(i).locator(".iam-player")
        expect(player).to_have_attribute("aria-label", HOSTILE)
        assert nb.output(i).locator("img, script").count() == 0
    shown = nb.output(3).locator(".shown")
    expect(shown).to_have_text(HOSTILE)
    expect(shown).to_have_attribute("data-v", HOSTILE)
    assert nb.output(3).locator("img").count() == 0
    assert nb.page.evaluate("() => window.__pwned") is None
    nb.assert_no_page_errors()
    figures.record(
        "security: markup in a title, a label and a template value",
        places=3,
        scripts_run=0,
        shown_as_text=True,
    )
