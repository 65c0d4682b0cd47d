// The bridge of an exported player (player.save_html): the frames are embedded in the
// file, and this module answers the player's requests from them the way the kernel
// answers over the comm (see the bridge contract at the top of bridge.js), so the same
// player code plays the file. It is the live bridge over a stand-in for the widget's
// model whose `send` is answered here instead of by a kernel: timeouts, aborts, close
// and batch replies therefore behave exactly as they do live.

import { createBridge } from "../bridge/bridge.js";
import { LIMITS } from "../limits.js";

// data: {key, count, frames: {"<index>": {mime, data (base64)}}, ranges: [[a, b], ...]}.
// deliver(fn) runs a reply: later, as a kernel's would arrive (tests hold replies back
// to see calls pending).
export function createOfflineBridge(data, { timeout, deliver = queueMicrotask } = {}) {
  const kernel = embeddedKernel(data);
  const listeners = new Set();
  const embeddedModel = {
    comm_live: true,
    on(event, fn) {
      if (event === "msg:custom") listeners.add(fn);
    },
    off(event, fn) {
      if (event === "msg:custom") listeners.delete(fn);
    },
    send(msg) {
      const [reply, buffers] = answer(kernel, msg);
      deliver(() => {
        for (const fn of [...listeners]) fn(reply, buffers);
      });
    },
  };
  return createBridge(embeddedModel, { timeout, onOutput: () => {} });
}

// One reply to one request, as the kernel's dispatcher gives it: [message, buffers].
function answer(kernel, { id, key, method, args }) {
  const fail = (type, message) => [{ id, ok: false, error: { type, message, traceback: [] } }, []];
  if (key !== kernel.key) {
    return fail("UnknownKey", "no object is registered under this key (was it closed?)");
  }
  if (!Object.hasOwn(kernel.methods, method)) {
    return fail("UnknownMethod", `${String(method).slice(0, 80)} is not exposed`);
  }
  try {
    const { result, buffers = [] } = kernel.methods[method](args || {});
    return [{ id, ok: true, result }, buffers];
  } catch (err) {
    return fail(err.type || "Error", err.message);
  }
}

class FrameError extends Error {
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

// The player's exposed methods, over the embedded frames (decoded from base64 once).
function embeddedKernel({ key, count, frames, ranges }) {
  const bytes = new Map();
  let page = {};

  function frameData(index) {
    if (!Number.isInteger(index)) {
      throw new FrameError("BadArguments", `frame(): index must be an integer, not ${index}`);
    }
    if (index < 0 || index >= count) {
      throw new FrameError("FrameOutOfRange", `frame ${index} is out of range (0..${count - 1})`);
    }
    if (!Object.hasOwn(frames, String(index))) {
      throw new FrameError("NotExported", `frame ${index} is not in this file`);
    }
    const frame = frames[String(index)];
    if (!bytes.has(index)) {
      const text = atob(frame.data);
      const b = new Uint8Array(text.length);
      for (let k = 0; k < text.length; k++) b[k] = text.charCodeAt(k);
      bytes.set(index, b);
    }
    const meta = { index, mime: frame.mime, count, known: count };
    return { meta, buffer: new DataView(bytes.get(index).buffer) };
  }

  const methods = {
    frame({ index }) {
      const { meta, buffer } = frameData(index);
      return { result: meta, buffers: [buffer] };
    },
    frames({ indices }) {
      if (!Array.isArray(indices) || indices.length < 1 || indices.length > LIMITS.maxBatch) {
        throw new FrameError(
          "ValueError",
          `indices must be a list of 1 to ${LIMITS.maxBatch} frame indices`,
        );
      }
      const metas = [];
      const buffers = [];
      let error = null;
      for (const index of indices) {
        try {
          const { meta, buffer } = frameData(index);
          metas.push(meta);
          buffers.push(buffer);
        } catch (err) {
          error = { index, type: err.type, message: err.message, traceback: [] };
          break;
        }
      }
      return { result: { frames: metas, error }, buffers };
    },
    buffered() {
      return { result: ranges };
    },
    stats() {
      return { result: { offline: true, frames: Object.keys(frames).length, page: { ...page } } };
    },
    report({ stats }) {
      page = { ...(stats || {}) };
      return { result: null };
    },
    echo({ value = null }) {
      return { result: value };
    },
  };
  return { key, methods };
}
