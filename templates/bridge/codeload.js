// Page code once per page: the pure rules of loader.js.
//
// A widget's anywidget module (`_esm`) is a small loader; the code it stands for (the
// player's, %%jsexec's) comes from the kernel once per page (JavaScript realm), however
// many widgets show it, on the bridge's request and reply (bridge.js):
//   page -> kernel  {id: <int>, key, method: "page_code", args: {hash, encoding}}
//   kernel -> page  {id, ok: true, result: {hash, encoding, size}} + [the module's bytes]
//                   {id, ok: false, error: {type, message, traceback}}
// `encoding` is "gzip" (the page can decompress) or "identity". Modules are kept in a
// global Map by the hash of their text: two versions of ipyanimagic on one page each
// load their own, and ten widgets shown at once make one request.

// globalThis[PAGE_CODE]: hash -> {requests, promise}, shared by every loader of a page.
export const PAGE_CODE = Symbol.for("ipyanimagic.pageCode");
// Until then a view waits quietly; after, its status line says it waits for the kernel.
export const CODE_QUIET_MS = 1000;
// After this long without a reply, the view says the kernel does not answer.
export const CODE_NOTICE_MS = 15000;

export function codeRequest(id, key, hash, encoding) {
  return { id, key, method: "page_code", args: { hash, encoding } };
}

// A custom message read as the reply to request `id` for `hash`: null if it is not
// that reply, else {ok: true, buffer, encoding} or {ok: false, message}.
export function readCodeReply(msg, buffers, id, hash) {
  if (!msg || typeof msg !== "object" || msg.id !== id || !("ok" in msg)) return null;
  if (!msg.ok) {
    const e = msg.error || {};
    return { ok: false, message: `${e.type || "Error"}: ${e.message || ""}` };
  }
  const result = msg.result || {};
  const buffer = buffers && buffers[0];
  if (result.hash !== hash || !buffer) {
    return { ok: false, message: "ProtocolError: the kernel sent other code than asked for" };
  }
  return { ok: true, buffer, encoding: result.encoding === "gzip" ? "gzip" : "identity" };
}

// The module `hash` names, loaded once for every caller: `fetch()` runs only when no
// load is under way or done (and counts in `requests`); a failed load is forgotten,
// so that the next caller asks again.
export function sharedLoad(registry, hash, fetch) {
  let entry = registry.get(hash);
  if (!entry) {
    entry = { requests: 0, promise: null };
    registry.set(hash, entry);
  }
  if (!entry.promise) {
    entry.requests += 1;
    const promise = new Promise((resolve) => resolve(fetch()));
    entry.promise = promise;
    promise.catch(() => {
      if (entry.promise === promise) entry.promise = null;
    });
  }
  return entry.promise;
}

// What a view says while its code is on its way, `waited` ms after it asked.
export function waitingWords(what, waited) {
  if (waited < CODE_QUIET_MS) return "";
  if (waited < CODE_NOTICE_MS) return `loading the ${what}'s code from the kernel…`;
  const s = Math.round(waited / 1000);
  return (
    `no reply from the kernel for ${s} s: the ${what}'s code cannot load ` +
    "(is the kernel busy, or gone?); it shows as soon as the kernel answers"
  );
}

export function failedWords(what, message) {
  return `the ${what}'s code could not be loaded from the kernel: ${message}`;
}
