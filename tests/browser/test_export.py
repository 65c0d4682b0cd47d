"""An exported player plays from disk with the network blocked."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from support.player import PlayerView
from support.seed import seed_animation

import ipyanimagic


def test_an_exported_file_plays_offline_with_the_same_controls(browser, tmp_path):
    _, anim = seed_animation(frames=30)
    player = ipyanimagic.animate(anim, fps=30, label="Exported <script>alert(1)</script>")
    try:
        path = player.save_html(tmp_path / "anim.html", progress=False)
    finally:
        player.close()
    context = browser.new_context(offline=True)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(path.as_uri())
        p = PlayerView(page.locator(".iam-player"))
        p.expect_frame(0, timeout=10_000)
        expect(p.counter).to_have_text("1 / 30")
        p.button("Last frame").click()
        p.expect_frame(29)
        p.button("Play").click()
        # From the last frame, Play loops around to the start.
        expect(p.canvas).to_have_attribute("data-frame", re.compile(r"^[1-9]$"), timeout=10_000)
        p.button("Pause").click()
        p.slider.fill("12")
        p.expect_frame(12)
        # The label is text: the title shows it, nothing ran.
        assert page.title() == "Exported <script>alert(1)</script>"
        assert dialogs == []
        assert requests == [path.as_uri()]
        assert errors == []
    finally:
        context.close()


def test_an_exported_file_plays_at_60_fps_through_batched_requests(browser, tmp_path):
    """At 60 fps the player asks for frames in batches (`frames`): the file answers them.

    (The file's first bridge answered only `frame`, and playing stopped at the first
    batch with "Cannot destructure property 'result' of 'object null'".)
    """
    _, anim = seed_animation(frames=90)
    player = ipyanimagic.animate(anim, fps=60, loop="once", label="Fast")
    try:
        path = player.save_html(tmp_path / "fast.html", format="jpeg", progress=False)
    finally:
        player.close()
    context = browser.new_context(offline=True)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(path.as_uri())
        p = PlayerView(page.locator(".iam-player"))
        p.expect_frame(0, timeout=10_000)
        p.button("Play").click()
        # Every frame is shown in turn (not realtime), so reaching the last one means
        # every batch was answered; "once" then stops there.
        p.expect_frame(89, timeout=30_000)
        expect(p.button("Play")).to_have_attribute("aria-pressed", "false")
        expect(p.status).to_have_text("")
        assert p.status.get_attribute("data-kind") != "error"
        assert errors == []
    finally:
        context.close()
