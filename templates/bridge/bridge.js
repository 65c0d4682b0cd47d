// ipyanimagic bridge client: JavaScript -> Python calls over a widget's comm.
//
// A request is {id, key, method, args} (+ binary buffers) and the kernel answers each
// one exactly once with
//   {id, ok: true, result, outputs?} or {id, ok: false, error: {type, message, traceback}}.
// Several requests may be in flight; replies are matched by id, so order does not
// matter. Every promise settles: with the result, with the Python error, or when the
// call times out, is aborted, or the widget (or its kernel) goes away.
//
// THE BRIDGE CONTRACT. The player talks to a bridge and cannot tell which one it has:
// this module's createBridge(model) (the kernel, live) or offline_bridge.js's
// createOfflineBridge(data) (the frames embedded in an exported file). Both are
//   call(key, method, args = {}, {raw, timeout, signal, buffers, onOutput}) -> Promise
//     resolves to the method's result; with raw: true to {result, buffers}.
//     rejects with a BridgeError whose name is the Python exception type, or one of the
//     bridge's own: "TimeoutError" (no reply within `timeout` ms; 0 or Infinity: none),
//     "AbortError" (`signal` aborted, before or during the call), "Disconnected" (the
//     bridge is closed, or closed while the call was pending), "SendError",
//     "UnknownKey", "UnknownMethod", "BadArguments".
//   close(reason)   rejects every pending call with Disconnected(reason); idempotent.
//   onClose(fn)     fn(reason) once when it closes; at once if it is closed already.
//   closed          true once closed.     inFlight: calls waiting for a reply.
// and answer a player's methods as ipyanimagic/player/widget.py does:
//   frame({index, format})     raw: {result: {index, mime, count, known, ...}, buffers: [bytes]}
//                              a frame past the end: FrameOutOfRange.
//   frames({indices, format})  raw: {result: {frames: [meta, ...], error}, buffers: [bytes, ...]}
//                              one meta and one buffer per frame, in order; at the first
//                              frame that fails the batch stops, and error is
//                              {index, type, message, traceback} (else null).
//   buffered()                 [[first, last], ...]: the frames held ready.
//   stats()                    an object of counters, with `page`: the last report.
//   report({stats})            null; keeps the page's counters for stats().
//   echo({value})              value: a round trip that runs nothing.

export class BridgeError extends Error {
  constructor(type, message, traceback = [], extra = {}) {
    super(message);
    // `name` is the Python exception type ("ZeroDivisionError"), or one of the bridge's
    // own: "TimeoutError", "AbortError", "Disconnected", "SendError", "ProtocolError",
    // "UnknownKey", "UnknownMethod", "BadArguments".
    this.name = type;
    this.type = type;
    this.traceback = traceback;
    Object.assign(this, extra);
  }
}

// The reason given when the widget manager marks the model not live.
export const KERNEL_GONE = "the kernel was restarted or shut down";

export function createBridge(model, { timeout = 60000, onOutput = logOutputs } = {}) {
  // Integer ids from a random start: unique across the views that share one model
  // (each sees every reply), and integers because ipykernel >= 7.4 keeps a routing
  // entry for every *string* id a comm replies to, which would grow without bound.
  let nextId = Math.floor(Math.random() * 2 ** 40) * 1024;
  let closedReason = null;
  const pending = new Map();
  const closeListeners = [];

  function settle(id) {
    const entry = pending.get(id);
    if (!entry) return null;
    pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    if (entry.signal) entry.signal.removeEventListener("abort", entry.onAbort);
    return entry;
  }

  function onMessage(msg, buffers) {
    if (!msg || typeof msg !== "object" || !("ok" in msg) || !("id" in msg)) return;
    if (msg.id === null) {
      // The kernel could not read the id of one of our requests: nothing to match.
      console.error("ipyanimagic: unmatched error reply", msg.error);
      return;
    }
    const entry = settle(msg.id);
    if (!entry) return; // another view's request, or one that timed out / was aborted
    if (Array.isArray(msg.outputs) && msg.outputs.length) {
      try {
        entry.onOutput(msg.outputs);
      } catch (err) {
        console.error("ipyanimagic: output handler failed", err);
      }
    }
    if (msg.ok) {
      entry.resolve(entry.raw ? { result: msg.result, buffers: buffers || [] } : msg.result);
    } else {
      const e = msg.error || {};
      entry.reject(
        new BridgeError(e.type || "Error", e.message || "", e.traceback || [], {
          outputs: msg.outputs || [],
          // An animation frame that failed before the one asked for (a run in order).
          ...(Number.isInteger(e.frame) ? { frame: e.frame } : {}),
        }),
      );
    }
  }
  model.on("msg:custom", onMessage);
  // The widget manager marks every model "not live" when the kernel restarts or dies
  // (and only then, after the model is made): no reply can come any more.
  function onLiveChange() {
    if (model.comm_live !== true) close(KERNEL_GONE);
  }
  model.on("comm_live_update", onLiveChange);

  function call(key, method, args = {}, options = {}) {
    const {
      timeout: ms = timeout,
      signal = null,
      buffers = [],
      raw = false,
      onOutput: outputHandler = onOutput,
    } = options;
    if (closedReason !== null) {
      return Promise.reject(new BridgeError("Disconnected", closedReason));
    }
    if (signal && signal.aborted) {
      return Promise.reject(new BridgeError("AbortError", `${method}: aborted`));
    }
    const id = ++nextId;
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, raw, signal, onOutput: outputHandler, timer: null };
      entry.onAbort = () => {
        if (settle(id)) reject(new BridgeError("AbortError", `${method}: aborted`));
      };
      if (ms > 0 && Number.isFinite(ms)) {
        entry.timer = setTimeout(() => {
          if (settle(id)) {
            reject(new BridgeError("TimeoutError", `${method}: no reply within ${ms} ms`));
          }
        }, ms);
      }
      if (signal) signal.addEventListener("abort", entry.onAbort, { once: true });
      pending.set(id, entry);
      try {
        model.send({ id, key, method, args }, undefined, buffers);
      } catch (err) {
        settle(id);
        reject(new BridgeError("SendError", `${method}: ${err && err.message ? err.message : err}`));
      }
    });
  }

  function close(reason = "the widget was closed") {
    if (closedReason !== null) return;
    closedReason = reason;
    model.off("msg:custom", onMessage);
    model.off("comm_live_update", onLiveChange);
    for (const id of [...pending.keys()]) {
      const entry = settle(id);
      entry.reject(new BridgeError("Disconnected", reason));
    }
    for (const listener of closeListeners.splice(0)) {
      try {
        listener(reason);
      } catch (err) {
        console.error("ipyanimagic: close listener failed", err);
      }
    }
  }

  // `listener(reason)` once, when the bridge closes (widget closed, view removed,
  // kernel restarted or gone); at once if it is closed already.
  function onClose(listener) {
    if (closedReason !== null) listener(closedReason);
    else closeListeners.push(listener);
  }

  return {
    call,
    close,
    onClose,
    get inFlight() {
      return pending.size;
    },
    get closed() {
      return closedReason !== null;
    },
  };
}

// Default home for what Python printed while answering: the browser console.
export function logOutputs(outputs) {
  for (const out of outputs) {
    if (out.output_type === "stream") {
      (out.name === "stderr" ? console.warn : console.log)(`[python] ${out.text}`);
    } else if (out.data && out.data["text/plain"] !== undefined) {
      console.log(`[python] ${out.data["text/plain"]}`);
    }
  }
}
