// A widget's anywidget module when its code comes once per page (codeload.js): asks
// the kernel for the module over the widget's own comm, imports it once, and hands
// anywidget's initialize and render to it. Both return at once (anywidget 0.9 runs a
// view's cleanup only once render has returned, 0.11 renders only once initialize has
// returned): each starts the load and passes the module's cleanup on when it has one.

import {
  PAGE_CODE,
  CODE_NOTICE_MS,
  CODE_QUIET_MS,
  codeRequest,
  failedWords,
  readCodeReply,
  sharedLoad,
  waitingWords,
} from "./codeload.js";

let nextCodeId = Math.floor(Math.random() * 2 ** 40) * 1024 + 512;

function asBytes(buffer) {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

async function importCode(buffer, encoding) {
  let blob = new Blob([asBytes(buffer)]);
  if (encoding === "gzip") {
    blob = await new Response(blob.stream().pipeThrough(new DecompressionStream("gzip"))).blob();
  }
  const url = URL.createObjectURL(new Blob([blob], { type: "text/javascript" }));
  try {
    return await import(/* webpackIgnore: true */ url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

// `cleanup` (or the promise of one) run once it is there.
function runCleanup(cleanup) {
  Promise.resolve(cleanup)
    .then((fn) => (typeof fn === "function" ? fn() : undefined))
    .catch((err) => console.warn("ipyanimagic: cleanup failed", err));
}

// {hash, what, placeholder(el, model) -> {status(text, failed), remove()}, skip(model),
//  importer(buffer, encoding) -> Promise of the module (tests import otherwise)}
export function loaderWidget({ hash, what, placeholder, skip = () => false, importer = importCode }) {
  const ready = new Map(); // widget key -> the promise of the module, once initialized

  // Ask the kernel over this model's comm; `stops` gets the way to give up.
  function fetchWith(model, stops) {
    return new Promise((resolve, reject) => {
      const id = ++nextCodeId;
      const gzip = typeof DecompressionStream === "function";
      const onMessage = (msg, buffers) => {
        const reply = readCodeReply(msg, buffers, id, hash);
        if (!reply) return;
        model.off("msg:custom", onMessage);
        if (reply.ok) importer(reply.buffer, reply.encoding).then(resolve, reject);
        else reject(new Error(reply.message));
      };
      stops.push((reason) => {
        model.off("msg:custom", onMessage);
        reject(Object.assign(new Error(reason), { retry: true }));
      });
      model.on("msg:custom", onMessage);
      try {
        model.send(codeRequest(id, model.get("key"), hash, gzip ? "gzip" : "identity"));
      } catch (err) {
        model.off("msg:custom", onMessage);
        reject(err);
      }
    });
  }

  // The module, once per page; if another model's request went with its model, again
  // (while this one lives).
  function load(model, stops, alive = () => true) {
    const registry = (globalThis[PAGE_CODE] ??= new Map());
    const attempt = (tries) =>
      sharedLoad(registry, hash, () => fetchWith(model, stops)).catch((err) => {
        if (err && err.retry && tries > 0 && alive()) return attempt(tries - 1);
        throw err;
      });
    return attempt(2);
  }

  function initialize(args) {
    const { model } = args;
    const key = model.get("key");
    const stops = [];
    // Python's messages that come before the module (a call to the page): kept, and
    // handed to the module's listeners once it has initialized.
    const held = [];
    const hold = (msg, buffers) => {
      if (msg && typeof msg === "object" && !("ok" in msg)) held.push([msg, buffers]);
    };
    model.on("msg:custom", hold);
    let ended = false;
    let cleanup = null;
    const loaded = load(model, stops, () => !ended).then((mod) => {
      model.off("msg:custom", hold);
      const widget = mod.default;
      if (ended || !widget.initialize) return mod;
      const listeners = [];
      const proxy = Object.create(model);
      proxy.on = (name, fn) => {
        if (name === "msg:custom") listeners.push(fn);
        model.on(name, fn);
      };
      cleanup = widget.initialize({ ...args, model: proxy });
      for (const [msg, buffers] of held.splice(0)) for (const fn of listeners) fn(msg, buffers);
      return mod;
    });
    loaded.catch(() => model.off("msg:custom", hold)); // the views say why
    ready.set(key, loaded);
    return () => {
      ended = true;
      model.off("msg:custom", hold);
      if (ready.get(key) === loaded) ready.delete(key);
      for (const stop of stops) stop("the widget was closed");
      runCleanup(cleanup);
    };
  }

  function render(args) {
    const { model, el } = args;
    if (skip(model)) return undefined;
    const view = placeholder(el, model);
    const asked = Date.now();
    const say = () => view.status(waitingWords(what, Date.now() - asked), false);
    const timers = [setTimeout(say, CODE_QUIET_MS), setTimeout(say, CODE_NOTICE_MS)];
    let removed = false;
    let cleanup = null;
    // A manager that renders without initializing (html-manager) loads here.
    const loaded = ready.get(model.get("key")) ?? load(model, []);
    loaded
      .then((mod) => {
        timers.forEach(clearTimeout);
        if (removed) return;
        view.remove();
        cleanup = mod.default.render?.(args);
      })
      .catch((err) => {
        timers.forEach(clearTimeout);
        if (!removed) view.status(failedWords(what, (err && err.message) || String(err)), true);
      });
    return () => {
      removed = true;
      timers.forEach(clearTimeout);
      runCleanup(cleanup);
    };
  }

  return { initialize, render };
}
