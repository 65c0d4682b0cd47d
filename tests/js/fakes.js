// Stand-ins for what the page modules talk to: an anywidget model whose `send` answers
// like ipyanimagic's kernel side, a bridge whose calls the test answers by hand, and
// bitmaps that remember being closed.

import { LIMITS } from "../../templates/limits.js";

// Replies go out in order through `deliver`; while held they wait in a queue, so a
// test can look at calls pending, time them out, abort or close them.
export function replyQueue() {
  const queue = [];
  let held = false;
  return {
    deliver(fn) {
      if (held) queue.push(fn);
      else queueMicrotask(fn);
    },
    hold() {
      held = true;
    },
    // Deliver what waits (newest first with reverse: replies may come out of order).
    release({ reverse = false } = {}) {
      held = false;
      const waiting = queue.splice(0);
      if (reverse) waiting.reverse();
      for (const fn of waiting) fn();
    },
  };
}

// The frames a test player has: index -> bytes, all PNG, `count` in all.
export function testFrames(count) {
  const frames = new Map();
  for (let i = 0; i < count; i++) frames.set(i, Uint8Array.from([137, 80, 78, 71, i]));
  return frames;
}

export const PNG = "image/png";

class PythonError extends Error {
  constructor(type, message, traceback = []) {
    super(message);
    this.type = type;
    this.traceback = traceback;
  }
}

// An anywidget model over a fake kernel that answers the Player's exposed methods as
// ipyanimagic/player/widget.py and the dispatcher do. `broken`: an index whose drawing raises
// ZeroDivisionError, as a user's frame function might.
export function fakeKernelModel({ key, frames, count, broken = null, deliver }) {
  const listeners = { "msg:custom": new Set(), comm_live_update: new Set() };
  let page = {};
  const sent = [];

  function frameData(index) {
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new PythonError("FrameOutOfRange", `frame ${index} is out of range (0..${count - 1})`);
    }
    if (index === broken) {
      throw new PythonError("ZeroDivisionError", "division by zero", [
        "Traceback (most recent call last):\n",
        "ZeroDivisionError: division by zero\n",
      ]);
    }
    const bytes = frames.get(index);
    return [{ index, mime: PNG, width: 2, height: 2, render_ms: 5, count, known: count }, bytes];
  }

  const methods = {
    frame({ index }) {
      const [meta, bytes] = frameData(index);
      return [meta, [bytes]];
    },
    frames({ indices }) {
      // ipyanimagic/player/options.py check_batch
      if (!Array.isArray(indices) || indices.length < 1 || indices.length > LIMITS.maxBatch) {
        const message = `indices must be a list of 1 to ${LIMITS.maxBatch} frame indices`;
        throw new PythonError("ValueError", message);
      }
      const metas = [];
      const buffers = [];
      let error = null;
      for (const index of indices) {
        try {
          const [meta, bytes] = frameData(index);
          metas.push(meta);
          buffers.push(bytes);
        } catch (err) {
          error = { index, type: err.type, message: err.message, traceback: err.traceback };
          break;
        }
      }
      return [{ frames: metas, error }, buffers];
    },
    buffered: () => [[[0, count - 1]], []],
    stats: () => [{ rendered: 0, page }, []],
    report({ stats }) {
      page = stats;
      return [null, []];
    },
    echo: ({ value = null }) => [value, []],
  };

  function reply({ id, key: k, method, args }) {
    const fail = (type, message, traceback = []) => ({
      id,
      ok: false,
      error: { type, message, traceback },
    });
    if (k !== key) return [fail("UnknownKey", "no object is registered under this key"), []];
    if (!Object.hasOwn(methods, method)) {
      return [fail("UnknownMethod", `${method} is not exposed`), []];
    }
    try {
      const [result, buffers] = methods[method](args);
      // anywidget hands binary buffers to the page as DataViews.
      return [{ id, ok: true, result }, buffers.map((b) => new DataView(b.buffer))];
    } catch (err) {
      return [fail(err.type, err.message, err.traceback), []];
    }
  }

  return {
    comm_live: true,
    sent,
    on(event, fn) {
      listeners[event].add(fn);
    },
    off(event, fn) {
      listeners[event].delete(fn);
    },
    send(msg, callbacks, buffers) {
      sent.push({ msg, buffers });
      const [answer, replyBuffers] = reply(msg);
      deliver(() => {
        for (const fn of [...listeners["msg:custom"]]) fn(answer, replyBuffers);
      });
    },
    // What the widget manager does when the kernel restarts or dies.
    loseKernel() {
      this.comm_live = false;
      for (const fn of [...listeners.comm_live_update]) fn();
    },
    // What arrives on the comm that is not a reply to this view's call.
    emit(msg, buffers = []) {
      for (const fn of [...listeners["msg:custom"]]) fn(msg, buffers);
    },
    listenerCount: (event) => listeners[event].size,
  };
}

// The exported file's embedded frames (base64), as export.py writes them.
export function embedded(frames, { leaveOut = [] } = {}) {
  const out = {};
  for (const [i, bytes] of frames) {
    if (leaveOut.includes(i)) continue;
    out[String(i)] = { mime: PNG, data: Buffer.from(bytes).toString("base64") };
  }
  return out;
}

// A bridge whose calls wait for the test to answer them: calls[k].answer(value) or
// .fail(error).
export function manualBridge() {
  const calls = [];
  return {
    calls,
    call(key, method, args, options) {
      return new Promise((resolve, reject) => {
        calls.push({ key, method, args, options, answer: resolve, fail: reject });
      });
    },
  };
}

export function fakeBitmap(label) {
  return {
    label,
    closed: false,
    close() {
      this.closed = true;
    },
  };
}

// decode(bytes, mime) for the fetcher: a bitmap that names the bytes' last value.
export async function fakeDecode(bytes, mime) {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { ...fakeBitmap(view[view.length - 1]), mime };
}

// Let pending promise callbacks run.
export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
