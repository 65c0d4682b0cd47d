// The page side of Python -> page calls (templates/bridge/pagecalls.js) over a stand-in model:
// what Python sends goes in through the model's "msg:custom" listeners, what the page
// answers is what the model was asked to send.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  BUFFER_MARK,
  createPageCalls,
  decodeValue,
  encodeValue,
  NdArray,
} from "../../templates/bridge/pagecalls.js";

function fakeModel() {
  const listeners = new Set();
  const sent = [];
  let notify = null;
  return {
    sent,
    on(event, fn) {
      if (event === "msg:custom") listeners.add(fn);
    },
    off(event, fn) {
      if (event === "msg:custom") listeners.delete(fn);
    },
    send(content, callbacks, buffers = []) {
      sent.push({ content, buffers });
      if (notify) notify();
    },
    fromPython(content, buffers = []) {
      for (const fn of [...listeners]) fn(content, buffers);
    },
    // The next `n` messages the page sends (waits for them).
    async replies(n = 1) {
      while (sent.length < n) await new Promise((resolve) => (notify = resolve));
      return sent.splice(0, n);
    },
    get listening() {
      return listeners.size;
    },
  };
}

function setup({ headless = false } = {}) {
  const model = fakeModel();
  const calls = createPageCalls(model, { headless });
  return { model, calls };
}

describe("calls from Python", () => {
  test("an exposed function gets the arguments and its (awaited) result goes back", async () => {
    const { model, calls } = setup();
    const scope = calls.addScope();
    scope.expose("add", async (a, b) => a + b);
    scope.markReady();
    model.fromPython({ call: 7, op: "call", name: "add", args: [2, 3] });
    const [{ content }] = await model.replies();
    assert.deepEqual(content, { reply: 7, ok: true, result: 5 });
    assert.equal(calls.running, 0);
  });

  test("expose takes an object of functions; a call waits for the view to be ready", async () => {
    const { model, calls } = setup();
    const scope = calls.addScope();
    model.fromPython({ call: 1, op: "call", name: "pick", args: [] });
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(model.sent.length, 0, "answered before the view's code ran");
    scope.expose({ pick: () => "blue", other: () => 0 });
    scope.markReady();
    const [{ content }] = await model.replies();
    assert.deepEqual(content, { reply: 1, ok: true, result: "blue" });
  });

  test("an unknown name says which names are exposed", async () => {
    const { model, calls } = setup();
    const scope = calls.addScope();
    scope.expose({ b: () => 1, a: () => 2 });
    scope.markReady();
    model.fromPython({ call: 2, op: "call", name: "nope", args: [] });
    const [{ content }] = await model.replies();
    assert.equal(content.ok, false);
    assert.equal(content.error.name, "NotExposed");
    assert.deepEqual(content.error.exposed, ["a", "b"]);
    assert.match(content.error.message, /no function "nope" \(exposed: a, b\)/);
  });

  test("a thrown error goes back with its name, message and stack", async () => {
    const { model, calls } = setup();
    const scope = calls.addScope();
    scope.expose("boom", () => {
      throw new RangeError("too far");
    });
    scope.expose("text", () => {
      throw "plain";
    });
    scope.markReady();
    model.fromPython({ call: 3, op: "call", name: "boom", args: [] });
    model.fromPython({ call: 4, op: "call", name: "text", args: [] });
    const [a, b] = await model.replies(2);
    assert.equal(a.content.error.name, "RangeError");
    assert.equal(a.content.error.message, "too far");
    assert.match(a.content.error.stack, /too far/);
    assert.deepEqual(b.content.error, { name: "Error", message: "plain", stack: "" });
  });

  test("many calls are outstanding at once and each answer carries its own id", async () => {
    const { model, calls } = setup();
    const scope = calls.addScope();
    const release = [];
    scope.expose("later", (x) => new Promise((resolve) => release.push(() => resolve(x * 2))));
    scope.markReady();
    for (let id = 10; id < 15; id++) model.fromPython({ call: id, op: "call", name: "later", args: [id] });
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(calls.running, 5);
    for (const fn of release.reverse()) fn();
    const got = await model.replies(5);
    assert.deepEqual(
      got.map((r) => [r.content.reply, r.content.result]),
      [14, 13, 12, 11, 10].map((id) => [id, id * 2]),
    );
  });

  test("an abort from Python aborts the function's signal and no reply is sent", async () => {
    const { model, calls } = setup();
    const scope = calls.addScope();
    let signal = null;
    scope.expose("wait", (s) => {
      signal = s;
      return new Promise((resolve, reject) => s.addEventListener("abort", () => reject(s.reason)));
    });
    scope.markReady();
    model.fromPython({ call: 5, op: "call", name: "wait", args: [] });
    await new Promise((r) => setTimeout(r, 0));
    model.fromPython({ abort: 5 });
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason.name, "AbortError");
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(model.sent.length, 0);
    assert.equal(calls.running, 0);
  });

  test("a view removed while it runs a call answers Disconnected; without views, at once", async () => {
    const { model, calls } = setup();
    const scope = calls.addScope();
    let signal = null;
    scope.expose("wait", (s) => {
      signal = s;
      return new Promise(() => {});
    });
    scope.markReady();
    model.fromPython({ call: 6, op: "call", name: "wait", args: [] });
    await new Promise((r) => setTimeout(r, 0));
    scope.remove();
    const [{ content }] = await model.replies();
    assert.equal(content.reply, 6);
    assert.equal(content.error.name, "Disconnected");
    assert.equal(signal.aborted, true);
    model.fromPython({ call: 8, op: "call", name: "wait", args: [] });
    const [{ content: next }] = await model.replies();
    assert.equal(next.error.name, "Disconnected");
    assert.equal(calls.running, 0);
  });

  test("the newest ready view answers; the others stay out of it", async () => {
    const { model, calls } = setup();
    const first = calls.addScope();
    first.expose("who", () => "first");
    first.markReady();
    const second = calls.addScope();
    second.expose("who", () => "second");
    second.markReady();
    model.fromPython({ call: 9, op: "call", name: "who", args: [] });
    assert.equal((await model.replies())[0].content.result, "second");
    second.remove();
    model.fromPython({ call: 10, op: "call", name: "who", args: [] });
    assert.equal((await model.replies())[0].content.result, "first");
  });

  test("eval runs in the view's evaluator; headless, in the global scope with await", async () => {
    const { model, calls } = setup();
    const scope = calls.addScope();
    scope.evaluate = async (expr) => `evaluated ${expr}`;
    scope.markReady();
    model.fromPython({ call: 11, op: "eval", expr: "x" });
    assert.equal((await model.replies())[0].content.result, "evaluated x");

    const headless = setup({ headless: true });
    headless.model.fromPython({ call: 12, op: "eval", expr: "await Promise.resolve(6 * 7)" });
    assert.deepEqual((await headless.model.replies())[0].content, { reply: 12, ok: true, result: 42 });
  });

  test("close answers what runs with Disconnected and stops listening", async () => {
    const { model, calls } = setup();
    const scope = calls.addScope();
    scope.expose("wait", () => new Promise(() => {}));
    scope.markReady();
    model.fromPython({ call: 13, op: "call", name: "wait", args: [] });
    await new Promise((r) => setTimeout(r, 0));
    calls.close("the widget was closed");
    const [{ content }] = await model.replies();
    assert.deepEqual(content.error, { name: "Disconnected", message: "the widget was closed", stack: content.error.stack });
    assert.equal(model.listening, 0);
  });
});

test("the page closing answers what runs with Disconnected", async () => {
  const model = fakeModel();
  const pageEvents = new EventTarget();
  const calls = createPageCalls(model, { pageEvents });
  const scope = calls.addScope();
  scope.expose("wait", () => new Promise(() => {}));
  scope.markReady();
  model.fromPython({ call: 14, op: "call", name: "wait", args: [] });
  await new Promise((r) => setTimeout(r, 0));
  pageEvents.dispatchEvent(new Event("pagehide"));
  const [{ content }] = await model.replies();
  assert.equal(content.reply, 14);
  assert.equal(content.error.name, "Disconnected");
  assert.equal(content.error.message, "the page was closed or reloaded");
  assert.equal(model.listening, 0);
});

describe("values", () => {
  test("binary arguments arrive as ArrayBuffers and typed arrays, unaligned ones copied", () => {
    const raw = new Uint8Array([0, 1, 0, 0, 128, 63, 0, 0, 0, 64]); // 1 pad byte + ...
    const value = decodeValue(
      [
        { [BUFFER_MARK]: 0, type: "ArrayBuffer" },
        { [BUFFER_MARK]: 1, type: "Float32Array", shape: [2] },
        { nested: { [BUFFER_MARK]: 2, type: "Float32Array" } },
      ],
      [new DataView(raw.buffer, 0, 2), new DataView(raw.buffer, 2, 8), new DataView(raw.buffer, 2, 8)],
    );
    assert.ok(value[0] instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(value[0])], [0, 1]);
    assert.ok(value[1] instanceof Float32Array);
    assert.deepEqual([...value[1]], [1, 2]);
    assert.deepEqual(value[1].shape, [2]);
    assert.deepEqual([...value[2].nested], [1, 2]);
  });

  test("binary results go to buffers; python.array marks a numpy array", () => {
    const f = new Float32Array([1, 2, 3, 4]);
    const { json, buffers } = encodeValue({
      raw: f.buffer,
      typed: f.subarray(1, 3),
      array: new NdArray(f, [2, 2]),
      n: NaN,
      skip: undefined,
      list: [undefined, () => 1],
      when: new Date(0),
    });
    assert.deepEqual(json, {
      raw: { [BUFFER_MARK]: 0, type: "ArrayBuffer" },
      typed: { [BUFFER_MARK]: 1, type: "Float32Array" },
      array: { [BUFFER_MARK]: 2, type: "Float32Array", shape: [2, 2], array: true },
      n: null,
      list: [null, null],
      when: "1970-01-01T00:00:00.000Z",
    });
    assert.deepEqual([...new Float32Array(buffers[1].slice().buffer)], [2, 3]);
    assert.equal(buffers[0].byteLength, 16);
  });

  test("a result that contains itself is refused, a repeated one is not", () => {
    const shared = { a: 1 };
    assert.deepEqual(encodeValue([shared, shared]).json, [{ a: 1 }, { a: 1 }]);
    const loop = {};
    loop.self = loop;
    assert.throws(() => encodeValue(loop), /contains itself/);
    assert.throws(() => new NdArray(new Float32Array(3), [2, 2]), /does not hold 3 elements/);
  });
});
