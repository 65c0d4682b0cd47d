// One bridge contract (written down at the top of templates/bridge/bridge.js), held by both
// bridges: the live one over a widget's comm (here: a fake anywidget model answering
// like the kernel) and the exported file's, over embedded frames. Then what only one
// of them does.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { BridgeError, createBridge, KERNEL_GONE } from "../../templates/bridge/bridge.js";
import { LIMITS } from "../../templates/limits.js";
import { createOfflineBridge } from "../../templates/player/offline_bridge.js";
import {
  embedded,
  fakeKernelModel,
  PNG,
  replyQueue,
  sleep,
  testFrames,
} from "./fakes.js";

const KEY = "k0";
const COUNT = 6;
const FRAMES = testFrames(COUNT);

// Each bridge, made over the same six frames, with frame 3 one it cannot give: the
// live kernel's frame function raises there, the export left it out.
const implementations = [
  {
    name: "the live bridge",
    failing: { index: 3, type: "ZeroDivisionError" },
    make(options = {}) {
      const replies = replyQueue();
      const model = fakeKernelModel({
        key: KEY,
        frames: FRAMES,
        count: COUNT,
        broken: 3,
        deliver: replies.deliver,
      });
      return { bridge: createBridge(model, options), replies, model };
    },
  },
  {
    name: "the offline bridge",
    failing: { index: 3, type: "NotExported" },
    make(options = {}) {
      const replies = replyQueue();
      const data = {
        key: KEY,
        count: COUNT,
        frames: embedded(FRAMES, { leaveOut: [3] }),
        ranges: [[0, 2], [4, 5]],
      };
      const bridge = createOfflineBridge(data, { ...options, deliver: replies.deliver });
      return { bridge, replies };
    },
  },
];

const bytesOf = (view) => [...new Uint8Array(view.buffer, view.byteOffset, view.byteLength)];

async function rejects(promise, name, message) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof BridgeError, `a BridgeError, not ${err}`);
    assert.equal(err.name, name);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });
}

for (const impl of implementations) {
  describe(`the bridge contract: ${impl.name}`, () => {
    test("frame answers the frame's metadata and its bytes as one buffer", async () => {
      const { bridge } = impl.make();
      const args = { index: 2, format: "png" };
      const { result, buffers } = await bridge.call(KEY, "frame", args, { raw: true });
      assert.equal(result.index, 2);
      assert.equal(result.mime, PNG);
      assert.equal(result.count, COUNT);
      assert.equal(result.known, COUNT);
      assert.equal(buffers.length, 1);
      assert.deepEqual(bytesOf(buffers[0]), [...FRAMES.get(2)]);
    });

    test("without raw a call resolves to the result alone", async () => {
      const { bridge } = impl.make();
      const result = await bridge.call(KEY, "frame", { index: 1, format: "png" });
      assert.equal(result.index, 1);
    });

    test("frames answers a batch: one meta and one buffer per frame, in order", async () => {
      const { bridge } = impl.make();
      const { result, buffers } = await bridge.call(
        KEY,
        "frames",
        { indices: [4, 5, 0], format: "jpeg" },
        { raw: true },
      );
      assert.deepEqual(result.frames.map((m) => m.index), [4, 5, 0]);
      assert.equal(result.error, null);
      assert.deepEqual(buffers.map(bytesOf), [4, 5, 0].map((i) => [...FRAMES.get(i)]));
    });

    test("a batch stops at the first frame that fails and says which and why", async () => {
      const { bridge } = impl.make();
      const { result, buffers } = await bridge.call(
        KEY,
        "frames",
        { indices: [1, 2, 3, 4], format: "jpeg" },
        { raw: true },
      );
      assert.deepEqual(result.frames.map((m) => m.index), [1, 2]);
      assert.equal(buffers.length, 2);
      assert.equal(result.error.index, impl.failing.index);
      assert.equal(result.error.type, impl.failing.type);
      assert.equal(typeof result.error.message, "string");
      assert.ok(Array.isArray(result.error.traceback));
    });

    test("a batch of more than maxBatch frames is refused", async () => {
      const { bridge } = impl.make();
      const indices = Array.from({ length: LIMITS.maxBatch + 1 }, (_, i) => i % COUNT);
      await assert.rejects(bridge.call(KEY, "frames", { indices, format: "jpeg" }), BridgeError);
    });

    test("a frame it cannot give rejects with the reason as the error's name", async () => {
      const { bridge } = impl.make();
      await rejects(bridge.call(KEY, "frame", { index: 3, format: "png" }), impl.failing.type);
    });

    test("a frame past the end rejects with FrameOutOfRange", async () => {
      const { bridge } = impl.make();
      const past = bridge.call(KEY, "frame", { index: COUNT, format: "png" });
      await rejects(past, "FrameOutOfRange", /6/);
    });

    test("buffered answers ranges of frame indices", async () => {
      const { bridge } = impl.make();
      const ranges = await bridge.call(KEY, "buffered", {});
      assert.ok(Array.isArray(ranges) && ranges.length > 0);
      for (const [a, b] of ranges) assert.ok(0 <= a && a <= b && b < COUNT);
    });

    test("report keeps the page's counters and stats gives them back", async () => {
      const { bridge } = impl.make();
      assert.equal(await bridge.call(KEY, "report", { stats: { displayed: 7 } }), null);
      const stats = await bridge.call(KEY, "stats", {});
      assert.deepEqual(stats.page, { displayed: 7 });
    });

    test("echo answers its value", async () => {
      const { bridge } = impl.make();
      assert.deepEqual(await bridge.call(KEY, "echo", { value: { a: [1, "x"] } }), { a: [1, "x"] });
    });

    test("an unknown method or key is an error, not silence", async () => {
      const { bridge } = impl.make();
      await rejects(bridge.call(KEY, "nope", {}), "UnknownMethod");
      await rejects(bridge.call("other", "frame", { index: 0 }), "UnknownKey");
    });

    test("inFlight counts the calls waiting for a reply", async () => {
      const { bridge, replies } = impl.make();
      replies.hold();
      const calls = [0, 1, 2].map((index) => bridge.call(KEY, "frame", { index, format: "png" }));
      assert.equal(bridge.inFlight, 3);
      replies.release();
      await Promise.all(calls);
      assert.equal(bridge.inFlight, 0);
    });

    test("replies are matched to calls by id, whatever their order", async () => {
      const { bridge, replies } = impl.make();
      replies.hold();
      const calls = [0, 1, 2].map((index) => bridge.call(KEY, "frame", { index, format: "png" }));
      replies.release({ reverse: true });
      assert.deepEqual((await Promise.all(calls)).map((r) => r.index), [0, 1, 2]);
    });

    test("a call with no reply within its timeout rejects with TimeoutError", async () => {
      const { bridge, replies } = impl.make({ timeout: 60_000 });
      replies.hold();
      const call = bridge.call(KEY, "frame", { index: 0, format: "png" }, { timeout: 15 });
      await rejects(call, "TimeoutError", /frame: no reply within 15 ms/);
      assert.equal(bridge.inFlight, 0);
      replies.release(); // a late reply finds nothing to settle
    });

    test("the bridge's own timeout applies when the call gives none", async () => {
      const { bridge, replies } = impl.make({ timeout: 15 });
      replies.hold();
      await rejects(bridge.call(KEY, "buffered", {}), "TimeoutError");
    });

    test("an aborted signal rejects the call with AbortError, before or during it", async () => {
      const { bridge, replies } = impl.make();
      const before = new AbortController();
      before.abort();
      await rejects(bridge.call(KEY, "buffered", {}, { signal: before.signal }), "AbortError");
      assert.equal(bridge.inFlight, 0);

      replies.hold();
      const during = new AbortController();
      const call = bridge.call(KEY, "buffered", {}, { signal: during.signal });
      during.abort();
      await rejects(call, "AbortError", /buffered: aborted/);
      assert.equal(bridge.inFlight, 0);
      replies.release();
    });

    test("close rejects every pending call with Disconnected and the reason", async () => {
      const { bridge, replies } = impl.make();
      replies.hold();
      const calls = [
        bridge.call(KEY, "frame", { index: 0, format: "png" }, { raw: true }),
        bridge.call(KEY, "frames", { indices: [1, 2], format: "jpeg" }, { raw: true }),
      ];
      bridge.close("the player was closed");
      for (const call of calls) await rejects(call, "Disconnected", /the player was closed/);
      assert.equal(bridge.inFlight, 0);
      assert.equal(bridge.closed, true);
      replies.release();
    });

    test("after close every call rejects at once with Disconnected", async () => {
      const { bridge } = impl.make();
      bridge.close("gone");
      await rejects(bridge.call(KEY, "buffered", {}), "Disconnected", /gone/);
    });

    test("onClose listeners hear the reason once; a late listener at once", () => {
      const { bridge } = impl.make();
      const heard = [];
      bridge.onClose((reason) => heard.push(["early", reason]));
      assert.equal(bridge.closed, false);
      bridge.close("first");
      bridge.close("second"); // closing again changes nothing
      bridge.onClose((reason) => heard.push(["late", reason]));
      assert.deepEqual(heard, [
        ["early", "first"],
        ["late", "first"],
      ]);
    });
  });
}

describe("only the live bridge", () => {
  const live = () => implementations[0].make();

  test("it sends {id, key, method, args} with integer ids, unique per call", () => {
    const { bridge, model } = live();
    bridge.call(KEY, "echo", { value: 1 });
    bridge.call(KEY, "echo", { value: 2 });
    const [a, b] = model.sent.map((s) => s.msg);
    assert.deepEqual(Object.keys(a).sort(), ["args", "id", "key", "method"]);
    assert.ok(Number.isInteger(a.id) && Number.isInteger(b.id) && a.id !== b.id);
  });

  test("a lost kernel closes it: pending calls reject and listeners hear why", async () => {
    const { bridge, model, replies } = live();
    const heard = [];
    bridge.onClose((reason) => heard.push(reason));
    replies.hold();
    const call = bridge.call(KEY, "frame", { index: 0, format: "png" });
    model.loseKernel();
    await rejects(call, "Disconnected", new RegExp(KERNEL_GONE));
    assert.deepEqual(heard, [KERNEL_GONE]);
    assert.equal(model.listenerCount("msg:custom"), 0, "it stops listening");
  });

  test("what Python printed while answering goes to onOutput", async () => {
    const outputs = [];
    const replies = replyQueue();
    const { deliver } = replies;
    const model = fakeKernelModel({ key: KEY, frames: FRAMES, count: COUNT, deliver });
    const bridge = createBridge(model, { onOutput: (o) => outputs.push(...o) });
    replies.hold();
    const call = bridge.call(KEY, "echo", { value: 1 });
    const { id } = model.sent[0].msg;
    const printed = { output_type: "stream", name: "stdout", text: "hi\n" };
    model.emit({ id, ok: true, result: 1, outputs: [printed] });
    assert.equal(await call, 1);
    assert.deepEqual(outputs, [printed]);
  });

  test("a Python error carries its type, message and traceback", async () => {
    const { bridge } = live();
    await assert.rejects(bridge.call(KEY, "frame", { index: 3, format: "png" }), (err) => {
      assert.equal(err.name, "ZeroDivisionError");
      assert.equal(err.message, "division by zero");
      assert.equal(err.traceback.length, 2);
      return true;
    });
  });

  test("an error that names another frame than the one asked carries it as `frame`", async () => {
    const { bridge, model, replies } = live();
    replies.hold();
    const call = bridge.call(KEY, "frame", { index: 9, format: "png" });
    const { id } = model.sent[0].msg;
    const error = { type: "ValueError", message: "no frame 3", traceback: [], frame: 3 };
    model.emit({ id, ok: false, error });
    await assert.rejects(call, (err) => err.name === "ValueError" && err.frame === 3);
  });

  test("a send that throws rejects with SendError", async () => {
    const { model } = live();
    model.send = () => {
      throw new Error("comm closed");
    };
    await rejects(createBridge(model).call(KEY, "echo", {}), "SendError", /comm closed/);
  });

  test("other views' replies and messages that are no replies are ignored", async () => {
    const { bridge, model, replies } = live();
    replies.hold();
    const call = bridge.call(KEY, "echo", { value: "mine" });
    model.emit({ id: 12345, ok: true, result: "theirs" });
    model.emit({ not: "a reply" });
    model.emit(null);
    assert.equal(bridge.inFlight, 1);
    replies.release();
    assert.equal(await call, "mine");
  });
});

describe("only the offline bridge", () => {
  test("frames are decoded from the file's base64 and answered as DataViews", async () => {
    const { bridge } = implementations[1].make();
    const { buffers } = await bridge.call(KEY, "frame", { index: 5, format: "png" }, { raw: true });
    assert.ok(buffers[0] instanceof DataView);
    assert.deepEqual(bytesOf(buffers[0]), [...FRAMES.get(5)]);
  });

  test("a frame left out of the file says so", async () => {
    const { bridge } = implementations[1].make();
    const left = bridge.call(KEY, "frame", { index: 3, format: "png" });
    await rejects(left, "NotExported", /not in this file/);
  });

  test("buffered answers the ranges the file holds", async () => {
    const { bridge } = implementations[1].make();
    assert.deepEqual(await bridge.call(KEY, "buffered", {}), [[0, 2], [4, 5]]);
  });

  test("replies come later, as a kernel's would: never inside call()", async () => {
    const data = { key: KEY, count: 1, frames: embedded(testFrames(1)), ranges: [] };
    const bridge = createOfflineBridge(data);
    const call = bridge.call(KEY, "buffered", {});
    assert.equal(bridge.inFlight, 1);
    await call;
    await sleep(0);
    assert.equal(bridge.inFlight, 0);
  });
});
