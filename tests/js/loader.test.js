// A widget's page code once per page: the rules (templates/bridge/codeload.js) and the
// loader (templates/bridge/loader.js) over stand-in models whose `send` answers the
// `page_code` request as the kernel does (ipyanimagic/bridge/transport.py). The loader's
// tests run twice: over the source module and over the text the kernel sends, compacted
// by ipyanimagic/jscompact.py (asked of Python); the widgets' `_esm` texts themselves
// are imported and asked for their code too. The whole path (JupyterLab, ten players,
// one request) runs in Chromium: tests/browser/test_page_code.py.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";

import {
  CODE_NOTICE_MS,
  CODE_QUIET_MS,
  PAGE_CODE,
  codeRequest,
  failedWords,
  readCodeReply,
  sharedLoad,
  waitingWords,
} from "../../templates/bridge/codeload.js";
import { loaderWidget as sourceLoaderWidget } from "../../templates/bridge/loader.js";

const HASH = "0123456789abcdef0123456789abcdef";

// The page code a test serves: an anywidget module that records what it was given.
const MODULE = `
export const seen = [];
export default {
  initialize({ model }) {
    model.on("msg:custom", (msg) => seen.push(["call", msg]));
    seen.push(["initialize", model.get("key")]);
    return () => seen.push(["initialize cleanup", model.get("key")]);
  },
  render({ model, el }) {
    el.children.push("player");
    seen.push(["render", model.get("key")]);
    return () => seen.push(["render cleanup", model.get("key")]);
  },
};
`;

// Imports a module's bytes as the page would (Node cannot import blob: URLs).
async function importText(buffer, encoding) {
  let bytes = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (encoding === "gzip") bytes = gunzipSync(bytes);
  return import(`data:text/javascript;base64,${bytes.toString("base64")}#${Math.random()}`);
}

// A module's text imported as the page imports a widget's `_esm`.
function importModule(text) {
  const data = Buffer.from(text).toString("base64");
  return import(`data:text/javascript;base64,${data}#${Math.random()}`);
}

// What the kernel sends, from ipyanimagic itself (the repository's .venv, else $PYTHON or
// python3): the loader module compacted as the widgets' loaders are (its exports kept),
// the widgets' `_esm` texts, and the hashes they name.
function kernelTexts() {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const venv = `${root}.venv/bin/python`;
  const python = process.env.PYTHON ?? (existsSync(venv) ? venv : "python3");
  const script = [
    "import json, sys",
    "from ipyanimagic import esm, jscompact",
    "sys.stdout.write(json.dumps({",
    "  'loader': jscompact.compact(esm.join_modules('bridge/loader.js')),",
    "  'player': esm.player_loader_esm(), 'jsexec': esm.jsexec_loader_esm(),",
    "  'playerHash': esm.code_hash(esm.player_esm()),",
    "  'jsexecHash': esm.code_hash(esm.jsexec_esm())}))",
  ].join("\n");
  return JSON.parse(execFileSync(python, ["-c", script], { cwd: root, encoding: "utf-8" }));
}

const KERNEL = kernelTexts();
const compacted = await importModule(KERNEL.loader);

// An anywidget model proxy over a kernel that answers page_code with `text` (or
// `error`); `answer: false` keeps the requests unanswered (a busy or absent kernel).
function kernelModel(key, { text = MODULE, hash = HASH, error = null, answer = true } = {}) {
  const listeners = new Set();
  const sent = [];
  const model = {
    sent,
    get: (name) => ({ key, headless: false })[name],
    on(name, fn) {
      if (name === "msg:custom") listeners.add(fn);
    },
    off(name, fn) {
      if (name === "msg:custom") listeners.delete(fn);
    },
    send(msg) {
      sent.push(msg);
      if (!answer) return;
      queueMicrotask(() => model.reply(msg, { text, hash, error }));
    },
    reply(msg, { text: code = MODULE, hash: h = HASH, error: e = null } = {}) {
      if (e) {
        model.deliver({ id: msg.id, ok: false, error: { type: e[0], message: e[1], traceback: [] } });
        return;
      }
      const { encoding } = msg.args;
      const bytes = encoding === "gzip" ? gzipSync(code) : Buffer.from(code);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      model.deliver({ id: msg.id, ok: true, result: { hash: h, encoding, size: bytes.length } }, [view]);
    },
    deliver(msg, buffers = []) {
      for (const fn of [...listeners]) fn(msg, buffers);
    },
    listening: () => listeners.size,
  };
  return model;
}

// A placeholder that records what the view says.
function placeholder(el) {
  el.notes = [];
  return {
    status: (text, failed) => el.notes.push([text, failed]),
    remove: () => el.notes.push(["removed"]),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function freshPage() {
  delete globalThis[PAGE_CODE];
}

describe("the rules of loading page code", () => {
  test("the request is the bridge's, to page_code, named by hash", () => {
    assert.deepEqual(codeRequest(7, "k", HASH, "gzip"), {
      id: 7,
      key: "k",
      method: "page_code",
      args: { hash: HASH, encoding: "gzip" },
    });
  });

  test("a reply is read only for its own request and hash", () => {
    const buffer = new DataView(new ArrayBuffer(3));
    const ok = { id: 7, ok: true, result: { hash: HASH, encoding: "gzip" } };
    assert.equal(readCodeReply({ id: 8, ok: true }, [buffer], 7, HASH), null);
    assert.equal(readCodeReply({ call: 1, op: "eval" }, [], 7, HASH), null);
    assert.equal(readCodeReply(null, [], 7, HASH), null);
    assert.deepEqual(readCodeReply(ok, [buffer], 7, HASH), { ok: true, buffer, encoding: "gzip" });
    assert.equal(readCodeReply(ok, [buffer], 7, "other").ok, false);
    assert.equal(readCodeReply(ok, [], 7, HASH).ok, false);
    const failed = { id: 7, ok: false, error: { type: "LookupError", message: "no page code" } };
    assert.deepEqual(readCodeReply(failed, [], 7, HASH), {
      ok: false,
      message: "LookupError: no page code",
    });
  });

  test("callers share one load per hash, and a failed load is asked again", async () => {
    const registry = new Map();
    let fetches = 0;
    const fetch = () => {
      fetches += 1;
      return Promise.resolve(`module ${fetches}`);
    };
    const loads = [1, 2, 3].map(() => sharedLoad(registry, HASH, fetch));
    assert.deepEqual(await Promise.all(loads), ["module 1", "module 1", "module 1"]);
    assert.equal(await sharedLoad(registry, "other", fetch), "module 2"); // another version's
    assert.equal(registry.get(HASH).requests, 1);
    const failing = sharedLoad(registry, "bad", () => Promise.reject(new Error("gone")));
    await assert.rejects(failing, /gone/);
    await settle();
    assert.equal(await sharedLoad(registry, "bad", fetch), "module 3");
    assert.equal(registry.get("bad").requests, 2);
    // A fetch that throws at once fails the load; it does not throw at the caller.
    await assert.rejects(
      sharedLoad(new Map(), HASH, () => {
        throw new Error("no comm");
      }),
      /no comm/,
    );
  });

  test("a view waits quietly, then says it loads, then that the kernel does not answer", () => {
    assert.equal(waitingWords("player", 0), "");
    assert.equal(waitingWords("player", CODE_QUIET_MS), "loading the player's code from the kernel…");
    const late = waitingWords("player", CODE_NOTICE_MS);
    assert.match(late, /^no reply from the kernel for 15 s: the player's code cannot load/);
    assert.match(late, /busy, or gone/);
    assert.equal(
      failedWords("player", "LookupError: x"),
      "the player's code could not be loaded from the kernel: LookupError: x",
    );
  });
});

for (const [title, loaderWidget] of [
  ["the loader", sourceLoaderWidget],
  ["the loader as the kernel sends it (compacted)", compacted.loaderWidget],
]) {
  describe(title, () => {
    test("ten widgets shown at once make one request, and each initializes and renders", async () => {
      freshPage();
      const loader = loaderWidget({ hash: HASH, what: "player", placeholder, importer: importText });
      const models = Array.from({ length: 10 }, (_, i) => kernelModel(`k${i}`));
      const els = models.map(() => ({ children: [] }));
      models.forEach((model) => loader.initialize({ model }));
      const cleanups = models.map((model, i) => loader.render({ model, el: els[i] }));
      await settle();
      assert.equal(models.flatMap((m) => m.sent).length, 1);
      assert.equal(globalThis[PAGE_CODE].get(HASH).requests, 1);
      for (const el of els) {
        assert.deepEqual(el.children, ["player"]);
        assert.deepEqual(el.notes, [["removed"]]); // the placeholder made way
      }
      const { seen } = await globalThis[PAGE_CODE].get(HASH).promise;
      const kinds = seen.map(([kind]) => kind);
      assert.equal(kinds.filter((k) => k === "initialize").length, 10);
      assert.equal(kinds.filter((k) => k === "render").length, 10);
      cleanups[0]();
      await settle();
      assert.deepEqual(seen.at(-1), ["render cleanup", "k0"]);
      // A later widget of the same code asks nothing.
      const later = kernelModel("k10");
      loader.initialize({ model: later });
      loader.render({ model: later, el: { children: [] } });
      await settle();
      assert.deepEqual(later.sent, []);
    });

    test("Python's calls that come before the code are handed to the module's listeners", async () => {
      freshPage();
      const loader = loaderWidget({ hash: HASH, what: "x", placeholder, importer: importText });
      const model = kernelModel("k", { answer: false });
      const end = loader.initialize({ model });
      model.deliver({ call: 1, op: "eval", expr: "1" });
      model.reply(model.sent[0]);
      await settle();
      const { seen } = await globalThis[PAGE_CODE].get(HASH).promise;
      assert.deepEqual(seen, [
        ["initialize", "k"],
        ["call", { call: 1, op: "eval", expr: "1" }],
      ]);
      end();
      await settle();
      assert.deepEqual(seen.at(-1), ["initialize cleanup", "k"]);
      assert.equal(model.listening(), 1); // the module's own (anywidget removes it), not the loader's
    });

    test("a kernel that refuses says why in the view", async () => {
      freshPage();
      const loader = loaderWidget({ hash: HASH, what: "player", placeholder, importer: importText });
      const model = kernelModel("k", { error: ["LookupError", "no page code"] });
      loader.initialize({ model });
      const el = { children: [] };
      loader.render({ model, el });
      await settle();
      assert.deepEqual(el.notes, [
        ["the player's code could not be loaded from the kernel: LookupError: no page code", true],
      ]);
      assert.deepEqual(el.children, []);
    });

    test("when the widget that asked closes first, the others ask again", async () => {
      freshPage();
      const loader = loaderWidget({ hash: HASH, what: "player", placeholder, importer: importText });
      const first = kernelModel("a", { answer: false });
      const second = kernelModel("b");
      const endFirst = loader.initialize({ model: first });
      loader.initialize({ model: second });
      const el = { children: [] };
      loader.render({ model: second, el });
      await settle();
      assert.equal(first.sent.length + second.sent.length, 1);
      endFirst(); // its request will never be answered
      await settle();
      assert.equal(second.sent.length, 1);
      assert.deepEqual(el.children, ["player"]);
      assert.equal(globalThis[PAGE_CODE].get(HASH).requests, 2);
    });

    test("a view removed before its code came never renders", async () => {
      freshPage();
      const loader = loaderWidget({ hash: HASH, what: "player", placeholder, importer: importText });
      const model = kernelModel("k", { answer: false });
      loader.initialize({ model });
      const el = { children: [] };
      const cleanup = loader.render({ model, el });
      cleanup();
      model.reply(model.sent[0]);
      await settle();
      assert.deepEqual(el.children, []);
    });

    test("a widget never displayed renders nothing where skip says so", () => {
      const loader = loaderWidget({ hash: HASH, what: "x", placeholder, skip: () => true });
      assert.equal(loader.render({ model: kernelModel("k"), el: {} }), undefined);
    });
  });
}

describe("the widgets' _esm as the kernel sends them (compacted)", () => {
  for (const [name, hash] of [
    ["player", KERNEL.playerHash],
    ["jsexec", KERNEL.jsexecHash],
  ]) {
    test(`the ${name}'s is a module whose widget asks for its code by hash`, async () => {
      freshPage();
      const widget = (await importModule(KERNEL[name])).default;
      assert.equal(typeof widget.initialize, "function");
      assert.equal(typeof widget.render, "function");
      const model = kernelModel("k", { answer: false });
      const end = widget.initialize({ model });
      assert.equal(model.sent.length, 1);
      assert.equal(model.sent[0].method, "page_code");
      assert.equal(model.sent[0].args.hash, hash);
      end();
      await settle();
      assert.equal(model.listening(), 0);
    });
  }
});
