// A player embedded in notebook outputs (templates/player/embed_page.js) and the live
// widget's view making way for it (templates/player/player_widget.js), over stand-ins
// for the few DOM calls they make. The whole page (nbconvert's HTML, with and without
// widget state, JupyterLab, Notebook 7, Voila) is tested in Chromium:
// tests/browser/test_nbconvert_embed.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { viewModelId } from "../../templates/player/embed_page.js";
import { EMBEDDED_ATTR, embeddedCopyShows } from "../../templates/player/embedded.js";
import { playerWidget } from "../../templates/player/player_widget.js";

// A document whose marked elements are `marks` (the values of EMBEDDED_ATTR).
function fakeDocument(marks) {
  return {
    querySelectorAll(selector) {
      assert.equal(selector, `[${EMBEDDED_ATTR}]`);
      return marks.map((value) => ({ getAttribute: () => value }));
    },
    addEventListener() {
      throw new Error("a view that made way listens to nothing");
    },
  };
}

// A model that fails the test if anyone talks to it: a view that made way for the copy
// opens no bridge and makes no player.
function untouchableModel(state) {
  const fail = (what) => () => {
    throw new Error(`the view used the model: ${what}`);
  };
  return { get: (name) => state[name], on: fail("on"), off: fail("off"), send: fail("send") };
}

describe("the widget view of an embedded player", () => {
  test("makes way where its kernel-less copy plays, and only for its own copy", () => {
    const doc = fakeDocument(["m-other", "m-1"]);
    assert.equal(embeddedCopyShows(doc, "m-1"), true);
    assert.equal(embeddedCopyShows(doc, "m-2"), false);
    assert.equal(embeddedCopyShows(doc, ""), false); // a player never embedded
    assert.equal(embeddedCopyShows(fakeDocument([""]), ""), false);
  });

  test("renders nothing and ends cleanly when its copy shows", () => {
    const el = { ownerDocument: fakeDocument(["m-1"]) };
    const widget = playerWidget("<div class='iam-player'></div>");
    const cleanup = widget.render({ model: untouchableModel({ embed_id: "m-1" }), el });
    assert.equal(typeof cleanup, "function");
    cleanup();
    assert.deepEqual(Object.keys(el), ["ownerDocument"]); // nothing written into it
  });
});

describe("a widget view's JSON", () => {
  test("names its model", () => {
    const view = JSON.stringify({ model_id: "abc", version_major: 2, version_minor: 1 });
    assert.equal(viewModelId(view), "abc");
    assert.equal(viewModelId(`\n${view}\n`), "abc"); // as nbconvert writes it
  });

  test("that is broken or names none gives null", () => {
    for (const text of ["", "{", "null", "[]", '{"model_id": 3}', '"abc"']) {
      assert.equal(viewModelId(text), null, text);
    }
  });
});
