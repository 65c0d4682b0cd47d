"""A widget carries a small loader as its ``_esm``; the page code it stands for is served
once per page by hash (``page_code``, thread-safe), whole and byte for byte."""

from __future__ import annotations

import gzip
import threading

import pytest
from support.seed import seed_animation

import ipyanimagic
from ipyanimagic import esm
from ipyanimagic.bridge.dispatcher import Call, dispatch, exposed_methods, prepare
from ipyanimagic.bridge.transport import BridgeWidget, page_code_requests

#: What one widget's module may weigh on the wire now (the joined player was ~90 KB; its
#: loader, compacted by jscompact.py, 6.7 KB, line-stripped before: 7.5 KB).
LOADER_MAX_BYTES = 7 * 1024


def ask(widget, hash_, encoding="gzip"):
    request = {"id": 1, "key": widget.key, "method": "page_code"}
    request["args"] = {"hash": hash_, "encoding": encoding}
    return dispatch(request)


def test_a_players_esm_is_a_small_loader_of_the_player_code_named_by_hash(players):
    player = ipyanimagic.animate(seed_animation(frames=3)[1])
    players.append(player)
    loader, code = player._esm, esm.player_esm()
    assert len(loader.encode()) <= LOADER_MAX_BYTES < len(code.encode()) // 8
    assert esm.code_hash(code) in loader
    assert "export default playerLoader(" in loader
    assert "createBridge" not in loader and "createPlayer" not in loader


def test_the_jsexec_esm_is_a_small_loader_of_the_jsexec_code():
    loader = ipyanimagic.JsExec._esm  # an instance needs a kernel's shell
    assert len(loader.encode()) <= LOADER_MAX_BYTES
    assert esm.code_hash(esm.jsexec_esm()) in loader
    assert "export default jsexecLoader(" in loader
    assert "createPageCalls" not in loader


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_the_full_code_is_served_by_hash_whole(players, encoding):
    player = ipyanimagic.animate(seed_animation(frames=3)[1])
    players.append(player)
    for code in (esm.player_esm(), esm.jsexec_esm()):
        hash_ = esm.code_hash(code)
        before = page_code_requests().get(hash_, 0)
        reply = ask(player, hash_, encoding)
        assert reply.ok, reply.content
        data = bytes(reply.buffers[0])
        assert reply.content["result"] == {"hash": hash_, "encoding": encoding, "size": len(data)}
        text = gzip.decompress(data) if encoding == "gzip" else data
        assert text.decode("utf-8") == code
        assert page_code_requests()[hash_] == before + 1
    gzipped = bytes(ask(player, esm.code_hash(esm.player_esm())).buffers[0])
    assert len(gzipped) < len(esm.player_esm().encode()) // 2


def test_an_unknown_hash_or_encoding_is_an_error_reply_that_says_so(players):
    player = ipyanimagic.animate(seed_animation(frames=3)[1])
    players.append(player)
    reply = ask(player, "0" * 32)
    assert not reply.ok
    assert reply.content["error"]["type"] == "LookupError"
    assert "no page code" in reply.content["error"]["message"]
    reply = ask(player, esm.code_hash(esm.player_esm()), "br")
    assert reply.content["error"]["type"] == "ValueError"


def test_page_code_is_thread_safe_so_it_is_answered_while_a_cell_runs(players):
    assert exposed_methods(BridgeWidget)["page_code"].thread_safe
    player = ipyanimagic.animate(seed_animation(frames=3)[1])
    players.append(player)
    hash_ = esm.code_hash(esm.jsexec_esm())
    call = prepare({"id": 2, "key": player.key, "method": "page_code", "args": {"hash": hash_}})
    assert isinstance(call, Call) and call.thread_safe
    # Answered on the thread that received it: one that is not the main thread, here.
    replies = []
    worker = threading.Thread(target=lambda: replies.append(call.run()))
    worker.start()
    worker.join()
    assert bytes(replies[0].buffers[0]).decode("utf-8") == esm.jsexec_esm()
